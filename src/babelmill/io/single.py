"""The single layout: records appended to ``corpus.jsonl`` (or ``parallel.jsonl``).

The committed byte length lives in the run state; a run that dies mid-write leaves bytes past it
and the next run cuts them off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelmill.io.files import atomic_write_bytes, file_sha256, open_regular
from babelmill.io.formats import OutputConfig, decode_shard
from babelmill.io.sink import CorpusSink, cut_back, filter_lines, reorder_lines


class SingleFileSink(CorpusSink):
    """Append to ``corpus.jsonl``; committed length in state key ``corpus_bytes``."""

    layout = "single:jsonl"
    keeps_places = True

    def __init__(self, out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus"):
        super().__init__(out_dir, state, config, name)
        self.path = self.out / f"{name}.jsonl"
        self.fh = None

    def recover(self) -> int:
        self.check_layout()
        return cut_back(self.path, int(self.state.get(self.key("bytes"), "0") or 0))

    def _open(self):
        if self.fh is None:
            self.fh = open_regular(self.path, "ab")  # held for the run; never through a link
        return self.fh

    def write(self, line: bytes) -> None:
        self._open().write(line)

    def flush(self) -> None:
        fh = self._open()
        fh.flush()
        os.fsync(fh.fileno())

    def state_values(self) -> dict[str, str]:
        return {self.key("bytes"): str(self._open().tell()), self.key("layout"): self.layout}

    def remove_ids(self, ids: set[str]) -> int:
        if not ids or not self.path.exists():
            return 0
        self.close()
        with open_regular(self.path, "rb") as fh:
            kept, dropped = filter_lines(fh, ids)
        if dropped:
            atomic_write_bytes(self.path, b"".join(kept))
        return dropped

    def records(self) -> Iterator[dict[str, Any]]:
        return decode_shard(self.path) if self.path.exists() else iter(())

    def move_records(self, moves: dict[str, int]) -> bool:
        """Rewrite the file with the records of each id in ``moves`` (all lines with that id, in
        their order) at its index among the other lines; ids that share an index keep the order
        of ``moves``.

        The rewrite is a permutation (same bytes, same length) written atomically, so a crash
        leaves the old order or the new one, and doing it twice gives the same file."""
        if not moves or not self.path.exists():
            return True
        self.close()
        with open_regular(self.path, "rb") as fh:
            lines = [line for line in fh if line.strip()]
        data = b"".join(reorder_lines(lines, moves))
        if data != b"".join(lines):
            atomic_write_bytes(self.path, data)
        return True

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def files(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open_regular(self.path, "rb") as fh:
            records = sum(1 for line in fh if line.strip())
        return [
            {
                "name": self.path.name,
                "records": records,
                "bytes": self.path.stat().st_size,
                "sha256": file_sha256(self.path),
            }
        ]
