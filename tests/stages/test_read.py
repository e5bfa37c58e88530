"""The read stage on its own: every kind of input file ends as text or with a named reason."""

from __future__ import annotations

import codecs
import gzip
import os
import random
from pathlib import Path

import pytest

from babelmill.document import OK, QUARANTINED
from babelmill.io.read import decode_bytes, display_path, new_input_document
from babelmill.stages.read import ReadConfig, ReadStage

GERMAN = "Die Größe der Straße überrascht: „Äpfel“ kosten 3 € mehr als im Vorjahr, sagt Müller.\n"
CHINESE = "创始团队出走殆尽，公司的高光时刻已经过去。\n记者在北京采访了多位员工，他们表示对未来感到担忧。\n"


def read_path(path: Path, **cfg) -> object:
    stage = ReadStage(ReadConfig(**cfg))
    (doc,) = list(stage.run([new_input_document(str(path))]))
    return doc


def read_bytes(tmp_path: Path, data: bytes, name: str = "input.txt", **cfg):
    path = tmp_path / name
    path.write_bytes(data)
    return read_path(path, **cfg)


def assert_quarantined(doc, reason: str, fragment: str = "") -> None:
    assert doc.status == QUARANTINED, (doc.status, doc.text[:80])
    assert doc.status_reason == reason
    assert fragment.lower() in doc.status_detail["message"].lower()
    assert doc.history[-1].stage == "read"


# -- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected_encoding",
    [
        (GERMAN.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + GERMAN.encode("utf-8"), "utf-8-sig"),
        (GERMAN.encode("utf-16"), "utf-16"),  # with BOM
        (GERMAN.encode("utf-16-le"), "utf-16-le"),
        (GERMAN.encode("utf-16-be"), "utf-16-be"),
        (CHINESE.encode("utf-16-le"), "utf-16-le"),
        (CHINESE.encode("utf-32"), "utf-32"),
        (CHINESE.encode("gbk"), "gb18030"),
        (CHINESE.encode("gb18030"), "gb18030"),
        (GERMAN.replace("„", '"').replace("“", '"').replace("€", "EUR").encode("latin-1"), "cp1252"),
        (GERMAN.encode("cp1252"), "cp1252"),
    ],
    ids=[
        "utf8",
        "utf8_bom",
        "utf16_bom",
        "utf16le",
        "utf16be",
        "utf16le_zh",
        "utf32_zh",
        "gbk",
        "gb18030",
        "latin1",
        "cp1252",
    ],  # fmt: skip
)
def test_decode_recovers_the_text_of_each_encoding(data: bytes, expected_encoding: str) -> None:
    text, encoding = decode_bytes(data)
    original = data.decode(expected_encoding)
    assert text == original.lstrip("\ufeff")
    assert encoding == expected_encoding


def test_decode_keeps_valid_utf8_lines_when_one_line_is_legacy() -> None:
    data = "Größe eins\n".encode() + "Straße zwei\n".encode("cp1252") + "Maß drei\n".encode()
    text, encoding = decode_bytes(data)
    assert text == "Größe eins\nStraße zwei\nMaß drei\n"
    assert encoding == "utf-8+cp1252"


@pytest.mark.parametrize(
    "data",
    [b"abc \xff\xfe\xfa def", b"surrogate \xed\xa0\x80 bytes", b"\xc3\x28 truncated \xe2\x82", bytes(range(256))],
    ids=["invalid_bytes", "encoded_surrogate", "truncated_sequences", "all_bytes"],
)
def test_decode_never_returns_unencodable_text(data: bytes) -> None:
    text, _encoding = decode_bytes(data)
    text.encode("utf-8")  # no lone surrogates


# -- the stage --------------------------------------------------------------------------------


def test_text_file_is_read_with_provenance(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, GERMAN.encode("cp1252"))
    assert doc.status == OK
    assert doc.text == GERMAN
    assert doc.source["encoding"] == "cp1252"
    assert doc.source["bytes"] == len(GERMAN.encode("cp1252"))
    assert doc.id.startswith("bm-") and len(doc.source["sha256"]) == 64


