"""Stage base class: the run loop, timing and counters live here so stages stay small.

A stage subclass sets ``key`` (its name in ``pipeline/*.toml``), ``Config`` (a dataclass of
its options, documented field by field) and implements :meth:`Stage.process`: one document in,
zero or more documents out. Stages that need to see many documents at once (translation
batches sentences across documents, dedup compares documents) override
:meth:`Stage.process_batch` instead.

Documents that a stage rejects (``doc.reject(...)``) are passed through untouched by later
stages; the runner routes them to ``rejected.jsonl``. A stage that raises on a document does
not end the run: that document is quarantined with reason ``stage_error`` and the message.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from babelmill.document import QUARANTINED, Document


class StageStateError(RuntimeError):
    """A stage's persisted state cannot be used with the current configuration.

    The runner reports it as a run error; the message should say what to do (usually
    ``--rebuild``)."""


@dataclass
class StageConfig:
    """Base for per-stage config dataclasses (no options)."""


class Stage:
    key: ClassVar[str] = ""
    Config: ClassVar[type] = StageConfig
    #: how many documents process_batch receives at once (1 = plain per-document stage)
    batch_size: ClassVar[int] = 1

    def __init__(self, config: Any = None, context: dict[str, Any] | None = None):
        self.config = config if config is not None else self.Config()
        # run-wide facts shared by the runner: output dir, models dir, state, ...
        self.context: dict[str, Any] = context or {}
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

    # -- plumbing --------------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Feed documents through the stage; rejected documents pass by untouched."""
        batch: list[Document] = []
        for doc in docs:
            if not doc.ok:
                yield doc
                continue
            self.count("documents_in")
            batch.append(doc)
            if len(batch) >= max(1, self.batch_size):
                yield from self._timed(batch)
                batch = []
        if batch:
            yield from self._timed(batch)

    def _timed(self, batch: list[Document]) -> Iterator[Document]:
        start = time.perf_counter()
        try:
            out = list(self.process_batch(batch))
        except Exception:
            # one bad document must not end the run: redo the batch one document at a time
            # and quarantine only the documents that fail
            out = []
            for doc in batch:
                try:
                    out.extend(self.process_batch([doc]))
                except Exception as exc:  # noqa: BLE001 - any bug in a stage ends up here
                    doc.reject(
                        QUARANTINED,
                        "stage_error",
                        stage=self.key,
                        message=f"stage {self.key!r} failed: {type(exc).__name__}: {exc}",
                    )
                    out.append(doc)
        self.seconds += time.perf_counter() - start
        for doc in out:
            self.count("documents_out" if doc.ok else f"{doc.status}_{doc.status_reason}")
        yield from out

    def stats(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), **dict(sorted(self.counters.items()))}
