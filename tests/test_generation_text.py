"""Layout: markdown removed, sentences split at real sentence ends, spans pointing into the document text."""

from __future__ import annotations

from memo_core.reflections.generators.sentences import layout, split_sentences


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_abbreviations_decimals_and_initials_do_not_end_sentences() -> None:
    text = "Dr. Ilse Marren paid 1.2 million euros to J. R. Osk. She left in 2011. It closed."
    assert _sentences(text) == [
        "Dr. Ilse Marren paid 1.2 million euros to J. R. Osk.",
        "She left in 2011.",
        "It closed.",
    ]


def test_markdown_is_stripped_and_spans_cover_the_original_words() -> None:
    text = (
        "# Verdant Lamp Works\n\nIlse Marren founded **Verdant Lamp Works** in 2011. "
        "It makes [lamps](http://x.example).\n\n## Figures\n\n- Staff: 40 people\n- It sells *brass* lamps."
    )
    doc = layout(text)
    assert doc.title == "Verdant Lamp Works"
    assert [s.text for s in doc.sentences] == [
        "Ilse Marren founded Verdant Lamp Works in 2011.",
        "It makes lamps.",
        "It sells brass lamps.",
    ]
    first = doc.sentences[0]
    assert text[first.start : first.end] == "Ilse Marren founded **Verdant Lamp Works** in 2011."
    assert [s.chunk for s in doc.sentences] == [1, 1, 3]
    assert doc.sentences[2].heading == "Figures"
    (field,) = doc.fields
    assert (field.label, field.value) == ("Staff", "40 people")
    assert text[field.start : field.end] == "Staff: 40 people"


def test_plain_text_title_line_is_a_heading_not_a_sentence() -> None:
    doc = layout("Verdant Lamp Works\n\nVerdant Lamp Works makes lamps.")
    assert doc.title == "Verdant Lamp Works"
    assert [s.text for s in doc.sentences] == ["Verdant Lamp Works makes lamps."]


def test_wrapped_lines_join_into_one_sentence() -> None:
    text = "Ilse Marren founded Verdant Lamp Works\nin 2011."
    (sentence,) = layout(text).sentences
    assert sentence.text == "Ilse Marren founded Verdant Lamp Works in 2011."
    assert (sentence.start, sentence.end) == (0, len(text))
