"""What a finished corpus holds, gathered from its output directory.

Reads the corpus (any layout or format, see :mod:`babelmill.io.layout`), ``rejected.jsonl`` and
``manifest.json``; missing files count as empty so a half-built output still gets a report.
Nothing here trusts the content: renderers escape every string that came from the inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelmill.io.layout import corpus_files, iter_corpus_records
from babelmill.report.files import OUTPUT_MARKERS, NotAnOutputError, added, read_manifest, read_run_log
from babelmill.translate.pending import UNIDENTIFIED, by_count, source_code

EXAMPLES_PER_REASON = 3
EXAMPLE_CHARS = 160
TOP_REASONS = 15
TOP_CLUSTERS = 10
#: at most this many documents (and quarantined inputs) are listed as needing a look; all are counted
LOOK_LIMIT = 500
#: a record keeping less of its page's words than this is listed for a look (a listing cut for the
#: report, not a decision: nothing is dropped for it; cleaning.warnings are the strip stage's own)
LOW_KEPT_SHARE = 0.3
#: upper bounds of the text-length buckets, in characters (the last bucket is open)
LENGTH_BUCKETS = (500, 1_000, 2_000, 5_000, 10_000, 20_000)
#: why a document is listed as needing a look, in the order the report shows them
LOOK_REASONS = {
    "cleaning_warning": "the cleaner may have lost the article (cleaning.warnings)",
    "low_kept_share": f"less than {LOW_KEPT_SHARE:.0%} of the page's words were kept",
    "machine_translated": "the English was judged machine-translated from another language (origin.evidence)",
    "flagged_translation": "babelmill's translation of some blocks was flagged by the quality checks",
    "pending_blocks": "some blocks wait for a translation model (babelmill models install LANG)",
}


def length_bucket(chars: int) -> str:
    """The label of the text-length bucket ``chars`` falls in.

    >>> length_bucket(120), length_bucket(1_000), length_bucket(25_000)
    ('< 500', '1,000 - 1,999', '20,000 +')
    """
    low = 0
    for high in LENGTH_BUCKETS:
        if chars < high:
            return f"< {high:,}" if low == 0 else f"{low:,} - {high - 1:,}"
        low = high
    return f"{low:,} +"


def length_bucket_labels() -> list[str]:
    return [length_bucket(0), *(length_bucket(b) for b in LENGTH_BUCKETS)]


def share_bucket(share: float) -> str:
    """``"0-9%"`` ... ``"90-100%"``."""
    tenth = min(9, max(0, int(share * 10)))
    return f"{tenth * 10}-{tenth * 10 + 9}%" if tenth < 9 else "90-100%"


def _clip(text: Any, limit: int = EXAMPLE_CHARS) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class CorpusSummary:
    output: str
    documents: int = 0
    corpus_files: list[str] = field(default_factory=list)
    by_language: Counter = field(default_factory=Counter)  # origin language -> documents
    machine_translated: int = 0
    machine_translated_from: Counter = field(default_factory=Counter)
    docs_with_pending: int = 0
    blocks_pending: int = 0
    pending_by_language: Counter = field(default_factory=Counter)  # source language code -> blocks
    blocks_translated: int = 0
    blocks_flagged: int = 0
    docs_flagged: int = 0
    removal_reasons: Counter = field(default_factory=Counter)
    removal_examples: dict[str, list[str]] = field(default_factory=dict)
    removed_lines: int = 0
    rejected: Counter = field(default_factory=Counter)  # (status, reason) -> inputs
    duplicates: int = 0
    clusters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kept id -> duplicates
    titles: dict[str, str] = field(default_factory=dict)  # kept id -> title (for clusters)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per run (runs.jsonl)
    # lines past the last commit of an interrupted run (the next run cuts them off)
    unreadable_lines: int = 0
    # files of the output that could not be read and were left out (one line each, for stderr)
    problems: list[str] = field(default_factory=list)
    # records with cleaning warnings: id, path, title, kept share, warnings (the article may be lost)
    warned: list[dict[str, Any]] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)
    # translated blocks per quality flag (a block can carry several)
    flag_reasons: Counter = field(default_factory=Counter)
    # distributions: documents per text-length bucket, per kept-share bucket
    lengths: Counter = field(default_factory=Counter)
    kept_shares: Counter = field(default_factory=Counter)
    # documents that need a look: reason -> documents (all counted), and the first LOOK_LIMIT listed
    look_counts: Counter = field(default_factory=Counter)
    look_documents: int = 0
    needs_look: list[dict[str, Any]] = field(default_factory=list)
    # quarantined inputs: the first LOOK_LIMIT listed (path, reason, message); all are in ``rejected``
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    @property
    def machine_translated_share(self) -> float:
        return self.machine_translated / self.documents if self.documents else 0.0

    def top_reasons(self, n: int = TOP_REASONS) -> list[tuple[str, int]]:
        return sorted(self.removal_reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def top_clusters(self, n: int = TOP_CLUSTERS) -> list[tuple[str, list[dict[str, Any]]]]:
        return sorted(self.clusters.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "documents": self.documents,
            "corpus_files": self.corpus_files,
            "by_language": dict(sorted(self.by_language.items())),
            "machine_translated": self.machine_translated,
            "machine_translated_share": round(self.machine_translated_share, 4),
            "machine_translated_from": dict(sorted(self.machine_translated_from.items())),
            "translation": {
                "documents_with_pending_blocks": self.docs_with_pending,
                "blocks_pending": self.blocks_pending,
                "pending_by_language": dict(by_count(self.pending_by_language)),
                "blocks_translated": self.blocks_translated,
                "blocks_flagged": self.blocks_flagged,
                "documents_flagged": self.docs_flagged,
            },
            "removed_lines": self.removed_lines,
            "removal_reasons": dict(self.top_reasons(len(self.removal_reasons))),
            "rejected": {f"{s}/{r}": n for (s, r), n in sorted(self.rejected.items())},
            "duplicate_clusters": len(self.clusters),
            "stages": self.stages,
            "unreadable_lines": self.unreadable_lines,
            "cleaning_warnings": {
                "records": len(self.warned),
                "by_warning": dict(sorted(self.warnings.items())),
                "listed": self.warned,
            },
            "translation_flags": dict(sorted(self.flag_reasons.items())),
            "length_chars": {k: self.lengths.get(k, 0) for k in length_bucket_labels()},
            "kept_share": dict(sorted(self.kept_shares.items(), key=lambda kv: int(kv[0].split("-")[0]))),
            "history": self.history,
            "needs_look": {
                "documents": self.look_documents,
                "by_reason": dict(sorted(self.look_counts.items())),
                "listed": self.needs_look,
            },
            "quarantined": self.quarantined,
        }


def summarize(output_dir: Path) -> CorpusSummary:
    """Read an output directory into a :class:`CorpusSummary`.

    Raises :class:`NotAnOutputError` for a folder that holds no corpus and nothing else a run
    writes. Lines that are not JSON objects (or records that do not have the record's shape)
    count as ``unreadable_lines``; a manifest that cannot be read is left out and named in
    ``problems``.
    """
    out = Path(output_dir)
    files = corpus_files(out)
    if not files and not any((out / name).exists() for name in OUTPUT_MARKERS):
        raise NotAnOutputError(
            f"{out}: not a babelmill output folder (no corpus, {', '.join(OUTPUT_MARKERS[:-1])} or state/)"
        )
    summary = CorpusSummary(output=str(out), corpus_files=[p.relative_to(out).as_posix() for p in files])

    def unreadable(path: Path, error: str) -> None:
        summary.unreadable_lines += 1

    for record in iter_corpus_records(out, on_error=unreadable):
        if not added(summary, _add_record, record):
            summary.unreadable_lines += 1
    rejected = out / "rejected.jsonl"
    if rejected.exists():
        with open(rejected, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    try:
                        record = json.loads(line)
                    except ValueError:
                        record = None
                    if not added(summary, _add_rejected, record):
                        summary.unreadable_lines += 1
    manifest_path = out / "manifest.json"
    manifest = read_manifest(manifest_path, summary.problems)
    if manifest is not None:
        summary.stages = {str(k): v for k, v in (manifest.get("stages") or {}).items() if isinstance(v, dict)}
        summary.run = {
            "run": manifest.get("run"),
            "finished": manifest.get("finished"),
            "engine": (manifest.get("command") or {}).get("engine", "local"),
            "seconds": (manifest.get("summary") or {}).get("seconds"),
        }
    history = read_run_log(out)
    if history:
        # time per stage over every run of this output (the manifest holds no times)
        totals: dict[str, dict[str, Any]] = {}
        for entry in history:
            for key, st in (entry.get("stages") or {}).items():
                if not isinstance(st, dict):
                    continue
                row = totals.setdefault(str(key), {"seconds": 0.0, "documents_in": 0, "documents_out": 0})
                row["seconds"] += float(st.get("seconds") or 0.0)
                row["documents_in"] += int(st.get("documents_in") or 0)
                row["documents_out"] += int(st.get("documents_out") or 0)
        summary.stages = {k: {**summary.stages.get(k, {}), **v} for k, v in totals.items()}
        last = history[-1]
        summary.run = {
            "run": last.get("run"),
            "finished": last.get("finished"),
            "engine": (last.get("engine") or {}).get("name", "local"),
            "seconds": last.get("seconds"),
        }
        summary.history = [
            {
                "run": e.get("run"),
                "finished": e.get("finished"),
                "seconds": e.get("seconds"),
                "engine": (e.get("engine") or {}).get("name", "local"),
                "rebuild": bool(e.get("rebuild")),
                "stopped": e.get("stopped"),
                "processed": (e.get("summary") or {}).get("processed"),
                "unchanged": (e.get("summary") or {}).get("unchanged"),
                "kept": (e.get("summary") or {}).get("kept"),
                "duplicates": (e.get("summary") or {}).get("duplicates"),
                "quarantined": (e.get("summary") or {}).get("quarantined"),
            }
            for e in history
        ]
    return summary


def _add_record(s: CorpusSummary, record: dict[str, Any]) -> None:
    s.documents += 1
    origin = record.get("origin") or {}
    s.by_language[str(origin.get("language") or "und")] += 1
    if origin.get("machine_translated"):
        s.machine_translated += 1
        s.machine_translated_from[str(origin.get("machine_translated_from") or "unknown")] += 1
    tr = record.get("translation") or {}
    pending = int(tr.get("blocks_pending") or 0)
    flagged = int(tr.get("flagged") or 0)
    s.blocks_pending += pending
    s.blocks_translated += int(tr.get("blocks_translated") or 0)
    s.blocks_flagged += flagged
    s.docs_with_pending += pending > 0
    s.pending_by_language.update(_pending_languages(record))
    s.docs_flagged += flagged > 0
    for removed in (record.get("cleaning") or {}).get("removed") or []:
        rule = str(removed.get("rule") or "unknown")
        s.removed_lines += 1
        s.removal_reasons[rule] += 1
        examples = s.removal_examples.setdefault(rule, [])
        text = _clip(removed.get("text"))
        if len(examples) < EXAMPLES_PER_REASON and text and text not in examples:
            examples.append(text)
    if record.get("id") and record.get("title"):
        s.titles[str(record["id"])] = _clip(record["title"], 100)
    s.lengths[length_bucket(len(str(record.get("text") or "")))] += 1
    cleaning = record.get("cleaning") or {}
    share = cleaning.get("kept_share")
    if isinstance(share, int | float):
        s.kept_shares[share_bucket(float(share))] += 1
    for block in record.get("blocks") or []:
        if block.get("translation") == "translated":
            s.flag_reasons.update(str(f) for f in ((block.get("meta") or {}).get("quality") or {}).get("flags") or [])
    _add_look(s, record, tr, pending, flagged)
    warnings = [str(w) for w in cleaning.get("warnings") or []]
    if warnings:
        s.warnings.update(warnings)
        s.warned.append(
            {
                "id": str(record.get("id") or ""),
                "path": _clip((record.get("source") or {}).get("path"), 200),
                "title": _clip(record.get("title"), 100),
                "kept_share": cleaning.get("kept_share"),
                "warnings": warnings,
            }
        )


def _pending_languages(record: dict[str, Any]) -> Counter:
    """The record's pending blocks per source language code (``und``: unidentified)."""
    blocks = [b for b in record.get("blocks") or [] if isinstance(b, dict) and b.get("translation") == "pending"]
    return Counter(str(source_code(b.get("lang"), b.get("meta")) or UNIDENTIFIED) for b in blocks)


def _where(record: dict[str, Any]) -> str:
    """The input a record came from: its path, with ``:LINE`` for a document of a JSONL input."""
    source = record.get("source") or {}
    path = _clip(source.get("path"), 200)
    return f"{path}:{source['line']}" if source.get("line") else path


def _add_look(s: CorpusSummary, record: dict[str, Any], tr: dict[str, Any], pending: int, flagged: int) -> None:
    """List the record as needing a look when one of :data:`LOOK_REASONS` applies, with the facts."""
    cleaning = record.get("cleaning") or {}
    origin = record.get("origin") or {}
    why: list[tuple[str, str]] = []
    if cleaning.get("warnings"):
        why.append(("cleaning_warning", ", ".join(map(str, cleaning["warnings"]))))
    share = cleaning.get("kept_share")
    if isinstance(share, int | float) and share < LOW_KEPT_SHARE:
        why.append(("low_kept_share", f"{share:.0%} of the page kept"))
    if origin.get("machine_translated"):
        evidence = "; ".join(_clip(e, 120) for e in (origin.get("evidence") or [])[:3])
        source = origin.get("machine_translated_from") or "another language"
        why.append(("machine_translated", f"from {source}: {evidence}" if evidence else f"from {source}"))
    if flagged:
        flags = Counter(
            str(f)
            for b in record.get("blocks") or []
            if b.get("translation") == "translated"
            for f in ((b.get("meta") or {}).get("quality") or {}).get("flags") or []
        )
        detail = ", ".join(f"{f} {n}" for f, n in sorted(flags.items()))
        why.append(("flagged_translation", f"{flagged} block{'s' if flagged != 1 else ''}: {detail}"))
    if pending:
        langs = sorted(_pending_languages(record))
        why.append(("pending_blocks", f"{pending} block{'s' if pending != 1 else ''} ({', '.join(langs)})"))
    if not why:
        return
    s.look_counts.update(reason for reason, _ in why)
    s.look_documents += 1
    if len(s.needs_look) < LOOK_LIMIT:
        s.needs_look.append(
            {
                "id": str(record.get("id") or ""),
                "path": _where(record),
                "title": _clip(record.get("title"), 100),
                "why": [{"reason": reason, "detail": detail} for reason, detail in why],
            }
        )


def _add_rejected(s: CorpusSummary, record: dict[str, Any]) -> None:
    status = str(record.get("status") or "unknown")
    if status == "quarantined" and len(s.quarantined) < LOOK_LIMIT:
        s.quarantined.append(
            {
                "path": _where(record),
                "reason": str(record.get("reason") or "unknown"),
                "message": _clip(record.get("message"), 200),
            }
        )
    s.rejected[(status, str(record.get("reason") or "unknown"))] += 1
    if status == "duplicate":
        s.duplicates += 1
        kept = str(record.get("duplicate_of") or "unknown")
        s.clusters.setdefault(kept, []).append(
            {
                "id": record.get("id"),
                "reason": record.get("reason"),
                "similarity": record.get("similarity"),
                "title": _clip(record.get("title"), 100),
                "path": (record.get("source") or {}).get("path"),
            }
        )


def history_note(run: dict[str, Any]) -> str:
    """What the run history says beside a run's time: a rebuild, a run stopped by a signal.

    >>> history_note({"rebuild": True}), history_note({"stopped": "SIGINT"}), history_note({})
    (' (rebuild)', ' (stopped by SIGINT)', '')
    """
    notes = ["rebuild"] if run.get("rebuild") else []
    if run.get("stopped"):
        notes.append(f"stopped by {run['stopped']}")
    return f" ({', '.join(notes)})" if notes else ""


def stage_rows(stages: dict[str, dict[str, Any]]) -> list[tuple[str, float, int, int]]:
    """``(stage, seconds, documents_in, documents_out)`` in pipeline order."""
    rows = []
    for key, st in stages.items():
        rows.append(
            (key, float(st.get("seconds") or 0.0), int(st.get("documents_in") or 0), int(st.get("documents_out") or 0))
        )
    return rows


__all__ = ["LOOK_REASONS", "CorpusSummary", "length_bucket_labels", "summarize", "stage_rows"]
