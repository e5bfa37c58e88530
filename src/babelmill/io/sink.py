"""What the runner needs of a corpus writer (:class:`CorpusSink`), and the record-line helpers
the layouts share. The layouts are :mod:`babelmill.io.single` (one JSONL file) and
:mod:`babelmill.io.shards` (size-bounded shards); :func:`babelmill.io.sinks.open_sink` picks one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from babelmill.errors import SinkError
from babelmill.io.files import ends_inside_a_line, truncate_to
from babelmill.io.formats import OutputConfig
from babelmill.io.layout import OUTPUT_NAMES


def cut_back(path: Path, committed: int) -> int:
    """Cut a JSONL output back to its ``committed`` length (:func:`truncate_to`; returns the bytes
    cut) and refuse one that then ends inside a record: the file was cut or edited outside
    babelmill, and appending would glue the next record onto the broken one."""
    cut = truncate_to(path, committed)
    if ends_inside_a_line(path):
        raise SinkError(
            f"{path}: ends inside a record: the file was cut or edited outside babelmill, and the next "
            "record would be glued onto the broken one; rerun with --rebuild to rebuild this output"
        )
    return cut


def record_line(record: dict[str, Any]) -> bytes:
    """A record as the writer puts it into a JSONL file (one line)."""
    return (json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


def filter_lines(lines: Iterable[bytes], drop_ids: set[str]) -> tuple[list[bytes], int]:
    """The lines whose record id is not in ``drop_ids``, and how many were dropped."""
    kept, dropped = [], 0
    for line in lines:
        if line.strip() and json.loads(line).get("id") in drop_ids:
            dropped += 1
        else:
            kept.append(line)
    return kept, dropped


def reorder_lines(lines: list[bytes], moves: dict[str, int]) -> list[bytes]:
    """The record lines with those of each id in ``moves`` (all lines with that id, in their
    order) at its index among the other lines; ids that share an index keep the order of
    ``moves``. A permutation: same lines, so the same bytes and length."""
    moved: dict[str, list[bytes]] = {}
    others: list[bytes] = []
    for line in lines:
        doc_id = json.loads(line).get("id")
        if doc_id in moves:
            moved.setdefault(doc_id, []).append(line)
        else:
            others.append(line)
    # in index order; each insertion shifts the later ones by its number of lines
    order = {doc_id: n for n, doc_id in enumerate(moves)}
    shift = 0
    for doc_id in sorted(moved, key=lambda i: (moves[i], order[i])):
        at = min(moves[doc_id] + shift, len(others))
        others[at:at] = moved[doc_id]
        shift += len(moved[doc_id])
    return others


class CorpusSink:
    """Common interface. The runner's commit protocol is:

    ``recover()`` once; then ``full_before(line)`` / ``write(line)`` per record; at a checkpoint
    ``flush()``, ``seal()`` when ``full_before`` said so or the run ends, then store
    ``state_values()`` in the run state, commit it, and call ``after_commit()``.
    """

    layout = ""
    #: :meth:`move_records` can put a record at a given place
    keeps_places = False
    #: records are flat (Parquet shards get one inferred column per key)
    typed = False

    def __init__(self, out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus"):
        if name not in OUTPUT_NAMES:
            raise ValueError(f"output name must be one of {', '.join(OUTPUT_NAMES)}, not {name!r}")
        self.out = Path(out_dir)
        self.state = state
        self.config = config
        self.name = name
        self.typed = name == "parallel"

    def key(self, suffix: str) -> str:
        """This output's run-state key, e.g. ``corpus_bytes`` / ``parallel_bytes``."""
        return f"{self.name}_{suffix}"

    def check_layout(self) -> None:
        """Refuse to mix layouts in one output directory (a rerun must use the same format)."""
        stored = self.state.get(self.key("layout"))
        if stored is None:
            legacy = int(self.state.get(self.key("bytes"), "0") or 0) > 0
            stored = "single:jsonl" if legacy else None
        if stored is not None and stored != self.layout:
            raise SinkError(
                f"{self.out} holds a corpus written as {stored.replace(':', ' ')}, "
                f"not {self.layout.replace(':', ' ')}; "
                "rerun with the same --format/--shard-size, or use --rebuild or another -o directory"
            )

    # subclasses implement these
    def recover(self) -> int:
        """Return the output to its last commit; the number of bytes cut from its open file."""
        ...

    def full_before(self, line: bytes) -> bool:
        return False

    def write(self, line: bytes) -> None: ...
    def flush(self) -> None: ...
    def seal(self) -> None: ...
    def state_values(self) -> dict[str, str]:
        return {}

    def after_commit(self) -> None: ...
    def remove_ids(self, ids: set[str]) -> int:
        return 0

    def records(self) -> Iterator[dict[str, Any]]:
        """The records written so far, in order."""
        return iter(())

    def move_records(self, moves: dict[str, int]) -> bool:
        """Put each record ``id`` at ``index`` among the other records; False if the layout
        cannot (records then stay where they were written)."""
        return False

    def close(self) -> None: ...
    def files(self) -> list[dict[str, Any]]:
        return []
