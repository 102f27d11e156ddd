"""What the memory gives back for one question: its answer, and how sure it was of it."""

from __future__ import annotations


class Recalled(str):
    """An answer (a plain ``str`` to every caller) with the memory's confidence in it: the mean
    log-probability of the answer's tokens under greedy decoding, 0 when every token was certain.

    The offline executive asks one fact in several wordings and keeps the answer the memory was surest of:
    a memory trained from scratch answers a wording it never saw fluently but with less certainty."""

    confidence: float

    def __new__(cls, text: str, confidence: float) -> Recalled:
        recalled = super().__new__(cls, text)
        recalled.confidence = confidence
        return recalled

    def __getnewargs__(self) -> tuple[str, float]:  # type: ignore[override]  # pickled with its confidence
        return str(self), self.confidence
