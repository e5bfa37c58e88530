"""The local engine: discover inputs, run the configured stages, write the corpus, keep state.

A run is incremental. An input whose path and content hash are already in the state is not
processed again, unless some of its blocks were waiting for a translation model that is now
installed. An input whose content changed is processed again and its old record replaced.
New records are appended to ``corpus.jsonl`` in input-path order, so one run over a set of
inputs always writes the same bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babelmill import __version__
from babelmill.config import PipelineConfig, load_config
from babelmill.document import DUPLICATE, OK, PENDING, QUARANTINED, Document
from babelmill.io.read import display_path, new_input_document, sha256_file
from babelmill.io.write import corpus_record, dumps, rejected_record
from babelmill.registry import get_stage_class
from babelmill.stage import Stage
from babelmill.state import InputRow, RunState

CORPUS = "corpus.jsonl"
REJECTED = "rejected.jsonl"
MANIFEST = "manifest.json"
STATE_DIR = "state"
LOCK = ".babelmill.lock"
KEPT = "kept"


class RunError(RuntimeError):
    """The run itself cannot go on (bad config, output not writable, output in use)."""


@dataclass
class RunOptions:
    inputs: list[str]
    output_dir: Path
    config_path: Path | None = None
    models_dir: str | None = None
    device: str | None = None
    rebuild: bool = False
    progress: bool = False
    checkpoint_every: int = 1000


@dataclass
class RunSummary:
    inputs: int = 0  # distinct input paths named by this run
    unchanged: int = 0  # already done in an earlier run, skipped
    processed: int = 0
    kept: int = 0
    duplicates: int = 0
    quarantined: int = 0
    repeated_paths: int = 0  # the same file named twice on the command line
    replaced: int = 0  # records rewritten (edited input, or pending blocks now translated)
    blocks_translated: int = 0
    blocks_pending: int = 0
    corpus_records: int = 0
    seconds: float = 0.0
    quarantine_messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "quarantine_messages"}
        out["seconds"] = round(self.seconds, 3)
        return out

    def paragraph(self, output_dir: Path) -> str:
        text = (
            f"Read {self.inputs} input file{'s' if self.inputs != 1 else ''}: "
            f"{self.processed} processed, {self.unchanged} unchanged since the last run. "
            f"{self.kept} kept, {self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}, "
            f"{self.quarantined} quarantined. "
            f"Translated {self.blocks_translated} block{'s' if self.blocks_translated != 1 else ''}; "
            f"{self.blocks_pending} block{'s' if self.blocks_pending != 1 else ''} pending a translation model"
        )
        if self.blocks_pending:
            text += " (see `babelmill models --help`; a later run translates them)"
        text += f". The corpus in {output_dir} now holds {self.corpus_records} records ({self.seconds:.1f}s)."
        return text


# -- inputs ------------------------------------------------------------------------------------


def _has_magic(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def discover_inputs(patterns: Iterable[str], exclude: Path | None = None) -> tuple[list[str], list[str]]:
    """Expand files, directories (recursively) and globs into sorted input paths.

    Hidden files and folders (a leading dot) are skipped inside directories; a path that does
    not exist is kept so that the read stage reports it. Returns ``(paths, repeats)`` where
    repeats lists the paths that named an already listed file.
    """
    exclude_real = os.path.realpath(exclude) if exclude else None
    found: list[str] = []
    for pattern in patterns:
        if _has_magic(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            candidates = matches or [pattern]
        else:
            candidates = [pattern]
        for cand in candidates:
            if os.path.isdir(cand) and not os.path.islink(cand):
                for root, dirs, files in os.walk(cand):
                    dirs[:] = sorted(
                        d
                        for d in dirs
                        if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != exclude_real
                    )
                    found.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
            else:
                found.append(cand)
    seen: set[str] = set()
    paths: list[str] = []
    repeats: list[str] = []
    for p in found:
        norm = os.path.normpath(p)
        try:
            key = os.path.realpath(norm, strict=False)
        except OSError:
            key = norm
        if key in seen:
            repeats.append(norm)
            continue
        seen.add(key)
        paths.append(norm)
    paths.sort()
    return paths, repeats


def installed_translation_languages(models_dir: str | None) -> set[str]:
    """Source languages for which an X->en model is installed (empty if none can be found)."""
    try:
        from babelmill.translate.models import installed_source_languages
    except ImportError:
        return set()
    try:
        return set(installed_source_languages(models_dir))
    except Exception:  # a broken models dir must not stop the run; translate reports it
        return set()


# -- the run -----------------------------------------------------------------------------------


class OutputLock:
    """One writer per output directory: a second run fails at once with a clear message."""

    def __init__(self, output_dir: Path):
        self.path = output_dir / LOCK
        self.fh = None

    def __enter__(self) -> OutputLock:
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise RunError(
                f"{self.path.parent}: another babelmill run is writing this output ({holder}); "
                "wait for it to finish or choose another -o directory"
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


def _truncate_to(path: Path, length: int) -> None:
    if path.exists() and path.stat().st_size != length:
        with open(path, "r+b") as fh:
            fh.truncate(length)


def _rewrite_without(path: Path, drop_ids: set[str]) -> int:
    """Rewrite a JSONL file without the records whose id is in ``drop_ids``; returns new length."""
    if not path.exists() or not drop_ids:
        return path.stat().st_size if path.exists() else 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        for line in src:
            if json.loads(line).get("id") not in drop_ids:
                dst.write(line)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return path.stat().st_size


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _file_sha256(path: Path) -> str | None:
    return sha256_file(path) if path.exists() else None


def build_stages(cfg: PipelineConfig, context: dict[str, Any]) -> list[Stage]:
    return [get_stage_class(key)(cfg.options[key], context) for key in cfg.stages]


def run_pipeline(opts: RunOptions, warn: Callable[[str], None] | None = None) -> RunSummary:
    """Run the pipeline over ``opts.inputs`` into ``opts.output_dir``; see the module docstring."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    cfg = load_config(opts.config_path)  # ConfigError before any work
    out = opts.output_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".babelmill.write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"{out}: output directory is not writable: {exc.strerror or exc}") from None

    with OutputLock(out):
        if opts.rebuild:
            import shutil

            shutil.rmtree(out / STATE_DIR, ignore_errors=True)
            for name in (CORPUS, REJECTED, MANIFEST):
                (out / name).unlink(missing_ok=True)
        state = RunState(out / STATE_DIR)
        try:
            return _run_locked(opts, cfg, state, warn, started, started_at)
        except (OSError, sqlite3.Error) as exc:
            # disk full, output gone read-only, ...: cut the outputs back to the last commit so
            # they hold whole records only; a rerun goes on from there
            state.db.rollback()
            for path, key in ((out / CORPUS, "corpus_bytes"), (out / REJECTED, "rejected_bytes")):
                with contextlib.suppress(OSError):
                    _truncate_to(path, int(state.get(key, "0")))
            where = f" ({display_path(os.fsdecode(exc.filename))})" if getattr(exc, "filename", None) else ""
            raise RunError(
                f"{out}: the run stopped on an I/O error{where}: {getattr(exc, 'strerror', None) or exc}; "
                "the outputs keep their last committed records, rerun to go on"
            ) from exc
        finally:
            state.close()


