"""Base models from a local folder, an s3:// URL (a real S3 API: moto's server on 127.0.0.1) and the hub."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub
import pytest
import torch
from s3_server import make_bucket, options

from memo_core.memory.base_model import SOURCE_FILE, BaseModelError, resolve_base_model
from memo_core.memory.config import OfflineModelSpec
from memo_core.memory.model import build_offline_model, load_pretrained, train_tokenizer

SPEC = OfflineModelSpec(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=300, max_positions=32)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base") / "model"
    tokenizer = train_tokenizer(["a small base model for the resolver tests"] * 5, SPEC.vocab_size)
    build_offline_model(tokenizer, SPEC, seed=0).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def same_weights(a: Path, b: Path) -> bool:
    first, second = load_pretrained(a)[0].state_dict(), load_pretrained(b)[0].state_dict()
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_an_s3_base_is_copied_once_and_again_only_when_it_changed(endpoint, saved_model, tmp_path):
    files = {f"models/tiny/{p.name}": p.read_bytes() for p in saved_model.iterdir()}
    bucket, client = make_bucket(endpoint, files)
    url, cache = f"s3://{bucket}/models/tiny", tmp_path / "cache"

    first = resolve_base_model(url, cache, options(endpoint))
    assert first.parent == cache and same_weights(first, saved_model)
    marker = (first / SOURCE_FILE).stat().st_mtime_ns

    assert resolve_base_model(url, cache, options(endpoint)) == first
    assert (first / SOURCE_FILE).stat().st_mtime_ns == marker  # nothing was copied again

    client.put_object(Bucket=bucket, Key="models/tiny/README.md", Body=b"retrained on more text")
    again = resolve_base_model(url, cache, options(endpoint))
    assert again == first and (again / "README.md").read_text() == "retrained on more text"
    assert not list(cache.glob(".tmp-*"))  # the staging copy became the cache entry


def test_an_empty_prefix_and_a_folder_without_a_model_are_named(endpoint, tmp_path):
    bucket, _ = make_bucket(endpoint, {"other/file.txt": b"x"})
    with pytest.raises(BaseModelError, match="no objects under that URL"):
        resolve_base_model(f"s3://{bucket}/models/none", tmp_path, options(endpoint))
    (tmp_path / "notes").mkdir()
    with pytest.raises(BaseModelError, match="holds no config.json"):
        resolve_base_model(str(tmp_path / "notes"), tmp_path / "cache")
    with pytest.raises(BaseModelError, match="neither a folder that exists"):
        resolve_base_model("./no/such/model/here", tmp_path / "cache")


def test_a_hub_id_comes_from_the_local_cache_offline_or_is_refused_clearly(
    saved_model, tmp_path, monkeypatch
):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(BaseModelError, match=r"'acme/tiny-memory' is not in the local Hugging Face cache"):
        resolve_base_model("acme/tiny-memory", tmp_path / "cache")

    # The hub cache's own layout, as a download on a machine with a network leaves it.
    commit = "0" * 40
    repo = tmp_path / "hub" / "models--acme--tiny-memory"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for path in saved_model.iterdir():
        (snapshot / path.name).write_bytes(path.read_bytes())
    found = resolve_base_model("acme/tiny-memory", tmp_path / "cache")
    assert found == snapshot and same_weights(found, saved_model)
