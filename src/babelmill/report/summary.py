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

EXAMPLES_PER_REASON = 3
EXAMPLE_CHARS = 160
TOP_REASONS = 15
TOP_CLUSTERS = 10


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
    # records with cleaning warnings: id, path, title, kept share, warnings (the article may be lost)
    warned: list[dict[str, Any]] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)

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
        }


def summarize(output_dir: Path) -> CorpusSummary:
    """Read an output directory into a :class:`CorpusSummary`."""
    out = Path(output_dir)
    summary = CorpusSummary(output=str(out), corpus_files=[p.relative_to(out).as_posix() for p in corpus_files(out)])

    def unreadable(path: Path, error: str) -> None:
        summary.unreadable_lines += 1

    for record in iter_corpus_records(out, on_error=unreadable):
        _add_record(summary, record)
    rejected = out / "rejected.jsonl"
    if rejected.exists():
        with open(rejected, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    try:
                        _add_rejected(summary, json.loads(line))
                    except ValueError:
                        summary.unreadable_lines += 1
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
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
                "processed": (e.get("summary") or {}).get("processed"),
                "kept": (e.get("summary") or {}).get("kept"),
            }
            for e in history
        ]
    return summary


def read_run_log(out: Path) -> list[dict[str, Any]]:
    """The lines of ``out/runs.jsonl`` (one per run; unreadable lines skipped); [] when none."""
    try:
        text = (out / "runs.jsonl").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    runs = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            runs.append(entry)
    return runs


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
    cleaning = record.get("cleaning") or {}
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


def _add_rejected(s: CorpusSummary, record: dict[str, Any]) -> None:
    status = str(record.get("status") or "unknown")
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


def stage_rows(stages: dict[str, dict[str, Any]]) -> list[tuple[str, float, int, int]]:
    """``(stage, seconds, documents_in, documents_out)`` in pipeline order."""
    rows = []
    for key, st in stages.items():
        rows.append(
            (key, float(st.get("seconds") or 0.0), int(st.get("documents_in") or 0), int(st.get("documents_out") or 0))
        )
    return rows


__all__ = ["CorpusSummary", "summarize", "stage_rows"]
