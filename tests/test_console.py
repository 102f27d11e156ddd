"""The console shows memo's progress and results; the libraries' routine lines only when asked for."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from deepspeed.utils.logging import LoggerFactory

from flows.cli import main
from memo_core.training.job import _run


def test_library_lines_are_quiet_unless_verbose_or_debug(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    settings = {"store": {"root": str(tmp_path / "store")}, "sources": [{"name": "d", "url": "docs"}]}
    config = tmp_path / "memo.yaml"
    config.write_text(yaml.safe_dump(settings))
    runner = CliRunner()

    assert runner.invoke(main, ["sources", "--config", str(config)]).exit_code == 0
    # DeepSpeed sets up its own logger when imported, after the command started: still quiet
    handlers = list(logging.getLogger("DeepSpeed").handlers)
    deepspeed = LoggerFactory.create_logger(name="DeepSpeed", level=logging.INFO)
    deepspeed.handlers = handlers  # without the second console handler it adds
    assert shown(deepspeed, logging.WARNING) == [] and shown(deepspeed, logging.ERROR) == ["ERROR"]
    assert shown(logging.getLogger("httpx"), logging.INFO) == []

    assert runner.invoke(main, ["--verbose", "sources", "--config", str(config)]).exit_code == 0
    assert shown(logging.getLogger("httpx"), logging.INFO) == ["INFO"]
    assert shown(deepspeed, logging.WARNING) == ["WARNING"]

    config.write_text(yaml.safe_dump({**settings, "log_level": "DEBUG"}))
    assert runner.invoke(main, ["sources", "--config", str(config)]).exit_code == 0
    assert shown(logging.getLogger("httpx"), logging.INFO) == ["INFO"]


def shown(logger: logging.Logger, level: int) -> list[str]:
    """The level names of the lines a handler on ``logger`` receives when one line at ``level`` is logged."""
    seen: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(record.levelname)  # type: ignore[method-assign]
    logger.addHandler(handler)
    level_before, logger.level = logger.level, logging.DEBUG
    try:
        logger.log(level, "a line")
    finally:
        logger.removeHandler(handler)
        logger.level = level_before
    return seen


def test_deepspeeds_notes_on_a_healthy_start_are_debug_lines(caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        "[2026-12-01 22:45:45,369] [WARNING] [real_accelerator.py:213:get_accelerator] Setting accelerator "
        "to CPU. If you have GPU or other accelerator, we were unable to detect it.",
        "[2026-12-01 23:30:26,743] [WARNING] [runner.py:214:fetch_hostfile] Unable to find hostfile, will "
        "proceed with training with local resources only.",
        "[2026-12-01 23:30:26,900] [INFO] [launch.py:146:main] WORLD INFO DICT: {'localhost': [0]}",
        "[2026-12-01 23:30:27,100] [WARNING] [engine.py:99:init] something the operator should see",
    ]
    read, write = os.pipe()
    try:
        with caplog.at_level(logging.DEBUG, logger="memo_core.training.job"):
            code, _ = _run([sys.executable, "-c", f"print({chr(10).join(lines)!r})"], write, (), {})
    finally:
        os.close(read)
        os.close(write)
    assert code == 0
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert [levels[line] for line in lines] == [logging.DEBUG] * 3 + [logging.INFO]
