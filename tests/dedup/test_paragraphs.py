"""A document's paragraphs as dedup sees them: key text, shingling language, dropping."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from babelmill.dedup.paragraphs import drop_paragraphs, normalize_document, paragraph_hashes
from babelmill.dedup.text import normalize_key_text
from babelmill.document import TRANSLATED, Block, Document, Removal

LONG = "The council approved the budget on Tuesday after a long debate."


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=5), st.booleans())
def test_key_text_is_the_same_built_from_paragraphs(paragraphs, as_blocks):
    """The stage normalizes paragraph by paragraph; the document key must not change by that."""
    text = "\n\n".join(paragraphs)
    d = Document(id="p", text=text, blocks=[Block(text=p) for p in paragraphs] if as_blocks else [])
    normalized, _, _ = normalize_document(d)
    assert normalized == normalize_key_text(text)


def test_a_translated_block_is_shingled_as_english():
    blocks = [Block(text="a", lang="de", translation=TRANSLATED), Block(text="b", lang="zh")]
    d = Document(id="t", text="a\n\nb", blocks=blocks)
    assert normalize_document(d)[2] == ["en", "zh"]


def test_only_paragraphs_long_enough_are_hashed():
    d = Document(id="h", text=f"Share\n\n{LONG}")
    assert [i for _, i in paragraph_hashes(d, min_chars=40)] == [1]


def test_dropping_records_each_paragraph_and_never_empties_a_document():
    blocks = [Block(text=LONG, line=3), Block(text="Other text.", line=5)]
    d = Document(id="d", text=f"{LONG}\n\nOther text.", blocks=blocks)
    assert not drop_paragraphs(d, {0, 1}, "recurring_paragraph")
    assert len(d.blocks) == 2 and not d.removed
    assert drop_paragraphs(d, {0}, "recurring_paragraph")
    assert [b.text for b in d.blocks] == ["Other text."] and d.text == "Other text."
    assert d.removed == [Removal(line=3, text=LONG, rule="recurring_paragraph")]