def _run_locked(
    opts: RunOptions,
    cfg: PipelineConfig,
    state: RunState,
    warn: Callable[[str], None],
    started: float,
    started_at: str,
) -> RunSummary:
    out = opts.output_dir
    corpus_path, rejected_path = out / CORPUS, out / REJECTED
    # cut off whatever an interrupted run wrote past the last commit
    _truncate_to(corpus_path, int(state.get("corpus_bytes", "0")))
    _truncate_to(rejected_path, int(state.get("rejected_bytes", "0")))
    run_no = state.next_run()
    summary = RunSummary()
    paths, repeated = discover_inputs(opts.inputs, exclude=out)
    summary.inputs, summary.repeated_paths = len(paths), len(repeated)
    for path in repeated:
        warn(f"babelmill: {display_path(path)}: named more than once (the same file as an earlier input); read once")

    context: dict[str, Any] = {
        "output_dir": out,
        "state_dir": out / STATE_DIR,
        "rebuild": opts.rebuild,
        "models_dir": opts.models_dir,
        "device": opts.device,
        "run": run_no,
    }
    translatable = installed_translation_languages(opts.models_dir)

    # decide what this run must do
    seeds: list[Document] = []
    replaced_ids: set[str] = set()
    seen_sha: dict[str, str] = {}
    for path in paths:
        try:
            sha = sha256_file(Path(path)) if os.path.isfile(path) else None
        except OSError:
            sha = None
        previous = state.input(display_path(path))  # state holds printable UTF-8 paths
        if previous and sha and previous.sha256 == sha:
            waiting = set(previous.pending_langs) & translatable
            if not waiting:
                summary.unchanged += 1
                if sha:
                    seen_sha.setdefault(sha, previous.doc_id or "")
                continue
        if previous and previous.fate == KEPT and previous.doc_id:
            replaced_ids.add(previous.doc_id)
        doc = new_input_document(path, sha)
        if sha:
            earlier = seen_sha.get(sha)
            if earlier is None:
                other = state.kept_with_sha(sha)
                earlier = other.doc_id if other and other.path != display_path(path) else None
            if earlier:
                doc.reject(DUPLICATE, "identical_input", stage="read", duplicate_of=earlier, similarity=1.0)
            else:
                seen_sha[sha] = doc.id
        seeds.append(doc)
    summary.processed = len(seeds)

    stages = build_stages(cfg, context)
    for stage in stages:
        forget = getattr(stage, "forget", None)
        if forget and replaced_ids:
            for doc_id in sorted(replaced_ids):
                forget(doc_id)
    if replaced_ids:
        state.set("corpus_bytes", str(_rewrite_without(corpus_path, replaced_ids)))
        state.commit()
        summary.replaced = len(replaced_ids)

    pipeline_info = {"version": __version__, "config_sha256": cfg.sha256()}
    stream: Iterator[Document] = iter(seeds)
    for stage in stages:
        stream = stage.run(stream)

    pending_rows: list[InputRow] = []

    def checkpoint(corpus_fh, rejected_fh) -> None:
        for fh in (corpus_fh, rejected_fh):
            fh.flush()
            os.fsync(fh.fileno())
        for stage in stages:
            commit = getattr(stage, "commit", None)
            if commit:
                commit()
        for row in pending_rows:
            state.put_input(row)
        pending_rows.clear()
        state.set("corpus_bytes", str(corpus_fh.tell()))
        state.set("rejected_bytes", str(rejected_fh.tell()))
        state.commit()

    progress = _Progress(len(seeds), enabled=opts.progress)
    with open(corpus_path, "ab") as corpus_fh, open(rejected_path, "ab") as rejected_fh, progress:
        for n, doc in enumerate(stream, start=1):
            progress.advance()
            pending_langs = tuple(sorted({b.lang or "und" for b in doc.blocks if b.translation == PENDING}))
            if doc.status == OK:
                corpus_fh.write((dumps(corpus_record(doc, pipeline_info)) + "\n").encode("utf-8"))
                summary.kept += 1
                summary.blocks_translated += sum(1 for b in doc.blocks if b.translation == "translated")
                summary.blocks_pending += sum(1 for b in doc.blocks if b.translation == PENDING)
                fate = KEPT
            else:
                rejected_fh.write((dumps(rejected_record(doc, pipeline_info)) + "\n").encode("utf-8"))
                fate = doc.status
                if doc.status == DUPLICATE:
                    summary.duplicates += 1
                else:
                    summary.quarantined += 1
                    message = doc.status_detail.get("message") or doc.status_reason
                    line = f"babelmill: {doc.source.get('path')}: quarantined ({doc.status_reason}): {message}"
                    summary.quarantine_messages.append(line)
                    warn(line)
            pending_rows.append(
                InputRow(
                    path=doc.source["path"],
                    sha256=doc.source.get("sha256"),
                    doc_id=doc.id,
                    fate=fate,
                    reason=doc.status_reason,
                    pending_langs=pending_langs,
                    run=run_no,
                )
            )
            if n % opts.checkpoint_every == 0:
                checkpoint(corpus_fh, rejected_fh)
        for stage in stages:
            stage.close()
        state.set("runs", str(run_no))
        checkpoint(corpus_fh, rejected_fh)

    fates = state.fate_counts()
    summary.corpus_records = fates.get(KEPT, 0)
    summary.seconds = time.perf_counter() - started
    write_manifest(opts, cfg, state, stages, summary, started_at)
    return summary


