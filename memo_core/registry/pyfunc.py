"""The MLflow pyfunc of a MEMORY model: a DataFrame of questions in, a list of answers out."""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel


class MemoryPyfunc(PythonModel):
    def load_context(self, context: Any) -> None:
        from memo_core.memory.model import MemoryModel  # torch: only where a model is loaded

        self.memory = MemoryModel.load(context.artifacts["memory"])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> list[str]:
        questions = model_input["question"] if isinstance(model_input, pd.DataFrame) else model_input
        return self.memory.answer([str(q) for q in questions])
