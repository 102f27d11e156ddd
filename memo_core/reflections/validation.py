"""Validation of reflection sets with Great Expectations, before anything is trained on them.

Each reflection becomes one row of a pandas frame whose derived columns (normalised question, span count,
provenance validity, grounding of direct answers, naming of the source file) are computed here; every
check is then one expectation in one suite, so the data docs show the whole contract and its results.
Failing rows are quarantined with their reasons, never dropped silently, and a run fails only when the
quarantined share passes ``max_quarantine_share``: a few bad rows should not stop an update, a broken
generator should.

Great Expectations is imported inside ``validate_reflections`` (it takes seconds to import) and runs in an
in-memory context, so it leaves no project files in the repository or the user's home.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memo_core.reflections.records import Reflection
from memo_core.sources.scan import Document
from memo_core.text import normalise_text

if TYPE_CHECKING:
    import pandas as pd
from memo_core.reflections.config import ValidationConfig

SUITE_NAME = "memo-reflections"
_SITE_NAME = "memo-reflections"
REQUIRED_FIELDS = ("id", "kind", "step", "generator", "generator_hash")


@dataclass(frozen=True)
class QuarantinedReflection:
    reflection: Reflection
    reasons: tuple[str, ...]


@dataclass
class ValidationResult:
    kept: list[Reflection]
    quarantined: list[QuarantinedReflection]
    total: int
    data_docs_index: Path | None = None

    @property
    def quarantined_share(self) -> float:
        return len(self.quarantined) / self.total if self.total else 0.0

    @property
    def reason_counts(self) -> dict[str, int]:
        """Quarantined rows per reason, most frequent first (a row with two reasons counts in both)."""
        counts = Counter(reason for q in self.quarantined for reason in q.reasons)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "kept": len(self.kept),
            "quarantined": len(self.quarantined),
            "quarantined_share": self.quarantined_share,
            "reason_counts": self.reason_counts,
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
        }


class ReflectionSetInvalid(ValueError):
    """Too large a share of the reflection set failed validation to train on it."""

    def __init__(self, message: str, result: ValidationResult) -> None:
        super().__init__(message)
        self.result = result


def check_threshold(result: ValidationResult, config: ValidationConfig, quarantine_location: str) -> None:
    """Raise ``ReflectionSetInvalid`` when the quarantined share passes ``config.max_quarantine_share``."""
    if result.quarantined_share <= config.max_quarantine_share:
        return
    top = ", ".join(f"{reason} {count}" for reason, count in list(result.reason_counts.items())[:5])
    where = f"quarantined rows with their reasons: {quarantine_location}"
    if result.data_docs_index is not None:
        where += f"; validation report: {result.data_docs_index}"
    raise ReflectionSetInvalid(
        f"{len(result.quarantined)} of {result.total} reflections failed validation "
        f"({result.quarantined_share:.1%}), more than validation.max_quarantine_share "
        f"({config.max_quarantine_share:.1%}); top reasons: {top}; {where}",
        result,
    )


def quarantine_rows(result: ValidationResult) -> list[dict[str, Any]]:
    """The quarantined reflections as records with their reasons."""
    return [{**q.reflection.to_dict(), "reasons": list(q.reasons)} for q in result.quarantined]


def quarantine_jsonl(result: ValidationResult) -> bytes:
    """The ``*.quarantine.jsonl`` file written beside a reflection set: one record per line."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in quarantine_rows(result)).encode()


