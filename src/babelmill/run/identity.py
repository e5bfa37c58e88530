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


def match_inputs(state: RunState, inputs: list[tuple[str, str, str, str | None]]) -> list[Match]:
    """For each input ``(key, absolute key, real, sha256)``, in order, its :class:`Match`."""
    matches: list[Match] = []
    claimed: set[str] = set()  # row paths matched to an input
    for key, absolute_key, real, _sha in inputs:
        match = Match(key, real)
        same = state.with_real(real)
        at_key = state.input(key)
        if at_key is not None and all(r.path != at_key.path for r in same):
            if not same and _gone(at_key):
                same.append(at_key)
            else:  # the same spelling named another file, which is still there or has a row itself
                match.key, match.absolute = absolute_key, True
                at_absolute = state.input(absolute_key)
                if at_absolute is not None and all(r.path != at_absolute.path for r in same):
                    same.append(at_absolute)
        if same:
            kept = [r for r in same if r.fate == KEPT]
            match.previous = kept[0] if kept else same[0]
            match.self_copies = [
                r
                for r in same
                if r is not match.previous
                and r.fate == DUPLICATE
                and r.sha256 == match.previous.sha256
                and r.duplicate_of in (match.previous.doc_id, match.previous.duplicate_of)
            ]
            claimed.update(r.path for r in same)
        matches.append(match)
    # moved files: a row of the same content whose file is gone and that no input of this run is
    keys = {m.key for m in matches} | claimed
    reals = {m.real for m in matches}
    for match, (_key, _abs, _real, sha) in zip(matches, inputs, strict=True):
        if match.previous is not None or not sha:
            continue
        for row in state.with_sha(sha):
            if row.path not in keys and row.real not in reals and _gone(row):
                match.previous, match.moved = row, True
                keys.add(row.path)
                break
    return matches


__all__ = ["Match", "match_inputs"]
