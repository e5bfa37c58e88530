"""The persistent dedup index: what is already in the corpus, kept in one SQLite file.

One row per *kept* document (duplicates never enter the index, so every match points at a
document that is in the corpus and ``duplicate_of`` never forms chains):

* ``docs``   id, exact key, MinHash signature, paragraph hashes, number of duplicates seen
* ``exact``  exact key -> document (primary key lookup)
* ``bands``  LSH band key -> documents (clustered primary key ``(key, doc)``)
* ``paras``  paragraph hash -> documents (clustered primary key ``(key, doc)``)
* ``meta``   the parameters that make signatures comparable (engine, seed, permutations,
  shingle size, bands, rows)

A new document is checked with a handful of indexed point queries (its exact key, its band
keys, its paragraph hashes), so opening the index costs the same for ten documents or ten
million: nothing is loaded into memory up front.

Writes go into one open transaction that only :meth:`DedupIndex.commit` makes durable. A run
that dies before the commit leaves the index exactly as the last committed run left it, so
the index never claims a document the corpus does not hold. Each document is added under a
savepoint, so a failure half-way through one document leaves no partial rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from babelmill.dedup.minhash import band_keys
from babelmill.errors import StageStateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: rows past a mark are new
    id TEXT NOT NULL UNIQUE,
    exact BLOB,
    sig BLOB,
    paras BLOB,
    dups INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS exact (key BLOB PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paras (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
"""

#: a band bucket this full is boilerplate-like; looking at more candidates buys nothing
MAX_CANDIDATES = 2000


class DedupStateError(StageStateError):
    """The stored index cannot be used with the current configuration (rerun with rebuild)."""


