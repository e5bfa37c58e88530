"""Persistent translation cache: one SQLite table keyed by model identity and source sentence.

The key's ``model`` part names the weights *and* the decoding settings that change output
(see :meth:`babelmill.translate.engine.Engine.identity`), so changing either never serves stale
text. The file lives in the run's state folder; without one the cache is in memory and only
deduplicates within a run.

Each row also names the document it was first translated for (``doc``), so that
``parallel.jsonl`` can say whether a sentence's translation was reused from another document
(``from_cache``) in a way that does not depend on batch boundaries or on where an earlier run
was killed. Rows written before that column existed have ``doc = NULL`` (always "reused").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

CACHE_FILE = "translate_cache.sqlite"


class TranslationCache:
    """``get_many`` / ``put_many`` over ``(model, source) -> (target, score)`` (+ first document)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
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
