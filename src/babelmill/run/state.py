"""Run state kept in ``OUTPUT/state/``: which inputs are done, and how far the outputs are committed.

``inputs`` holds one row per input path ever seen: its content hash, document id, fate
(``kept``, ``duplicate``, ``quarantined``), reason, the languages of blocks still waiting
for a translation model and, for a duplicate, the id of the corpus record it duplicates (what
a later copy of its bytes duplicates too; a column a state from before it gains on opening).
``meta`` holds the committed byte lengths of ``corpus.jsonl`` and ``rejected.jsonl``: a run
that dies mid-write leaves bytes past those lengths, and the next run cuts them off before it
starts, so a record is either fully committed or absent.

The folder is private to the user running babelmill (:func:`private_state_folder`): the SQLite
files in it (and the journals SQLite creates beside them) are opened by SQLite, which follows
links, so nobody else may be able to plant one there while a run goes on.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from babelmill.errors import RunError
from babelmill.io.read import display_path

#: the fate of an input whose record is in the corpus (the others: ``duplicate``, ``quarantined``)
KEPT = "kept"

SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY,
    sha256 TEXT,
    doc_id TEXT,
    fate TEXT NOT NULL,
    reason TEXT,
    pending_langs TEXT NOT NULL DEFAULT '',
    run INTEGER NOT NULL,
    duplicate_of TEXT
);
CREATE INDEX IF NOT EXISTS inputs_sha ON inputs(sha256);
CREATE INDEX IF NOT EXISTS inputs_doc ON inputs(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- what each input's record holds that the run summary adds up over the whole corpus (zeros for
-- an input that is not kept); written with the input's row
CREATE TABLE IF NOT EXISTS record_counts (
    path TEXT PRIMARY KEY,
    blocks_pending INTEGER NOT NULL,
    blocks_flagged INTEGER NOT NULL,
    cleaning_warning INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class RecordCounts:
    """Per record: blocks pending a translation model, translated blocks the quality checks
    flagged, and whether it carries a cleaning warning (the article may be lost)."""

    blocks_pending: int = 0
    blocks_flagged: int = 0
    cleaning_warning: bool = False


@dataclass(frozen=True)
class CorpusTotals:
    """The whole corpus as the run state knows it (not only this run's records).

    ``complete`` is false when some kept records were written by a babelmill that did not keep
    these counts yet (their counts are missing: the totals are then lower bounds)."""

    records: int = 0
    blocks_pending: int = 0
    records_with_pending: int = 0
    blocks_flagged: int = 0
    records_flagged: int = 0
    records_with_warnings: int = 0
    complete: bool = True

    def as_dict(self) -> dict[str, int | bool]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class InputRow:
    path: str
    sha256: str | None
    doc_id: str | None
    fate: str
    reason: str | None
    pending_langs: tuple[str, ...]
    run: int
    duplicate_of: str | None = None  # a duplicate's corpus record


def private_state_folder(state_dir: Path) -> None:
    """Create ``state_dir`` writable by its owner only, or make an existing one so; refuse one
    that is a link, not a folder, or belongs to another user (who could plant a link in it
    during the run and have SQLite write through it)."""
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(state_dir, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(state_dir)
    if not stat.S_ISDIR(st.st_mode):
        raise RunError(f"{display_path(str(state_dir))}: refusing to use the run state: it is not a real folder")
    if st.st_uid != os.geteuid():
        raise RunError(
            f"{display_path(str(state_dir))}: refusing to use a run state that belongs to another user "
            f"(uid {st.st_uid}): run as its owner, or choose another -o directory"
        )
    if st.st_mode & 0o022:  # writable by the group or others: they could plant links in it
        os.chmod(state_dir, stat.S_IMODE(st.st_mode) & ~0o022)


class RunState:
    def __init__(self, state_dir: Path):
        self.dir = state_dir
        private_state_folder(state_dir)
        path = state_dir / "runs.sqlite"
        try:
            self.db = sqlite3.connect(path)
            self.db.executescript(SCHEMA)
            if "duplicate_of" not in {r[1] for r in self.db.execute("PRAGMA table_info(inputs)")}:
                self.db.execute("ALTER TABLE inputs ADD COLUMN duplicate_of TEXT")  # a state from before it
            self.db.commit()
            self.db.execute(
                "SELECT path, sha256, doc_id, fate, reason, pending_langs, run, duplicate_of FROM inputs LIMIT 1"
            )
        except sqlite3.Error as exc:
            raise RunError(
                f"{display_path(str(path))}: the run state is not a usable database ({exc}); "
                "move it away, or rerun with --rebuild to start this output over"
            ) from None

    # -- meta --------------------------------------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def next_run(self) -> int:
        return int(self.get("runs", "0")) + 1

    # -- inputs ------------------------------------------------------------------------------
    def input(self, path: str) -> InputRow | None:
        row = self.db.execute("SELECT * FROM inputs WHERE path=?", (path,)).fetchone()
        return _row(row) if row else None

    def kept_with_sha(self, sha256: str) -> InputRow | None:
        row = self.db.execute(
            "SELECT * FROM inputs WHERE sha256=? AND fate='kept' ORDER BY path LIMIT 1", (sha256,)
        ).fetchone()
        return _row(row) if row else None

    def is_kept(self, doc_id: str) -> bool:
        """Whether a record with this id is in the corpus (an input kept it)."""
        row = self.db.execute("SELECT 1 FROM inputs WHERE doc_id=? AND fate='kept' LIMIT 1", (doc_id,)).fetchone()
        return row is not None

    def all_inputs(self) -> list[InputRow]:
        return [_row(r) for r in self.db.execute("SELECT * FROM inputs ORDER BY path")]

    def put_input(self, row: InputRow) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO inputs(path, sha256, doc_id, fate, reason, pending_langs, run, duplicate_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.path,
                row.sha256,
                row.doc_id,
                row.fate,
                row.reason,
                ",".join(row.pending_langs),
                row.run,
                row.duplicate_of,
            ),  # fmt: skip
        )

    def drop_input(self, path: str) -> None:
        self.db.execute("DELETE FROM inputs WHERE path=?", (path,))
        self.db.execute("DELETE FROM record_counts WHERE path=?", (path,))

    def put_counts(self, path: str, counts: RecordCounts) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO record_counts(path, blocks_pending, blocks_flagged, cleaning_warning) "
            "VALUES (?, ?, ?, ?)",
            (path, counts.blocks_pending, counts.blocks_flagged, int(counts.cleaning_warning)),
        )

    def corpus_totals(self) -> CorpusTotals:
        """Sums over the kept records (see :class:`CorpusTotals`)."""
        row = self.db.execute(
            "SELECT COUNT(*), COUNT(c.path), COALESCE(SUM(c.blocks_pending), 0), "
            "COALESCE(SUM(c.blocks_pending > 0), 0), COALESCE(SUM(c.blocks_flagged), 0), "
            "COALESCE(SUM(c.blocks_flagged > 0), 0), COALESCE(SUM(c.cleaning_warning), 0) "
            "FROM inputs i LEFT JOIN record_counts c ON c.path = i.path WHERE i.fate = 'kept'"
        ).fetchone()
        records, counted, pending, with_pending, flagged, records_flagged, warned = row
        return CorpusTotals(records, pending, with_pending, flagged, records_flagged, warned, counted == records)

    def fate_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT fate, COUNT(*) FROM inputs GROUP BY fate ORDER BY fate").fetchall())

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def _row(r: tuple) -> InputRow:
    path, sha, doc_id, fate, reason, pending, run, duplicate_of = r
    return InputRow(path, sha, doc_id, fate, reason, tuple(x for x in pending.split(",") if x), run, duplicate_of)
