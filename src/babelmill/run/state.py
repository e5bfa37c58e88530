"""Run state kept in ``OUTPUT/state/``: which inputs are done, and how far the outputs are committed.

``inputs`` holds one row per input path ever seen: its content hash, document id, fate
(``kept``, ``duplicate``, ``quarantined``), reason, the languages of blocks still waiting
for a translation model and, for a duplicate, the id of the corpus record it duplicates (what
a later copy of its bytes duplicates too; a column a state from before it gains on opening) and
``real``, the file's resolved absolute path (:func:`real_key`): what tells the same file under
another spelling (``./in``, an absolute path, a symlink, a run from another folder) from another
file (:mod:`babelmill.run.identity`). A state from before the column gains it on opening, each
row's path resolved from the working folder (:func:`legacy_real`): the folder its runs were
started from, as a rule; where it is not, the rows name files that are not there, and the plan
finds the inputs by content as moved files. ``record_path``: for a row that moved to a new path
(a moved file), the input key its record still names (records are not rewritten for a move).
``meta`` holds the committed byte lengths of ``corpus.jsonl`` and ``rejected.jsonl``: a run
that dies mid-write leaves bytes past those lengths, and the next run cuts them off before it
starts, so a record is either fully committed or absent.

The folder is private to the user running babelmill (:func:`private_state_folder`): the SQLite
files in it (and the journals SQLite creates beside them) are opened by SQLite, which follows
links, so nobody else may be able to plant one there while a run goes on.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelmill.errors import RunError
from babelmill.io.read import display_path, input_key

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
    duplicate_of TEXT,
    real TEXT,
    record_path TEXT
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
    cleaning_warning INTEGER NOT NULL,
    pending_languages TEXT
);
"""


@dataclass(frozen=True)
class RecordCounts:
    """Per record: blocks pending a translation model, translated blocks the quality checks
    flagged, and whether it carries a cleaning warning (the article may be lost)."""

    blocks_pending: int = 0
    blocks_flagged: int = 0
    cleaning_warning: bool = False
    #: the pending blocks per source language code (translate/pending.py source_code)
    pending_by_language: tuple[tuple[str, int], ...] = ()


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
    #: pending blocks per source language code; those of records written by a babelmill that did
    #: not count them by language are missing here (``blocks_pending`` counts them)
    pending_by_language: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
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
    real: str | None = None  # the file's resolved path (real_key)
    #: the input key its record names when the row moved since (a moved file); None: ``path``
    record_path: str | None = None

    @property
    def record_key(self) -> str:
        """The input key the row's record (in the corpus or ``rejected.jsonl``) names."""
        return self.record_path or self.path


#: the columns of an InputRow, in its order
COLUMNS = "path, sha256, doc_id, fate, reason, pending_langs, run, duplicate_of, real, record_path"


def real_key(path: str, line: int | None = None) -> str:
    """The resolved absolute path of the input ``path`` (symlinks followed, relative to the
    working folder), as printable UTF-8, and for a document of a JSONL input ``:LINE``: the same
    for every spelling of the same file.

    >>> real_key("/a/./b/../c.txt"), real_key("/d/docs.jsonl", 7)
    ('/a/c.txt', '/d/docs.jsonl:7')
    """
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = os.path.abspath(path)
    return input_key({"path": display_path(real), "line": line})


def _split_line(key: str) -> tuple[str, int | None]:
    """``(file, line)`` of an input key or :func:`real_key`: ``PATH:LINE`` of a JSONL document
    (where no file of that name exists), else ``(key, None)``."""
    head, sep, tail = key.rpartition(":")
    if sep and tail.isdigit() and not os.path.lexists(key):
        return head, int(tail)
    return key, None


def legacy_real(path: str) -> str:
    """:func:`real_key` of a state row's ``path`` written before rows held it: the path, or for a
    document of a JSONL input ``PATH:LINE``, resolved from the working folder."""
    return real_key(*_split_line(path))