def write_manifest(
    opts: RunOptions,
    cfg: PipelineConfig,
    state: RunState,
    stages: list[Stage],
    summary: RunSummary,
    started_at: str,
) -> None:
    """Run-level facts; the only output file that holds timestamps."""
    out = opts.output_dir
    models = {}
    for stage in stages:
        used = getattr(stage, "models_used", None)
        if used:
            models.update(used() if callable(used) else used)
    corpus_path, rejected_path = out / CORPUS, out / REJECTED
    manifest = {
        "babelmill_version": __version__,
        "run": int(state.get("runs", "0")),
        "started": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": {
            "inputs": [display_path(p) for p in opts.inputs],
            "output": str(out),
            "config": str(cfg.path),
            "rebuild": opts.rebuild,
        },
        "config_sha256": cfg.sha256(),
        "config": cfg.resolved(),
        "models": models,
        "summary": summary.as_dict(),
        "stages": {stage.key: stage.stats() for stage in stages},
        "outputs": {
            CORPUS: {"records": summary.corpus_records, "sha256": _file_sha256(corpus_path)},
            REJECTED: {"sha256": _file_sha256(rejected_path)},
        },
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
    _atomic_write_text(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.enabled = enabled and total > 0
        self.bar = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("[bold]babelmill[/bold] documents"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("run", total=self.total)
        return self

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


__all__ = ["RunOptions", "RunSummary", "RunError", "run_pipeline", "discover_inputs", "QUARANTINED"]
