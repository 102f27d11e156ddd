"""Prefect task of the plan stage (``memo_core.plan``): who the champion is and what changed since."""

from __future__ import annotations

from prefect import task

from memo_core.config import MemoConfig
from memo_core.plan import planner
from memo_core.plan.planner import Champion, UpdatePlan
from memo_core.reflections.generators.base import build_generator
from memo_core.registry.registry import CHAMPION
from memo_core.runtime import open_registry


@task(name="plan-update")
def plan_update(config: MemoConfig, corpus_version: int, mode: str | None) -> UpdatePlan:
    found = open_registry(config).find(CHAMPION)
    champion = Champion(str(found.version), int(found.tags["corpus_version"])) if found else None
    generator_hash = build_generator(config.generator).settings_hash()
    return planner.plan_update(config, corpus_version, mode, champion, generator_hash)
