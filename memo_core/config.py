"""memo's one configuration file (``memo.yaml``), validated with pydantic.

Each concern owns its own config model (sources, generator, validation, memory model, training, evaluation,
registry, executive, serve); ``MemoConfig`` only composes them. Environment variables override the file:
``MEMO__TRAINING__EPOCHS=10`` sets ``training.epochs``. A wrong key or value raises ``ConfigError`` naming the
key and the fix.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from memo_core.evaluation.config import EvaluationConfig
from memo_core.executive.config import ExecutiveConfig
from memo_core.memory.config import MemoryModelConfig
from memo_core.reflections.config import GeneratorConfig, ValidationConfig
from memo_core.registry.config import RegistryConfig
from memo_core.serving.config import ServeConfig
from memo_core.sources.config import SourceConfig
from memo_core.store import StoreConfig
from memo_core.training.config import TrainingConfig

ENV_PREFIX = "MEMO__"
DEFAULT_CONFIG = "memo.yaml"


class ConfigError(ValueError):
    """A configuration problem, worded for the person who edits memo.yaml."""


class MemoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    memory: MemoryModelConfig = Field(default_factory=MemoryModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    registry: RegistryConfig = Field(default_factory=RegistryConfig)
    executive: ExecutiveConfig = Field(default_factory=ExecutiveConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    seed: int = 0
    log_level: Literal["DEBUG", "INFO", "WARNING"] = "INFO"

    @model_validator(mode="after")
    def _training_recipe(self) -> MemoConfig:
        self.training.take_recipe(self.training.recipe(pretrained=self.memory.base != "offline"))
        return self

    @property
    def tracking_uri(self) -> str:
        if self.registry.tracking_uri:
            return self.registry.tracking_uri
        return f"sqlite:///{os.path.join(os.path.abspath(self.store.root), 'mlflow.db')}"


def load_config(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> MemoConfig:
    """Read memo.yaml (or ``path``), apply ``MEMO__`` environment overrides, validate, resolve local paths.

    Relative local paths (store root, source URLs) are taken relative to the config file's folder, so a
    config means the same thing whatever the working directory.
    """
    environ = dict(os.environ) if environ is None else environ
    config_path = config_file(path, environ)
    if not config_path.exists():
        raise ConfigError(
            f"config file {config_path} not found; pass --config PATH or create {DEFAULT_CONFIG}"
        )
    try:
        data = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path} must hold a mapping of sections (store, sources, training, ...)")
    overridden = _apply_env_overrides(data, environ)
    try:
        config = MemoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, config_path, overridden)) from None
    return _resolve_paths(config, config_path.resolve().parent)


def config_file(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file meant: ``path``, else $MEMO_CONFIG, else ./memo.yaml."""
    env = os.environ if environ is None else environ
    return Path(path or env.get("MEMO_CONFIG") or DEFAULT_CONFIG)


def _apply_env_overrides(data: dict[str, Any], environ: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Set each ``MEMO__`` variable's key in ``data``; returns key path -> variable, to blame it by name."""
    overridden: dict[tuple[str, ...], str] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split("__") if k]
        if not keys:
            continue
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: {'.'.join(keys[:-1])} is not a section, it cannot take sub-keys")
        node[keys[-1]] = yaml.safe_load(raw)
        overridden[tuple(keys)] = name
    return overridden


def _explain(exc: ValidationError, config_path: Path, overridden: dict[tuple[str, ...], str]) -> str:
    blamed = {_from_environment(error["loc"], overridden) for error in exc.errors()}
    where = " and ".join(sorted(filter(None, blamed)) + ([str(config_path)] if None in blamed else []))
    lines = [f"{where}: {exc.error_count()} problem(s):"]
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        variable = _from_environment(error["loc"], overridden)
        if variable:
            loc = f"{loc} (set by ${variable})"
        if error["type"] == "extra_forbidden":
            lines.append(f"  {loc}: unknown key{_suggestion(error['loc'])}")
        else:
            lines.append(f"  {loc}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def _from_environment(loc: tuple[int | str, ...], overridden: dict[tuple[str, ...], str]) -> str | None:
    """The ``MEMO__`` variable that set ``loc`` or a section above it, if one did."""
    path = tuple(str(part) for part in loc)
    for depth in range(len(path), 0, -1):
        if path[:depth] in overridden:
            return overridden[path[:depth]]
    return None


def _suggestion(loc: tuple[int | str, ...]) -> str:
    """Name the closest valid key for a misspelt one, walking the model tree along ``loc``."""
    model: Any = MemoConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return ""
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        model = args[0] if args and hasattr(args[0], "model_fields") else annotation
    if not hasattr(model, "model_fields"):
        return ""
    valid = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{hint} (valid keys: {', '.join(valid)})"


def _resolve_paths(config: MemoConfig, base: Path) -> MemoConfig:
    def resolve(url: str) -> str:
        return url if "://" in url or os.path.isabs(url) else str((base / url).resolve())

    config.store.root = resolve(config.store.root)
    for source in config.sources:
        source.url = resolve(source.url)
    if config.evaluation.questions_file:
        config.evaluation.questions_file = resolve(config.evaluation.questions_file)
    if config.memory.base not in ("offline",) and "://" not in config.memory.base:
        candidate = base / config.memory.base
        if candidate.exists():
            config.memory.base = str(candidate.resolve())
    return config
