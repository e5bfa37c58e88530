"""Decoding input bytes to text, HTML pages to lines, and the documents the runner hands over.

Decoding tries, in order: a byte-order mark; UTF-16 without a BOM (recognised by NUL bytes
that sit almost all at odd or almost all at even offsets, and, if the bytes are also valid
UTF-8, make up at least 30% of them); strict UTF-8, unless the 7-bit text holds an ISO-2022-JP
or ISO-2022-KR escape sequence (:func:`~babelmill.io.charsets.iso2022_codec`); then, when most
non-ASCII bytes sit in lines that are valid UTF-8, line by line (valid lines stay UTF-8, broken
lines are decoded with the legacy encoding guessed for them, recorded as ``utf-8+<codec>``);
otherwise the legacy encoding guessed for the whole file (GB18030, Windows-1252, EUC-JP, ...:
:func:`~babelmill.io.charsets.guess_legacy`). Bytes no codec can decode become U+FFFD, never
lone surrogates. The encoding used is kept in ``source.encoding``. Mojibake (UTF-8 decoded
twice) is left for the repair stage.

HTML rule: a file whose first non-blank characters are ``<!doctype html`` or ``<html``, or
whose first 512 characters hold ``<body`` and that has a closing tag, is an HTML page saved as
text; an XML declaration (XHTML) and comments (``<!-- saved from url=... -->``, as browsers
save pages) before them are looked through. Its text is extracted, one line per block element,
scripts and styles dropped; the document records ``html_extracted``. With
``read.extract_html = false`` such files are quarantined (``html``) instead. Anything else is
taken as plain text, tags and all.

File names that are not valid UTF-8 are kept readable in ``source.path`` (invalid bytes as
``\\xNN``); the exact name travels in ``source.path_hex`` so the file can still be opened.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from html.parser import HTMLParser
from pathlib import Path

from babelmill.document import Document
from babelmill.io.charsets import guess_legacy, iso2022_codec

BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def doc_id_for(sha256: str) -> str:
    """Stable, content-derived document id: identical bytes give the identical id."""
    return f"bm-{sha256[:20]}"


def display_path(path: str) -> str:
    """``path`` as printable UTF-8: bytes of a non-UTF-8 file name become ``\\xNN``.

    >>> display_path("ok/Größe.txt")
    'ok/Größe.txt'
    >>> display_path(os.fsdecode(b"bad-\\xff.txt"))
    'bad-\\\\xff.txt'
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def source_fs_path(source: dict) -> Path:
    """The path to open for a document's ``source`` (exact bytes when the name is not UTF-8)."""
    if source.get("path_hex"):
        return Path(os.fsdecode(bytes.fromhex(source["path_hex"])))
    return Path(source["path"])