def real_file(real: str) -> str:
    """The file part of a :func:`real_key` (without a JSONL document's ``:LINE``)."""
    return _split_line(real)[0]


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
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(inputs)")}
            for column in ("duplicate_of", "real", "record_path"):  # a state from before them
                if column not in columns:
                    self.db.execute(f"ALTER TABLE inputs ADD COLUMN {column} TEXT")
            if "pending_languages" not in {r[1] for r in self.db.execute("PRAGMA table_info(record_counts)")}:
                self.db.execute("ALTER TABLE record_counts ADD COLUMN pending_languages TEXT")
            self.db.execute("CREATE INDEX IF NOT EXISTS inputs_real ON inputs(real)")
            unresolved = [p for (p,) in self.db.execute("SELECT path FROM inputs WHERE real IS NULL")]
            self.db.executemany("UPDATE inputs SET real=? WHERE path=?", [(legacy_real(p), p) for p in unresolved])
            self.db.commit()
            self.db.execute(f"SELECT {COLUMNS} FROM inputs LIMIT 1")
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
        row = self.db.execute(f"SELECT {COLUMNS} FROM inputs WHERE path=?", (path,)).fetchone()
        return _row(row) if row else None

    def with_real(self, real: str) -> list[InputRow]:
        """The rows of the file whose :func:`real_key` is ``real``, under whatever path each was
        named (one; more in a state a babelmill before real paths wrote: a respelled path made a
        row of its own, a duplicate of the first), in path order."""
        rows = self.db.execute(f"SELECT {COLUMNS} FROM inputs WHERE real=? ORDER BY path", (real,))
        return [_row(r) for r in rows]

    def lines_of(self, real_file: str) -> list[InputRow]:
        """The rows of the documents of the JSONL file whose :func:`real_key` is ``real_file``
        (``real`` is ``real_file:LINE``), in line order."""
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM inputs WHERE real > ? AND real < ?", (real_file + ":", real_file + ";")
        )
        found = [_row(r) for r in rows]
        lines = [(int(tail), row) for row in found if (tail := (row.real or "")[len(real_file) + 1 :]).isdigit()]
        return [row for _line, row in sorted(lines, key=lambda x: (x[0], x[1].path))]

    def with_sha(self, sha256: str) -> list[InputRow]:
        """Every row with this content hash, in path order."""
        rows = self.db.execute(f"SELECT {COLUMNS} FROM inputs WHERE sha256=? ORDER BY path", (sha256,))
        return [_row(r) for r in rows]

    def kept_with_sha(self, sha256: str) -> InputRow | None:
        row = self.db.execute(
            f"SELECT {COLUMNS} FROM inputs WHERE sha256=? AND fate='kept' ORDER BY path LIMIT 1", (sha256,)
        ).fetchone()
        return _row(row) if row else None

    def is_kept(self, doc_id: str) -> bool:
        """Whether a record with this id is in the corpus (an input kept it)."""
        row = self.db.execute("SELECT 1 FROM inputs WHERE doc_id=? AND fate='kept' LIMIT 1", (doc_id,)).fetchone()
        return row is not None

    def all_inputs(self) -> list[InputRow]:
        return [_row(r) for r in self.db.execute(f"SELECT {COLUMNS} FROM inputs ORDER BY path")]

    def put_input(self, row: InputRow) -> None:
        self.db.execute(
            f"INSERT OR REPLACE INTO inputs({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.path,
                row.sha256,
                row.doc_id,
                row.fate,
                row.reason,
                ",".join(row.pending_langs),
                row.run,
                row.duplicate_of,
                row.real,
                row.record_path,
            ),  # fmt: skip
        )

    def drop_input(self, path: str) -> None:
        self.db.execute("DELETE FROM inputs WHERE path=?", (path,))
        self.db.execute("DELETE FROM record_counts WHERE path=?", (path,))

    def relocate(self, relocations: list[tuple[str, str, str]]) -> None:
        """Each ``(path, new_path, real)``: the row of ``path`` (and its record counts) is the
        file at ``real``, now known as ``new_path`` (a moved file or JSONL line, one named under
        another spelling, a deleted JSONL line); its record still names the path it was written
        under (``record_path``). Rows may trade paths (JSONL lines reordered)."""
        moving = [(path, new_path, real) for path, new_path, real in relocations if new_path != path]
        for path, _new, real in relocations:
            self.db.execute("UPDATE inputs SET real=? WHERE path=?", (real, path))
        for n, (path, _new, _real) in enumerate(moving):  # first out of each other's way
            self.db.execute(
                "UPDATE inputs SET path=?, record_path=COALESCE(record_path, path) WHERE path=?", (f"\0{n}", path)
            )
            self.db.execute("UPDATE OR REPLACE record_counts SET path=? WHERE path=?", (f"\0{n}", path))
        for n, (_path, new_path, _real) in enumerate(moving):
            self.db.execute(
                "UPDATE inputs SET path=?, record_path=NULLIF(record_path, ?) WHERE path=?",
                (new_path, new_path, f"\0{n}"),
            )
            self.db.execute("UPDATE OR REPLACE record_counts SET path=? WHERE path=?", (new_path, f"\0{n}"))

    def put_counts(self, path: str, counts: RecordCounts) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO record_counts(path, blocks_pending, blocks_flagged, cleaning_warning, "
            "pending_languages) VALUES (?, ?, ?, ?, ?)",
            (
                path,
                counts.blocks_pending,
                counts.blocks_flagged,
                int(counts.cleaning_warning),
                json.dumps(dict(counts.pending_by_language)),
            ),
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
        by_language: Counter = Counter()
        for (languages,) in self.db.execute(
            "SELECT c.pending_languages FROM inputs i JOIN record_counts c ON c.path = i.path "
            "WHERE i.fate = 'kept' AND c.blocks_pending > 0 AND c.pending_languages IS NOT NULL"
        ):
            by_language.update(json.loads(languages))
        return CorpusTotals(
            records,
            pending,
            with_pending,
            flagged,
            records_flagged,
            warned,
            counted == records,
            dict(sorted(by_language.items())),
        )

    def fate_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT fate, COUNT(*) FROM inputs GROUP BY fate ORDER BY fate").fetchall())

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def _row(r: tuple) -> InputRow:
    path, sha, doc_id, fate, reason, pending, run, duplicate_of, real, record_path = r
    pending_langs = tuple(x for x in pending.split(",") if x)
    return InputRow(path, sha, doc_id, fate, reason, pending_langs, run, duplicate_of, real, record_path)
