"""Read stage: one input path in, one document out (its text decoded), or quarantined.

Every input ends somewhere: a document with text, or a quarantined document whose
``status_reason`` says why. The reasons, checked in this order:

* ``not_found``: the path does not exist, or is a broken symlink (the message names its target);
* ``symlink_loop``: a symlink that points (through others) back at itself;
* ``unreadable``: the operating system refuses to read it (permissions, I/O error), or it is
  a folder inside an input folder that cannot be listed;
* ``not_a_file``: a FIFO, socket, device, or a symlink to a directory;
* ``too_large``: more than ``read.max_bytes`` bytes, on disk or decompressed; it is never loaded
  whole, so memory stays bounded;
* ``bad_compression``: a gzip or zstd file that is corrupt or cut short (or zstd without the
  ``zstandard`` package);
* ``empty``: zero bytes (after decompression);
* ``binary``: a known binary signature (PNG, gzip, PDF, zip, ...), or more than
  ``read.max_control_ratio`` of the decoded characters are control characters (NUL and the
  other C0 codes except tab, newline, carriage return, form feed), or more than
  ``MAX_REPLACEMENT_RATIO`` of the non-blank characters are U+FFFD (bytes that no encoding
  tried decodes: random or encrypted data without NULs, not a damaged page). Terminal escape sequences
  (ANSI colours and cursor codes in a log captured from a terminal) are removed first, and the
  removal is recorded: they are formatting, not text, and not a sign of a binary file;
* ``line_too_long``: a line over ``read.max_line_chars`` characters (minified HTML, base64, a
  database dump) is not article text;
* ``too_many_lines``: more than ``read.max_lines`` non-blank lines (a list or a log, not an
  article; the later stages keep a few objects per line, so this bounds their memory and time),
  or more than 2,000 whose average is under ``read.min_bytes_per_line`` bytes (a flood of
  one-letter lines: the later stages' cost is per line, so it bounds their time per MB);
* ``html``: an HTML page when ``read.extract_html`` is off;
* ``no_text``: nothing but whitespace (after HTML or Markdown extraction, if any);
* ``read_error``: an unexpected failure while reading; the message names the exception.

Compressed inputs (gzip, zstd; recognised by their first bytes) are decompressed first and
``source.compression`` says so: see :mod:`babelmill.io.compressed`. Decoding and HTML
extraction: see :mod:`babelmill.io.read`; Markdown inputs (``*.md``): :mod:`babelmill.io.markdown`.
"""

from __future__ import annotations

import errno
import glob
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babelmill.budget import TooSlow, cpu_budget, document_budget
from babelmill.document import QUARANTINED, Document
from babelmill.io.compressed import CompressionError, open_input, read_limited
from babelmill.io.files import file_sha256
from babelmill.io.markdown import is_markdown_path, markdown_to_lines
from babelmill.io.read import (
    decode_bytes,
    display_path,
    doc_id_for,
    html_to_lines,
    looks_like_html,
    source_fs_path,
)
from babelmill.sites import folder_site
from babelmill.stage import Stage

# CPU seconds that parsing one Markdown input may take, plus this much per million characters
# (ordinary pages parse at ~1 s per MB; a flood of "![" costs ~15)
MARKDOWN_SECONDS = 2.0
MARKDOWN_SECONDS_PER_MB = 5.0

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

# C0 control characters that are not line structure (tab, newline, carriage return, form feed)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# terminal escape sequences (ECMA-48): CSI (colours, cursor moves: ESC [ 31m), OSC (a window
# title: ESC ] 0;title BEL) and the two-byte ones (ESC ( B, ESC 7). ftfy's remove_terminal_escapes
# knows only CSI with digits, and the control characters are counted before repair runs.
_TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])")


# share of a text's non-blank characters that may be U+FFFD (bytes no encoding decodes, or
# characters a scraper lost before us): a page that lost every umlaut has a few percent, random
# high bytes three quarters
MAX_REPLACEMENT_RATIO = 0.3

#: the values of ``read.site_from_folder``
FOLDER_SITES = ("host", "always", "never")