def test_crlf_and_cr_line_ends_become_newlines(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, b"one\r\ntwo\rthree\n")
    assert doc.text == "one\ntwo\nthree\n"


@pytest.mark.parametrize(
    "data, reason, fragment",
    [
        (b"", "empty", "empty"),
        (b"  \n\t\n \r\n", "no_text", "whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "binary", "png"),
        # a gzip file is read through (test_robustness has gzip text kept); what is inside decides
        (gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)), "binary", "png"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "binary", "pdf"),
        (b"PK\x03\x04" + bytes(40), "binary", "zip"),
        (b"text\x00with\x00many\x00nul\x00bytes\x00" * 20, "binary", "control characters"),
    ],
    ids=["empty", "whitespace", "png", "gzip_of_png", "pdf", "zip", "nul_bytes"],
)
def test_not_text_is_quarantined_with_reason(tmp_path: Path, data: bytes, reason: str, fragment: str) -> None:
    assert_quarantined(read_bytes(tmp_path, data), reason, fragment)


def test_a_stray_nul_in_an_article_is_removed_and_recorded(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, (GERMAN * 5).encode() + b"\x00" + GERMAN.encode())
    assert doc.status == OK
    assert "\x00" not in doc.text and doc.text == GERMAN * 6
    assert any(c.reason == "control_characters" and c.detail["count"] == 1 for c in doc.history)


def test_a_log_captured_from_a_terminal_is_read_without_its_escape_sequences(tmp_path: Path) -> None:
    # colours on every line, a window title (OSC), cursor codes: some 5% of the characters are ESC
    lines = [f"\x1b[1;32mINFO\x1b[0m {GERMAN.strip()} \x1b[33m({i})\x1b[m" for i in range(20)]
    data = "\x1b]0;build log\x07\x1b[?25l\x1b(B" + "\n".join(lines) + "\x1b[K\x1b[?25h\n"
    doc = read_bytes(tmp_path, data.encode())
    assert doc.status == OK, doc.status_detail
    assert doc.text == "".join(f"INFO {GERMAN.strip()} ({i})\n" for i in range(20))
    assert any(c.reason == "terminal_escapes" and c.detail["count"] == 85 for c in doc.history)
    # ... while a file that is mostly control bytes is still binary, escape bytes or not
    noise = random.Random(7).randbytes(4000)
    assert_quarantined(read_bytes(tmp_path, b"\x1b[0m" * 10 + noise), "binary", "control characters")


def test_html_page_saved_as_text_is_extracted(tmp_path: Path) -> None:
    page = (
        "<!DOCTYPE html>\n<html><head><title>Stadt plant neue Brücke</title>"
        "<style>p { color: red }</style><script>track('visit')</script></head>"
        "<body><nav><a href='/'>Home</a></nav><article><h1>Neue Brücke</h1>"
        "<p>Die Stadt plant eine <b>neue</b> Brücke &amp; einen Radweg.</p></article></body></html>"
    )
    doc = read_bytes(tmp_path, page.encode(), name="page.txt")
    assert doc.status == OK
    assert "Die Stadt plant eine neue Brücke & einen Radweg." in doc.text.split("\n")
    assert "<" not in doc.text and "track(" not in doc.text and "color: red" not in doc.text
    assert any(c.reason == "html_extracted" for c in doc.history)


MARKDOWN_PAGE = """---
layout: post
---
Skip to content

# City Council Approves New Bike Lanes

*By Jane Doe, March 3, 2024*

The **city council** voted [seven to two](https://example.com/vote) on Tuesday to build
twelve miles of protected bike lanes across the downtown core, ending a debate that has
run for more than two years.

![A cyclist on Main Street](https://example.com/img/bike.jpg)

Supporters said the lanes would make streets safer for children and older residents,
while several shop owners worried about the loss of parking spaces in front of their stores.

- Twelve miles of lanes
- Opening next spring
"""


