"""The persistent dedup index: what is already in the corpus, kept in one SQLite file.

One row per *kept* document (duplicates never enter the index, so every match points at a
document that is in the corpus and ``duplicate_of`` never forms chains):

* ``docs``   id, exact key, MinHash signature, shingle hashes per paragraph (``uint32``, what
  candidates are verified on: :class:`~babelmill.dedup.verify.Shingles`), paragraph hashes,
  number of duplicates seen
* ``exact``  exact key -> document (primary key lookup)
* ``bands``  LSH band key -> documents (clustered primary key ``(key, doc)``)
* ``paras``  paragraph hash -> documents (clustered primary key ``(key, doc)``)
* ``anchors`` sampled shingle hash -> documents (one shingle in ``anchor_every``, chosen by hash
  value): candidates for containment, an excerpt or an embedded story, whose whole-set Jaccard is
  too low for LSH
* ``meta``   the format version and the parameters that make signatures and shingles comparable
  (MinHash backend, seed, permutations, shingle sizes, bands, rows)

A new document is checked with a handful of indexed point queries (its exact key, its band
keys, its paragraph hashes) and one read per candidate, so opening the index costs the same for
ten documents or ten million: nothing is loaded into memory up front.

**Format.** ``FORMAT`` is 2 since candidates are verified on stored shingle sets and CJK text is
shingled by characters; an index of another format (or without one: format 1) is refused with
:class:`DedupStateError`, which the runner reports as "rerun with --rebuild".

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
from babelmill.dedup.verify import Shingles
from babelmill.errors import StageStateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: rows past a mark are new
    id TEXT NOT NULL UNIQUE,
    exact BLOB,
    sig BLOB,
    shingles BLOB,
    paras BLOB,
    dups INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS exact (key BLOB PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paras (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchors (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
"""

#: version of the on-disk layout; an index of another version needs a rebuild
FORMAT = 2


class DedupStateError(StageStateError):
    """The stored index cannot be used with the current configuration (rerun with rebuild)."""


@dataclass(frozen=True)
class IndexParams:
    """What must match between runs for stored signatures to stay comparable."""

    backend: str = "rensa"
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    char_shingle_size: int = 5
    bands: int = 42
    rows: int = 3
    anchor_every: int = 16
    key_version: int = 1  # bump when normalize_key_text changes
    format: int = FORMAT

    def as_meta(self) -> dict[str, str]:
        meta = {k: str(v) for k, v in asdict(self).items()}
        # stored as "engine" by earlier versions: the same key keeps their indexes usable
        meta["engine"] = meta.pop("backend")
        return meta


@dataclass(frozen=True)
class IndexedDoc:
    rowid: int
    id: str
    dups: int