@dataclass(frozen=True)
class IndexParams:
    """What must match between runs for stored signatures to stay comparable."""

    engine: str = "rensa"
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    bands: int = 25
    rows: int = 5
    key_version: int = 1  # bump when normalize_key_text changes

    def as_meta(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class IndexedDoc:
    rowid: int
    id: str
    dups: int


@dataclass(frozen=True)
class NearMatch:
    id: str
    rowid: int
    similarity: float
    candidates: int


class DedupIndex:
    """SQLite-backed exact / MinHash-LSH / paragraph index of the documents in the corpus.

    ``path=None`` keeps the index in memory (a run without a state dir, tests, benchmarks).
    """

    def __init__(self, path: str | Path | None, params: IndexParams | None = None, cache_mib: int = 64):
        self.path = Path(path) if path is not None else None
        self.params = params or IndexParams()
        self.db = sqlite3.connect(str(self.path) if self.path else ":memory:", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")
        self.db.executescript(SCHEMA)
        self._in_tx = False
        self._check_params()

    # -- transactions --------------------------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        """Make everything added or forgotten since the last commit durable."""
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        """Drop everything added or forgotten since the last commit."""
        if self._in_tx:
            self.db.execute("ROLLBACK")
            self._in_tx = False

    def close(self) -> None:
        """Close without committing (uncommitted changes are lost, as after a crash)."""
        self.rollback()
        self.db.close()

    def _check_params(self) -> None:
        stored = dict(self.db.execute("SELECT key, value FROM meta"))
        wanted = self.params.as_meta()
        if not stored:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(wanted.items()))
            self.db.execute("COMMIT")
            return
        diff = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
        if diff:
            what = ", ".join(f"{k} stored={a} configured={b}" for k, (a, b) in sorted(diff.items()))
            raise DedupStateError(
                f"dedup index {self.path} was built with other parameters ({what}); "
                "signatures would not be comparable: rerun with rebuild, or restore the old settings"
            )

    # -- lookups -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def next_rowid(self) -> int:
        """The rowid the next added document gets (rows from here on were added after this call)."""
        return self.db.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM docs").fetchone()[0]

    def get(self, doc_id: str) -> IndexedDoc | None:
        row = self.db.execute("SELECT rowid, id, dups FROM docs WHERE id=?", (doc_id,)).fetchone()
        return IndexedDoc(*row) if row else None

    def find_exact(self, key: bytes) -> IndexedDoc | None:
        row = self.db.execute(
            "SELECT d.rowid, d.id, d.dups FROM exact e JOIN docs d ON d.rowid = e.doc WHERE e.key=?", (key,)
        ).fetchone()
        return IndexedDoc(*row) if row else None

    def find_near(self, signature: np.ndarray, threshold: float, keys: list[int] | None = None) -> NearMatch | None:
        """The indexed document most similar to ``signature`` at or above ``threshold``.

        Candidates come from equal LSH band keys; their similarity is the estimated Jaccard
        of the signatures. Ties go to the smallest id so the answer never depends on order.
        """
        keys = keys if keys is not None else band_keys(signature, self.params.bands, self.params.rows)
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"SELECT DISTINCT d.rowid, d.id, d.sig FROM bands b JOIN docs d ON d.rowid = b.doc "
            f"WHERE b.key IN ({marks}) LIMIT {MAX_CANDIDATES}",
            keys,
        ).fetchall()
        if not rows:
            return None
        sigs = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint32).reshape(len(rows), -1)
        sims = np.count_nonzero(sigs == signature[None, :], axis=1) / signature.shape[0]
        best: tuple[float, str, int] | None = None
        for (rowid, doc_id, _), sim in zip(rows, sims.tolist(), strict=True):
            if sim >= threshold and (best is None or (-sim, doc_id) < (-best[0], best[1])):
                best = (sim, doc_id, rowid)
        if best is None:
            return None
        return NearMatch(id=best[1], rowid=best[2], similarity=best[0], candidates=len(rows))

    def paragraph_docs(self, key: int, exclude_rowid: int | None, limit: int) -> list[str]:
        """Ids of up to ``limit`` other indexed documents holding a paragraph with this hash."""
        rows = self.db.execute(
            "SELECT d.id FROM paras p JOIN docs d ON d.rowid = p.doc WHERE p.key=? AND p.doc IS NOT ? "
            "ORDER BY p.doc LIMIT ?",
            (key, exclude_rowid, limit),
        ).fetchall()
        return sorted(r[0] for r in rows)

    # -- changes -------------------------------------------------------------------------------
    def add(
        self,
        doc_id: str,
        exact: bytes | None,
        signature: np.ndarray | None,
        paragraphs: list[int],
        dups: int = 0,
        keys: list[int] | None = None,
    ) -> IndexedDoc:
        """Index a kept document (uncommitted until :meth:`commit`)."""
        self._begin()
        self.db.execute("SAVEPOINT add_doc")
        try:
            paras = sorted(set(paragraphs))
            cur = self.db.execute(
                "INSERT INTO docs(id, exact, sig, paras, dups) VALUES (?, ?, ?, ?, ?)",
                (
                    doc_id,
                    exact,
                    None if signature is None else signature.astype(np.uint32).tobytes(),
                    np.asarray(paras, dtype=np.int64).tobytes(),
                    dups,
                ),
            )
            rowid = cur.lastrowid
            if exact is not None:
                self.db.execute("INSERT OR IGNORE INTO exact(key, doc) VALUES (?, ?)", (exact, rowid))
            if signature is not None:
                if keys is None:
                    keys = band_keys(signature, self.params.bands, self.params.rows)
                self.db.executemany("INSERT OR IGNORE INTO bands(key, doc) VALUES (?, ?)", [(k, rowid) for k in keys])
            self.db.executemany("INSERT OR IGNORE INTO paras(key, doc) VALUES (?, ?)", [(k, rowid) for k in paras])
        except BaseException:
            self.db.execute("ROLLBACK TO add_doc")
            self.db.execute("RELEASE add_doc")
            raise
        self.db.execute("RELEASE add_doc")
        return IndexedDoc(rowid, doc_id, dups)

    def note_duplicate(self, rowid: int) -> None:
        """Count one more duplicate of an indexed document (its cluster is then non-trivial)."""
        self._begin()
        self.db.execute("UPDATE docs SET dups = dups + 1 WHERE rowid=?", (rowid,))

    def forget(self, doc_id: str) -> bool:
        """Remove a document from the index (its input file was deleted or edited).

        Returns whether it was indexed. Called outside a run it is committed at once; during a
        run it joins the open transaction and becomes durable with the next :meth:`commit`.
        Duplicates that pointed at it stay rejected; a rerun of their inputs re-decides them.
        """
        autocommit = not self._in_tx
        self._begin()
        try:
            row = self.db.execute("SELECT rowid, exact, sig, paras FROM docs WHERE id=?", (doc_id,)).fetchone()
            if row is None:
                return False
            rowid, exact, sig, paras = row
            if exact is not None:
                self.db.execute("DELETE FROM exact WHERE key=? AND doc=?", (exact, rowid))
            if sig is not None:
                keys = band_keys(np.frombuffer(sig, dtype=np.uint32), self.params.bands, self.params.rows)
                self.db.executemany("DELETE FROM bands WHERE key=? AND doc=?", [(k, rowid) for k in keys])
            para_keys = np.frombuffer(paras or b"", dtype=np.int64).tolist()
            self.db.executemany("DELETE FROM paras WHERE key=? AND doc=?", [(k, rowid) for k in para_keys])
            self.db.execute("DELETE FROM docs WHERE rowid=?", (rowid,))
            return True
        finally:
            if autocommit:
                self.commit()


