"""Per-site line counts kept in SQLite: in how many documents of a site each line occurs.

The strip stage calls a line that recurs in many documents of one site boilerplate. The counts
outlive a run (the next run's first documents already know the site's template), so they live
in ``state_dir / "strip_sites.sqlite"``:

* ``sites(id, name, docs)``: documents counted per site
* ``lines(site, hash, n)``: per site and line hash, the number of documents holding the line
  (the primary key ``(site, hash)`` is the look-up index; a line no document holds any more
  has no row)
* ``docs(id, site, lines)``: each counted document's site and the hashes it added (sorted,
  signed 64-bit, little-endian), so that a document counts once (a rerun) and can be taken out
  again: :meth:`SiteLineStore.forget` subtracts what a document added (its input was edited and
  its new version replaces it), and a document id that comes back with other lines (or another
  site) replaces its old version instead of being skipped. Cost: 8 bytes per counted line of
  each document, about as much again as the ``lines`` table of a corpus of mostly unique lines.

Nothing is loaded into memory up front: a batch of documents costs a few indexed queries,
whatever the size of the corpus. Changes since the last commit (documents added, documents
forgotten) are held in memory (and seen by the look-ups) and written in one transaction by
:meth:`SiteLineStore.commit`; the strip stage commits when the runner checkpoints, after the
corpus is flushed, so a run killed before a commit leaves the counts as the last checkpoint
left them and the rerun counts (and forgets) the uncommitted documents again. No write lock is
held between commits.

**Format.** ``FORMAT`` is 2 since the store keeps each document's lines. A store of format 1
(counts and counted ids only: the lines an edited document added cannot be taken out) and the
JSON counts of earlier versions (``strip_site_lines.json``) are refused with
:class:`SiteStateError` ("rerun with --rebuild"); they are not migrated, as what each document
added is not in them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from babelmill.clean.lines import count_words
from babelmill.clean.repeats import line_key
from babelmill.document import Document
from babelmill.errors import StageStateError
from babelmill.sites import site_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    docs INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS lines (
    site INTEGER NOT NULL,
    hash INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (site, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    site INTEGER NOT NULL,
    lines BLOB NOT NULL
) WITHOUT ROWID;
"""

#: bump when :func:`line_hash` or the line key it hashes changes: stored hashes would not match
HASH_VERSION = "blake2b64-1"
#: bump when the tables change meaning; 2: each counted document's lines are kept (``docs``)
FORMAT = "2"
#: host parameters per query (SQLite allows 32766; smaller chunks keep each statement cheap)
CHUNK = 500


#: lines longer than this are never template text worth counting (keeps the counter small)
MAX_COUNTED_WORDS = 60


class SiteStateError(StageStateError):
    """The stored counts were made by another version (other line hash or format: rerun with rebuild)."""


def site_key(doc: Document) -> str:
    """Which site a document came from (:func:`babelmill.sites.site_of`: ``source.site``, the
    host of ``source.url``), else one shared bucket ``*``."""
    return site_of(doc.source or {}) or "*"


def template_candidates(text: str) -> dict[str, int]:
    """``line key -> words`` of the text's lines short enough to be template text."""
    keys: dict[str, int] = {}
    try:
        for raw in (text or "").split("\n"):
            line = raw.strip()
            if line and (words := count_words(line)) <= MAX_COUNTED_WORDS:
                keys[line_key(line)] = words
    except Exception:  # noqa: BLE001 - bad input never stops the batch
        return {}
    return keys


def template_lines(
    keys: dict[str, int],
    hashes: dict[str, int],
    counts: dict[int, int],
    n_docs: int,
    min_docs: int,
    min_share: float,
    long_words: int,
) -> set[str]:
    """Keys of the lines found in enough of the site's ``n_docs`` documents to be its template:
    in ``min_docs`` of them (twice that for lines of ``long_words`` or more) and in at least
    ``min_share`` of them; ``counts`` are per line hash."""
    out = set()
    for key, words in keys.items():
        need = min_docs * (2 if words >= long_words else 1)
        c = counts.get(hashes[key], 0)
        if c >= need and c >= min_share * n_docs:
            out.add(key)
    return out


def line_hash(key: str) -> int:
    """Signed 64-bit hash of a line key (the store keeps these, not the text).

    >>> line_hash("subscribe to our newsletter") == line_hash("subscribe to our newsletter")
    True
    """
    # lone surrogates (from broken JSON escapes) have no UTF-8 form; surrogatepass still hashes them stably
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def pack_lines(hashes: Iterable[int]) -> bytes:
    """A document's distinct line hashes as stored in ``docs.lines`` (sorted, little-endian int64).

    >>> unpack_lines(pack_lines([5, -1, 5]))
    (-1, 5)
    """
    values = sorted(set(hashes))
    return struct.pack(f"<{len(values)}q", *values)


