"""Read stage: one input path in, one document out (its text decoded), or quarantined.

Every input file ends somewhere: a document with text, or a quarantined document whose
``status_reason`` says why (``not_found``, ``unreadable``, ``not_a_file``, ``too_large``,
``empty``, ``binary``, ``no_text``). Decoding tries, in order: a byte-order mark, strict
UTF-8, UTF-16 without BOM (recognised by its NUL pattern), then charset-normalizer's best
guess (GB18030, Windows-1252, ...). The encoding used is kept in ``source.encoding``.

HTML saved as text (it starts with a doctype or ``<html``) is turned into one line per block
element, scripts and styles dropped; the document records ``html_extracted``.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babelmill.document import QUARANTINED, Document
from babelmill.stage import Stage

# file signatures of formats that are never article text
BINARY_SIGNATURES: dict[bytes, str] = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\x1f\x8b": "gzip",
    b"%PDF-": "pdf",
    b"PK\x03\x04": "zip",
    b"\xff\xd8\xff": "jpeg",
    b"GIF8": "gif",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\x7fELF": "elf",
    b"SQLite format 3\x00": "sqlite",
    b"RIFF": "riff",
}

# encodings tried when a file is not UTF-8, in charset-normalizer's judgement; limited to the
# ones news dumps really use so that short files are not read as EBCDIC or the like
FALLBACK_ENCODINGS = ["gb18030", "cp1252", "big5", "shift_jis", "euc_kr", "cp1251"]

BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


@dataclass
class ReadConfig:
    """Options of the read stage.

    Args:
        max_bytes: inputs larger than this are quarantined (``too_large``) without being
            loaded, so one huge file cannot exhaust memory.
        max_line_chars: a line longer than this is not article text (minified HTML, base64,
            a database dump); such files are quarantined (``line_too_long``).
        max_control_ratio: share of control characters (NUL and C0 other than tab/newline)
            above which a decoded file is treated as binary.
        extract_html: turn HTML saved as text into one line per block element; when false,
            such files are quarantined (``html``).
    """

    max_bytes: int = 64 * 1024 * 1024
    max_line_chars: int = 1_000_000
    max_control_ratio: float = 0.01
    extract_html: bool = True


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def doc_id_for(sha256: str) -> str:
    """Stable, content-derived document id: identical bytes give the identical id."""
    return f"bm-{sha256[:20]}"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` to text, returning ``(text, encoding)``.

    >>> decode_bytes("Größe".encode("utf-8"))
    ('Größe', 'utf-8')
    >>> decode_bytes("Größe".encode("cp1252"))[0]
    'Größe'
    >>> decode_bytes(codecs.BOM_UTF16_LE + "hi".encode("utf-16-le"))
    ('hi', 'utf-16')
    """
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 4:
        # UTF-16 without BOM: every other byte of ASCII-range text is NUL
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        enc = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
        return data.decode(enc, errors="replace"), enc
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=FALLBACK_ENCODINGS).best()
    if best is not None:
        return str(best), best.encoding
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


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
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


class ReadStage(Stage):
    """Load each input file as text; quarantine what is not readable article text."""

    key = "read"
    Config = ReadConfig

    def _quarantine(self, doc: Document, reason: str, message: str) -> Document:
        doc.reject(QUARANTINED, reason, stage=self.key, message=message)
        return doc

    def process(self, doc: Document) -> Iterable[Document]:
        yield self._read(doc)

    def _read(self, doc: Document) -> Document:
        cfg: ReadConfig = self.config
        path = Path(doc.source["path"])
        try:
            st = path.stat()
        except FileNotFoundError:
            kind = "broken symlink" if path.is_symlink() else "no such file"
            return self._quarantine(doc, "not_found", f"{kind}")
        except OSError as exc:  # symlink loops, permission on a parent, ...
            return self._quarantine(doc, "unreadable", exc.strerror or str(exc))
        if not path.is_file():
            return self._quarantine(doc, "not_a_file", "not a regular file")
        doc.source.setdefault("bytes", st.st_size)
        if st.st_size > cfg.max_bytes:
            return self._quarantine(
                doc, "too_large", f"{st.st_size} bytes is over the read.max_bytes limit of {cfg.max_bytes}"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            return self._quarantine(doc, "unreadable", exc.strerror or str(exc))
        if "sha256" not in doc.source:
            doc.source["sha256"] = hashlib.sha256(data).hexdigest()
            doc.id = doc_id_for(doc.source["sha256"])
        if not data:
            return self._quarantine(doc, "empty", "the file is empty")
        for signature, kind in BINARY_SIGNATURES.items():
            if data.startswith(signature):
                return self._quarantine(doc, "binary", f"binary file ({kind} signature)")
        text, encoding = decode_bytes(data)
        doc.source["encoding"] = encoding
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
        if text and controls / len(text) > cfg.max_control_ratio:
            return self._quarantine(doc, "binary", f"{controls} control characters: not text")
        if controls:
            text = "".join(ch for ch in text if ord(ch) >= 32 or ch in "\t\n\r\f")
            doc.record(self.key, "removed_control_characters", "control_characters", count=controls)
        if looks_like_html(text):
            if not cfg.extract_html:
                return self._quarantine(doc, "html", "HTML page (read.extract_html is off)")
            text = html_to_lines(text)
            doc.record(self.key, "extracted_text", "html_extracted")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            return self._quarantine(doc, "no_text", "no text (whitespace only)")
        longest = max((len(line) for line in text.split("\n")), default=0)
        if longest > cfg.max_line_chars:
            return self._quarantine(
                doc, "line_too_long", f"a {longest}-character line is over read.max_line_chars={cfg.max_line_chars}"
            )
        doc.text = text
        doc.record(self.key, "decoded", "read", encoding=encoding, bytes=len(data))
        return doc


def new_input_document(path: str, sha256: str | None = None) -> Document:
    """The document the runner hands to the read stage for one input path."""
    source: dict = {"path": path}
    if sha256:
        source["sha256"] = sha256
    # an unreadable path has no content hash; its id derives from the path instead
    doc_id = doc_id_for(sha256) if sha256 else f"bm-path-{hashlib.sha256(os.fsencode(path)).hexdigest()[:20]}"
    return Document(id=doc_id, text="", source=source)
