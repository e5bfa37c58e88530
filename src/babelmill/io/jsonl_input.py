"""JSONL inputs (``--input-format jsonl``): one document per line, as datatrove and Dolma write them.

datatrove's ``JsonlWriter`` writes ``{"text": ..., "id": ..., "media": [...], "metadata": {...}}``
and Dolma's documents are ``{"id": ..., "text": ..., "source": ..., "added": ..., "created": ...,
"metadata": {...}}``, both usually gzip- or zstd-compressed (read transparently, see
:mod:`babelmill.io.compressed`). Each non-blank line becomes one document: its text is the
``text_field`` (default ``text``), its id in the input the ``id_field`` (default ``id``, kept as
``source.id``), and every other field is kept as written under ``source.extra``. The document
records ``source.line``, and the run state knows it as ``PATH:LINE``.

The page's URL and site, as crawlers write them, are also read into ``source.url`` and
``source.site`` (the first non-blank string of ``url``, ``source_url``, then
``metadata.url``, ``metadata.source_url``; of ``site``, ``domain``, then ``metadata.site``,
``metadata.domain``): the strip stage counts a site's template lines per site
(:mod:`babelmill.sites`). The fields stay in ``source.extra`` as written.

A line that is not UTF-8, not JSON (also: ``NaN`` or ``Infinity``, which Python's ``json.dumps``
writes), not an object, nested more than ``MAX_DEPTH`` deep, or has no string under ``text_field`` is
quarantined (``bad_jsonl_line``): its stderr line names ``FILE:LINE`` and the reason (a file
holding one pretty-printed JSON array gets one such line, at line 1, saying how to convert it); a line over
``read.max_bytes`` is quarantined ``too_large``; compressed data that breaks off ends the file
with one ``bad_compression`` quarantine at the line it broke at. The other lines are read. A file with no
non-blank line is one quarantine at its line 1: ``empty`` (0 bytes, also once decompressed) or
``no_text`` (blank lines only), so every input file is accounted for. A lone
surrogate escape (``"\\ud83d"`` without its pair, as JavaScript writes a cut emoji) becomes U+FFFD,
as undecodable bytes of a text file do. A UTF-8
byte order mark at the start of the file (as Windows tools write) is not part of its first line.

The lines are read while planning the run, and a file's documents are held in memory until
they are written: split very large files (datatrove and Dolma shards are typically well under
1 GB uncompressed).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from babelmill.io.compressed import CompressionError, iter_lines, open_input
from babelmill.sites import record_site


@dataclass
class JsonlLine:
    """One non-blank line of a JSONL input: its number, the sha256 of its bytes, and either the
    document's parts or the reason it is refused (``reason``/``message``)."""

    line: int
    sha256: str
    text: str = ""
    doc_id: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the page's URL and site as the record gives them (:func:`babelmill.sites.record_site`)
    place: dict[str, str] = field(default_factory=dict)
    compression: str | None = None
    reason: str | None = None
    message: str = ""


def _refuse(line: int, sha: str, reason: str, message: str) -> JsonlLine:
    return JsonlLine(line, sha, reason=reason, message=message)


#: deepest nesting of arrays and objects a line may have: the record is written back out (JSON,
#: Parquet) by recursive code, and Python's json parser itself stops near 1,000
MAX_DEPTH = 100


#: what to do with a file that holds one JSON array of documents
ARRAY_HINT = "JSON Lines has one object per line: jq -c '.[]' FILE > FILE.jsonl converts it"


def _spread_array(raw: bytes) -> bool:
    """True when ``raw``, a file's first line, opens a JSON array that goes on below it (such a
    line is short: ``[`` or ``[{``; a long one is left to :func:`parse_line` and its size limit)."""
    if len(raw) > 4096:
        return False
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


def _no_constant(name: str) -> Any:
    # Python's json reads NaN, Infinity and -Infinity, which are not JSON: written back into the
    # record's source.extra they would make corpus.jsonl a file strict JSON readers refuse
    raise ValueError(f"{name} is not a JSON value; write null or a string")


