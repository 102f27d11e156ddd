"""Prefect flows of memo. memo_core's progress logs (training steps, reflections) go to the run's logs."""

import logging
import os

from memo_core.config import MemoConfig, load_config

os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "memo_core")
# Outside a flow run (memo reflect, memo ask) those logs stay on the terminal without a warning.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")


def load_run_config(config_path: str) -> MemoConfig:
    """The config of this flow run, memo_core's lines at its ``log_level`` in the run's log.

    The `memo` command sets PREFECT_LOGGING_EXTRA_LOGGERS before Prefect configures logging, but a worker's
    flow-run process configures it before it loads the flow, so memo_core is given here the handler Prefect
    gives its extra loggers (the run's log on the API), once.
    """
    config = load_config(config_path)
    memo_logs = logging.getLogger("memo_core")
    memo_logs.setLevel(config.log_level)
    for handler in logging.getLogger("prefect.extra").handlers:
        if handler not in memo_logs.handlers:
            memo_logs.addHandler(handler)
    return config
