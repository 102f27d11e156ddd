from pathlib import Path

import pytest

from memo_core.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "memo.yaml"
    path.write_text(text)
    return path


def test_repository_config_is_valid_and_paths_resolve_against_its_folder():
    config = load_config(REPO / "memo.yaml", environ={})
    assert config.store.root == str(REPO / ".memo")
    assert config.sources[0].url == str(REPO / "examples" / "batch1")
    assert config.tracking_uri == f"sqlite:///{REPO / '.memo' / 'mlflow.db'}"


def test_misspelt_key_names_the_key_and_the_fix(tmp_path):
    path = write(tmp_path, "training:\n  lerning_rate: 0.001\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    message = str(err.value)
    assert "training.lerning_rate: unknown key" in message
    assert "did you mean 'learning_rate'?" in message


def test_bad_value_names_the_key_and_the_allowed_values(tmp_path):
    path = write(tmp_path, "training:\n  mode: partial\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert "training.mode" in str(err.value)
    assert "'full'" in str(err.value) and "'partial'" in str(err.value)


def test_environment_overrides_nested_keys_with_typed_values(tmp_path):
    path = write(tmp_path, "training:\n  epochs: 30\n")
    config = load_config(path, environ={"MEMO__TRAINING__EPOCHS": "5", "MEMO__MEMORY__OFFLINE__LAYERS": "2"})
    assert config.training.epochs == 5
    assert config.memory.offline.layers == 2


def test_missing_file_says_how_to_choose_one(tmp_path):
    with pytest.raises(ConfigError, match="--config"):
        load_config(tmp_path / "absent.yaml", environ={})


def test_a_bad_environment_value_is_blamed_on_its_variable_not_the_file(tmp_path):
    path = write(tmp_path, "training:\n  mode: partial\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={"MEMO__TRAINING__EPOCHS": "many"})
    first, *problems = str(err.value).splitlines()
    assert first == f"MEMO__TRAINING__EPOCHS and {path}: 2 problem(s):"
    [epochs] = [p for p in problems if "epochs" in p]
    assert "training.epochs (set by $MEMO__TRAINING__EPOCHS)" in epochs and "'many'" in epochs
    [mode] = [p for p in problems if "training.mode" in p]
    assert "set by" not in mode


def test_training_processes_see_only_the_environment_they_need():
    from memo_core.training.job import training_environment

    environ = {
        "PATH": "/usr/bin",
        "CUDA_VISIBLE_DEVICES": "0",
        "MLFLOW_TRACKING_TOKEN": "t",
        "OPENAI_API_KEY": "sk-secret",
        "MEMO_WEBHOOK_SECRET": "s",
        "AWS_SECRET_ACCESS_KEY": "a",
        "WANDB_API_KEY": "w",
    }
    assert training_environment(environ) == {
        "PATH": "/usr/bin",
        "CUDA_VISIBLE_DEVICES": "0",
        "MLFLOW_TRACKING_TOKEN": "t",
    }
    assert "WANDB_API_KEY" in training_environment(environ, ("WANDB_*",))
