"""A replaced record keeps its place in the corpus.

When an input is processed again (edited, or its pending blocks can now be translated), its old
record is removed before the run and the new one is appended by the writer like any other. Its
place is remembered first, as the number of records before it that stay, in the run state
(``corpus_places``, committed with the removal); after the final checkpoint the new records are
moved there (:meth:`~babelmill.io.sink.CorpusSink.move_records`: in ``corpus.jsonl`` a
same-length atomic rewrite; in a sharded layout the shards from the first change on are cut
again and swapped in), and their sentence pairs in the parallel corpus likewise. So an
incremental rerun writes the bytes a ``--rebuild`` of the same inputs writes.

A run killed in between puts back, at its start, the records that were written; an input whose
new record was not written yet loses its place (it is appended, as a new input is).
"""

from __future__ import annotations

import json

from babelmill.io.sink import CorpusSink
from babelmill.run.state import KEPT, RunState

PLACES = "corpus_places"


def remember_places(replaces: dict[str, str], sinks: list[CorpusSink], state: RunState) -> None:
    """Before the old records go: each replacing input path -> for every output (the corpus, then
    ``parallel.jsonl``), the number of lines before its record that stay."""
    if not replaces or not all(sink.keeps_places for sink in sinks):
        return
    corpus, others = sinks[0], sinks[1:]
    path_of = {doc_id: path for path, doc_id in replaces.items()}
    lines_of: list[dict[str, int]] = []  # per other output: doc id -> its number of lines
    for sink in others:
        counts: dict[str, int] = {}
        for record in sink.records():
            counts[record.get("id")] = counts.get(record.get("id"), 0) + 1
        lines_of.append(counts)
    places: list[list] = []
    staying = [0] * len(sinks)
    for record in corpus.records():
        doc_id = record.get("id")
        path = path_of.get(doc_id)
        if path is not None:
            places.append([path, *staying])
            continue
        staying[0] += 1
        for n, counts in enumerate(lines_of, start=1):
            staying[n] += counts.get(doc_id, 0)
    state.set(PLACES, json.dumps(places, ensure_ascii=False))


def put_back(state: RunState, sinks: list[CorpusSink]) -> None:
    """Move the new records of the remembered inputs to their places; forget the places."""
    places = json.loads(state.get(PLACES, "[]") or "[]")
    if not places:
        return
    moves: list[dict[str, int]] = [{} for _ in sinks]
    for path, *staying in places:
        row = state.input(path)
        if row is not None and row.fate == KEPT and row.doc_id:
            for n, at in enumerate(staying[: len(sinks)]):
                moves[n][row.doc_id] = at
    for sink, sink_moves in zip(sinks, moves, strict=True):
        sink.move_records(sink_moves)
        for key, value in sink.state_values().items():
            state.set(key, value)
    state.set(PLACES, "[]")
    state.commit()


__all__ = ["put_back", "remember_places"]
