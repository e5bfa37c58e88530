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
from babelmill.io.parallel import parallel_records
from babelmill.io.read import display_path, new_input_document, sha256_file
from babelmill.io.sinks import CorpusSink, OutputConfig, SinkError, atomic_write_bytes, remove_outputs
from babelmill.io.write import corpus_record, dumps, rejected_record
from babelmill.registry import get_stage_class
from babelmill.stage import Stage, StageStateError
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
    engine: str = "local"  # "local" (this process) or "ray" (babelmill.engines.ray_engine)
    address: str | None = None  # Ray cluster address for engine="ray" (None: start or join a local one)
    output_format: str | None = None  # overrides [output] format of the config
    shard_size: str | None = None  # overrides [output] shard_size of the config
    verbose: bool = False  # per-stage log lines and timings
    log_progress: bool = False  # plain progress lines (when there is no terminal for a bar)


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
    translation_cache_hits: int = 0
    translation_cache_misses: int = 0
    parallel_pairs: int = 0  # sentence pairs written to parallel.jsonl by this run
    corpus_records: int = 0
    seconds: float = 0.0
    quarantine_messages: list[str] = field(default_factory=list)
    # model name -> engine, version and blocks translated, from the documents written this run
    models_used: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("quarantine_messages", "models_used")}
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
        if self.translation_cache_hits or self.translation_cache_misses:
            text += f"; translation cache: {self.translation_cache_hits} hits, {self.translation_cache_misses} misses"
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
                # a folder that cannot be listed becomes an input itself, so the read stage
                # reports it instead of its files vanishing without a word
                for root, dirs, files in os.walk(cand, onerror=lambda exc: found.append(exc.filename)):
                    dirs[:] = sorted(
                        d
                        for d in dirs
                        if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != exclude_real
                    )
                    # symlinked folders are not followed (loops, files read twice); they become
                    # inputs so the read stage reports them rather than skipping them unseen
                    linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]
                    found.extend(os.path.join(root, d) for d in linked)
                    dirs[:] = [d for d in dirs if d not in linked]
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