def input_key(source: dict) -> str:
    """What the run state knows an input by: its path, and for a document of a JSONL input
    ``PATH:LINE`` (the line it was read from, 1-based).

    >>> input_key({"path": "a.txt"}), input_key({"path": "docs.jsonl.gz", "line": 7})
    ('a.txt', 'docs.jsonl.gz:7')
    """
    line = source.get("line")
    return f"{source['path']}:{line}" if line else source["path"]


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when ``sample`` has the NUL pattern of UTF-16 text.

    Text in UTF-16 puts the NUL half of every ASCII character (newlines, digits, spaces) at
    odd offsets (LE) or even offsets (BE); binary data scatters NULs over both.
    """
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    nuls = even_nuls + odd_nuls
    if nuls < max(2, len(sample) // 50):
        return None
    if odd_nuls >= 0.95 * nuls:
        return "utf-16-le"
    if even_nuls >= 0.95 * nuls:
        return "utf-16-be"
    return None


def _decode_mixed_utf8(data: bytes) -> tuple[str, str] | None:
    """Decode a mostly-UTF-8 file line by line; None when UTF-8 is not the main encoding.

    Concatenated dumps often hold one Windows-1252 or GBK line among UTF-8 ones: decoding the
    whole file with a legacy codec would garble every valid UTF-8 line.
    """
    lines = data.splitlines(keepends=True)
    # evidence weighed in non-ASCII bytes: a long valid UTF-8 line outweighs a short broken one,
    # and a short legacy line that happens to be valid UTF-8 cannot outweigh a legacy file
    good = bad = 0
    bad_lines: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        non_ascii = len(line.translate(None, bytes(range(128))))  # the line without its ASCII bytes
        try:
            line.decode("utf-8")
            good += non_ascii
        except UnicodeDecodeError:
            bad += non_ascii
            bad_lines.append(i)
    if good <= bad:
        return None
    legacy = guess_legacy(b"".join(lines[i] for i in bad_lines)) or "cp1252"
    if legacy.replace("-", "_").startswith("utf_16"):
        legacy = "cp1252"  # a few stray lines inside UTF-8 are never UTF-16
    bad_set = set(bad_lines)
    text = "".join(
        line.decode(legacy, errors="replace") if i in bad_set else line.decode("utf-8") for i, line in enumerate(lines)
    )
    return text, f"utf-8+{codecs.lookup(legacy).name}"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` to text, returning ``(text, encoding)``; never raises, never returns
    lone surrogates (undecodable bytes become U+FFFD).

    >>> decode_bytes("Größe".encode("utf-8"))
    ('Größe', 'utf-8')
    >>> decode_bytes("Größe".encode("cp1252"))[0]
    'Größe'
    >>> decode_bytes(codecs.BOM_UTF16_LE + "hi".encode("utf-16-le"))
    ('hi', 'utf-16')
    >>> decode_bytes("plain text\\n".encode("utf-16-le"))
    ('plain text\\n', 'utf-16-le')
    >>> decode_bytes("Größe\\n".encode() + "Straße\\n".encode("cp1252") + "Maß\\n".encode())
    ('Größe\\nStraße\\nMaß\\n', 'utf-8+cp1252')
    """
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff"), enc
    sample = data[:4096]
    utf16 = _utf16_without_bom(sample)
    try:
        text = data.decode("utf-8")
        # valid UTF-8 with NULs is UTF-16 only when NULs are a big share (ASCII-range UTF-16
        # text is half NULs); a few NULs in UTF-8 text are damage, handled by the read stage
        if not (utf16 and sample.count(0) >= 0.3 * len(sample)):
            iso2022 = iso2022_codec(data)
            if iso2022:
                return data.decode(iso2022), iso2022
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    mixed = _decode_mixed_utf8(data)
    if mixed is not None:
        return mixed
    legacy = guess_legacy(data)
    if legacy is not None:
        return data.decode(legacy, errors="replace"), codecs.lookup(legacy).name
    return data.decode("utf-8", errors="replace"), "utf-8-replace"


class _BlockTextExtractor(HTMLParser):
    BLOCK_TAGS = {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
        "header", "footer", "blockquote", "pre", "title", "ul", "ol", "table", "nav", "aside",
    }  # fmt: skip
    SKIP_TAGS = {"script", "style", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP_TAGS:
            self.skip_depth += 1
        elif tag in self.BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP_TAGS and self.skip_depth:
            self.skip_depth -= 1
        elif tag in self.BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(data)


#: how far into a text its prologue (XML declaration, comments) is looked through
PROLOGUE_CHARS = 65536


def _prologue_end(text: str) -> int:
    """Where ``text``'s first character that is not whitespace, an XML declaration or a comment
    is (looked for within the first :data:`PROLOGUE_CHARS`)."""
    i, limit = 0, min(len(text), PROLOGUE_CHARS)
    while i < limit:
        while i < limit and text[i].isspace():
            i += 1
        for opening, closing in (("<?xml", "?>"), ("<!--", "-->")):
            if text.startswith(opening, i):
                end = text.find(closing, i + len(opening), limit)
                if end < 0:
                    return i
                i = end + len(closing)
                break
        else:
            return i
    return i


def looks_like_html(text: str) -> bool:
    """The HTML rule of the module docstring.

    >>> looks_like_html("  <!DOCTYPE html><p>x</p>"), looks_like_html("Use <b>bold</b> here")
    (True, False)
    >>> looks_like_html('<?xml version="1.0"?>\\n<!-- saved from url=(0019)https://example.com -->\\n<html>')
    True
    """
    start = _prologue_end(text)
    head = text[start : start + 512].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or ("<body" in head and "</" in text)


def html_to_lines(text: str) -> str:
    """One line per HTML block element; scripts and styles dropped.

    >>> html_to_lines("<html><body><h1>Title</h1><p>One <b>two</b>.</p><script>x()</script></body></html>")
    'Title\\nOne two.'
    """
    parser = _BlockTextExtractor()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def new_input_document(path: str, sha256: str | None = None) -> Document:
    """The document the runner hands to the read stage for one input path."""
    shown = display_path(path)
    source: dict = {"path": shown}
    if shown != path:
        source["path_hex"] = os.fsencode(path).hex()
    if sha256:
        source["sha256"] = sha256
    # an unreadable path has no content hash; its id derives from the path instead
    doc_id = doc_id_for(sha256) if sha256 else f"bm-path-{hashlib.sha256(os.fsencode(path)).hexdigest()[:20]}"
    return Document(id=doc_id, text="", source=source)
