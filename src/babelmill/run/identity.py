"""Which row of the run state an input is: the same file under another path is the same input.

A run names its inputs as the user spelled them (``in/``, ``./in``, ``/data/in``, a symlink, a
path relative to another working folder), and the state keeps each input's row under the path
it was first processed under, with the file's resolved path (``real``,
:func:`~babelmill.run.state.real_key`). An input is matched to a row, in this order:

1. the row of the same file: the same resolved path, whatever the spelling. It keeps its path
   (the manifest and the records keep naming it as before) unless the input is processed again
   (edited): its new record names the path it was read from, and the row moves there;
2. when the file has no row: the row of the same spelling whose file is gone (a folder moved or
   renamed and the same name given again; a state from before real paths, resolved from another
   working folder): the file is taken to be this one;
3. a row with the same content hash whose file is gone and that no input of this run is (a
   moved or renamed file): the row moves to the input's path. Its record in the corpus is not
   rewritten: ``source.path`` says where the input was read from when its record was made (the
   corpus keeps its bytes; ``--rebuild`` writes the new paths). A file whose old path still holds
   it is no move: a copy of it is a duplicate (``identical_input``), as in a ``--rebuild``.

A document of a JSONL input (``PATH:LINE``) is matched within its file first: the row of the
same line when it holds the same content; else a row of the file with the same content whose line
no longer holds it (a line deleted or inserted above it, lines reordered): the document moved, as
a moved file does (unchanged, its row moves to the new line, ``record_path`` keeps the line its
record names); else the row of the same line (edited in place: its record is replaced). A row
of the file that no line is (a deleted line) may still be the row of a document moved to another
file (3.); the others keep their records, as a deleted file does, and their rows move out of the
way to ``PATH:LINE (deleted in run N)``, where a later line with the same content finds them (3.).

A spelling that names another file than the one its row was written for (``in/a.txt`` run from
another folder while the first file is still there, or naming a file that has a row of its own)
is known by its absolute path: it replaces nothing of the other. Rows a babelmill before real
paths wrote for a respelled path (a duplicate of the input itself) are dropped with their
rejected records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from babelmill.document import DUPLICATE
from babelmill.run.state import KEPT, InputRow, RunState, real_file


@dataclass
class Match:
    """One input and its row in the run state."""

    key: str  # what this run knows the input by (its path, or its absolute path: see the module)
    real: str  # the file's resolved path (real_key)
    absolute: bool = False  # the input is recorded under its absolute path (``key`` is that)
    previous: InputRow | None = None
    moved: bool = False  # ``previous`` is a row of the same content whose file is gone
    #: rows of the same file a babelmill before real paths wrote as its duplicates
    self_copies: list[InputRow] = field(default_factory=list)

    def relocation(self, processed: bool) -> tuple[str, str, str] | None:
        """``(row path, new path, real)`` when the row must change (see the module docstring)."""
        previous = self.previous
        if previous is None:
            return None
        if previous.path != self.key and (self.moved or processed):
            return previous.path, self.key, self.real
        if previous.real != self.real:
            return previous.path, previous.path, self.real
        return None


def _gone(row: InputRow) -> bool:
    return row.real is None or not os.path.lexists(real_file(row.real))


@dataclass
class Matching:
    """What :func:`match_inputs` found: each input's :class:`Match`, and the relocations of the
    rows of deleted JSONL lines (see the module docstring)."""

    matches: list[Match]
    retired: list[tuple[str, str, str]] = field(default_factory=list)


def _preferred(rows: list[InputRow]) -> InputRow:
    kept = [r for r in rows if r.fate == KEPT]
    return kept[0] if kept else rows[0]


def _place_lines(
    state: RunState, inputs: list[tuple[str, str, str, str | None, int | None]]
) -> tuple[dict[int, tuple[InputRow, bool]], dict[str, InputRow]]:
    """The rows of the JSONL files of this run, line by line: ``{input index: (row, moved)}`` for
    the lines that have one (the same content at the same line, else the same content at a line
    that no longer holds it, else the row of the same line: an edit), and the rows no line has
    (deleted lines), by path."""
    by_file: dict[str, list[int]] = {}
    for i, (_key, _abs, real, _sha, line) in enumerate(inputs):
        if line:
            by_file.setdefault(real.rpartition(":")[0], []).append(i)
    placed: dict[int, tuple[InputRow, bool]] = {}
    vacated: dict[str, InputRow] = {}
    for file, indexes in by_file.items():
        grouped: dict[str, list[InputRow]] = {}
        for row in state.lines_of(file):
            grouped.setdefault(row.real or "", []).append(row)
        free = {real: _preferred(rows) for real, rows in grouped.items()}
        for i in indexes:  # the same document on the same line
            row = free.get(inputs[i][2])
            if row is not None and inputs[i][3] and row.sha256 == inputs[i][3]:
                placed[i] = row, False
                del free[inputs[i][2]]
        for i in indexes:  # moved: its content was on a line that no longer holds it
            if i not in placed and inputs[i][3]:
                row = next((r for r in free.values() if r.sha256 == inputs[i][3]), None)
                if row is not None:
                    placed[i] = row, True
                    del free[row.real or ""]
        for i in indexes:  # edited in place
            row = free.pop(inputs[i][2], None) if i not in placed else None
            if row is not None:
                placed[i] = row, False
        vacated.update((row.path, row) for row in free.values())
    return placed, vacated


def match_inputs(state: RunState, inputs: list[tuple[str, str, str, str | None, int | None]]) -> Matching:
    """For each input ``(key, absolute key, real, sha256, JSONL line or None)``, in order, its
    :class:`Match`."""
    placed, vacated = _place_lines(state, inputs)
    moved_away = {row.path for row, moved in placed.values() if moved}
    elsewhere = moved_away | set(vacated)  # rows of JSONL lines that the same line is no more
    matches: list[Match] = []
    claimed: set[str] = set()  # row paths matched to an input
    for i, (key, absolute_key, real, _sha, _line) in enumerate(inputs):
        match = Match(key, real)
        matches.append(match)
        if i in placed and placed[i][1]:
            match.previous, match.moved = placed[i][0], True
            claimed.add(match.previous.path)
            continue
        same = [r for r in state.with_real(real) if r.path not in elsewhere]
        at_key = state.input(key)
        if at_key is not None and at_key.path not in elsewhere and all(r.path != at_key.path for r in same):
            if not same and _gone(at_key):
                same.append(at_key)
            else:  # the same spelling named another file, which is still there or has a row itself
                match.key, match.absolute = absolute_key, True
                at_absolute = state.input(absolute_key)
                if at_absolute is not None and all(r.path != at_absolute.path for r in same):
                    same.append(at_absolute)
        if same:
            match.previous = _preferred(same)
            match.self_copies = [
                r
                for r in same
                if r is not match.previous
                and r.fate == DUPLICATE
                and r.sha256 == match.previous.sha256
                and r.duplicate_of in (match.previous.doc_id, match.previous.duplicate_of)
            ]
            claimed.update(r.path for r in same)
    # moved files: a row of the same content whose file is gone (or, of a JSONL line, whose line
    # no longer holds it) and that no input of this run is
    keys = {m.key for m in matches} | claimed
    reals = {m.real for m in matches}
    for match, (_key, _abs, _real, sha, _line) in zip(matches, inputs, strict=True):
        if match.previous is not None or not sha:
            continue
        for row in state.with_sha(sha):
            if vacated.pop(row.path, None) is not None or (
                row.path not in keys and row.real not in reals and _gone(row)
            ):
                match.previous, match.moved = row, True
                keys.add(row.path)
                break
    run = state.next_run()
    retired = [(row.path, f"{row.path} {DELETED.format(run=run)}", f"{row.real} {DELETED.format(run=run)}")
               for row in vacated.values()]  # fmt: skip
    return Matching(matches, retired)


#: what a deleted JSONL line's row is known by after its path: the line now holds another document
DELETED = "(deleted in run {run})"

__all__ = ["DELETED", "Match", "Matching", "match_inputs"]