@dataclass
class ReadConfig:
    """Options of the read stage.

    Args:
        max_bytes: inputs larger than this are quarantined (``too_large``) without being
            loaded, so one huge file cannot exhaust memory or stall the later stages. 2 MiB is
            some 300,000 words; the longest news features are under 200 KB, a whole saved
            page under 100 KB.
        max_line_chars: a line longer than this is not article text (minified HTML, base64,
            a database dump); such files are quarantined (``line_too_long``). A whole article
            on one line stays well under it.
        max_lines: a text with more non-blank lines than this is quarantined
            (``too_many_lines``). The longest saved page in the development data has 6,570;
            a million one-letter lines (2 MB) would otherwise keep the strip stage busy
            for minutes and take over a gigabyte.
        min_bytes_per_line: a text of more than 2,000 non-blank lines must average at least
            this many UTF-8 bytes (newlines included) per non-blank line, or it is quarantined
            (``too_many_lines``). The strip stage spends some 90 µs of CPU on a line whatever
            its length, so 20,000 one-letter lines (40 KB) would cost ~45 s per MB; at 14 bytes
            a line it stays under 10 s per MB (12 bytes measured 8.8-10.1 on a loaded machine).
            The saved pages of over 2,000 lines in the development data average 16 bytes a
            line or more (over 1,000 lines: 13 or more); shorter texts cost little in absolute
            terms (2,000 lines: ~0.2 s). 0: no check.
        max_control_ratio: share of control characters (NUL and C0 other than tab/newline)
            above which a decoded file is treated as binary; terminal escape sequences are
            removed before counting.
        extract_html: turn HTML saved as text into one line per block element; when false,
            such files are quarantined (``html``).
        extract_markdown: read an input named ``*.md`` / ``*.markdown`` as Markdown: one line per
            block, inline markup reduced to its text, images dropped (:mod:`babelmill.io.markdown`);
            when false, its text is read as it is, syntax and all.
        site_from_folder: whether an input's parent folder names its site when the input
            itself does not (a JSONL record's url/site fields do; :mod:`babelmill.sites`):
            ``"host"`` when the folder's name is a host name (``dumps/example.com/1.txt``;
            not ``data.v2``, ``backup.old``), ``"always"`` whatever its name (``dumps/spiegel/1.txt``;
            files at the top of the input folder then share its name), ``"never"``. The strip
            stage finds a site's template lines by counting them per site.
    """

    max_bytes: int = 2 * 1024 * 1024
    max_line_chars: int = 200_000
    max_lines: int = 20_000
    min_bytes_per_line: float = 14.0
    max_control_ratio: float = 0.01
    extract_html: bool = True
    extract_markdown: bool = True
    site_from_folder: str = "host"

    def __post_init__(self) -> None:
        if self.site_from_folder not in FOLDER_SITES:
            choices = ", ".join(FOLDER_SITES)
            raise ValueError(f"site_from_folder must be one of {choices}, not {self.site_from_folder!r}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive number of bytes, not {self.max_bytes}")
        if self.max_line_chars < 1:
            raise ValueError(f"max_line_chars must be a positive number of characters, not {self.max_line_chars}")
        if self.max_lines < 1:
            raise ValueError(f"max_lines must be a positive number of lines, not {self.max_lines}")
        if not 0.0 <= self.min_bytes_per_line <= 1000.0:
            raise ValueError(f"min_bytes_per_line must be between 0 and 1000, not {self.min_bytes_per_line}")
        if not 0.0 <= self.max_control_ratio <= 1.0:
            raise ValueError(f"max_control_ratio must be between 0 and 1, not {self.max_control_ratio}")


#: texts with more non-blank lines than this must average ``read.min_bytes_per_line``
SHORT_LINES_FROM = 2000


def _longest_line_bytes(data: bytes) -> int:
    return max(map(len, data.splitlines()), default=0)


