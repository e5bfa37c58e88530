"""Persistent translation cache: one SQLite table keyed by model identity and source sentence.

The key's ``model`` part names the weights *and* the decoding settings that change output
(see :meth:`babelmill.translate.backend.Backend.identity`), so changing either never serves stale
text. The file lives in the run's state folder; without one the cache is in memory and only
deduplicates within a run.

Each row also names the document it was first translated for (``doc``), so that
``parallel.jsonl`` can say whether a sentence's translation was reused from another document
(``from_cache``) in a way that does not depend on batch boundaries or on where an earlier run
was killed. Rows written before that column existed have ``doc = NULL`` (always "reused").
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

CACHE_FILE = "translate_cache.sqlite"


class TranslationCache:
    """``get_many`` / ``put_many`` over ``(model, source) -> (target, score)`` (+ first document)."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False):
        self.path = Path(path) if path else None
        if read_only:
            if self.path is None:
                raise ValueError("a read-only cache needs a file")
            # mode=ro: never creates, locks for writing or converts the file
            self._db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True)
            self._db.execute("SELECT source, target, score, doc FROM translations LIMIT 0")
            return
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:")
        if self.path:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives the process being killed, only a power cut can lose
            # the last ones, which for a cache costs a re-translation; no fsync per batch
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS translations ("
            " model TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, score REAL NOT NULL,"
            " doc TEXT, PRIMARY KEY (model, source))"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(translations)")}
        if "doc" not in columns:  # a cache file from before the column existed
            self._db.execute("ALTER TABLE translations ADD COLUMN doc TEXT")
        self._db.commit()

    def get_many(self, model: str, sources: list[str]) -> dict[str, tuple[str, float]]:
        """The cached ``(target, score)`` for those of ``sources`` that are present."""
        return {src: (tgt, score) for src, (tgt, score, _doc) in self.lookup(model, sources).items()}

    def lookup(self, model: str, sources: list[str]) -> dict[str, tuple[str, float, str | None]]:
        """The cached ``(target, score, first document)`` for those of ``sources`` that are present."""
        found: dict[str, tuple[str, float, str | None]] = {}
        for i in range(0, len(sources), 500):  # stay below SQLite's variable limit
            chunk = sources[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT source, target, score, doc FROM translations WHERE model = ? AND source IN ({marks})",
                [model, *chunk],
            )
            for source, target, score, doc in rows:
                found[source] = (target, float(score), doc)
        return found

    def put_many(self, model: str, items: dict[str, tuple[str, float]], owners: dict[str, str] | None = None) -> None:
        """Store translations; ``owners`` names the document each was first made for (a row
        that already has one keeps it)."""
        owners = owners or {}
        self._db.executemany(
            "INSERT INTO translations (model, source, target, score, doc) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (model, source) DO UPDATE SET target = excluded.target, score = excluded.score,"
            " doc = COALESCE(translations.doc, excluded.doc)",
            [(model, src, tgt, float(score), owners.get(src)) for src, (tgt, score) in items.items()],
        )
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._db.close()


#: one new cache row as it travels from a worker to the driver: model, source, target, score, doc
CacheRow = tuple[str, str, str, float, "str | None"]


class WorkerCache:
    """The translation cache of a worker (a Ray actor) on a cluster.

    One SQLite file on shared storage written by many actors at once invites lock contention,
    and on network file systems corruption. So a worker never writes the output's cache: it
    reads it (read-only, re-opened while it does not exist yet), keeps the translations it makes
    in a cache of its own on the node's local disk, and queues them as rows for the driver
    (:meth:`take_new_rows`). The driver merges the rows into the output's cache at the run's
    checkpoint commit (:func:`merge_rows`), so the output's file has exactly one writer.
    """

    def __init__(self, shared_path: str | Path | None):
        self.shared_path = Path(shared_path) if shared_path else None
        self._shared: TranslationCache | None = None
        self._dir = tempfile.mkdtemp(prefix="babelmill-cache-")
        self.local = TranslationCache(Path(self._dir) / CACHE_FILE)
        self._new: list[CacheRow] = []

    def _shared_cache(self) -> TranslationCache | None:
        if self._shared is None and self.shared_path is not None and self.shared_path.is_file():
            try:
                self._shared = TranslationCache(self.shared_path, read_only=True)
            except sqlite3.Error:
                return None  # not a cache yet (or unreadable): this batch misses
        return self._shared

    def lookup(self, model: str, sources: list[str]) -> dict[str, tuple[str, float, str | None]]:
        found: dict[str, tuple[str, float, str | None]] = {}
        shared = self._shared_cache()
        if shared is not None:
            try:
                found.update(shared.lookup(model, sources))
            except sqlite3.Error:  # the driver is committing, or the file went away: a miss
                pass
        rest = [s for s in sources if s not in found]
        if rest:
            found.update(self.local.lookup(model, rest))
        return found

    def put_many(self, model: str, items: dict[str, tuple[str, float]], owners: dict[str, str] | None = None) -> None:
        self.local.put_many(model, items, owners)
        owners = owners or {}
        self._new.extend((model, src, tgt, float(score), owners.get(src)) for src, (tgt, score) in items.items())

    def take_new_rows(self) -> list[CacheRow]:
        """The rows made since the last call, for the driver."""
        rows, self._new = self._new, []
        return rows

    def close(self) -> None:
        self.local.close()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        shutil.rmtree(self._dir, ignore_errors=True)


def merge_rows(cache: TranslationCache, rows: list[Any]) -> int:
    """Write workers' rows into ``cache`` in the order given (a sentence's first row names its
    first document, as in a one-process run); returns the number of distinct rows."""
    by_model: dict[str, tuple[dict[str, tuple[str, float]], dict[str, str]]] = {}
    for model, source, target, score, doc in rows:
        items, owners = by_model.setdefault(model, ({}, {}))
        if source in items:
            continue
        items[source] = (target, float(score))
        if doc is not None:
            owners[source] = doc
    for model, (items, owners) in by_model.items():
        cache.put_many(model, items, owners)
    return sum(len(items) for items, _ in by_model.values())