def validate_reflections(
    reflections: Sequence[Reflection],
    documents: Mapping[str, Document],
    config: ValidationConfig,
    data_docs_dir: Path | None = None,
) -> ValidationResult:
    """Run the suite over ``reflections`` (``documents`` by id: the cited documents' current text) and
    split them into kept and quarantined; data docs go to ``data_docs_dir`` when given and enabled."""
    frame = reflection_frame(reflections, documents, config)
    checks = _checks(config)
    docs_dir = data_docs_dir.resolve() if data_docs_dir is not None and config.data_docs else None
    failing = _run_suite(frame, checks, docs_dir)
    repeats = set(
        frame.index[frame["question_norm"].duplicated(keep="first") & frame["question_norm"].notna()]
    )
    reasons: dict[int, list[str]] = {}
    for check in checks:
        rows = failing.get(check.reason, set())
        if check.reason == "duplicate_question":
            rows = rows & repeats  # the expectation flags every copy; the first one is kept
        for row in rows:
            reasons.setdefault(row, [])
            if check.reason not in reasons[row]:
                reasons[row].append(check.reason)
    kept = [r for i, r in enumerate(reflections) if i not in reasons]
    quarantined = [QuarantinedReflection(reflections[i], tuple(reasons[i])) for i in sorted(reasons)]
    index = docs_dir / "index.html" if docs_dir is not None else None
    return ValidationResult(
        kept=kept,
        quarantined=quarantined,
        total=len(reflections),
        data_docs_index=index if index is not None and index.exists() else None,
    )


def reflection_frame(
    reflections: Sequence[Reflection], documents: Mapping[str, Document], config: ValidationConfig
) -> pd.DataFrame:
    """One row per reflection with the derived columns the expectations test; blank text becomes null so
    "not null" means "not empty"."""
    import pandas as pd

    rows = []
    for position, r in enumerate(reflections):
        spans = _cited_spans(r, documents)
        rows.append(
            {
                "row": position,
                **{name: _blank_to_none(getattr(r, name)) for name in REQUIRED_FIELDS},
                "split": r.split,
                "question": _blank_to_none(r.question),
                "answer": _blank_to_none(r.answer),
                "question_norm": normalise_text(r.question) or None,
                "n_documents": len(r.document_ids),
                "n_spans": len(r.spans),
                # Null when there is nothing to judge: no spans is "no_provenance", not also "invalid".
                "provenance_valid": spans is not None if r.spans else None,
                "grounded": _grounded(r, spans) if config.grounding else True,
                "mentions_source": _mentions_source(r, documents),
            }
        )
    columns = [
        "row",
        *REQUIRED_FIELDS,
        "split",
        "question",
        "answer",
        "question_norm",
        "n_documents",
        "n_spans",
        "provenance_valid",
        "grounded",
        "mentions_source",
    ]
    return pd.DataFrame(rows, columns=columns).astype(
        {"provenance_valid": object, "grounded": object, "mentions_source": object}
    )


@dataclass(frozen=True)
class _Check:
    reason: str
    expectation: str  # a class name in great_expectations.expectations
    kwargs: dict[str, Any]
    description: str


def _checks(config: ValidationConfig) -> list[_Check]:
    """The suite, one expectation per check, each named by the reason its failing rows are quarantined for."""
    checks = [
        _Check(
            f"missing_{name}",
            "ExpectColumnValuesToNotBeNull",
            {"column": name},
            f"Every row has a non-empty {name}",
        )
        for name in REQUIRED_FIELDS
    ]
    q_min, q_max = config.min_question_chars, config.max_question_chars
    a_min, a_max = config.min_answer_chars, config.max_answer_chars
    checks += [
        _Check(
            "empty_question", "ExpectColumnValuesToNotBeNull", {"column": "question"}, "No empty question"
        ),
        _Check("empty_answer", "ExpectColumnValuesToNotBeNull", {"column": "answer"}, "No empty answer"),
        _Check(
            "question_length",
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "question", "min_value": q_min, "max_value": q_max},
            f"Questions are {q_min} to {q_max} characters long",
        ),
        _Check(
            "answer_length",
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "answer", "min_value": a_min, "max_value": a_max},
            f"Answers are {a_min} to {a_max} characters long",
        ),
        _Check(
            "duplicate_question",
            "ExpectColumnValuesToBeUnique",
            {"column": "question_norm"},
            "Questions are unique after normalisation (the first of a repeated question is kept)",
        ),
        _Check(
            "no_provenance",
            "ExpectColumnValuesToBeBetween",
            {"column": "n_documents", "min_value": 1},
            "Every reflection cites a document",
        ),
        _Check(
            "no_provenance",
            "ExpectColumnValuesToBeBetween",
            {"column": "n_spans", "min_value": 1},
            "Every reflection cites at least one character span",
        ),
        _Check(
            "invalid_provenance",
            "ExpectColumnValuesToBeInSet",
            {"column": "provenance_valid", "value_set": [True]},
            "Spans lie inside known cited documents, one chunk per span",
        ),
    ]
    if config.grounding:
        checks.append(
            _Check(
                "ungrounded_answer",
                "ExpectColumnValuesToBeInSet",
                {"column": "grounded", "value_set": [True]},
                "Direct answers' content words occur in their cited spans",
            )
        )
    checks.append(
        _Check(
            "names_source_document",
            "ExpectColumnValuesToBeInSet",
            {"column": "mentions_source", "value_set": [False]},
            "No question or answer names its source document or file",
        )
    )
    return checks