@pytest.mark.parametrize("name", ["page.md", "page.markdown", "PAGE.MD"])
def test_markdown_page_is_read_as_one_line_per_block_without_its_syntax(tmp_path: Path, name: str) -> None:
    doc = read_bytes(tmp_path, MARKDOWN_PAGE.encode(), name=name)
    assert doc.status == OK
    lines = doc.text.split("\n")
    assert "City Council Approves New Bike Lanes" in lines  # no "# "
    assert "By Jane Doe, March 3, 2024" in lines  # no "*"
    # a hard-wrapped paragraph is one block, the link is its text, the image is gone
    assert (
        "The city council voted seven to two on Tuesday to build twelve miles of protected bike lanes "
        "across the downtown core, ending a debate that has run for more than two years."
    ) in lines
    assert not any(mark in doc.text for mark in ("**", "](", "![", "https://"))
    assert lines[-2:] == ["- Twelve miles of lanes", "- Opening next spring"]  # list markers kept
    assert lines[0] == "layout: post"  # front matter lines kept, fences dropped
    assert any(c.reason == "markdown_extracted" for c in doc.history)


def test_markdown_syntax_in_a_text_file_or_with_extraction_off_is_read_as_it_is(tmp_path: Path) -> None:
    for doc in (
        read_bytes(tmp_path, MARKDOWN_PAGE.encode(), name="page.txt"),
        read_bytes(tmp_path, MARKDOWN_PAGE.encode(), name="page.md", extract_markdown=False),
    ):
        assert doc.status == OK
        assert "# City Council Approves New Bike Lanes" in doc.text.split("\n")
        assert not any(c.reason == "markdown_extracted" for c in doc.history)


def test_compressed_markdown_is_read_as_markdown(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, gzip.compress(MARKDOWN_PAGE.encode(), mtime=0), name="page.md.gz")
    assert doc.status == OK
    assert "City Council Approves New Bike Lanes" in doc.text.split("\n")


def test_markdown_too_slow_to_parse_is_read_as_plain_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pathological markup (a flood of "![") costs the parser ~15 s per MB: past its CPU budget
    the input is read as plain text, recorded, nothing lost."""
    import babelmill.stages.read as read_module

    monkeypatch.setattr(read_module, "MARKDOWN_SECONDS", 0.02)
    monkeypatch.setattr(read_module, "MARKDOWN_SECONDS_PER_MB", 0.0)
    flood = "\n".join("![" * 2000 for _ in range(50))
    doc = read_bytes(tmp_path, ("An article line.\n" + flood).encode(), name="page.md")
    assert doc.status == OK
    assert doc.text.startswith("An article line.\n![![")
    assert [c.reason for c in doc.history if c.action == "kept_markup"] == ["markdown_too_slow"]


def test_markdown_of_images_only_is_quarantined_as_no_text(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, b"![one](a.jpg)\n\n![two](b.jpg)\n", name="gallery.md")
    assert_quarantined(doc, "no_text", "Markdown")


def test_html_page_is_quarantined_when_extraction_is_off(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, b"<html><body><p>Hi</p></body></html>", extract_html=False)
    assert_quarantined(doc, "html", "extract_html")


def test_html_page_without_text_is_quarantined(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, b"<!doctype html><html><head><script>x()</script></head><body></body></html>")
    assert_quarantined(doc, "no_text", "whitespace")


def test_text_mentioning_tags_is_not_treated_as_html(tmp_path: Path) -> None:
    text = "Use the <b> tag for bold text, says the style guide.\n"
    doc = read_bytes(tmp_path, text.encode())
    assert doc.status == OK and doc.text == text


def test_file_over_max_bytes_is_quarantined_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.write(b"text\n")
        fh.truncate(10_000)  # sparse
    doc = read_path(path, max_bytes=1000)
    assert_quarantined(doc, "too_large", "max_bytes")
    assert doc.source["bytes"] == 10_000


def test_overlong_line_is_quarantined(tmp_path: Path) -> None:
    doc = read_bytes(tmp_path, b"short line\n" + b"x" * 2000 + b"\n", max_line_chars=1000)
    assert_quarantined(doc, "line_too_long", "max_line_chars")
    # far over the limit: caught on the bytes, before decoding
    doc = read_bytes(tmp_path, b"y" * 50_000, max_line_chars=1000)
    assert_quarantined(doc, "line_too_long", "max_line_chars")


def test_missing_path(tmp_path: Path) -> None:
    assert_quarantined(read_path(tmp_path / "nope.txt"), "not_found", "no such file")
    # a glob that matched nothing (beside inputs that exist) is recorded under its own text
    doc = read_path(tmp_path / "nomatch*.txt")
    assert_quarantined(doc, "not_found", "no such file, and no file matches it as a glob")


def test_broken_symlink_names_its_target(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(tmp_path / "gone.txt")
    assert_quarantined(read_path(tmp_path / "link.txt"), "not_found", "gone.txt")


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    assert_quarantined(read_path(tmp_path / "a.txt"), "symlink_loop", "loop")


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block forever
    assert_quarantined(read_path(tmp_path / "pipe.txt"), "not_a_file", "fifo")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "link.txt").symlink_to(tmp_path / "folder.txt")
    # a plain folder (`babelmill detect folder/`) was told "a symlink to a directory is not followed"
    assert read_path(tmp_path / "folder.txt").status_detail["message"] == "a directory, not a file"
    assert_quarantined(
        read_path(tmp_path / "link.txt"), "not_a_file", "a symlink to a directory, which is not followed"
    )


def test_read_error_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected failure inside the stage quarantines the file instead of stopping the run."""
    import babelmill.stages.read as read_module

    def explode(data: bytes):
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(read_module, "decode_bytes", explode)
    assert_quarantined(read_bytes(tmp_path, b"some text"), "read_error", "decoder bug")


