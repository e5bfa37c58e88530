import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from babelmill.document import Block
from babelmill.stages.normalize import NormalizeConfig, NormalizeStage, clean_inline, render_blocks
from tests.conftest import make_doc


def blocks(*specs):
    return [Block(text=t, kind=k, line=i + 1) for i, (k, t) in enumerate(specs)]


def test_uniform_format():
    doc = make_doc()
    doc.blocks = blocks(
        ("paragraph", "  First   paragraph\u00a0with  spaces. "),
        ("list_item", "• one"),
        ("list_item", "* two"),
        ("quote", "quoted line"),
        ("paragraph", "Cafe\u0301 last."),
    )
    (out,) = list(NormalizeStage().run([doc]))
    assert out.text == "First paragraph with spaces.\n\n- one\n- two\n\n> quoted line\n\nCafé last."


def test_title_is_not_repeated_in_body_and_the_drop_is_recorded():
    doc = make_doc(metadata={"title": "Big News Today"})
    doc.blocks = blocks(("heading", "Big news today!"), ("paragraph", "The body."))
    (out,) = list(NormalizeStage().run([doc]))
    assert out.text == "The body."
    assert out.removed == [{"line": 1, "text": "Big news today!", "rule": "title_repeated"}]


def test_zero_width_characters_are_removed():
    doc = make_doc()
    doc.blocks = blocks(("paragraph", "zero\u200bwidth\ufeff"))
    (out,) = list(NormalizeStage().run([doc]))
    assert out.text == "zerowidth"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_line_cleaning_is_idempotent(text):
    once = clean_inline(text)
    assert clean_inline(once) == once
    assert unicodedata.is_normalized("NFC", once)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["paragraph", "list_item", "quote", "heading"]), st.text()), max_size=6))
def test_rendered_text_has_the_uniform_shape(specs):
    text = render_blocks(blocks(*specs), NormalizeConfig())
    assert "\n\n\n" not in text
    assert text == text.strip()
    for line in text.split("\n"):
        assert line == line.strip() or line.startswith("> ") or line.startswith("- ")
    # a second rendering of the same blocks is the same text
    assert render_blocks(blocks(*specs), NormalizeConfig()) == text
