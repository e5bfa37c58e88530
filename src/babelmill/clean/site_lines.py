"""Per-site line counts kept in SQLite: in how many documents of a site each line occurs.

The strip stage calls a line that recurs in many documents of one site boilerplate. The counts
outlive a run (the next run's first documents already know the site's template), so they live
in ``state_dir / "strip_sites.sqlite"``:

* ``sites(id, name, docs)``: documents counted per site
* ``lines(site, hash, n)``: per site and line hash, the number of documents holding the line
  (the primary key ``(site, hash)`` is the look-up index)
* ``counted(id)``: ids of counted documents, so a document met again (a rerun) counts once

Nothing is loaded into memory up front: a batch of documents costs a few indexed queries,
whatever the size of the corpus. Counts added since the last commit are held in memory (and
seen by the look-ups) and written in one transaction by :meth:`SiteLineStore.commit`; the
strip stage commits when the runner checkpoints, after the corpus is flushed, so a run killed
before a commit leaves the counts as the last checkpoint left them and the rerun counts the
uncommitted documents again. No write lock is held between commits.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

from babelmill.clean.lines import count_words
from babelmill.clean.repeats import line_key
from babelmill.document import Document
from babelmill.errors import StageStateError

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
CREATE TABLE IF NOT EXISTS counted (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""

#: bump when :func:`line_hash` or the line key it hashes changes: stored hashes would not match
HASH_VERSION = "blake2b64-1"
#: host parameters per query (SQLite allows 32766; smaller chunks keep each statement cheap)
CHUNK = 500


#: lines longer than this are never template text worth counting (keeps the counter small)
MAX_COUNTED_WORDS = 60


class SiteStateError(StageStateError):
    """The stored counts were made with another line hash (rerun with rebuild)."""


def site_key(doc: Document) -> str:
    """Which site a document came from: ``source.site``, the URL's host, else one shared bucket."""
    src = doc.source or {}
    if src.get("site"):
        return str(src["site"]).lower()
    url = src.get("url")
    if url:
        host = urlparse(str(url)).netloc.lower()
        return host[4:] if host.startswith("www.") else host
    return "*"


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
        self.db.executescript(SCHEMA)
        self.rollback()  # sets up the (empty) counts since the last commit
        self._site_ids: dict[str, int] = {}  # only ids of committed or in-transaction rows
        self._check_version()

    def _check_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='hash'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta(key, value) VALUES ('hash', ?)", (HASH_VERSION,))
        elif row[0] != HASH_VERSION:
            raise SiteStateError(
                f"strip site counts {self.path} use line hash {row[0]}, this version {HASH_VERSION}: rerun with rebuild"
            )

    # -- transactions --------------------------------------------------------------------------
    def commit(self) -> None:
        """Write everything counted since the last commit, in one short transaction.

        Counts wait in memory until then (as many as the runner's checkpoint interval), so no
        write lock is held between commits: a second store on the same file never waits.
        """
        if not self._pending_docs:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for site in sorted(self._pending_docs):
                rows = sorted(self._pending_lines.get(site, Counter()).items())
                self._add_counts(site, self._pending_docs[site], rows)
            self.db.executemany(
                "INSERT OR IGNORE INTO counted(id) VALUES (?)", [(i,) for i in sorted(self._pending_ids)]
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            self._site_ids.clear()  # ids handed out in the dropped transaction are gone
            raise
        self.rollback()

    def rollback(self) -> None:
        """Forget everything counted since the last commit."""
        self._pending_docs = Counter()
        self._pending_lines: dict[str, Counter[int]] = {}
        self._pending_ids: set[str] = set()

    def close(self) -> None:
        """Close without committing (uncommitted counts are lost, as after a crash)."""
        self.rollback()
        self.db.close()

    # -- look-ups (committed counts plus those counted since) ----------------------------------
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
                if h in pending:
                    out[h] = out.get(h, 0) + pending[h]
        return out

    def counted(self, doc_ids: Iterable[str]) -> set[str]:
        """Those of ``doc_ids`` that were counted already."""
        ids = sorted(set(doc_ids))
        out = {i for i in ids if i in self._pending_ids}
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            out.update(r[0] for r in self.db.execute(f"SELECT id FROM counted WHERE id IN ({marks})", part))
        return out

    # -- changes -------------------------------------------------------------------------------
    def add(self, site: str, hashes: Iterable[int], doc_id: str | None = None) -> bool:
        """Count one document of ``site`` holding the lines ``hashes`` (kept until :meth:`commit`).

        A document id that was counted before is not counted again; returns whether it was counted.
        """
        if doc_id is not None:
            if self.counted([doc_id]):
                return False
            self._pending_ids.add(doc_id)
        self._pending_docs[site] += 1
        self._pending_lines.setdefault(site, Counter()).update(set(hashes))
        return True

    def _add_counts(self, site: str, docs: int, rows: list[tuple[int, int]]) -> None:
        sid = self._site_id(site)
        if sid is None:
            sid = self.db.execute("INSERT INTO sites(name, docs) VALUES (?, 0)", (site,)).lastrowid
            self._site_ids[site] = sid
        self.db.execute("UPDATE sites SET docs = docs + ? WHERE id=?", (docs, sid))
        self.db.executemany(
            "INSERT INTO lines(site, hash, n) VALUES (?, ?, ?) "
            "ON CONFLICT(site, hash) DO UPDATE SET n = n + excluded.n",
            [(sid, h, n) for h, n in rows],
        )

    def import_json(self, path: Path) -> bool:
        """Add the counts of the old ``strip_site_lines.json`` state once, committed at once.

        That file held ``{"docs": {site: n}, "lines": {site: {hex hash: n}}, "seen": [ids]}`` with
        the same 64-bit line hashes in hex. Imported only into a store that has counted nothing
        (a second import would count everything twice); returns whether it was imported.
        """
        if self.db.execute("SELECT 1 FROM sites LIMIT 1").fetchone() or self._pending_docs:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for site, counts in sorted((data.get("lines") or {}).items()):
                rows = []
                for hexed, n in counts.items():
                    v = int(hexed, 16)
                    rows.append((v - (1 << 64) if v >= 1 << 63 else v, int(n)))
                self._add_counts(str(site), 0, rows)
            for site, n in sorted((data.get("docs") or {}).items()):
                self._add_counts(str(site), int(n), [])
            self.db.executemany(
                "INSERT OR IGNORE INTO counted(id) VALUES (?)", [(str(i),) for i in data.get("seen", [])]
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            self._site_ids.clear()
            raise
        self.db.execute("COMMIT")
        return True
