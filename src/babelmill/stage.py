"""The stage protocol: what a stage declares, what the runner and the engines call.

A stage subclass sets ``key`` (its name in ``pipeline/*.toml``), ``Config`` (a dataclass of
its options, documented field by field) and implements :meth:`Stage.process`: one document in,
zero or more documents out. Stages that need to see many documents at once (translation
batches sentences across documents, dedup compares documents) override
:meth:`Stage.process_batch` instead.

Class-level flags tell the engines how a stage may be run:

* ``once_per_corpus``: the stage's output for a document depends on the documents before it
  (run-wide state); it runs in one process, in input order (the Ray engine keeps it on the
  driver). Every :class:`StatefulStage` is one.
* ``needs_device``: the stage loads a model; the ``--device`` option applies and the Ray engine
  gives it its own actor pool (one GPU per actor when the cluster has GPUs).
* ``streams_out``: hand documents on one at a time as the next stage asks for them, instead
  of after the whole batch (dedup: a checkpoint between two documents covers exactly the
  documents written).

Documents that a stage rejects (``doc.reject(...)``) are passed through untouched by later
stages; the runner routes them to ``rejected.jsonl``. A stage that raises on a document does
not end the run: that document is quarantined with reason ``stage_error`` and the message. A
:class:`~babelmill.errors.StageStateError` (state unusable with this configuration) does end it.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from babelmill.document import QUARANTINED, Document
from babelmill.errors import StageStateError
from babelmill.interrupt import check as check_interrupt
from babelmill.printable import printable

__all__ = ["RunContext", "Stage", "StageConfig", "StageStateError", "StatefulStage", "Store"]


@dataclass(frozen=True)
class RunContext:
    """Run-wide facts the runner hands every stage (all optional: a stage also runs alone)."""

    #: the run's output directory
    output_dir: Path | None = None
    #: where stages keep persisted state (``OUTPUT/state``); None keeps state in memory
    state_dir: Path | None = None
    #: the run was started with ``--rebuild`` (the runner has already emptied ``state_dir``)
    rebuild: bool = False
    #: installed translation packages (``--models-dir``)
    models_dir: str | None = None
    #: ``--device`` for stages with ``needs_device``
    device: str | None = None
    #: the run number in this output directory
    run: int = 0
    #: folder of the pipeline config: relative rule files resolve from here
    pipeline_dir: Path | None = None
    #: commit state in :meth:`StatefulStage.close` (callers without a runner to call commit)
    commit_on_close: bool = False
    #: the driver's working directory (Ray workers resolve relative input paths from it)
    driver_cwd: str | None = None
    #: this copy of the stage runs on a worker of a distributed engine: it must not write the
    #: output's state itself, but hand it to the driver's copy (:meth:`Stage.export_state`)
    worker: bool = False
    #: CPUs this copy of the stage may use (a Ray actor's share); None: this process's
    cpus: int | None = None
    #: ``-q``: stages print no warnings (:meth:`warn`)
    quiet: bool = False

    @classmethod
    def of(cls, context: RunContext | Mapping[str, Any] | None) -> RunContext:
        """A context from a mapping of its field names (``config_dir`` means ``pipeline_dir``)."""
        if context is None:
            return cls()
        if isinstance(context, RunContext):
            return context
        values = dict(context)
        if "config_dir" in values:
            values.setdefault("pipeline_dir", values.pop("config_dir"))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TypeError(f"unknown run context key(s) {', '.join(unknown)}; expected: {', '.join(sorted(known))}")
        for key in ("output_dir", "state_dir", "pipeline_dir"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)

    def replace(self, **changes: Any) -> RunContext:
        return dataclasses.replace(self, **changes)

    def warn(self, message: str) -> None:
        """One ``babelmill: warning: ...`` line on stderr (escaped: it may name input files),
        unless the run is quiet (``-q``)."""
        if not self.quiet:
            print(f"babelmill: warning: {printable(message)}", file=sys.stderr)


@dataclass
class StageConfig:
    """Base for per-stage config dataclasses (no options)."""


class Stage:
    key: ClassVar[str] = ""
    Config: ClassVar[type] = StageConfig
    #: how many documents process_batch receives at once (1 = plain per-document stage)
    batch_size: ClassVar[int] = 1
    #: output depends on the documents before it: one process, input order (see module docstring)
    once_per_corpus: ClassVar[bool] = False
    #: loads a model; ``--device`` applies and the Ray engine gives it its own actor pool
    needs_device: ClassVar[bool] = False
    #: hand documents on one at a time instead of after the whole batch
    streams_out: ClassVar[bool] = False
    #: size of the first batch when it differs (set by the runner: the rest of a window that a
    #: stop cut short)
    first_batch: int | None = None

    def __init__(self, config: Any = None, context: RunContext | Mapping[str, Any] | None = None):
        self.config = config if config is not None else self.Config()
        self.context: RunContext = RunContext.of(context)
        self.counters: Counter[str] = Counter()
        self.seconds = 0.0

    # -- subclasses implement one of these -------------------------------------------------
    def process(self, doc: Document) -> Iterable[Document]:
        raise NotImplementedError

    def process_batch(self, docs: list[Document]) -> Iterable[Document]:
        for doc in docs:
            yield from self.process(doc)

    def close(self) -> None:
        """Called once after the last document (flush state, free models)."""

    def models_used(self) -> dict[str, Any]:
        """Models this stage loaded (name -> facts), for the manifest's ``models.engine``."""
        return {}

    # -- state at the checkpoint (every stage; StatefulStage adds the persisted-store protocol) --
    def commit(self) -> None:
        """The runner's checkpoint: the corpus is flushed; make what the documents written so far
        left in this stage's state durable. Default: nothing to commit."""

    def rollback(self) -> None:
        """The corpus write failed: drop what was added since the last :meth:`commit`."""

    def split(self) -> Stage | None:
        """For a ``once_per_corpus`` stage whose in-order work is a small part of it: keep only
        that part in this stage (it then hands each document on with what the rest needs, in
        ``doc.handover``) and return the rest as a per-document stage that engines may run in
        parallel; the two in sequence write exactly what the whole stage writes. Called by
        engines that spread documents over processes; None: the stage cannot be split."""
        return None

    def export_state(self) -> Any:
        """On a distributed engine's worker (``context.worker``), after each batch: what the
        driver's copy of the stage must receive to commit it (None: nothing). The engine hands
        it to :meth:`absorb_state` on the driver, in document order."""
        return None

    def absorb_state(self, state: Any) -> None:
        """On the driver: take what a worker's copy exported; commit it at the next :meth:`commit`."""

    # -- plumbing --------------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Feed documents through the stage; rejected documents pass by untouched."""
        # a batch ends after the stage's next ``batch_size`` documents, rejected ones included
        # (they pass by at once): batches then hold the same documents however the stream is
        # cut, which matters for dedup (its kept-member rule works within a batch)
        batch: list[Document] = []
        seen = 0
        limit = max(1, self.first_batch or self.batch_size)
        for doc in docs:
            check_interrupt()  # a stop request (SIGINT/SIGTERM) ends the run between documents
            seen += 1
            if doc.ok:
                self._count_in()
                batch.append(doc)
            else:
                yield doc
            if seen >= limit:
                if batch:
                    yield from self._timed(batch)
                batch, seen, limit = [], 0, max(1, self.batch_size)
        if batch:
            yield from self._timed(batch)

    def _timed(self, batch: list[Document]) -> Iterator[Document]:
        handed_on: set[int] = set()
        it: Iterator[Document] | None = None
        out: list[Document] = []
        while True:
            start = time.perf_counter()
            try:
                if it is None:  # inside the guard and the clock: process_batch may do its work here
                    it = iter(self.process_batch(batch))
                doc = next(it, None)
            except StageStateError:
                raise
            except Exception:
                # one bad document must not end the run: redo the batch (what was not handed on
                # yet) one document at a time and quarantine only the documents that fail
                self.seconds += time.perf_counter() - start
                out = self._one_at_a_time([d for d in batch if id(d) not in handed_on])
                break
            self.seconds += time.perf_counter() - start
            if doc is None:
                break
            check_interrupt()
            if self.streams_out:
                handed_on.add(id(doc))
                self._count_out(doc)
                yield doc
            else:
                out.append(doc)
        for doc in out:
            self._count_out(doc)
        yield from out

    def _one_at_a_time(self, batch: list[Document]) -> list[Document]:
        start = time.perf_counter()
        out: list[Document] = []
        for doc in batch:
            try:
                out.extend(self.process_batch([doc]))
            except StageStateError:
                raise
            except Exception as exc:  # noqa: BLE001 - any bug in a stage ends up here
                doc.reject(
                    QUARANTINED,
                    "stage_error",
                    stage=self.key,
                    message=f"stage {self.key!r} failed: {type(exc).__name__}: {exc}",
                )
                out.append(doc)
        self.seconds += time.perf_counter() - start
        return out

    def _count_in(self) -> None:
        self.count("documents_in")

    def _count_out(self, doc: Document) -> None:
        self.count("documents_out" if doc.ok else f"{doc.status}_{doc.status_reason}")

    def stats(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), **dict(sorted(self.counters.items()))}


