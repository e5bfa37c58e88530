"""Property-based checks over the text stages: arbitrary bytes and Unicode never raise.

Inputs include lone surrogates, combining marks, right-to-left text and marks, zero-width and
bidi formatting characters, NUL and the other control characters, and every line separator
Unicode knows. The read path must turn any bytes into encodable text or a named quarantine;
repair must survive any ``str`` (and leave no lone surrogates), strip whatever repair makes of
it; normalize must be idempotent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from babelmill.document import OK, QUARANTINED, Block, Document
from babelmill.io.read import decode_bytes, new_input_document
from babelmill.io.write import corpus_record, dumps
from babelmill.stages.normalize import NormalizeConfig, NormalizeStage, clean_inline, render_blocks
from babelmill.stages.read import ReadConfig, ReadStage
from babelmill.stages.repair import RepairConfig, RepairStage, repair_text

# derandomized: CI runs are reproducible; benchmarks/fuzz_read.py explores further
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

READ_REASONS = {
    "empty", "no_text", "binary", "too_large", "line_too_long", "html", "not_found", "symlink_loop",
    "unreadable", "not_a_file",
}  # fmt: skip

SPECIAL = [
    "\u0301", "\u0308", "\u0327", "e\u0301", "\u05d0\u05d1", "\u0627\u0644", "\u202e", "\u202b", "\u200f",
    "\u200e", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029", "\x85", "\r",
    "\r\n", "\n", "\n\n", "\t", "\x00", "\x0b", "\x0c", "\x1b", "\ud800", "\udfff", "\udcff", "\ufffd",
    "\U0001f600", "Ã¶", "â€\x9d", "&amp;", "<p>", "创始", "\u3000", "ﬁ", " ", "- ", "> ",
]  # fmt: skip

# any code point, surrogates included, mixed with the characters that break text tools
any_char = st.one_of(st.characters(blacklist_categories=()), st.sampled_from(SPECIAL))
any_text = st.lists(any_char, max_size=120).map("".join)
# text that went through the read stage: decodable, so no lone surrogates
decoded_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from([s for s in SPECIAL if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]),
    ),
    max_size=120,
).map("".join)
byte_inputs = st.one_of(
    st.binary(max_size=600),
    any_text.map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    decoded_text.map(lambda t: t.encode("utf-16-le")),
    decoded_text.map(lambda t: t.encode("gb18030")),
    decoded_text.map(lambda t: t.encode("cp1252", errors="replace")),
)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@SETTINGS
@given(byte_inputs)
def test_decode_bytes_always_gives_encodable_text(data: bytes) -> None:
    text, encoding = decode_bytes(data)
    assert isinstance(text, str) and encoding
    assert _encodable(text)


@SETTINGS
@given(data=byte_inputs)
def test_read_stage_never_raises_and_names_its_reason(scratch: Path, data: bytes) -> None:
    path = scratch / "input.txt"
    path.write_bytes(data)
    (doc,) = list(ReadStage(ReadConfig(max_line_chars=200)).run([new_input_document(str(path))]))
    if doc.status == OK:
        assert doc.text.strip() and _encodable(doc.text)
        assert "\x00" not in doc.text and "\r" not in doc.text
        assert max(len(line) for line in doc.text.split("\n")) <= 200
    else:
        assert doc.status == QUARANTINED
        assert doc.status_reason in READ_REASONS, doc.status_detail
        assert doc.status_detail["message"]


@SETTINGS
@given(any_text)
def test_repair_survives_any_text(text: str) -> None:
    fixed, steps = repair_text(text, RepairConfig())
    assert isinstance(fixed, str) and isinstance(steps, list)
    (doc,) = list(RepairStage().run([Document(id="x", text=text)]))
    assert doc.ok
    # lone surrogates leave repair as U+FFFD: the stages after it only ever see encodable text
    assert _encodable(doc.text)


@SETTINGS
@given(byte_inputs)
def test_read_repair_normalize_chain_gives_writable_records(scratch: Path, data: bytes) -> None:
    """Whatever the bytes, the record the runner writes is valid UTF-8 JSON."""
    path = scratch / "chain.txt"
    path.write_bytes(data)
    stream = [new_input_document(str(path))]
    for stage in (ReadStage(), RepairStage(), NormalizeStage()):
        stream = list(stage.run(stream))
    (doc,) = stream
    if doc.ok:
        dumps(corpus_record(doc, {"version": "test"})).encode("utf-8")


def _strip_stage(tmp: Path):
    artifacts = pytest.importorskip("babelmill.stages.strip")
    return artifacts.StripStage(context={"state_dir": tmp})


@SETTINGS
@given(any_text)
def test_strip_survives_any_repaired_text(scratch: Path, text: str) -> None:
    """Strip runs after repair, so its input is whatever repair makes of any text."""
    stage = _strip_stage(scratch)
    (repaired,) = list(RepairStage().run([Document(id="x", text=text, source={"path": "x.txt"})]))
    out = list(stage.run([repaired]))
    assert len(out) == 1
    assert out[0].status in (OK, QUARANTINED)


@SETTINGS
@given(any_text)
def test_normalize_is_idempotent_on_text(text: str) -> None:
    (once,) = list(NormalizeStage().run([Document(id="x", text=text)]))
    (twice,) = list(NormalizeStage().run([Document(id="x", text=once.text)]))
    assert twice.text == once.text
    assert clean_inline(clean_inline(text)) == clean_inline(text)


block_kinds = st.sampled_from(["paragraph", "heading", "list_item", "quote"])


@SETTINGS
@given(st.lists(st.tuples(block_kinds, any_text), max_size=8), st.sampled_from(["NFC", "NFKC"]))
def test_normalize_renders_blocks_the_same_twice(items: list[tuple[str, str]], form: str) -> None:
    cfg = NormalizeConfig(unicode_form=form)
    doc = Document(id="x", text="", blocks=[Block(text=t, kind=k) for k, t in items])
    (once,) = list(NormalizeStage(cfg).run([doc]))
    first = once.text
    (again,) = list(NormalizeStage(cfg).run([once]))
    assert again.text == first
    assert render_blocks(again.blocks, cfg) == first


# -- regressions found by the property tests and the fuzzer ----------------------------------


@pytest.mark.parametrize("text", ["A\u202a\u0300", "e\u200b\u0301x", "\ufeffa\u00ad\u0308"])
def test_invisible_between_letter_and_combining_mark_normalizes_once(text: str) -> None:
    once = clean_inline(text)
    assert clean_inline(once) == once
    assert once in ("\u00c0", "\u00e9x", "\u00e4")
