"""Corpus records: Document -> the JSON object of one ``corpus.jsonl`` / ``rejected.jsonl`` line.

The record format is described by ``schema/corpus-record.schema.json`` (validated in the
tests) and documented for users in ``output/README.md``. Keys appear in a fixed order and
nothing time-dependent is written, so the same inputs and config give byte-identical lines.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from babelmill.document import PENDING, Document
from babelmill.sites import site_of

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line: UTF-8 text kept readable, fixed separators."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


def emitted_language(doc: Document) -> str:
    """Language of the emitted text: ``en`` when every block is English, else the dominant
    language among the blocks, or ``mul`` when no language has most of the text."""
    chars: Counter[str] = Counter()
    for block in doc.blocks:
        lang = "en" if block.translation == "translated" else (block.lang or "und")
        chars[lang] += len(block.text)
    if not chars:
        return "und"
    if set(chars) == {"en"}:
        return "en"
    lang, n = chars.most_common(1)[0]
    return lang if n >= 0.8 * sum(chars.values()) else "mul"


#: where an input came from beyond its file, written only when present: the page's URL as a JSONL
#: record gives it, the compression it was read through, and for a document of a JSONL input its
#: line, its id there and its other fields (``host``, the input's site, comes before ``compression``)
SOURCE_OPTIONAL = ("url", "compression", "line", "id", "extra")


def source_record(doc: Document) -> dict[str, Any]:
    md = doc.metadata
    record = {
        "path": doc.source.get("path"),
        "sha256": doc.source.get("sha256"),
        "bytes": doc.source.get("bytes"),
        "encoding": doc.source.get("encoding"),
        "site": md.get("site"),
        "author": md.get("author"),
        "authors": list(md.get("authors") or ([md["author"]] if md.get("author") else [])),
        "published": md.get("published"),
        "attribution": md.get("attribution"),
    }
    for key in SOURCE_OPTIONAL:
        if doc.source.get(key) is not None:
            record[key] = doc.source[key]
        if key == "url" and (host := site_of(doc.source)):
            record["host"] = host  # the site the strip stage counted the document's lines under
    return record


def corpus_record(doc: Document, pipeline: dict[str, Any]) -> dict[str, Any]:
    """The corpus line of a kept document."""
    translation = doc.translation.to_json()
    # the counts in the record are those of the blocks written (the stage's may predate a change)
    translation["blocks_translated"] = sum(1 for b in doc.blocks if b.translation == "translated")
    translation["blocks_pending"] = sum(1 for b in doc.blocks if b.translation == PENDING)
    extra_metadata = {
        k: v
        for k, v in sorted(doc.metadata.items())
        if k not in ("title", "site", "author", "authors", "published", "attribution")
    }
    return {
        "id": doc.id,
        "title": doc.metadata.get("title"),
        "text": doc.text,
        "language": emitted_language(doc),
        "source": source_record(doc),
        "origin": doc.origin.to_json(),
        "metadata": extra_metadata,
        "translation": translation,
        "cleaning": {
            "removed": [r.to_json() for r in doc.removed],
            "kept_share": doc.cleaning.get("kept_share"),
            "warnings": list(doc.cleaning.get("warnings", [])),
            "lost_probability": doc.cleaning.get("lost_probability"),
        },
        "dedup": doc.dedup.to_json(),
        "blocks": [b.to_json() for b in doc.blocks],
        "history": [c.to_json() for c in doc.history],
        "pipeline": pipeline,
    }


def rejected_record(doc: Document, pipeline: dict[str, Any]) -> dict[str, Any]:
    """The rejected.jsonl line of a duplicate or quarantined input."""
    detail = dict(doc.status_detail)
    stage = next((c.stage for c in reversed(doc.history) if c.action == doc.status), None)
    return {
        "id": doc.id,
        "status": doc.status,
        "reason": doc.status_reason,
        "stage": stage,
        "message": detail.pop("message", None),
        "duplicate_of": detail.pop("duplicate_of", None),
        "similarity": detail.pop("similarity", None),
        "containment": detail.pop("containment", None),
        "detail": detail,
        "title": doc.metadata.get("title"),
        "source": source_record(doc),
        "pipeline": pipeline,
    }


def load_schema(name: str = "corpus-record") -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