class ReadStage(Stage):
    """Load each input file as text; quarantine what is not readable article text.

    See the module docstring for the reasons, the decoding order and the HTML rule.
    """

    key = "read"
    Config = ReadConfig

    def _quarantine(self, doc: Document, reason: str, message: str) -> Document:
        doc.reject(QUARANTINED, reason, stage=self.key, message=message)
        return doc

    def process(self, doc: Document) -> Iterable[Document]:
        try:
            yield self._read(doc)
        except Exception as exc:  # bad input never stops the run: the file is quarantined, the run goes on
            doc.text = ""
            yield self._quarantine(doc, "read_error", f"could not read: {type(exc).__name__}: {exc}")

    def _stat(self, doc: Document, path: Path) -> tuple[os.stat_result | None, Document | None]:
        try:
            return path.stat(), None
        except FileNotFoundError:
            if path.is_symlink():
                target = os.readlink(path)
                return None, self._quarantine(doc, "not_found", f"broken symlink (points to {display_path(target)!r})")
            if glob.has_magic(path.name):  # a glob named on the command line, unmatched
                return None, self._quarantine(doc, "not_found", "no such file, and no file matches it as a glob")
            return None, self._quarantine(doc, "not_found", "no such file")
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None, self._quarantine(doc, "symlink_loop", "symlink loop (too many levels of symbolic links)")
            return None, self._quarantine(doc, "unreadable", exc.strerror or str(exc))

    def _read(self, doc: Document) -> Document:
        cfg: ReadConfig = self.config
        if cfg.site_from_folder != "never" and not doc.source.get("site") and not doc.source.get("url"):
            site = folder_site(str(source_fs_path(doc.source)), any_name=cfg.site_from_folder == "always")
            if site:
                doc.source["site"] = site
        if doc.source.get("line"):
            # a document of a JSONL input: the plan read its line; the text gets the same checks
            if not doc.text:
                return self._quarantine(doc, "empty", "the text field is empty")
            return self._check_text(doc, doc.text.encode("utf-8"))
        path = source_fs_path(doc.source)
        st, rejected = self._stat(doc, path)
        if rejected is not None:
            return rejected
        if path.is_dir():
            try:
                with os.scandir(path):
                    pass
            except OSError as exc:  # the runner hands over folders it could not list
                return self._quarantine(doc, "unreadable", f"a folder that cannot be listed: {exc.strerror or exc}")
            what = "a symlink to a directory, which is not followed" if path.is_symlink() else "a directory"
            return self._quarantine(doc, "not_a_file", f"{what}, not a file")
        if not path.is_file():
            return self._quarantine(doc, "not_a_file", "not a regular file (FIFO, socket or device)")
        doc.source.setdefault("bytes", st.st_size)
        if st.st_size > cfg.max_bytes:
            return self._quarantine(
                doc, "too_large", f"{st.st_size} bytes is over the read.max_bytes limit of {cfg.max_bytes}"
            )
        if "sha256" not in doc.source:
            try:
                doc.source["sha256"] = file_sha256(path)  # of the bytes on disk, compressed or not
                doc.id = doc_id_for(doc.source["sha256"])
            except OSError:
                pass  # reported by the read below
        try:
            with open_input(path) as (fh, compression):
                # never more than the limit, even if the file grows after stat, lies about its
                # size or is a small archive of a huge text
                data = read_limited(fh, cfg.max_bytes)
        except PermissionError:
            return self._quarantine(doc, "unreadable", "permission denied")
        except CompressionError as exc:
            return self._quarantine(doc, "bad_compression", str(exc))
        except OSError as exc:
            return self._quarantine(doc, "unreadable", exc.strerror or str(exc))
        if compression:
            doc.source["compression"] = compression
        if len(data) > cfg.max_bytes:
            what = f"decompressed ({compression}) it is" if compression else "it is"
            return self._quarantine(doc, "too_large", f"{what} over the read.max_bytes limit of {cfg.max_bytes} bytes")
        if not data:
            what = f"empty once decompressed ({compression})" if compression else "empty (0 bytes)"
            return self._quarantine(doc, "empty", f"the file is {what}")
        return self._check_text(doc, data)

    def _check_text(self, doc: Document, data: bytes) -> Document:
        """The checks on an input's (decompressed) bytes, from binary signatures on."""
        cfg: ReadConfig = self.config
        for signature, kind in BINARY_SIGNATURES.items():
            if data.startswith(signature):
                return self._quarantine(doc, "binary", f"binary file ({kind} signature)")
        # every encoding spends at most 4 bytes per character: a byte run this long is a line
        # over the limit whatever the encoding, caught before decoding it
        longest_bytes = _longest_line_bytes(data)
        if longest_bytes > 4 * cfg.max_line_chars:
            return self._quarantine(
                doc, "line_too_long", f"a {longest_bytes}-byte line is over read.max_line_chars={cfg.max_line_chars}"
            )
        text, encoding = decode_bytes(data)
        n_bytes = len(data)
        del data  # only the text is kept from here on
        doc.source["encoding"] = encoding
        if "\x1b" in text:
            text, escapes = _TERMINAL_ESCAPE.subn("", text)
            if escapes:
                doc.record(self.key, "removed_terminal_escapes", "terminal_escapes", count=escapes)
        if _CONTROL.search(text):
            controls = sum(1 for _ in _CONTROL.finditer(text))
            if controls / len(text) > cfg.max_control_ratio:
                return self._quarantine(
                    doc,
                    "binary",
                    f"{controls} control characters (NUL and the like) in {len(text)}: not text",
                )
            text = _CONTROL.sub("", text)
            doc.record(self.key, "removed_control_characters", "control_characters", count=controls)
        replaced = text.count("\ufffd")
        if replaced and replaced > MAX_REPLACEMENT_RATIO * (len(text) - sum(map(text.count, " \t\n\r\f"))):
            return self._quarantine(
                doc, "binary", f"{replaced} of {len(text)} characters could not be decoded (U+FFFD): not text"
            )
        if looks_like_html(text):
            if not cfg.extract_html:
                return self._quarantine(doc, "html", "HTML page (read.extract_html is off)")
            text = html_to_lines(text)
            doc.record(self.key, "extracted_text", "html_extracted")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            return self._quarantine(doc, "no_text", "no text (whitespace only)")
        longest = max(map(len, text.split("\n")), default=0)
        if longest > cfg.max_line_chars:
            return self._quarantine(
                doc, "line_too_long", f"a {longest}-character line is over read.max_line_chars={cfg.max_line_chars}"
            )
        lines = sum(1 for line in text.split("\n") if line.strip())
        if lines > cfg.max_lines:
            return self._quarantine(
                doc, "too_many_lines", f"{lines} non-blank lines are over read.max_lines={cfg.max_lines}"
            )
        if lines > SHORT_LINES_FROM and cfg.min_bytes_per_line:
            per_line = len(text.encode("utf-8", "surrogatepass")) / lines  # newlines included
            if per_line < cfg.min_bytes_per_line:
                return self._quarantine(
                    doc,
                    "too_many_lines",
                    f"{lines} non-blank lines of {per_line:.1f} bytes on average: under "
                    f"read.min_bytes_per_line={cfg.min_bytes_per_line:g} (a flood of short lines, not an article)",
                )
        if cfg.extract_markdown and is_markdown_path(doc.source.get("path", "")):
            # after the size checks above, which bound the parser's input
            try:
                with cpu_budget(document_budget(text, MARKDOWN_SECONDS, MARKDOWN_SECONDS_PER_MB)):
                    markdown = markdown_to_lines(text)
            except TooSlow as exc:  # pathological markup: read as plain text, nothing lost
                doc.record(self.key, "kept_markup", "markdown_too_slow", message=str(exc))
            else:
                if not markdown:
                    return self._quarantine(doc, "no_text", "no text once read as Markdown (only images or markup)")
                text = markdown
                doc.record(self.key, "extracted_text", "markdown_extracted")
        doc.text = text
        doc.record(self.key, "decoded", "read", encoding=encoding, bytes=n_bytes)
        return doc
