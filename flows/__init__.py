"""Prefect flows of memo. memo_core's progress logs (training steps, reflections) go to the run's logs."""

import os

os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "memo_core")