@dataclass(frozen=True)
class Candidate:
    """An indexed document that shares an LSH band or a paragraph with the one being decided."""

    id: str
    rowid: int
    shingles: Shingles


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
        if stored.get("format") != wanted["format"]:
            raise DedupStateError(
                f"dedup index {self.path} has format {stored.get('format', '1')}, this version reads "
                f"format {wanted['format']} (stored shingle sets, character shingles for CJK): "
                "it must be rebuilt (--rebuild)"
            )
        diff = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
        if diff:
            what = ", ".join(f"{k} stored={a} configured={b}" for k, (a, b) in sorted(diff.items()))
            raise DedupStateError(
                f"dedup index {self.path} was built with other parameters ({what}); "
                "signatures would not be comparable: rebuild it (--rebuild), or restore the old settings"
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

    def candidates(
        self, keys: list[int], para_keys: list[int], anchors: list[int], limit: int, para_limit: int
    ) -> list[Candidate]:
        """Indexed documents sharing an LSH band key, a paragraph hash or an anchor, with their shingles.

        At most ``limit`` from the bands and ``limit`` from the anchors, most shared first (ties to
        the oldest row). A paragraph or anchor held by more than ``para_limit`` documents is
        boilerplate-like or a stock phrase, and names none.
        """
        rowids: dict[int, None] = {}
        if keys:
            marks = ",".join("?" * len(keys))
            rows = self.db.execute(
                f"SELECT doc FROM bands WHERE key IN ({marks}) GROUP BY doc ORDER BY COUNT(*) DESC, doc LIMIT ?",
                [*keys, limit],
            )
            rowids.update((r[0], None) for r in rows)
        for key in dict.fromkeys(para_keys):
            docs = self.db.execute("SELECT doc FROM paras WHERE key=? LIMIT ?", (key, para_limit + 1)).fetchall()
            if len(docs) <= para_limit:
                rowids.update((r[0], None) for r in docs)
        if anchors:
            marks = ",".join("?" * len(anchors))
            by_key: dict[int, list[int]] = {}
            for key, doc in self.db.execute(f"SELECT key, doc FROM anchors WHERE key IN ({marks})", anchors):
                by_key.setdefault(key, []).append(doc)
            shared: dict[int, int] = {}
            for docs in by_key.values():
                if len(docs) <= para_limit:
                    for doc in docs:
                        shared[doc] = shared.get(doc, 0) + 1
            rowids.update((d, None) for d in sorted(shared, key=lambda d: (-shared[d], d))[:limit])
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        rows = self.db.execute(f"SELECT rowid, id, shingles FROM docs WHERE rowid IN ({marks})", list(rowids))
        return [Candidate(doc_id, rowid, Shingles.unpack(sh)) for rowid, doc_id, sh in rows]

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
        shingles: Shingles | None = None,
    ) -> IndexedDoc:
        """Index a kept document (uncommitted until :meth:`commit`)."""
        self._begin()
        self.db.execute("SAVEPOINT add_doc")
        try:
            paras = sorted(set(paragraphs))
            cur = self.db.execute(
                "INSERT INTO docs(id, exact, sig, shingles, paras, dups) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    doc_id,
                    exact,
                    None if signature is None else signature.astype(np.uint32).tobytes(),
                    None if shingles is None else shingles.pack(),
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
            if shingles is not None:
                self.db.executemany(
                    "INSERT OR IGNORE INTO anchors(key, doc) VALUES (?, ?)",
                    [(k, rowid) for k in shingles.anchors(self.params.anchor_every)],
                )
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
            row = self.db.execute(
                "SELECT rowid, exact, sig, paras, shingles FROM docs WHERE id=?", (doc_id,)
            ).fetchone()
            if row is None:
                return False
            rowid, exact, sig, paras, shingles = row
            if exact is not None:
                self.db.execute("DELETE FROM exact WHERE key=? AND doc=?", (exact, rowid))
            if sig is not None:
                keys = band_keys(np.frombuffer(sig, dtype=np.uint32), self.params.bands, self.params.rows)
                self.db.executemany("DELETE FROM bands WHERE key=? AND doc=?", [(k, rowid) for k in keys])
            para_keys = np.frombuffer(paras or b"", dtype=np.int64).tolist()
            self.db.executemany("DELETE FROM paras WHERE key=? AND doc=?", [(k, rowid) for k in para_keys])
            anchors = Shingles.unpack(shingles).anchors(self.params.anchor_every)
            self.db.executemany("DELETE FROM anchors WHERE key=? AND doc=?", [(k, rowid) for k in anchors])
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
    shingles: Shingles | None = None  # shingle hashes per paragraph


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
        self.anchors: dict[int, list[str]] = {}

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
        if doc.shingles is not None:
            for key in doc.shingles.anchors(self.params.anchor_every):
                self.anchors.setdefault(key, []).append(doc.id)

    def candidates(
        self, keys: list[int], para_keys: list[int], anchors: list[int], para_limit: int
    ) -> list[PendingDoc]:
        """Batch documents sharing an LSH band key, or a paragraph hash or anchor held by at most
        ``para_limit`` documents."""
        ids: set[str] = set()
        for key in keys:
            ids.update(self.bands.get(key, ()))
        for table, wanted in ((self.paras, para_keys), (self.anchors, anchors)):
            for key in set(wanted):
                docs = table.get(key, ())
                if len(docs) <= para_limit:
                    ids.update(docs)
        return [self.docs[i] for i in sorted(ids)]

    def paragraph_docs(self, key: int, exclude_id: str) -> list[str]:
        return [d for d in self.paras.get(key, ()) if d != exclude_id]