def _run_suite(frame: pd.DataFrame, checks: Sequence[_Check], docs_dir: Path | None) -> dict[str, set[int]]:
    """Validate ``frame`` against the suite in an in-memory context; the failing row positions per reason.
    A check that raised inside Great Expectations fails the call: an unchecked row must not pass."""
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)  # its import logs hundreds of INFO lines
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.checkpoint.actions import ValidationAction
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        sites[_SITE_NAME] = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        }
    context = gx.get_context(
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            data_docs_sites=sites,
        ),
        mode="ephemeral",
    )
    batch = (
        context.data_sources.add_pandas("memo")
        .add_dataframe_asset("reflections")
        .add_batch_definition_whole_dataframe("reflection-set")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE_NAME))
    for check in checks:
        expectation = getattr(gxe, check.expectation)(
            **check.kwargs, meta={"reason": check.reason}, description=check.description
        )
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="reflection-set", data=batch, suite=suite)
    )
    actions: list[ValidationAction] = []
    if sites:
        actions.append(UpdateDataDocsAction(name="data-docs", site_names=[_SITE_NAME]))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="reflection-set",
            validation_definitions=[definition],
            actions=actions,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row", "id"]},
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame})
    failing: dict[str, set[int]] = {}
    for suite_result in run.run_results.values():
        for outcome in suite_result.results:
            configuration = outcome.expectation_config
            if configuration is None or not configuration.meta or "reason" not in configuration.meta:
                raise RuntimeError(f"a validation result came back without its check: {outcome}")
            reason = str(configuration.meta["reason"])
            if outcome.exception_info.get("raised_exception"):
                message = outcome.exception_info.get("exception_message")
                raise RuntimeError(f"validation check {reason} could not run: {message}")
            if outcome.success:
                continue
            rows = {int(found["row"]) for found in outcome.result.get("unexpected_index_list") or []}
            failing.setdefault(reason, set()).update(rows)
    return failing


def _blank_to_none(value: str) -> str | None:
    return value if value.strip() else None


# --- provenance -------------------------------------------------------------------------------------------


def _cited_spans(
    reflection: Reflection, documents: Mapping[str, Document]
) -> list[tuple[str, int, int]] | None:
    """(document text, start, end) per span, or None when the provenance does not hold together: a chunk
    per span, each chunk in a cited document that is known, each span inside that document's text."""
    if len(reflection.chunk_ids) != len(reflection.spans):
        return None
    cited = []
    for chunk_id, (start, end) in zip(reflection.chunk_ids, reflection.spans, strict=True):
        document_id = chunk_id.partition("#")[0]
        document = documents.get(document_id)
        if document_id not in reflection.document_ids or document is None:
            return None
        if not 0 <= start < end <= len(document.text):
            return None
        cited.append((document.text, start, end))
    return cited


def _source_names(document_id: str, documents: Mapping[str, Document]) -> set[str]:
    """How a question could name a document: its id, path, file name, and a file-like stem.

    A stem counts only when it is longer than four characters and looks like a file name (has a '-', '_',
    '.' or digit): a one-word stem such as ``headquarters`` or ``orrin`` is an ordinary word or an entity
    name that questions rightly use."""
    document = documents.get(document_id)
    path = document.path if document is not None else document_id.partition("/")[2]
    name = posixpath.basename(path)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    names = {n for n in (document_id, path, name) if n}
    if len(stem) > 4 and re.search(r"[-_.\d]", stem):
        names.add(stem)
    return names


