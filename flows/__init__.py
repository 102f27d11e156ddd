"""Prefect flows of memo. memo_core's progress logs (training steps, reflections) go to the run's logs."""

import os

os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "memo_core")
# Outside a flow run (memo reflect, memo ask) those logs stay on the terminal without a warning.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