def _depth(value: Any) -> int:
    """Nesting depth of arrays and objects in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate (a ``\\ud800`` escape without its pair, as JavaScript
    writes a cut emoji) replaced by U+FFFD, as undecodable bytes of a text file are: a string
    holding one cannot be written as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def parse_line(
    raw: bytes, line: int, text_field: str = "text", id_field: str = "id", max_bytes: int | None = None
) -> JsonlLine:
    """Line number ``line`` (its bytes without the newline) of a JSONL input; see the module docstring.

    >>> doc = parse_line(b'{"id": "a1", "text": "Hallo", "metadata": {"url": "u"}}', 3)
    >>> doc.text, doc.doc_id, doc.extra, doc.place, doc.reason
    ('Hallo', 'a1', {'metadata': {'url': 'u'}}, {'url': 'u'}, None)
    >>> parse_line(b'{"id": 1}', 4).message
    "no string field 'text' (fields: id)"
    """
    sha = hashlib.sha256(raw).hexdigest()
    if max_bytes is not None and len(raw) > max_bytes:
        return _refuse(line, sha, "too_large", f"{len(raw)} bytes is over the read.max_bytes limit of {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _refuse(line, sha, "bad_jsonl_line", f"not UTF-8 (byte {exc.start})")
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        return _refuse(line, sha, "bad_jsonl_line", f"not JSON ({exc})")
    except RecursionError:
        return _refuse(line, sha, "bad_jsonl_line", f"nested more than {MAX_DEPTH} levels deep")
    if not isinstance(record, dict):
        hint = f"; {ARRAY_HINT}" if isinstance(record, list) and record and isinstance(record[0], dict) else ""
        return _refuse(line, sha, "bad_jsonl_line", f"a JSON {type(record).__name__}, not an object{hint}")
    if _depth(record) > MAX_DEPTH:
        return _refuse(line, sha, "bad_jsonl_line", f"nested more than {MAX_DEPTH} levels deep")
    if b"\\u" in raw:
        record = _without_lone_surrogates(record)
    body = record.get(text_field)
    if not isinstance(body, str):
        fields = ", ".join(sorted(map(str, record))) or "none"
        if text_field not in record:
            what = f"no string field {text_field!r}"
        else:
            what = f"field {text_field!r} is {'null' if body is None else 'not a string'}"
        return _refuse(line, sha, "bad_jsonl_line", f"{what} (fields: {fields})")
    doc_id = record.get(id_field)
    if doc_id is not None and not isinstance(doc_id, str | int | float):
        doc_id = json.dumps(doc_id, ensure_ascii=False, sort_keys=True)
    extra = {k: v for k, v in record.items() if k not in (text_field, id_field)}
    return JsonlLine(line, sha, text=body, doc_id=doc_id, extra=extra, place=record_site(record))


def iter_jsonl(
    path: str, where: str, text_field: str = "text", id_field: str = "id", max_bytes: int | None = None
) -> Iterator[JsonlLine]:
    """The non-blank lines of the JSONL file ``path`` (``where``: its printable name), in order.

    Raises ``OSError`` when the file cannot be opened; corrupt compressed data yields a final
    ``bad_compression`` line instead of raising.
    """
    n, started, blank = 0, False, False
    with open_input(path) as (fh, compression):
        try:
            for n, raw in enumerate(iter_lines(fh), start=1):  # noqa: B007 - n is reported after the loop
                raw = raw.rstrip(b"\r\n")
                if n == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]  # Windows tools start UTF-8 files with a BOM
                if not raw.strip():
                    blank = True
                    continue
                if not started and raw.lstrip().startswith(b"[") and _spread_array(raw):
                    # a pretty-printed JSON array, not JSON Lines: one line for the file, not one
                    # "not JSON" line for each of its lines
                    sha = hashlib.sha256(f"{where}:{n}".encode()).hexdigest()
                    yield _refuse(
                        n, sha, "bad_jsonl_line", f"a JSON array over several lines, not JSON Lines; {ARRAY_HINT}"
                    )
                    return
                started = True
                parsed = parse_line(raw, n, text_field, id_field, max_bytes)
                parsed.compression = compression
                yield parsed
        except CompressionError as exc:
            broken = n + 1
            sha = hashlib.sha256(f"{where}:{broken}".encode()).hexdigest()
            yield _refuse(broken, sha, "bad_compression", str(exc))
            return
    if not started:
        # no document line: the file still ends somewhere (at its line 1), as an empty page does
        sha = hashlib.sha256(f"{where}:{'blank' if blank else 'empty'}".encode()).hexdigest()
        if blank:
            yield _refuse(1, sha, "no_text", "the file holds only blank lines")
        else:
            size = f"once decompressed ({compression})" if compression else "(0 bytes)"
            yield _refuse(1, sha, "empty", f"the file holds no line {size}")


__all__ = ["JsonlLine", "iter_jsonl", "parse_line"]
