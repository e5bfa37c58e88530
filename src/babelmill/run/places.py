"""A replaced record keeps its place in the corpus.

When an input is processed again (edited, or its pending blocks can now be translated), its old
record is removed before the run and the new one is appended by the writer like any other. Its
place is remembered first, as the number of records before it that stay, in the run state
(``corpus_places``, committed with the removal); after the final checkpoint the new records are
moved there (:meth:`~babelmill.io.sinks.CorpusSink.move_records`, a same-length atomic rewrite).
So an incremental rerun writes the bytes a ``--rebuild`` of the same inputs writes.

A run killed in between puts back, at its start, the records that were written; an input whose
new record was not written yet loses its place (it is appended, as a new input is). Sharded
layouts keep records where they were written.
"""

from __future__ import annotations

import json

from babelmill.io.sinks import CorpusSink, iter_corpus_records
from babelmill.run.state import KEPT, RunState

PLACES = "corpus_places"


def remember_places(replaces: dict[str, str], sink: CorpusSink, state: RunState) -> None:
    """Before the old records go: each replacing input path -> records before it that stay."""
    if not replaces or not sink.keeps_places:
        return
    path_of = {doc_id: path for path, doc_id in replaces.items()}
    places: list[list] = []
    staying = 0
    for record in iter_corpus_records(sink.out):
        path = path_of.get(record.get("id"))
        if path is None:
            staying += 1
        else:
            places.append([path, staying])
    state.set(PLACES, json.dumps(places, ensure_ascii=False))


def put_back(state: RunState, sink: CorpusSink) -> None:
    """Move the new records of the remembered inputs to their places; forget the places."""
    places = json.loads(state.get(PLACES, "[]") or "[]")
    if not places:
        return
    moves: dict[str, int] = {}
    for path, staying in places:
        row = state.input(path)
        if row is not None and row.fate == KEPT and row.doc_id:
            moves[row.doc_id] = staying
    sink.move_records(moves)
    for key, value in sink.state_values().items():
        state.set(key, value)
    state.set(PLACES, "[]")
    state.commit()


__all__ = ["put_back", "remember_places"]
