"""The parallel corpus: every sentence babelmill translated, aligned with its English.

``parallel.jsonl`` (or, for sharded output, ``parallel/part-00000.<format>`` shards beside the
corpus shards) holds one line per translated sentence of every kept document; the format is
described by ``schema/parallel-record.schema.json`` and documented in ``output/README.md``.
The runner writes these lines in the same checkpointed commit as the corpus records, so both
files always describe the same documents. This module builds the lines from a document, reads
them back from any layout, and exports them as TSV, Moses-style plain files or TMX 1.4.

Exports stream: records are read one at a time and duplicates are found through an on-disk
SQLite set of pair hashes, so an export needs little memory whatever the corpus size.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from babelmill.document import TRANSLATED, Document

PARALLEL = "parallel.jsonl"
TARGET_LANG = "en"
EXPORT_FORMATS = ("tsv", "moses", "tmx")


def block_source_lang(block: Any) -> str | None:
    """The language code a block was translated from (``lang``, or the detector's code for ``other``)."""
    if block.lang == "other":
        code = block.meta.get("lang_code")
        return code if isinstance(code, str) and code else None
    return block.lang


def parallel_records(doc: Document) -> Iterator[dict[str, Any]]:
    """The ``parallel.jsonl`` lines of a kept document, in block and sentence order."""
    for index, block in enumerate(doc.blocks):
        if block.translation != TRANSLATED or not block.pairs:
            continue
        by = block.meta.get("translated_by") or {}
        flags = list((block.meta.get("quality") or {}).get("flags") or [])
        version = by.get("model_version")
        for pair in block.pairs:
            yield {
                "id": doc.id,
                "block": index,
                "sentence": pair.sentence,
                "source_lang": block_source_lang(block),
                "target_lang": TARGET_LANG,
                "source": pair.source,
                "target": pair.target,
                "model": by.get("model"),
                "model_version": str(version) if version is not None else None,
                "score": round(min(0.0, pair.score), 4),
                "flags": flags,
                "from_cache": pair.from_cache,
            }


def parallel_files(out_dir: Path) -> list[Path]:
    """The parallel files of an output directory in record order (single file or shards)."""
    out_dir = Path(out_dir)
    if (out_dir / PARALLEL).exists():
        return [out_dir / PARALLEL]
    if not out_dir.is_dir():
        return []
    from babelmill.io.layout import shard_files

    return shard_files(out_dir, "parallel")


def iter_parallel_records(
    out_dir: Path, on_error: Callable[[Path, str], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Every parallel record of an output directory, in order, whatever the layout and format."""
    from babelmill.io.formats import decode_shard

    for path in parallel_files(out_dir):
        yield from decode_shard(path, on_error)


# -- export ------------------------------------------------------------------------------------


@dataclass
class ExportFilter:
    """Which records an export keeps."""

    min_score: float | None = None  # keep score >= min_score
    langs: tuple[str, ...] = ()  # source languages to keep; empty = all
    skip_flagged: bool = False  # drop sentences of blocks with quality flags

    def keep(self, rec: dict[str, Any]) -> str | None:
        """None when kept, else the reason it is filtered out."""
        if self.langs and rec.get("source_lang") not in self.langs:
            return "language"
        if self.min_score is not None and (rec.get("score") is None or rec["score"] < self.min_score):
            return "score"
        if self.skip_flagged and rec.get("flags"):
            return "flagged"
        if not (rec.get("source") or "").strip() or not (rec.get("target") or "").strip():
            return "empty"
        return None


@dataclass
class ExportSummary:
    read: int = 0
    written: Counter[str] = field(default_factory=Counter)  # language pair -> pairs written
    duplicates: int = 0
    filtered: Counter[str] = field(default_factory=Counter)  # reason -> records
    files: list[Path] = field(default_factory=list)

    def line(self) -> str:
        pairs = ", ".join(f"{k} {v}" for k, v in sorted(self.written.items())) or "none"
        filtered = ", ".join(f"{k} {v}" for k, v in sorted(self.filtered.items())) or "none"
        return (
            f"read {self.read} sentence pairs; wrote {sum(self.written.values())} ({pairs}); "
            f"skipped {self.duplicates} duplicates; filtered out: {filtered}"
        )


class _SeenPairs:
    """An on-disk set of pair hashes (16-byte BLAKE2b): memory stays flat for any corpus size."""

    def __init__(self, folder: Path | None = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="babelmill-export-", dir=folder)
        self.db = sqlite3.connect(str(Path(self._tmp.name) / "seen.sqlite"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (h BLOB PRIMARY KEY) WITHOUT ROWID")

    def add(self, *parts: str) -> bool:
        """True when the pair is new (and remembers it)."""
        h = hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=16).digest()
        return self.db.execute("INSERT OR IGNORE INTO seen (h) VALUES (?)", (h,)).rowcount == 1

    def close(self) -> None:
        self.db.close()
        self._tmp.cleanup()


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\t\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """Tabs and line breaks (which would break the line alignment) become one space.

    >>> one_line("a\\tb\\nc\\u2028d")
    'a b c d'
    """
    return _LINE_BREAKS.sub(" ", text).strip()


def _xml_text(text: str) -> str:
    return escape(_XML_INVALID.sub("", text))


class _Writer:
    """Files of one language pair in one export format."""

    def __init__(self, fmt: str, dest: Path, src: str, tgt: str, version: str):
        self.fmt = fmt
        stem = dest / f"parallel.{src}-{tgt}"
        self.handles: list[IO[str]] = []
        self.src, self.tgt = src, tgt
        if fmt == "tsv":
            self.paths = [stem.with_name(stem.name + ".tsv")]
        elif fmt == "moses":
            self.paths = [stem.with_name(f"{stem.name}.{src}"), stem.with_name(f"{stem.name}.{tgt}")]
        else:
            self.paths = [stem.with_name(stem.name + ".tmx")]
        # written under a hidden name and renamed when the export is complete, so that a stopped
        # or failed export never leaves a cut file (nor a TMX closed after a partial body)
        self.partials = [p.with_name(f".{p.name}.partial") for p in self.paths]
        self.handles = [open(p, "w", encoding="utf-8", newline="\n") for p in self.partials]  # noqa: SIM115
        if fmt == "tmx":
            self.handles[0].write(
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
                '<tmx version="1.4">\n'
                f'  <header creationtool="babelmill" creationtoolversion={quoteattr(version)} '
                'datatype="plaintext" segtype="sentence" adminlang="en" '
                f'srclang={quoteattr(src)} o-tmf="babelmill-parallel-jsonl"/>\n'
                "  <body>\n"
            )

    def write(self, rec: dict[str, Any]) -> None:
        source, target = one_line(rec["source"]), one_line(rec["target"])
        if self.fmt == "tsv":
            self.handles[0].write(f"{source}\t{target}\n")
        elif self.fmt == "moses":
            self.handles[0].write(source + "\n")
            self.handles[1].write(target + "\n")
        else:
            props = [("x-document", rec.get("id")), ("x-model", rec.get("model")), ("x-score", rec.get("score"))]
            if rec.get("flags"):
                props.append(("x-flags", " ".join(rec["flags"])))
            lines = ["    <tu>\n"]
            for name, value in props:
                if value is not None:
                    lines.append(f'      <prop type="{name}">{_xml_text(str(value))}</prop>\n')
            lines.append(f"      <tuv xml:lang={quoteattr(self.src)}><seg>{_xml_text(source)}</seg></tuv>\n")
            lines.append(f"      <tuv xml:lang={quoteattr(self.tgt)}><seg>{_xml_text(target)}</seg></tuv>\n")
            lines.append("    </tu>\n")
            self.handles[0].write("".join(lines))

    def close(self, complete: bool = True) -> None:
        """Close the files: under their names when ``complete``, else remove them."""
        try:
            if complete and self.fmt == "tmx":
                self.handles[0].write("  </body>\n</tmx>\n")
        finally:
            for fh in self.handles:
                fh.close()
        for partial, path in zip(self.partials, self.paths, strict=True):
            if complete:
                os.replace(partial, path)
            else:
                partial.unlink(missing_ok=True)


def export_parallel(
    records: Iterable[dict[str, Any]],
    dest: Path,
    fmt: str = "tsv",
    keep: ExportFilter | None = None,
    version: str = "",
) -> ExportSummary:
    """Write ``records`` (e.g. :func:`iter_parallel_records`) to ``dest`` as ``fmt``, one file (or,
    for Moses, one file per side) per language pair, each distinct (source, target) pair once,
    in record order."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    keep = keep or ExportFilter()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    writers: dict[tuple[str, str], _Writer] = {}
    seen = _SeenPairs()
    complete = False
    try:
        for rec in records:
            summary.read += 1
            reason = keep.keep(rec)
            if reason:
                summary.filtered[reason] += 1
                continue
            src, tgt = rec.get("source_lang") or "und", rec.get("target_lang") or TARGET_LANG
            if not seen.add(src, tgt, one_line(rec["source"]), one_line(rec["target"])):
                summary.duplicates += 1
                continue
            writer = writers.get((src, tgt))
            if writer is None:
                writer = writers[(src, tgt)] = _Writer(fmt, dest, src, tgt, version)
                summary.files.extend(writer.paths)
            writer.write(rec)
            summary.written[f"{src}-{tgt}"] += 1
        complete = True
    finally:
        for writer in writers.values():
            writer.close(complete)
        seen.close()
    return summary
