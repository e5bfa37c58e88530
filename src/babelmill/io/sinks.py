"""Corpus writers: one ``corpus.jsonl``, or size-bounded shards as JSONL, gzip, zstd or Parquet.

Two layouts:

* **single** (the default, ``format = "jsonl"`` without a shard size): records are appended to
  ``corpus.jsonl``. The committed byte length lives in the run state; a run that dies mid-write
  leaves bytes past it and the next run cuts them off.
* **sharded** (``--shard-size``, or any compressed/Parquet format): records are appended to a
  hidden staging file ``.corpus-staging.jsonl`` (crash-safe the same way). When the next record
  would take the staging file past the shard size, and at the end of every run, the staging file
  is converted into the next shard ``corpus/part-00000.jsonl[.gz|.zst]`` /
  ``corpus/part-00000.parquet``: written to a hidden temporary name, fsynced, renamed. The
  ``corpus/`` folder holds shards only, so pandas, pyarrow, DuckDB and Hugging Face datasets read
  it as one dataset. The list of shards (name, records, bytes, sha256) is committed in the run
  state together with the inputs those records came from; a shard file that is on disk but not
  in that list (the run died between the rename and the commit) is deleted by the next run,
  which rewrites it from the still-committed staging bytes.

Shard boundaries depend only on the records (a shard holds as many whole records as fit in the
shard size, measured in uncompressed JSONL bytes), so an interrupted-and-resumed run writes the
same shards as an uninterrupted one. Formats are in :mod:`babelmill.io.formats`;
:func:`iter_corpus_records` turns every layout back into the record dicts.

The same sinks write the parallel corpus (``name="parallel"``: ``parallel.jsonl``, or shards
``parallel/part-00000.<format>`` from ``.parallel-staging.jsonl``; state keys ``parallel_*``).
Its Parquet shards have one column per key (flat records), marked in the file's schema metadata
so that :func:`~babelmill.io.formats.decode_shard` returns the rows as they are.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babelmill.errors import SinkError
from babelmill.io.files import atomic_write_bytes, file_sha256, truncate_to
from babelmill.io.formats import FORMATS, OutputConfig, _pyarrow, _zstd, decode_shard, encode_shard, parse_size
from babelmill.io.layout import (
    CORPUS,
    OUTPUT_NAMES,
    SHARD_RE,
    corpus_files,
    iter_corpus_records,
    remove_outputs,
    shard_number,
    temp_of,
)


def _filter_lines(lines: Iterable[bytes], drop_ids: set[str]) -> tuple[list[bytes], int]:
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


# -- sinks ---------------------------------------------------------------------------------------


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

    @classmethod
    def open(cls, out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus") -> CorpusSink:
        sink_cls = ShardedSink if config.sharded else SingleFileSink
        return sink_cls(out_dir, state, config, name)

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
    def recover(self) -> None: ...
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

    def move_records(self, moves: dict[str, int]) -> bool:
        """Put each record ``id`` at ``index`` among the other records; False if the layout
        cannot (records then stay where they were written)."""
        return False

    def close(self) -> None: ...
    def files(self) -> list[dict[str, Any]]:
        return []


class SingleFileSink(CorpusSink):
    """Append to ``corpus.jsonl``; committed length in state key ``corpus_bytes``."""

    layout = "single:jsonl"
    keeps_places = True

    def __init__(self, out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus"):
        super().__init__(out_dir, state, config, name)
        self.path = self.out / f"{name}.jsonl"
        self.fh = None

    def recover(self) -> None:
        self.check_layout()
        truncate_to(self.path, int(self.state.get(self.key("bytes"), "0") or 0))

    def _open(self):
        if self.fh is None:
            self.fh = open(self.path, "ab")  # noqa: SIM115 - held for the run
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
        with open(self.path, "rb") as fh:
            kept, dropped = _filter_lines(fh, ids)
        if dropped:
            atomic_write_bytes(self.path, b"".join(kept))
        return dropped

    def move_records(self, moves: dict[str, int]) -> bool:
        """Rewrite the file with the records of each id in ``moves`` (all lines with that id, in
        their order) at its index among the other lines; ids that share an index keep the order
        of ``moves``.

        The rewrite is a permutation (same bytes, same length) written atomically, so a crash
        leaves the old order or the new one, and doing it twice gives the same file."""
        if not moves or not self.path.exists():
            return True
        self.close()
        with open(self.path, "rb") as fh:
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
        with open(self.path, "rb") as fh:
            records = sum(1 for line in fh if line.strip())
        return [
            {
                "name": self.path.name,
                "records": records,
                "bytes": self.path.stat().st_size,
                "sha256": file_sha256(self.path),
            }
        ]


class ShardedSink(CorpusSink):
    """Staging JSONL converted into numbered, size-bounded shards; see the module docstring."""

    def __init__(self, out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus"):
        super().__init__(out_dir, state, config, name)
        self.layout = config.layout
        self.fmt = config.format
        self.limit = config.shard_bytes
        self.staging = self.out / f".{name}-staging.jsonl"
        self.fh = None
        self.shards: list[dict[str, Any]] = []
        self.staging_records = 0
        self._reset_staging = False
        if self.fmt == "jsonl.zst":
            _zstd()
        elif self.fmt == "parquet":
            _pyarrow()

    def recover(self) -> None:
        self.check_layout()
        self.shards = json.loads(self.state.get(self.key("shards"), "[]") or "[]")
        if any("/" not in s["name"] for s in self.shards):
            raise SinkError(
                f"{self.out} holds shards of an earlier babelmill beside the other outputs "
                f"({self.shards[0]['name']}); rerun with --rebuild to write them into {self.name}/"
            )
        committed = {s["name"] for s in self.shards}
        folder = self.out / self.name
        for p in folder.iterdir() if folder.is_dir() else ():
            temp = temp_of(p.name)
            if temp is not None and SHARD_RE.match(temp):
                p.unlink(missing_ok=True)
            elif SHARD_RE.match(p.name) and f"{self.name}/{p.name}" not in committed:
                p.unlink(missing_ok=True)  # sealed after the last commit: rebuilt from staging
        truncate_to(self.staging, int(self.state.get(self.key("staging_bytes"), "0") or 0))
        self.staging_records = int(self.state.get(self.key("staging_records"), "0") or 0)

    def _open(self):
        if self.fh is None:
            self.fh = open(self.staging, "ab")  # noqa: SIM115 - held for the run
        return self.fh

    def full_before(self, line: bytes) -> bool:
        size = self._open().tell()
        return size > 0 and size + len(line) > self.limit

    def write(self, line: bytes) -> None:
        self._open().write(line)
        self.staging_records += 1

    def flush(self) -> None:
        fh = self._open()
        fh.flush()
        os.fsync(fh.fileno())

    def _next_name(self) -> str:
        n = shard_number(self.shards[-1]["name"]) + 1 if self.shards else 0
        return f"{self.name}/part-{n:05d}.{self.fmt}"

    def seal(self) -> None:
        """Turn the staging records into the next shard file (not yet committed)."""
        fh = self._open()
        fh.flush()
        if fh.tell() == 0 or self._reset_staging:
            return
        with open(self.staging, "rb") as src:
            lines = [line for line in src if line.strip()]
        data = encode_shard(lines, self.fmt, self.typed)
        name = self._next_name()
        (self.out / self.name).mkdir(exist_ok=True)
        atomic_write_bytes(self.out / name, data)
        self.shards.append(
            {"name": name, "records": len(lines), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
        self._reset_staging = True

    def state_values(self) -> dict[str, str]:
        staged = 0 if self._reset_staging else self._open().tell()
        return {
            self.key("layout"): self.layout,
            self.key("shards"): json.dumps(self.shards),
            self.key("staging_bytes"): str(staged),
            self.key("staging_records"): str(0 if self._reset_staging else self.staging_records),
        }

    def after_commit(self) -> None:
        if self._reset_staging:
            fh = self._open()
            fh.truncate(0)
            fh.seek(0)
            fh.flush()
            os.fsync(fh.fileno())
            self.staging_records = 0
            self._reset_staging = False

    def remove_ids(self, ids: set[str]) -> int:
        """Drop records by id from every shard and from staging (edited inputs are rewritten)."""
        if not ids:
            return 0
        removed = 0
        for shard in self.shards:
            path = self.out / shard["name"]
            if not path.exists():
                continue
            data = path.read_bytes()
            lines = [
                (json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")
                for rec in decode_shard(path)
            ]
            kept, dropped = _filter_lines(lines, ids)
            if dropped:
                data = encode_shard(kept, self.fmt, self.typed)
                atomic_write_bytes(path, data)
                removed += dropped
            # also heals an entry left stale by a crash between an earlier rewrite and its commit
            shard.update(records=len(kept), bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        if self.staging.exists():
            self.close()
            with open(self.staging, "rb") as fh:
                kept, dropped = _filter_lines(fh, ids)
            if dropped:
                atomic_write_bytes(self.staging, b"".join(kept))
                self.staging_records = len(kept)
                removed += dropped
        return removed

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def files(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.shards]


__all__ = [
    "CORPUS",
    "OUTPUT_NAMES",
    "SHARD_RE",
    "ShardedSink",
    "SingleFileSink",
    "decode_shard",
    "atomic_write_bytes",
    "FORMATS",
    "OutputConfig",
    "CorpusSink",
    "SinkError",
    "corpus_files",
    "iter_corpus_records",
    "parse_size",
    "remove_outputs",
]