def _relative_to_cwd(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (manifests travel)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
    if path.exists() and path.stat().st_size > length:  # never pad a shorter file with NULs
        with open(path, "r+b") as fh:
            fh.truncate(length)


def _rewrite_without(path: Path, drop: set[tuple[str, str]]) -> int:
    """Rewrite a JSONL file without the records whose ``(id, source.path)`` is in ``drop``.

    Returns the new length. Identical files share an id, so the path tells them apart.
    """
    if not path.exists() or not drop:
        return path.stat().st_size if path.exists() else 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        for line in src:
            record = json.loads(line)
            if (record.get("id"), record.get("source", {}).get("path")) not in drop:
                dst.write(line)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return path.stat().st_size


def _file_sha256(path: Path) -> str | None:
    return sha256_file(path) if path.exists() else None


def build_stages(cfg: PipelineConfig, context: dict[str, Any]) -> list[Stage]:
    return [get_stage_class(key)(cfg.options[key], context) for key in cfg.stages]


def execute(stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
    """The local engine: stream the seed documents through the stages in this process.

    This is the only part an engine replaces (see :mod:`babelmill.engines.ray_engine`); planning
    which inputs to process and committing the results stay in the runner.
    """
    stream: Iterator[Document] = iter(seeds)
    for stage in stages:
        stream = stage.run(stream)
        if progress is not None:
            stream = progress.track(stage.key, stream)
    return stream


def output_config(opts: RunOptions, cfg: PipelineConfig) -> OutputConfig:
    """The [output] table of the config, with --format / --shard-size on top."""
    base = getattr(cfg, "output", None) or OutputConfig()
    try:
        return OutputConfig(
            format=opts.output_format or base.format,
            shard_size=opts.shard_size if opts.shard_size is not None else base.shard_size,
            parallel=base.parallel,
        )
    except ValueError as exc:
        raise RunError(str(exc)) from None


def run_pipeline(opts: RunOptions, warn: Callable[[str], None] | None = None) -> RunSummary:
    """Run the pipeline over ``opts.inputs`` into ``opts.output_dir``; see the module docstring."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    cfg = load_config(opts.config_path)  # ConfigError before any work
    out_cfg = output_config(opts, cfg)
    if opts.engine not in ("local", "ray"):
        raise RunError(f"unknown engine {opts.engine!r}; expected local or ray")
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
            remove_outputs(out)
            for name in (REJECTED, MANIFEST):
                (out / name).unlink(missing_ok=True)
        state = RunState(out / STATE_DIR)
        sink = CorpusSink.open(out, state, out_cfg)
        parallel = CorpusSink.open(out, state, out_cfg, "parallel") if out_cfg.parallel else None
        try:
            return _run_locked(opts, cfg, state, warn, started, started_at, sink, parallel)
        except SinkError as exc:
            raise RunError(str(exc)) from None
        except StageStateError as exc:
            raise RunError(f"{out}: {exc}; rerun with --rebuild to start this output over") from None
        except (OSError, sqlite3.Error) as exc:
            # disk full, output gone read-only, ...: cut the outputs back to the last commit so
            # they hold whole records only; a rerun goes on from there
            state.db.rollback()
            for s in (sink, parallel):
                if s is not None:
                    s.close()
                    with contextlib.suppress(OSError, SinkError):
                        s.recover()
            with contextlib.suppress(OSError):
                _truncate_to(out / REJECTED, int(state.get("rejected_bytes", "0")))
            where = f" ({display_path(os.fsdecode(exc.filename))})" if getattr(exc, "filename", None) else ""
            raise RunError(
                f"{out}: the run stopped on an I/O error{where}: {getattr(exc, 'strerror', None) or exc}; "
                "the outputs keep their last committed records, rerun to go on"
            ) from exc
        finally:
            sink.close()
            if parallel is not None:
                parallel.close()
            state.close()


def _run_locked(
    opts: RunOptions,
    cfg: PipelineConfig,
    state: RunState,
    warn: Callable[[str], None],
    started: float,
    started_at: str,
    sink: CorpusSink,
    parallel: CorpusSink | None = None,
) -> RunSummary:
    out = opts.output_dir
    rejected_path = out / REJECTED
    sinks = [sink] if parallel is None else [sink, parallel]
    # cut off whatever an interrupted run wrote past the last commit
    for s in sinks:
        s.recover()
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
        "pipeline_dir": cfg.path.parent,  # relative rule files in the config resolve from here
    }
    translatable = installed_translation_languages(opts.models_dir)

    # decide what this run must do
    seeds: list[Document] = []
    replaced_ids: set[str] = set()
    superseded_rejections: set[tuple[str, str]] = set()  # (id, path) of rejected records to drop
    seen_sha: dict[str, str] = {}
    # a file the read stage refuses for its size is not hashed either (200 GB would take minutes)
    max_bytes = getattr(cfg.options.get("read"), "max_bytes", None)
    for path in paths:
        try:
            too_big = max_bytes is not None and os.path.getsize(path) > max_bytes
            sha = sha256_file(Path(path)) if os.path.isfile(path) and not too_big else None
        except OSError:
            sha = None
        previous = state.input(display_path(path))  # state holds printable UTF-8 paths
        if previous and sha and previous.sha256 == sha:
            waiting = set(previous.pending_langs) & translatable
            if not waiting:
                summary.unchanged += 1
                seen_sha.setdefault(sha, previous.doc_id or "")
                continue
        if previous and sha is None and previous.sha256 is None and previous.fate == QUARANTINED:
            # still missing, unreadable or over the size limit: its rejected record stands
            summary.unchanged += 1
            continue
        if previous and previous.fate == KEPT and previous.doc_id:
            replaced_ids.add(previous.doc_id)
        elif previous and previous.doc_id:
            superseded_rejections.add((previous.doc_id, previous.path))
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
    if superseded_rejections:
        state.set("rejected_bytes", str(_rewrite_without(out / REJECTED, superseded_rejections)))
        state.commit()
    if replaced_ids:
        for s in sinks:  # a replaced record takes its sentence pairs with it
            s.remove_ids(replaced_ids)
            for key, value in s.state_values().items():
                state.set(key, value)
        state.commit()
        summary.replaced = len(replaced_ids)

    pipeline_info = {"version": __version__, "config_sha256": cfg.sha256()}
    progress = _make_progress(opts, len(seeds), warn)
    engine = _make_engine(opts, context)
    stream = engine.execute(stages, seeds, progress)

    pending_rows: list[InputRow] = []

    def checkpoint(rejected_fh, seal: bool = False, seal_parallel: bool | None = None) -> None:
        # the corpus and parallel.jsonl seal their shards independently (each when full, both
        # at the end), and commit together
        for s in sinks:
            s.flush()
        rejected_fh.flush()
        os.fsync(rejected_fh.fileno())
        if seal:
            sink.seal()
        if parallel is not None and (seal if seal_parallel is None else seal_parallel):
            parallel.seal()
        for stage in stages:
            commit = getattr(stage, "commit", None)
            if commit:
                commit()
        for row in pending_rows:
            state.put_input(row)
        pending_rows.clear()
        for s in sinks:
            for key, value in s.state_values().items():
                state.set(key, value)
        state.set("rejected_bytes", str(rejected_fh.tell()))
        state.commit()
        for s in sinks:
            s.after_commit()
        progress.checkpoint()

    def write(doc: Document, rejected_fh) -> None:
        pending_langs = tuple(sorted({b.lang or "und" for b in doc.blocks if b.translation == PENDING}))
        if doc.status == OK:
            line = (dumps(corpus_record(doc, pipeline_info)) + "\n").encode("utf-8")
            pairs = [(dumps(r) + "\n").encode("utf-8") for r in parallel_records(doc)] if parallel else []
            seal_corpus = sink.full_before(line)
            seal_pairs = bool(pairs) and parallel.full_before(b"".join(pairs))  # a document's pairs share a shard
            if seal_corpus or seal_pairs:  # a shard is full: seal and commit it
                checkpoint(rejected_fh, seal=seal_corpus, seal_parallel=seal_pairs)
            sink.write(line)
            for pair in pairs:
                parallel.write(pair)
            summary.parallel_pairs += len(pairs)
            summary.kept += 1
            translated = sum(1 for b in doc.blocks if b.translation == "translated")
            summary.blocks_translated += translated
            summary.blocks_pending += sum(1 for b in doc.blocks if b.translation == PENDING)
            if translated and doc.translation.get("model"):
                info = doc.translation
                used = summary.models_used.setdefault(
                    info["model"], {"engine": info.get("engine"), "version": info.get("model_version"), "blocks": 0}
                )
                used["blocks"] += translated
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

    # A duplicate is written only once the document it duplicates has come out of the stream: a
    # checkpoint then never commits a duplicate without its kept document, so a run killed in
    # between reprocesses both together and decides exactly as an uninterrupted run would.
    seed_ids = {d.id for d in seeds}
    emitted: set[str] = set()
    held: dict[str, list[Document]] = {}
    with open(rejected_path, "ab") as rejected_fh, progress:
        for n, doc in enumerate(stream, start=1):
            progress.written()
            target = doc.status_detail.get("duplicate_of") if doc.status == DUPLICATE else None
            if target and target != doc.id and target in seed_ids and target not in emitted:
                held.setdefault(target, []).append(doc)
            else:
                write(doc, rejected_fh)
            emitted.add(doc.id)
            for waiting in held.pop(doc.id, []):
                write(waiting, rejected_fh)
            if n % opts.checkpoint_every == 0:
                checkpoint(rejected_fh)
        for waiting in [d for docs in held.values() for d in docs]:  # their documents never came
            write(waiting, rejected_fh)
        for stage in stages:
            stage.close()
        state.set("runs", str(run_no))
        checkpoint(rejected_fh, seal=True)

    fates = state.fate_counts()
    summary.corpus_records = fates.get(KEPT, 0)
    for stage in stages:
        summary.translation_cache_hits += stage.counters.get("cache_hits", 0)
        summary.translation_cache_misses += stage.counters.get("cache_misses", 0)
    summary.seconds = time.perf_counter() - started
    write_manifest(opts, cfg, state, stages, summary, started_at, sink=sink, engine=engine, parallel=parallel)
    progress.report_stages(stages)
    return summary


def _make_engine(opts: RunOptions, context: dict[str, Any]) -> Any:
    if opts.engine == "ray":
        from babelmill.engines.ray_engine import RayEngine  # lazy: Ray is an optional extra

        return RayEngine(address=opts.address, context=context, verbose=opts.verbose)
    return LocalEngine()


class LocalEngine:
    """Runs the stages in this process (the default; needs nothing beyond babelmill)."""

    name = "local"

    def execute(self, stages: list[Stage], seeds: list[Document], progress: Any = None) -> Iterator[Document]:
        return execute(stages, seeds, progress)

    def models_used(self) -> dict[str, Any]:
        return {}


def _make_progress(opts: RunOptions, total: int, warn: Callable[[str], None]) -> Any:
    from babelmill.report.progress import RunProgress

    return RunProgress(total, bar=opts.progress, lines=opts.log_progress, verbose=opts.verbose, log=warn)


def write_manifest(
    opts: RunOptions,
    cfg: PipelineConfig,
    state: RunState,
    stages: list[Stage],
    summary: RunSummary,
    started_at: str,
    sink: CorpusSink | None = None,
    engine: Any = None,
    parallel: CorpusSink | None = None,
) -> None:
    """Run-level facts; the only output file that holds timestamps."""
    out = opts.output_dir
    models = {"used": dict(sorted(summary.models_used.items())), "installed": installed_models(opts.models_dir)}
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
        "started": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": {
            "inputs": [display_path(p) for p in opts.inputs],
            "output": str(out),
            "config": _relative_to_cwd(cfg.path),
            "rebuild": opts.rebuild,
            "engine": opts.engine,
        },
        "corpus": {
            "layout": sink.layout if sink is not None else "single:jsonl",
            "files": [f["name"] for f in files] if files else [CORPUS],
        },
        "config_sha256": cfg.sha256(),
        "config": cfg.resolved(),
        "models": models,
        "summary": summary.as_dict(),
        "stages": {stage.key: stage.stats() for stage in stages},
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


__all__ = ["RunOptions", "RunSummary", "RunError", "run_pipeline", "discover_inputs", "QUARANTINED"]
