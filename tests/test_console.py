"""The console shows memo's progress and results; the libraries' routine lines only when asked for."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from flows.cli import main
from memo_core.training.job import _run


def test_library_lines_are_quiet_unless_verbose_or_debug(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    settings = {"store": {"root": str(tmp_path / "store")}, "sources": [{"name": "d", "url": "docs"}]}
    config = tmp_path / "memo.yaml"
    config.write_text(yaml.safe_dump(settings))
    runner = CliRunner()

    assert runner.invoke(main, ["sources", "--config", str(config)]).exit_code == 0
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("DeepSpeed").level == logging.ERROR

    assert runner.invoke(main, ["--verbose", "sources", "--config", str(config)]).exit_code == 0
    assert logging.getLogger("httpx").level == logging.NOTSET

    config.write_text(yaml.safe_dump({**settings, "log_level": "DEBUG"}))
    assert runner.invoke(main, ["sources", "--config", str(config)]).exit_code == 0
    assert logging.getLogger("httpx").level == logging.NOTSET


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