def test_non_utf8_file_name_is_read_and_shown_printable(tmp_path: Path) -> None:
    name = os.fsdecode(b"bericht-\xff.txt")
    (tmp_path / name).write_bytes(GERMAN.encode())
    doc = read_path(tmp_path / name)
    assert doc.status == OK and doc.text == GERMAN
    assert doc.source["path"].endswith("bericht-\\xff.txt")
    doc.source["path"].encode("utf-8")
    assert display_path(str(tmp_path / name)) == doc.source["path"]


@pytest.mark.parametrize(
    "values",
    [{"max_bytes": 0}, {"max_line_chars": -1}, {"max_control_ratio": 1.5}],
)
def test_config_values_are_checked(values: dict) -> None:
    with pytest.raises(ValueError):
        ReadConfig(**values)


def test_decode_weighs_utf8_evidence_by_non_ascii_bytes_not_line_length() -> None:
    """A short UTF-8 line with umlauts against a long Windows-1252 paragraph with one ß: the
    evidence is in the non-ASCII bytes (4 valid UTF-8 against 1 broken), not in the ASCII prose
    around them; counted the other way the whole file was decoded as Shift-JIS mojibake."""
    prose = " The government announced on Monday a new plan to improve public transport.\n"
    data = ("Größe" + prose).encode() + ("Straße" + prose * 3).encode("cp1252")
    assert decode_bytes(data) == ("Größe" + prose + "Straße" + prose * 3, "utf-8+cp1252")


def test_decode_weighs_utf8_evidence_by_bytes() -> None:
    """One long valid UTF-8 line outweighs one short broken line, and the other way round."""
    utf8_first = GERMAN.encode() + "Straße\n".encode("cp1252")
    assert decode_bytes(utf8_first) == (GERMAN + "Straße\n", "utf-8+cp1252")
    legacy = (GERMAN.replace("„", '"').replace("“", '"').replace("€", "EUR") * 3).encode("cp1252")
    accidental = "Ã¤\n".encode("cp1252")  # these two legacy bytes happen to be valid UTF-8 ("ä")
    text, encoding = decode_bytes(legacy + accidental)
    assert encoding == "cp1252" and text.endswith("Ã¤\n")
