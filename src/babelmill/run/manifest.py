"""What a run reports: the summary (counts and the closing paragraph), ``manifest.json`` and
``runs.jsonl``.

``manifest.json`` describes the output as it stands (configuration, models, counts, every input
and its fate, output checksums) and holds no times, so the same inputs and configuration give
the same manifest byte for byte. What differs from run to run (when it started and finished,
how long each stage took, the engine's facts) is appended to ``runs.jsonl``, one line per run,
which the report reads for the run history and the time spent per stage over all runs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babelmill import __version__
from babelmill.config import PipelineConfig
from babelmill.io.files import atomic_write_bytes, file_sha256, open_regular
from babelmill.io.layout import CORPUS
from babelmill.io.read import display_path
from babelmill.io.sink import CorpusSink
from babelmill.run.inputs import skipped_note
from babelmill.run.outputs import MANIFEST, REJECTED, RUNS
from babelmill.run.state import RunState
from babelmill.stage import Stage
from babelmill.translate.pending import pair_counts, pending_sentence

#: what RunSummary holds beside the counts (never written into manifest.json's summary)
_NOT_COUNTS = frozenset({"quarantine_messages", "models_used", "seconds", "models_dir", "installed_languages"})


@dataclass
class RunSummary:
    inputs: int = 0  # distinct input paths named by this run
    unchanged: int = 0  # already done in an earlier run, skipped
    processed: int = 0
    kept: int = 0
    duplicates: int = 0
    quarantined: int = 0
    not_found: int = 0  # of the quarantined: inputs that do not exist (a mistyped name, a deleted file)
    repeated_paths: int = 0  # the same file named twice on the command line
    replaced: int = 0  # records rewritten (edited input, or pending blocks now translated)
    blocks_translated: int = 0
    blocks_pending: int = 0
    translation_cache_hits: int = 0
    translation_cache_misses: int = 0
    parallel_pairs: int = 0  # sentence pairs written to parallel.jsonl by this run
    cleaning_warnings: int = 0  # records written with a cleaning warning (the article may be lost)
    corpus_records: int = 0
    # the whole corpus after this run (run/state.py CorpusTotals): records, pending and flagged blocks, ...
    corpus_totals: dict[str, Any] = field(default_factory=dict)
    # files of the input folders not read: "not_text:<extension>", "excluded", "not_included" -> files
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    quarantine_messages: list[str] = field(default_factory=list)
    # model name -> engine, version and blocks translated, from the documents written this run
    models_used: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the blocks of the records written this run, translated and pending, per source language code
    translated_by_language: Counter = field(default_factory=Counter)
    pending_by_language: Counter = field(default_factory=Counter)
    documents_pending: int = 0  # records written this run with pending blocks
    # for the install hint: the models folder the run searched (None: the default folders), and the
    # source languages with an installed model (their pending blocks need no install)
    models_dir: str | None = None
    installed_languages: set[str] = field(default_factory=set)

    def as_dict(self, times: bool = True) -> dict[str, Any]:
        """The counts (and, with ``times``, the run's seconds)."""
        out = {k: v for k, v in self.__dict__.items() if k not in _NOT_COUNTS}
        for key in ("translated_by_language", "pending_by_language"):
            out[key] = dict(sorted(out[key].items()))
        if times:
            out["seconds"] = round(self.seconds, 3)
        return out

    def paragraph(self, output_dir: Path) -> str:
        # with --input-format jsonl a file holds many documents, and the counts below are of documents
        documents = self.processed + self.unchanged
        held = f" holding {documents} document{'s' if documents != 1 else ''}" if documents != self.inputs else ""
        text = (
            f"Read {self.inputs} input file{'s' if self.inputs != 1 else ''}{held}: "
            f"{self.processed} processed, {self.unchanged} unchanged since the last run. "
            f"{self.kept} kept, {self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}, "
            f"{self.quarantined} quarantined"
            + (f" ({self.not_found} of them not found: check the names)" if self.not_found else "")
            + ". "
            f"Translated {self.blocks_translated} block{'s' if self.blocks_translated != 1 else ''}"
            + (f" ({pair_counts(self.translated_by_language)})" if self.blocks_translated else "")
            + f"; {self.blocks_pending} block{'s' if self.blocks_pending != 1 else ''} pending a translation model"
        )
        if self.translation_cache_hits or self.translation_cache_misses:
            text += f"; translation cache: {self.translation_cache_hits} hits, {self.translation_cache_misses} misses"
        if self.cleaning_warnings:
            text += (
                f"; {self.cleaning_warnings} record{'s' if self.cleaning_warnings != 1 else ''} with a cleaning "
                f"warning (the article may be lost; `babelmill report {output_dir}` lists them)"
            )
        if self.skipped:
            text += ". " + skipped_note(self.skipped).rstrip(".")
        text += f". The corpus in {output_dir} now holds {self.corpus_records} records{self._corpus_note()}"
        text += f" ({self.seconds:.1f}s)."
        pending = self._pending_note()
        return f"{text} {pending[0].upper()}{pending[1:]}." if pending else text

    def _pending_note(self) -> str:
        """The corpus's pending blocks per language pair and how to translate them (this run's
        when the corpus totals are not known)."""
        t = self.corpus_totals
        by_language = t.get("pending_by_language", {}) if t else self.pending_by_language
        total = t.get("blocks_pending", 0) if t else self.blocks_pending
        documents = t.get("records_with_pending", 0) if t else self.documents_pending
        unsorted = max(0, total - sum(by_language.values()))
        return pending_sentence(
            by_language,
            documents,
            installed=self.installed_languages,
            models_dir=self.models_dir,
            unsorted=unsorted,
            at_least=not t.get("complete", True) if t else False,
        )

    def _corpus_note(self) -> str:
        """Corpus-wide totals beside this run's counts: what still needs a model or a look."""
        t = self.corpus_totals
        if not t:
            return ""
        some = "" if t.get("complete", True) else "at least "
        parts = [
            # pending blocks get a sentence of their own, per language pair (see _pending_note)
            *(() if t["blocks_pending"] else [f"{some}0 blocks pending a translation model"]),
            f"{some}{t['records_flagged']} with flagged translations ({t['blocks_flagged']} blocks)",
            f"{some}{t['records_with_warnings']} with a cleaning warning",
        ]
        return ": " + "; ".join(parts)


def installed_models(models_dir: str | None) -> list[dict[str, Any]]:
    """The translation packages a run could see, for the manifest."""
    try:
        from babelmill.translate.packages import discover_packages

        packages, _problems = discover_packages(models_dir)
    except Exception:  # a broken models dir must not stop the run; translate reports it
        return []
    return [
        {"name": p.name, "pair": p.pair, "version": p.version, "path": str(p.path)}
        for p in sorted(packages, key=lambda p: (p.pair, p.name, p.version))
    ]


def _relative_to_cwd(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (manifests travel)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _file_sha256(path: Path) -> str | None:
    return file_sha256(path) if path.exists() else None


def write_manifest(
    opts: Any,
    cfg: PipelineConfig,
    state: RunState,
    stages: list[Stage],
    summary: RunSummary,
    sink: CorpusSink | None = None,
    engine: Any = None,
    parallel: CorpusSink | None = None,
) -> None:
    """The output as it stands, without times (those go to ``runs.jsonl``, see
    :func:`append_run_log`). ``opts``: the RunOptions."""
    out = opts.output_dir
    models = {"used": dict(sorted(summary.models_used.items())), "installed": installed_models(summary.models_dir)}
    if engine is not None:
        models["engine"] = engine.models_used()
    corpus_path, rejected_path = out / CORPUS, out / REJECTED
    outputs: dict[str, Any] = {}
    files = sink.files() if sink is not None and sink.layout != "single:jsonl" else []
    if sink is None or sink.layout == "single:jsonl":
        outputs[CORPUS] = {"records": summary.corpus_records, "sha256": _file_sha256(corpus_path)}
    else:  # one entry per shard, in order, with its checksum
        for f in files:
            outputs[f["name"]] = {"records": f["records"], "bytes": f["bytes"], "sha256": f["sha256"]}
    if parallel is not None:  # parallel.jsonl, or its shards in order
        for f in parallel.files():
            entry = {"records": f["records"], "sha256": f["sha256"]}
            outputs[f["name"]] = entry if parallel.layout == "single:jsonl" else {**entry, "bytes": f["bytes"]}
    outputs[REJECTED] = {"sha256": _file_sha256(rejected_path)}
    manifest = {
        "babelmill_version": __version__,
        "run": int(state.get("runs", "0")),
        "command": {
            "inputs": [display_path(p) for p in opts.inputs],
            "output": str(out),
            "config": _relative_to_cwd(cfg.path),
            "rebuild": opts.rebuild,
            "engine": opts.engine,
            "include": list(getattr(opts, "include", ())),
            "exclude": list(getattr(opts, "exclude", ())),
            "input_format": getattr(opts, "input_format", "text"),
        },
        "corpus": {
            "layout": sink.layout if sink is not None else "single:jsonl",
            "files": [f["name"] for f in files] if files else [CORPUS],
        },
        "config_sha256": cfg.sha256(),
        "config": cfg.resolved(),
        "models": models,
        "summary": summary.as_dict(times=False),
        "stages": {stage.key: _without_seconds(stage.stats()) for stage in stages},
        "outputs": outputs,
        "inputs_by_fate": state.fate_counts(),
        "inputs": [
            {
                "path": row.path,
                "sha256": row.sha256,
                "id": row.doc_id,
                "fate": row.fate,
                "reason": row.reason,
                "pending_languages": list(row.pending_langs),
                "run": row.run,
            }
            for row in state.all_inputs()
        ],
    }
    atomic_write_bytes(out / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _without_seconds(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if k != "seconds"}


def append_run_log(
    opts: Any,
    run_no: int,
    stages: list[Stage],
    summary: RunSummary,
    started_at: str,
    engine: Any = None,
    stopped: str | None = None,
) -> None:
    """Append run ``run_no``'s times and counts as one line of ``runs.jsonl`` (never committed
    with the corpus: it is the output folder's history, different on every run). ``stopped``: the
    name of the signal that stopped the run; its line says so, and its counts and stage times are
    what it did before it stopped (the rerun that goes on keeps the number)."""
    entry = {
        "run": run_no,
        **({"stopped": stopped} if stopped else {}),
        "started": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(summary.seconds, 3),
        "engine": engine.facts() if engine is not None else {"name": opts.engine},
        "inputs": [display_path(p) for p in opts.inputs],
        "rebuild": opts.rebuild,
        "summary": summary.as_dict(),
        "stages": {stage.key: stage.stats() for stage in stages},
    }
    with open_regular(opts.output_dir / RUNS, "ab") as f:  # never through a link planted under its name
        f.write((json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8"))


__all__ = ["RunSummary", "append_run_log", "installed_models", "write_manifest"]