class Store(Protocol):
    """Persisted stage state with transactions (the dedup index, strip's per-site counts)."""

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class StatefulStage(Stage):
    """A stage with run-wide state persisted in ``context.state_dir``, committed with the corpus.

    The runner's protocol: documents leave the stage with their state changes written but not
    committed; at each checkpoint, once the corpus and ``rejected.jsonl`` are flushed, the
    runner calls :meth:`commit`, so a commit covers exactly the documents written; when writing
    fails it calls :meth:`rollback`. :meth:`forget` removes documents whose inputs were edited
    (the rerun processes them again). :meth:`close` (end of input) leaves the state open for
    the runner's final commit, and commits itself only with ``context.commit_on_close``.

    Subclasses implement :meth:`opened_store` (the store if it was opened, else None) and
    :meth:`release_store` (drop the reference once closed).
    """

    once_per_corpus: ClassVar[bool] = True

    def __init__(self, config: Any = None, context: RunContext | Mapping[str, Any] | None = None):
        super().__init__(config, context)
        self._closed = False

    def opened_store(self) -> Store | None:
        return None

    def release_store(self) -> None:
        """Forget the closed store (the next use opens it again)."""

    def commit(self) -> None:
        """Make the state of the documents handed on so far durable (the runner's checkpoint)."""
        store = self.opened_store()
        if store is not None:
            store.commit()
            if self._closed:
                store.close()
                self.release_store()

    def rollback(self) -> None:
        """Drop the state added since the last commit (the corpus write failed)."""
        store = self.opened_store()
        if store is not None:
            store.rollback()

    def forget(self, doc_ids: str | Iterable[str]) -> int:
        """Remove documents from the state (their inputs were edited); returns how many were there."""
        return 0

    def close(self) -> None:
        """End of input. The state stays open for the runner's final :meth:`commit`."""
        self._closed = True
        if self.context.commit_on_close:
            self.commit()
