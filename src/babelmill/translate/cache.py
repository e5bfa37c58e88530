"""Persistent translation cache: one SQLite table keyed by model identity and source sentence.

The key's ``model`` part names the weights *and* the decoding settings that change output
(see :meth:`babelmill.translate.engine.Engine.identity`), so changing either never serves stale
text. The file lives in the run's state folder; without one the cache is in memory and only
deduplicates within a run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

CACHE_FILE = "translate_cache.sqlite"


class TranslationCache:
    """``get_many`` / ``put_many`` over ``(model, source) -> (target, score)``."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:")
        if self.path:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS translations ("
            " model TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, score REAL NOT NULL,"
            " PRIMARY KEY (model, source))"
        )
        self._db.commit()

    def get_many(self, model: str, sources: list[str]) -> dict[str, tuple[str, float]]:
        """The cached ``(target, score)`` for those of ``sources`` that are present."""
        found: dict[str, tuple[str, float]] = {}
        for i in range(0, len(sources), 500):  # stay below SQLite's variable limit
            chunk = sources[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT source, target, score FROM translations WHERE model = ? AND source IN ({marks})",
                [model, *chunk],
            )
            for source, target, score in rows:
                found[source] = (target, float(score))
        return found

    def put_many(self, model: str, items: dict[str, tuple[str, float]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO translations (model, source, target, score) VALUES (?, ?, ?, ?)",
            [(model, src, tgt, float(score)) for src, (tgt, score) in items.items()],
        )
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._db.close()