def _mentions_source(reflection: Reflection, documents: Mapping[str, Document]) -> bool:
    cited = set(reflection.document_ids) | {c.partition("#")[0] for c in reflection.chunk_ids}
    names = set().union(*(_source_names(d, documents) for d in cited)) if cited else set()
    text = f"{reflection.question}\n{reflection.answer}"
    return any(re.search(rf"(?<![\w\-/.]){re.escape(n)}(?![\w-])", text, flags=re.IGNORECASE) for n in names)


# --- grounding --------------------------------------------------------------------------------------------

# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "from", "by",
    "with", "without", "as", "into", "onto", "over", "under", "about", "above", "below", "after",
    "before", "between", "during", "since", "until", "upon", "via", "per", "than", "then", "so", "also",
    "too", "very", "just", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had",
    "do", "does", "did", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "it",
    "its", "this", "that", "these", "those", "he", "she", "they", "him", "her", "them", "his", "hers",
    "their", "theirs", "we", "us", "our", "you", "your", "i", "me", "my", "who", "whom", "whose", "which",
    "what", "when", "where", "why", "how", "there", "here", "not", "no", "yes", "all", "any", "both",
    "each", "either", "neither", "every", "some", "such", "own", "same", "other", "another", "more",
    "most", "less", "least", "only",
})
# Words that point back to something named earlier: a pronoun, or a definite or distributive determiner
# ("the company", "each kit"). A direct answer may name what the span only refers to this way.
_ANAPHORS = frozenset({
    "he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their", "theirs", "this",
    "that", "these", "those", "the", "each",
})
# Numbers are compared as digits, whichever way the answer or the document spells them.
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90",
}
_ORDINALS = {
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th", "eleventh": "11th",
    "twelfth": "12th",
}
# fmt: on
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_POSSESSIVE = re.compile(r"'s\b|(?<=s)'")


def _tokens(text: str) -> list[str]:
    """Lowercased word tokens; thousands separators, possessives and number words folded to one form."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = _POSSESSIVE.sub("", _THOUSANDS.sub("", text))
    return [_NUMBER_WORDS.get(t, _ORDINALS.get(t, t)) for t in re.findall(r"\w+", text)]


def _forms(token: str) -> set[str]:
    """A token and its possible singulars, so "kits" matches "kit", "cities" "city", "houses" "house"."""
    forms = {token}
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        forms.add(token[:-1])
        if token.endswith("es"):
            forms.add(token[:-2])
        if token.endswith("ies"):
            forms.add(token[:-3] + "y")
    return forms


def _all_forms(text: str) -> set[str]:
    return {form for token in _tokens(text) for form in _forms(token)}


def _grounded(reflection: Reflection, spans: list[tuple[str, int, int]] | None) -> bool | None:
    """Whether a direct answer is read off its cited spans; True for other kinds (inferred, consolidated
    and cross-document answers are derived, not quoted); None when the spans cannot be read.

    Every content word of the answer must occur in a cited span, except that a span which refers back
    (a pronoun, "the company") may have its referent named by the answer: such words must then occur in
    the cited document before the span ends, where the antecedent is."""
    if reflection.kind != "direct":
        return True
    if not spans or not reflection.answer.strip():
        return None  # nothing to judge: the provenance or empty-answer check reports the row
    words = [t for t in _tokens(reflection.answer) if t not in _STOPWORDS]
    if not words:
        return False  # an answer of only function words ("it", "the") states nothing checkable
    span_texts = [text[start:end] for text, start, end in spans]
    in_spans = set().union(*(_all_forms(s) for s in span_texts))
    missing = [w for w in words if not _forms(w) & in_spans]
    if not missing:
        return True
    if not any(set(_tokens(s)) & _ANAPHORS for s in span_texts):
        return False
    before = set().union(*(_all_forms(text[:end]) for text, _, end in spans))
    return all(_forms(w) & before for w in missing)