@dataclass
class PendingDoc:
    """A document kept in the current batch, not yet written to the index."""

    id: str
    exact: bytes | None
    signature: np.ndarray | None
    paragraphs: list[int]
    dups: int = 0
    keys: list[int] | None = None  # LSH band keys of the signature


class BatchOverlay:
    """In-memory lookups over the documents kept in the current batch.

    The stage decides a whole batch before any of it is written, and writes each document's
    rows only as the document leaves the stage, so a commit never covers a document the
    runner has not received. Meanwhile later documents of the batch look here as well as in
    the index. Its size is bounded by the batch, not the corpus.
    """

    def __init__(self, params: IndexParams):
        self.params = params
        self.docs: dict[str, PendingDoc] = {}
        self.exact: dict[bytes, str] = {}
        self.bands: dict[int, list[str]] = {}
        self.paras: dict[int, list[str]] = {}

    def add(self, doc: PendingDoc) -> None:
        self.docs[doc.id] = doc
        if doc.exact is not None:
            self.exact.setdefault(doc.exact, doc.id)
        if doc.signature is not None:
            if doc.keys is None:
                doc.keys = band_keys(doc.signature, self.params.bands, self.params.rows)
            for key in doc.keys:
                self.bands.setdefault(key, []).append(doc.id)
        for key in set(doc.paragraphs):
            self.paras.setdefault(key, []).append(doc.id)

    def find_near(
        self, signature: np.ndarray, threshold: float, keys: list[int] | None = None
    ) -> tuple[str, float] | None:
        """Best (id, estimated Jaccard) at or above ``threshold``; ties to the smallest id."""
        ids: set[str] = set()
        for key in keys if keys is not None else band_keys(signature, self.params.bands, self.params.rows):
            ids.update(self.bands.get(key, ()))
        best: tuple[str, float] | None = None
        for doc_id in sorted(ids):
            other = self.docs[doc_id].signature
            sim = float(np.count_nonzero(other == signature)) / signature.shape[0]
            if sim >= threshold and (best is None or sim > best[1]):
                best = (doc_id, sim)
        return best

    def paragraph_docs(self, key: int, exclude_id: str) -> list[str]:
        return [d for d in self.paras.get(key, ()) if d != exclude_id]
