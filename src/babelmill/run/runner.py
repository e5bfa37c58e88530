""":func:`run_pipeline`: lock, plan, engine, write, manifest (see :mod:`babelmill.run`)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babelmill import __version__
from babelmill.config import PipelineConfig, check_runnable, load_config
from babelmill.engines import ENGINES, make_engine
from babelmill.errors import ConfigError, RunError, StageStateError
from babelmill.interrupt import Interrupted
from babelmill.io.files import REFUSED, truncate_to
from babelmill.io.formats import DEFAULT_SHARD_SIZE
from babelmill.io.read import display_path, input_key
from babelmill.io.sink import cut_back
from babelmill.io.sinks import CorpusSink, OutputConfig, SinkError, open_sink
from babelmill.registry import get_stage_class
from babelmill.run.inputs import (
    Discovered,
    InputFilter,
    discover_inputs,
    installed_translation_languages,
    require_inputs,
)
from babelmill.run.manifest import RunSummary, append_run_log, write_manifest
from babelmill.run.outputs import (
    REJECTED,
    STATE_DIR,
    OutputLock,
    check_output_folder,
    check_separate,
    check_writable,
    clear_for_rebuild,
    rewrite_without,
)
from babelmill.run.places import put_back, remember_places
from babelmill.run.plan import JsonlOptions, Plan, make_plan
from babelmill.run.state import KEPT, RunState
from babelmill.run.writer import CorpusWriter
from babelmill.stage import RunContext, Stage, StatefulStage

#: the smallest window of documents the stages see at once (see _run_locked)
MIN_WINDOW = 64


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
    engine: str = "local"  # "local" (this process) or "ray" (babelmill.engines.ray)
    address: str | None = None  # Ray cluster address for engine="ray" (None: start or join a local one)
    output_format: str | None = None  # overrides [output] format of the config
    shard_size: str | None = None  # overrides [output] shard_size of the config
    verbose: bool = False  # per-stage log lines and timings
    log_progress: bool = False  # plain progress lines (when there is no terminal for a bar)
    quiet: bool = False  # -q: no warnings from the stages either
    include: tuple[str, ...] = ()  # globs: the files of a folder that are read (default: by extension)
    exclude: tuple[str, ...] = ()  # globs: files of a folder that are not read
    input_format: str = "text"  # "text": one page per file; "jsonl": one document per line
    text_field: str = "text"  # --input-format jsonl: the field holding a document's text
    id_field: str = "id"  # ... and its id (kept as source.id)

    def input_filter(self) -> InputFilter:
        return InputFilter(tuple(self.include), tuple(self.exclude), self.input_format)


def build_stages(
    cfg: PipelineConfig, context: RunContext | dict[str, Any] | None = None, keys: list[str] | None = None
) -> list[Stage]:
    """The configured stages (or those named in ``keys``), in order, each built with its options
    and the run context."""
    ctx = RunContext.of(context)
    stages = []
    for key in keys or cfg.stages:
        try:
            stages.append(get_stage_class(key)(cfg.stage_config(key), ctx))
        except (ValueError, OSError) as exc:  # a rule file that fails to load, a bad option
            if isinstance(exc, OSError) and exc.filename is not None:  # not "[Errno 2] ..."
                exc = f"{exc.filename}: {exc.strerror or 'cannot be read'}"
            raise ConfigError(f"{cfg.path} [stages.{key}]: {exc}") from None
    return stages


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


def keep_stored_layout(opts: RunOptions, cfg: PipelineConfig, out_cfg: OutputConfig, state: RunState) -> OutputConfig:
    """A rerun that names no format (no --format / --shard-size, none in the config's [output])
    goes on in the format the output's corpus is written in, instead of refusing it for not being
    the default; a format that is named and differs is still refused (by the sink)."""
    named = {"format", "shard_size"} & set((cfg.raw or {}).get("output", {}))
    if opts.output_format is not None or opts.shard_size is not None or named:
        return out_cfg
    stored = state.get("corpus_layout")
    if stored is None or stored == out_cfg.layout:
        return out_cfg
    kind, _, fmt = stored.partition(":")
    # outputs written before the shard size was stored get the default size for their new shards
    size = (state.get("corpus_shard_size") or DEFAULT_SHARD_SIZE) if kind == "sharded" else None
    return replace(out_cfg, format=fmt, shard_size=size)


def run_pipeline(opts: RunOptions, warn: Callable[[str], None] | None = None) -> RunSummary:
    """Run the pipeline over ``opts.inputs`` into ``opts.output_dir``; see :mod:`babelmill.run`."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    cfg = load_config(opts.config_path)  # ConfigError before any work
    for message in check_runnable(cfg):
        warn(f"babelmill: warning: {message}")
    out_cfg = output_config(opts, cfg)
    if opts.engine not in ENGINES:
        raise RunError(f"unknown engine {opts.engine!r}; expected local or ray")
    if opts.input_format not in ("text", "jsonl"):
        raise RunError(f"unknown input format {opts.input_format!r}; expected text or jsonl")
    out = opts.output_dir
    check_separate(out, opts.inputs)
    check_output_folder(out)
    # inputs before the output folder is touched: a run with nothing to read writes nothing
    select = opts.input_filter()
    select.check()  # a glob that can match nothing is a typo, not an empty selection
    discovered = discover_inputs(opts.inputs, exclude=out, select=select)
    require_inputs(opts.inputs, discovered, opts.include)
    check_writable(out)

    with OutputLock(out):
        if opts.rebuild:
            clear_for_rebuild(out)
        state = RunState(out / STATE_DIR)
        out_cfg = keep_stored_layout(opts, cfg, out_cfg, state)
        sink = open_sink(out, state, out_cfg)
        # parallel.jsonl: the same layout as the corpus, committed with it
        parallel = open_sink(out, state, out_cfg, "parallel") if out_cfg.parallel else None
        sinks = [s for s in (sink, parallel) if s is not None]
        stages: list[Stage] = []
        try:
            return _run_locked(opts, cfg, state, sink, stages, warn, started, started_at, parallel, discovered)
        except SinkError as exc:
            raise RunError(str(exc)) from None
        except StageStateError as exc:
            raise RunError(f"{out}: {exc}; rerun with --rebuild to start this output over") from None
        except (OSError, sqlite3.Error) as exc:
            # disk full, output gone read-only, ...: cut the outputs back to the last commit so
            # they hold whole records only; a rerun goes on from there
            state.db.rollback()
            for stage in stages:
                with contextlib.suppress(Exception):
                    stage.rollback()
            for s in sinks:
                s.close()
                with contextlib.suppress(OSError, SinkError):
                    s.recover()
            with contextlib.suppress(OSError):
                truncate_to(out / REJECTED, int(state.get("rejected_bytes", "0")))
            if getattr(exc, "strerror", None) == REFUSED:  # planted while the run went on
                raise RunError(
                    f"{display_path(os.fsdecode(exc.filename))}: {REFUSED} during the run (remove it, or choose "
                    "another -o directory); the outputs keep their last committed records"
                ) from None
            where = f" ({display_path(os.fsdecode(exc.filename))})" if getattr(exc, "filename", None) else ""
            raise RunError(
                f"{out}: the run stopped on an I/O error{where}: {getattr(exc, 'strerror', None) or exc}; "
                "the outputs keep their last committed records, rerun to go on"
            ) from exc
        finally:
            for s in sinks:
                s.close()
            state.close()


def _run_locked(
    opts: RunOptions,
    cfg: PipelineConfig,
    state: RunState,
    sink: CorpusSink,
    stages: list[Stage],
    warn: Callable[[str], None],
    started: float,
    started_at: str,
    parallel: CorpusSink | None = None,
    discovered: Discovered | None = None,
) -> RunSummary:
    out = opts.output_dir
    if discovered is None:
        discovered = discover_inputs(opts.inputs, exclude=out, select=opts.input_filter())
    # cut off whatever an interrupted run wrote past the last commit
    sinks = [s for s in (sink, parallel) if s is not None]
    # said, not silent: lines added to an output by hand go the same way
    if state.get("rejected_bytes") is not None:  # written by every checkpoint
        why = "written after the last checkpoint (an interrupted run's unfinished records; this run writes them again)"
    else:
        why = (
            "that no checkpoint in the state covers (an interrupted first run, a removed state folder, or a "
            "file from elsewhere); this run writes the file anew"
        )

    def said(name: str, n: int) -> None:
        if n:
            warn(f"babelmill: {display_path(str(out))}: cut {n} bytes of {name} {why}")

    for s in sinks:
        said(s.name, s.recover())
    said("rejected", cut_back(out / REJECTED, int(state.get("rejected_bytes", "0"))))
    put_back(state, sinks)  # records an interrupted run replaced, to their places
    run_no = state.next_run()
    summary = RunSummary()

    # plan
    paths, repeated = discovered.paths, discovered.repeats
    summary.inputs, summary.repeated_paths = len(paths), len(repeated)
    summary.skipped = dict(sorted(discovered.skipped.items()))
    for path in repeated:
        warn(f"babelmill: {display_path(path)}: named more than once (the same file as an earlier input); read once")
    max_bytes = getattr(cfg.options.get("read"), "max_bytes", None)
    jsonl = JsonlOptions(opts.text_field, opts.id_field) if opts.input_format == "jsonl" else None
    # the folder the translate stage reads (models_dir in [stages.translate] wins over --models-dir):
    # the plan retries pending documents once it holds their model, and the install hint names it
    models_dir = summary.models_dir = getattr(cfg.options.get("translate"), "models_dir", None) or opts.models_dir
    plan = make_plan(paths, state, installed_translation_languages(models_dir), max_bytes, jsonl, discovered.folders)
    summary.unchanged, summary.processed = plan.unchanged, len(plan.seeds)

    context = RunContext(
        output_dir=out,
        state_dir=out / STATE_DIR,
        rebuild=opts.rebuild,
        models_dir=opts.models_dir,
        device=opts.device,
        run=run_no,
        pipeline_dir=cfg.path.parent,  # relative rule files in the config resolve from here
        quiet=opts.quiet,
    )
    stages.extend(build_stages(cfg, context))
    # documents move through the stages in windows of at most max(--checkpoint-every, 64): no
    # stage (translation's 256 documents, dedup's 10,000) holds more before handing them on, so
    # checkpoints land during translation too. (Not below 64: dedup's kept-member rule and
    # strip's site counts work within a window.) The first window of a run that goes on after a
    # stop ends where the stopped run's would have (the rest of its inputs first): the windows,
    # and so the corpus, are those of an uninterrupted run.
    window = max(opts.checkpoint_every, MIN_WINDOW)
    first_window = _open_window(state, plan)
    for stage in stages:
        if stage.batch_size >= window:
            stage.batch_size = window
            stage.first_batch = first_window
    _drop_superseded(plan, stages, state, sinks, out, summary)

    # engine
    progress = _make_progress(opts, len(plan.seeds), warn)
    engine = make_engine(opts.engine, context, address=opts.address, verbose=opts.verbose)
    stream = engine.execute(stages, plan.seeds, progress)

    # write
    pipeline_info = {"version": __version__, "config_sha256": cfg.sha256()}
    writer = CorpusWriter(
        sink, out / REJECTED, state, stages, summary, run_no, pipeline_info, progress, warn, parallel=parallel
    )
    try:
        with writer, progress:
            writer.write_stream(
                stream,
                {d.id for d in plan.seeds if d.ok},  # the ids the stages decide (a copy waits for its input)
                opts.checkpoint_every,
                window=window,
                first_window=first_window,
                seed_paths=[input_key(d.source) for d in plan.seeds],
            )
            for stage in stages:
                stage.close()
            state.set("runs", str(run_no))
            writer.checkpoint(seal=True)
    except Interrupted as stop:
        # the run history keeps the stopped run too: `babelmill report` counts its work and time
        summary.seconds = time.perf_counter() - started
        append_run_log(opts, run_no, stages, summary, started_at, engine=engine, stopped=stop.name)
        raise
    put_back(state, sinks)

    # manifest
    summary.corpus_records = state.fate_counts().get(KEPT, 0)
    summary.corpus_totals = state.corpus_totals().as_dict()
    if summary.corpus_totals["blocks_pending"]:  # the install hint leaves out languages with a model
        summary.installed_languages = installed_translation_languages(models_dir)
    for stage in stages:
        summary.translation_cache_hits += stage.counters.get("cache_hits", 0)
        summary.translation_cache_misses += stage.counters.get("cache_misses", 0)
    summary.seconds = time.perf_counter() - started
    write_manifest(opts, cfg, state, stages, summary, sink=sink, engine=engine, parallel=parallel)
    append_run_log(opts, run_no, stages, summary, started_at, engine=engine)
    progress.report_stages(stages)
    return summary


def _drop_superseded(
    plan: Plan, stages: list[Stage], state: RunState, sinks: list[CorpusSink], out: Path, summary: RunSummary
) -> None:
    """Remove what the planned documents replace: their old records (and sentence pairs) and
    their stage state; move the rows of inputs named under another path, or moved."""
    if plan.replaced_ids:
        for stage in stages:
            if isinstance(stage, StatefulStage):
                for doc_id in sorted(plan.replaced_ids):
                    stage.forget(doc_id)
    if plan.superseded_rejections:
        state.set("rejected_bytes", str(rewrite_without(out / REJECTED, plan.superseded_rejections)))
        for path in plan.listed_now + plan.dropped:
            state.drop_input(path)
        state.commit()
    if plan.relocations:  # after the rows that go: a row may move to the path of one
        state.relocate(plan.relocations)
        state.commit()
    if plan.replaced_ids:
        remember_places(plan.replaces, sinks, state)
        for sink in sinks:
            sink.remove_ids(plan.replaced_ids)
            for key, value in sink.state_values().items():
                state.set(key, value)
        state.commit()
        summary.replaced = len(plan.replaced_ids)


def _open_window(state: RunState, plan: Plan) -> int | None:
    """How many of the planned documents lead the run as the rest of a window that a stop cut
    short (None: none was)."""
    try:
        open_paths = set(json.loads(state.get("open_window") or "[]"))
    except ValueError:
        return None
    k = 0
    while k < len(plan.seeds) and input_key(plan.seeds[k].source) in open_paths:
        k += 1
    return k or None


def _make_progress(opts: RunOptions, total: int, warn: Callable[[str], None]) -> Any:
    from babelmill.report.progress import RunProgress

    return RunProgress(total, bar=opts.progress, lines=opts.log_progress, verbose=opts.verbose, log=warn)


__all__ = ["RunOptions", "build_stages", "output_config", "run_pipeline"]
