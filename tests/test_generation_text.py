"""Layout: markdown removed, running text, records, tables and datelines found, spans pointing into the
document text; and the LLM backends' sentence splitter."""

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
    assert [b.text for b in doc.blocks] == [
        "Ilse Marren founded Verdant Lamp Works in 2011. It makes lamps.",
        "It sells brass lamps.",
    ]
    first = doc.blocks[0].sentence(0, len("Ilse Marren founded Verdant Lamp Works in 2011."))
    assert text[first.start : first.end] == "Ilse Marren founded **Verdant Lamp Works** in 2011."
    assert [b.chunk for b in doc.blocks] == [1, 3]
    assert doc.blocks[1].heading == "Figures"
    (field,) = doc.fields
    assert (field.label, field.value) == ("Staff", "40 people")
    assert text[field.start : field.end] == "Staff: 40 people"


def test_plain_text_title_line_is_a_heading_not_a_sentence() -> None:
    doc = layout("Verdant Lamp Works\n\nVerdant Lamp Works makes lamps.")
    assert doc.title == "Verdant Lamp Works"
    assert [b.text for b in doc.blocks] == ["Verdant Lamp Works makes lamps."]


def test_wrapped_lines_join_into_one_block() -> None:
    text = "Ilse Marren founded Verdant Lamp Works\nin 2011."
    (block,) = layout(text).blocks
    assert block.text == "Ilse Marren founded Verdant Lamp Works in 2011."
    assert block.span(0, len(block.text)) == (0, len(text))


def test_tables_records_definitions_and_datelines() -> None:
    text = (
        "# Harlow Bay Lighthouse\n\nBuilt: 1871\nKeeper \u2014 Aldo Brisk\n\n"
        "| Vessel | Tonnage |\n|---|---|\n| Greyling | 340 |\n\n"
        "Anemometer\n: an instrument that measures wind speed\n\n"
        "HARLOW BAY, 4 March 2024 \u2014 The council approved the plan."
    )
    doc = layout(text)
    fields = [(f.subject, f.label, f.value) for f in doc.fields]
    assert fields == [
        ("", "Built", "1871"),
        ("", "Keeper", "Aldo Brisk"),
        ("Greyling", "Tonnage", "340"),
        ("Anemometer", "", "an instrument that measures wind speed"),
    ]
    assert all(f.heading == "Harlow Bay Lighthouse" for f in doc.fields)
    assert text[doc.fields[2].start : doc.fields[2].end] == "340"
    ((place, date),) = [(d.place, d.date) for d in doc.datelines]
    assert (place, date) == ("HARLOW BAY", "4 March 2024")
    assert [b.text for b in doc.blocks] == ["The council approved the plan."]