def unpack_lines(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(blob) // 8}q", blob)


def batch_to_count(
    known: dict[str, tuple[str, tuple[int, ...]]],
    ids: list[str | None],
    sites: list[str],
    hashed: list[Iterable[int]],
) -> tuple[list[bool], list[str], Counter[str], dict[str, Counter[int]]]:
    """Which documents of a batch count: ``(counts, replaced ids, new documents per site, new
    line counts per site)``. ``known``: the counted documents among the batch's ids
    (:meth:`SiteLineStore.documents`). A document counts unless its id was counted with the same
    site and lines (a rerun) or met earlier in the batch; an id counted with other lines is
    replaced (the caller takes the old version out first)."""
    counts: list[bool] = []
    replaced: list[str] = []
    done: set[str] = set()
    new_docs: Counter[str] = Counter()
    new_lines: dict[str, Counter[int]] = {}
    for doc_id, site, hashes in zip(ids, sites, hashed, strict=True):
        lines = tuple(sorted(set(hashes)))
        new = not doc_id or (doc_id not in done and known.get(doc_id) != (site, lines))
        if doc_id:
            if new and doc_id in known:
                replaced.append(doc_id)
            done.add(doc_id)
        counts.append(new)
        if new:
            new_docs[site] += 1
            new_lines.setdefault(site, Counter()).update(lines)
    return counts, replaced, new_docs, new_lines


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SiteLineStore:
    """SQLite-backed per-site line counter; ``path=None`` keeps it in memory."""

    def __init__(self, path: str | Path | None, cache_mib: int = 32):
        self.path = Path(path) if path is not None else None
        self.db = sqlite3.connect(str(self.path) if self.path else ":memory:", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")
        self._check_version()  # before the schema: an old store is refused, not patched
        self.db.executescript(SCHEMA)
        self._write_version()
        self.rollback()  # sets up the (empty) changes since the last commit
        self._site_ids: dict[str, int] = {}  # only ids of committed or in-transaction rows

    def _check_version(self) -> None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            if tables & {"sites", "lines", "counted"}:
                self._refuse("no format mark")
            return
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        if meta.get("hash", HASH_VERSION) != HASH_VERSION:
            raise SiteStateError(
                f"strip site counts {self.path} use line hash {meta['hash']}, this version {HASH_VERSION}: "
                "rerun with rebuild"
            )
        if meta.get("format", "1" if meta else FORMAT) != FORMAT:
            self._refuse(f"format {meta.get('format', '1')}")

    def _refuse(self, what: str) -> None:
        self.db.close()
        raise SiteStateError(
            f"strip site counts {self.path} are of an earlier version ({what}: without the lines each document "
            f"added, so an edited input's old lines could not be taken out); this version writes format {FORMAT}: "
            "rerun with rebuild"
        )

    def _write_version(self) -> None:
        for key, value in (("hash", HASH_VERSION), ("format", FORMAT)):
            self.db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- transactions --------------------------------------------------------------------------
    def commit(self) -> None:
        """Write everything counted or forgotten since the last commit, in one short transaction.

        Changes wait in memory until then (as many as the runner's checkpoint interval), so no
        write lock is held between commits: a second store on the same file never waits.
        """
        if not self._added and not self._dropped and not self._anonymous:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for site in sorted(set(self._pending_docs) | set(self._pending_lines)):
                rows = sorted((h, n) for h, n in self._pending_lines.get(site, Counter()).items() if n)
                self._add_counts(site, self._pending_docs.get(site, 0), rows)
            for part in _chunks(sorted(self._dropped)):
                self.db.execute(f"DELETE FROM docs WHERE id IN ({','.join('?' * len(part))})", part)
            self.db.executemany(
                "INSERT OR REPLACE INTO docs(id, site, lines) VALUES (?, ?, ?)",
                [(i, self._site_ids[site], pack_lines(h)) for i, (site, h) in sorted(self._added.items())],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            self._site_ids.clear()  # ids handed out in the dropped transaction are gone
            raise
        self.rollback()

    def rollback(self) -> None:
        """Forget everything counted or forgotten since the last commit."""
        self._pending_docs: Counter[str] = Counter()
        self._pending_lines: dict[str, Counter[int]] = {}
        #: documents counted since the last commit: id -> (site, line hashes); "" ids are not kept
        self._added: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._anonymous = 0
        #: committed documents taken out since the last commit
        self._dropped: set[str] = set()

    def close(self) -> None:
        """Close without committing (uncommitted counts are lost, as after a crash)."""
        self.rollback()
        self.db.close()

    # -- look-ups (committed counts plus the changes since) ------------------------------------
    def _site_id(self, site: str) -> int | None:
        sid = self._site_ids.get(site)
        if sid is None:
            row = self.db.execute("SELECT id FROM sites WHERE name=?", (site,)).fetchone()
            if row is None:
                return None
            sid = self._site_ids[site] = row[0]
        return sid

    def site_docs(self, site: str) -> int:
        """How many documents of ``site`` were counted."""
        row = self.db.execute("SELECT docs FROM sites WHERE name=?", (site,)).fetchone()
        return (row[0] if row else 0) + self._pending_docs.get(site, 0)

    def counts(self, site: str, hashes: Iterable[int]) -> dict[int, int]:
        """``hash -> documents of the site holding the line``, for the hashes that occur."""
        sid = self._site_id(site)
        wanted = sorted(set(hashes))
        out: dict[int, int] = {}
        if sid is not None:
            for part in _chunks(wanted):
                marks = ",".join("?" * len(part))
                query = f"SELECT hash, n FROM lines WHERE site=? AND hash IN ({marks})"
                out.update(self.db.execute(query, (sid, *part)))
        pending = self._pending_lines.get(site)
        if pending:
            for h in wanted:
                if pending.get(h):
                    n = out.get(h, 0) + pending[h]
                    if n > 0:
                        out[h] = n
                    else:
                        out.pop(h, None)
        return out

    def _stored(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
        """Committed documents among ``doc_ids`` (not forgotten since): id -> (site, line hashes)."""
        ids = sorted(set(doc_ids) - self._dropped)
        out: dict[str, tuple[str, tuple[int, ...]]] = {}
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            query = f"SELECT d.id, s.name, d.lines FROM docs d JOIN sites s ON s.id = d.site WHERE d.id IN ({marks})"
            for doc_id, site, blob in self.db.execute(query, part):
                out[doc_id] = (site, unpack_lines(blob))
        return out

    def documents(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
        """Those of ``doc_ids`` that are counted: id -> (site, the sorted hashes it added)."""
        ids = set(doc_ids)
        out = self._stored(ids - set(self._added))
        out.update({i: self._added[i] for i in ids if i in self._added})
        return out

    def counted(self, doc_ids: Iterable[str]) -> set[str]:
        """Those of ``doc_ids`` that are counted."""
        return set(self.documents(doc_ids))

    # -- changes -------------------------------------------------------------------------------
    def add(self, site: str, hashes: Iterable[int], doc_id: str | None = None) -> bool:
        """Count one document of ``site`` holding the lines ``hashes`` (kept until :meth:`commit`).

        A document id counted before with the same site and lines is not counted again; one
        counted with other lines (an edited document under the same id) replaces its old
        version. Returns whether it was counted.
        """
        lines = tuple(sorted(set(hashes)))
        if doc_id:
            old = self.documents([doc_id]).get(doc_id)
            if old == (site, lines):
                return False
            if old is not None:
                self.forget([doc_id])
            self._added[doc_id] = (site, lines)
        else:
            self._anonymous += 1
        self._change(site, lines, 1)
        return True

    def forget(self, doc_ids: str | Iterable[str]) -> int:
        """Take documents out of the counts (kept until :meth:`commit`): what each added is
        subtracted. Returns how many were counted; an id never counted is ignored."""
        ids = [doc_ids] if isinstance(doc_ids, str) else sorted(set(doc_ids))
        n = 0
        stored = self._stored(i for i in ids if i not in self._added)
        for doc_id in ids:
            if doc_id in self._added:
                site, lines = self._added.pop(doc_id)
            elif doc_id in stored:
                site, lines = stored[doc_id]
                self._dropped.add(doc_id)
            else:
                continue
            self._change(site, lines, -1)
            n += 1
        return n

    def _change(self, site: str, lines: tuple[int, ...], sign: int) -> None:
        self._pending_docs[site] += sign
        pending = self._pending_lines.setdefault(site, Counter())
        for h in lines:
            pending[h] += sign

    def _add_counts(self, site: str, docs: int, rows: list[tuple[int, int]]) -> None:
        sid = self._site_id(site)
        if sid is None:
            sid = self.db.execute("INSERT INTO sites(name, docs) VALUES (?, 0)", (site,)).lastrowid
            self._site_ids[site] = sid
        if docs:
            self.db.execute("UPDATE sites SET docs = docs + ? WHERE id=?", (docs, sid))
        self.db.executemany(
            "INSERT INTO lines(site, hash, n) VALUES (?, ?, ?) "
            "ON CONFLICT(site, hash) DO UPDATE SET n = n + excluded.n",
            [(sid, h, n) for h, n in rows],
        )
        gone = [(sid, h) for h, n in rows if n < 0]
        if gone:
            self.db.executemany("DELETE FROM lines WHERE site=? AND hash=? AND n <= 0", gone)
