"""The corpus writer: records to the corpus, ``parallel.jsonl`` and ``rejected.jsonl``, and the
checkpoint commit.

A checkpoint makes one consistent cut: the corpus, ``parallel.jsonl`` and ``rejected.jsonl`` are
flushed and fsynced, the stages commit their state for exactly the documents written, the input
rows of those documents and the outputs' committed lengths go into the run state, and the run
state commits. A run killed anywhere between two checkpoints is cut back to the last one by the
next run (see :mod:`babelmill.run.state`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from babelmill.document import DUPLICATE, OK, PENDING, QUARANTINED, TRANSLATED, Document
from babelmill.interrupt import Interrupted
from babelmill.interrupt import check as check_interrupt
from babelmill.io.files import open_regular
from babelmill.io.parallel import parallel_records
from babelmill.io.read import input_key, source_fs_path
from babelmill.io.sink import CorpusSink
from babelmill.io.write import corpus_record, dumps, rejected_record
from babelmill.run.manifest import RunSummary
from babelmill.run.plan import quarantine_copy
from babelmill.run.state import KEPT, InputRow, RecordCounts, RunState, real_key
from babelmill.stage import Stage
from babelmill.translate.pending import UNIDENTIFIED, source_code


class CorpusWriter:
    """Writes the documents a run's stages hand out, and commits them with the run state."""

    def __init__(
        self,
        sink: CorpusSink,
        rejected_path: Path,
        state: RunState,
        stages: list[Stage],
        summary: RunSummary,
        run_no: int,
        pipeline_info: dict[str, Any],
        progress: Any,
        warn: Callable[[str], None],
        parallel: CorpusSink | None = None,
    ):
        self.sink = sink
        self.parallel = parallel  # parallel.jsonl (None: [output] parallel = false)
        self.sinks = [s for s in (sink, parallel) if s is not None]
        self.rejected_path = rejected_path
        self.state = state
        self.stages = stages
        self.summary = summary
        self.run_no = run_no
        self.pipeline_info = pipeline_info
        self.progress = progress
        self.warn = warn
        self.rejected: BinaryIO | None = None
        self.pending_rows: list[InputRow] = []
        self.pending_counts: list[tuple[str, RecordCounts]] = []
        # the window being written (see write_stream): its inputs, bounds, documents so far
        self._seed_paths: list[str] | None = None
        self._window = (0, 0)
        self._n = 0
        self._open_recorded = False

    def __enter__(self) -> CorpusWriter:
        self.rejected = open_regular(self.rejected_path, "ab")  # held for the run; never through a link
        return self

    def __exit__(self, *exc: object) -> None:
        if self.rejected is not None:
            self.rejected.close()
            self.rejected = None

    # -- the commit ----------------------------------------------------------------------------
    def checkpoint(self, seal: bool = False, seal_parallel: bool | None = None) -> None:
        """Flush the outputs and commit them together with stage state and input rows. The corpus
        and ``parallel.jsonl`` seal their shards independently (each when full, both at the end:
        ``seal_parallel`` defaults to ``seal``)."""
        state = self.state
        for sink in self.sinks:
            sink.flush()
        self.rejected.flush()
        os.fsync(self.rejected.fileno())
        if seal:
            self.sink.seal()
        if self.parallel is not None and (seal if seal_parallel is None else seal_parallel):
            self.parallel.seal()
        for stage in self.stages:
            stage.commit()
        for row in self.pending_rows:
            state.put_input(row)
        self.pending_rows.clear()
        for path, counts in self.pending_counts:
            state.put_counts(path, counts)
        self.pending_counts.clear()
        for sink in self.sinks:
            for key, value in sink.state_values().items():
                state.set(key, value)
        state.set("rejected_bytes", str(self.rejected.tell()))
        start, end = self._window
        if self._seed_paths is not None and start < self._n < end and not self._open_recorded:
            # a commit inside a window (a checkpoint, a full shard, a stop): the window's inputs
            # go with it, so that a run going on after a stop or crash finishes this window alone
            state.set("open_window", json.dumps(self._seed_paths[start:end]))
            self._open_recorded = True
        state.commit()
        for sink in self.sinks:
            sink.after_commit()
        self.progress.checkpoint()

    # -- records -------------------------------------------------------------------------------
    def write(self, doc: Document) -> None:
        summary = self.summary
        pending = {b.lang or "und" for b in doc.blocks if b.translation == PENDING}
        if doc.metadata.get("title_translation") == PENDING:
            pending.add(str(doc.metadata.get("title_lang") or "und"))  # a rerun with its model translates it
        pending_langs = tuple(sorted(pending))
        if doc.status == OK:
            line = (dumps(corpus_record(doc, self.pipeline_info)) + "\n").encode("utf-8")
            pairs = [(dumps(r) + "\n").encode("utf-8") for r in parallel_records(doc)] if self.parallel else []
            seal_corpus = self.sink.full_before(line)
            # a document's pairs share one shard
            seal_pairs = bool(pairs) and self.parallel.full_before(b"".join(pairs))
            if seal_corpus or seal_pairs:  # a shard is full: seal and commit it
                self.checkpoint(seal=seal_corpus, seal_parallel=seal_pairs)
            self.sink.write(line)
            for pair in pairs:
                self.parallel.write(pair)
            summary.parallel_pairs += len(pairs)
            waiting = _by_language(doc, PENDING)
            counts = RecordCounts(
                blocks_pending=sum(waiting.values()),
                blocks_flagged=int(doc.translation.get("flagged") or 0),
                cleaning_warning=bool(doc.cleaning.get("warnings")),
                pending_by_language=tuple(sorted(waiting.items())),
            )
            summary.kept += 1
            summary.cleaning_warnings += bool(doc.cleaning.get("warnings"))
            done = _by_language(doc, TRANSLATED)
            translated = sum(done.values())
            summary.blocks_translated += translated
            summary.blocks_pending += counts.blocks_pending
            summary.translated_by_language.update(done)
            summary.pending_by_language.update(waiting)
            summary.documents_pending += counts.blocks_pending > 0
            if translated and doc.translation.get("model"):
                info = doc.translation
                used = summary.models_used.setdefault(
                    info["model"], {"engine": info.get("engine"), "version": info.get("model_version"), "blocks": 0}
                )
                used["blocks"] += translated
            fate = KEPT
        else:
            counts = RecordCounts()
            self.rejected.write((dumps(rejected_record(doc, self.pipeline_info)) + "\n").encode("utf-8"))
            fate = doc.status
            if doc.status == DUPLICATE:
                summary.duplicates += 1
            else:
                summary.quarantined += 1
                summary.not_found += doc.status_reason == "not_found"
                message = doc.status_detail.get("message") or doc.status_reason
                line = f"babelmill: {input_key(doc.source)}: quarantined ({doc.status_reason}): {message}"
                summary.quarantine_messages.append(line)
                self.warn(line)
        self.pending_counts.append((input_key(doc.source), counts))
        self.pending_rows.append(
            InputRow(
                path=input_key(doc.source),
                sha256=doc.source.get("sha256"),
                doc_id=doc.id,
                fate=fate,
                reason=doc.status_reason,
                pending_langs=pending_langs,
                run=self.run_no,
                duplicate_of=doc.status_detail.get("duplicate_of") if doc.status == DUPLICATE else None,
                real=real_key(os.fsdecode(source_fs_path(doc.source)), doc.source.get("line")),
            )
        )

    def write_stream(
        self,
        stream: Iterable[Document],
        seed_ids: set[str],
        checkpoint_every: int,
        window: int | None = None,
        first_window: int | None = None,
        seed_paths: list[str] | None = None,
    ) -> None:
        """Write every document of ``stream``, committing every ``checkpoint_every`` documents
        and at the end of each ``window`` of documents the stages decided together (the first
        one ``first_window`` long when given: the rest of a window a stop cut short).

        A duplicate is written only once the document it duplicates has come out of the stream:
        a checkpoint then never commits a duplicate without its kept document, so a run killed in
        between reprocesses both together and decides exactly as an uninterrupted run would. A
        copy of another input's bytes (``identical_input``: the same id) waits for that input
        likewise (``seed_ids`` holds the ids the stages decide, not the copies'), and when that
        input turns out a duplicate itself, the copy names the corpus record it duplicates.

        A commit inside a window records the input paths of that window (``seed_paths``, the
        stream's inputs in order) as ``open_window`` in the run state, so that a run going on after
        a stop or a crash ends its first window where this one would have (same windows, same
        corpus). A stop request (:mod:`babelmill.interrupt`) commits what was written and re-raises.
        """
        written: set[str] = set()
        held: dict[str, list[Document]] = {}
        decided: dict[str, tuple[str, str]] = {}  # a rejected input -> (duplicate, its target) or (reason, key)
        window = window or checkpoint_every
        self._seed_paths, self._window, self._n = seed_paths, (0, first_window or window), 0

        def put(doc: Document, target: str | None) -> None:
            self.write(_resolved(doc, decided))
            if target != doc.id:  # a copy shares the id of the input it copies: it is not that input
                written.add(doc.id)
                if target:
                    decided[doc.id] = (DUPLICATE, target)
                elif doc.status == QUARANTINED:
                    decided[doc.id] = (doc.status_reason, input_key(doc.source))
                for waiting in held.pop(doc.id, []):
                    put(waiting, waiting.status_detail.get("duplicate_of"))

        try:
            for doc in stream:
                self._n += 1
                n = self._n
                self.progress.written()
                target = doc.status_detail.get("duplicate_of") if doc.status == DUPLICATE else None
                if target and target in seed_ids and target not in written:
                    held.setdefault(target, []).append(doc)
                else:
                    put(doc, target)
                if n == self._window[1]:
                    self._window = (n, n + window)
                    if self._open_recorded:
                        self.state.set("open_window", "[]")
                        self._open_recorded = False
                    self.checkpoint()
                elif n % checkpoint_every == 0:
                    self.checkpoint()
                check_interrupt()
        except Interrupted as stop:
            # SIGINT/SIGTERM: commit every document written so far (held duplicates wait for
            # their kept document; the rerun decides them together) and stop
            self.checkpoint()
            stop.committed = self.summary.kept + self.summary.duplicates + self.summary.quarantined
            raise
        self._seed_paths = None
        if self.state.get("open_window") not in (None, "[]"):
            self.state.set("open_window", "[]")  # the last window is done (committed below)
        for waiting in [d for docs in held.values() for d in docs]:  # their documents never came
            self.write(waiting)


def _resolved(doc: Document, decided: dict[str, tuple[str, str]]) -> Document:
    """``doc``, where it is a copy of another input's bytes (``identical_input``: its own id is
    its ``duplicate_of``) that was ``decided`` a duplicate or quarantined, naming the corpus record
    that input duplicates instead of that dropped input, or quarantined as that input is."""
    if doc.status == DUPLICATE and doc.status_detail.get("duplicate_of") == doc.id and doc.id in decided:
        what, detail = decided[doc.id]
        if what == DUPLICATE:
            doc.status_detail["duplicate_of"] = detail
        else:
            quarantine_copy(doc, detail, what)
    return doc


__all__ = ["CorpusWriter"]


def _by_language(doc: Document, translation: str) -> Counter:
    """The document's blocks whose ``translation`` is ``translation``, per source language code."""
    return Counter(source_code(b.lang, b.meta) or UNIDENTIFIED for b in doc.blocks if b.translation == translation)
