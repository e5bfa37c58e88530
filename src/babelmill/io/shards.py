"""The sharded layout: records staged in ``.corpus-staging.jsonl`` and converted into numbered,
size-bounded shards ``corpus/part-00000.<format>`` (see :mod:`babelmill.io.sinks`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelmill.errors import SinkError
from babelmill.io.files import atomic_write_bytes, open_regular, own_folder, truncate_to
from babelmill.io.formats import OutputConfig, _pyarrow, _zstd, decode_shard, encode_shard
from babelmill.io.layout import SHARD_RE, shard_number, swap_dir, temp_of
from babelmill.io.sink import CorpusSink, filter_lines, record_line, reorder_lines


class ShardedSink(CorpusSink):
    """Staging JSONL converted into numbered, size-bounded shards; see the module docstring."""

    keeps_places = True

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

    def recover(self) -> int:
        self.check_layout()
        self.shards = json.loads(self.state.get(self.key("shards"), "[]") or "[]")
        if any("/" not in s["name"] for s in self.shards):
            raise SinkError(
                f"{self.out} holds shards of an earlier babelmill beside the other outputs "
                f"({self.shards[0]['name']}); rerun with --rebuild to write them into {self.name}/"
            )
        self._finish_swap()
        committed = {s["name"] for s in self.shards}
        folder = self.out / self.name
        for p in folder.iterdir() if folder.is_dir() else ():
            temp = temp_of(p.name)
            if temp is not None and SHARD_RE.match(temp):
                p.unlink(missing_ok=True)
            elif SHARD_RE.match(p.name) and f"{self.name}/{p.name}" not in committed:
                p.unlink(missing_ok=True)  # sealed after the last commit: rebuilt from staging
        cut = truncate_to(self.staging, int(self.state.get(self.key("staging_bytes"), "0") or 0))
        self.staging_records = int(self.state.get(self.key("staging_records"), "0") or 0)
        return cut

    def _open(self):
        if self.fh is None:
            self.fh = open_regular(self.staging, "ab")  # held for the run; never through a link
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
        with open_regular(self.staging, "rb") as src:
            lines = [line for line in src if line.strip()]
        data = encode_shard(lines, self.fmt, self.typed)
        name = self._next_name()
        own_folder(self.out / self.name)
        atomic_write_bytes(self.out / name, data)
        self.shards.append(
            {"name": name, "records": len(lines), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
        self._reset_staging = True

    def state_values(self) -> dict[str, str]:
        staged = 0 if self._reset_staging else self._open().tell()
        return {
            self.key("layout"): self.layout,
            self.key("shard_size"): str(self.config.shard_bytes),
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
            kept, dropped = filter_lines(self._lines(shard), ids)
            if dropped:
                data = encode_shard(kept, self.fmt, self.typed)
                atomic_write_bytes(path, data)
                removed += dropped
            # also heals an entry left stale by a crash between an earlier rewrite and its commit
            shard.update(records=len(kept), bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        if self.staging.exists():
            self.close()
            with open_regular(self.staging, "rb") as fh:
                kept, dropped = filter_lines(fh, ids)
            if dropped:
                atomic_write_bytes(self.staging, b"".join(kept))
                self.staging_records = len(kept)
                removed += dropped
        return removed

    def _lines(self, shard: dict[str, Any]) -> list[bytes]:
        return [record_line(rec) for rec in decode_shard(self.out / shard["name"])]

    def records(self) -> Iterator[dict[str, Any]]:
        for shard in self.shards:
            yield from decode_shard(self.out / shard["name"])
        if self.staging.exists():
            yield from decode_shard(self.staging)

    def move_records(self, moves: dict[str, int]) -> bool:
        """Put the records of each id in ``moves`` at its index among the others (see
        :func:`~babelmill.io.sink.reorder_lines`) and cut the shards from the one before the
        first change on again by the size rule, so the shards are those a run writing the
        records in this order writes. False while records wait in staging (they stay there).

        The new shards are written into ``.<name>-swap/`` first and named in the run state
        (``<name>_swap``) before any committed shard is replaced, so a run killed in between
        finishes the swap when it starts again (:meth:`recover`)."""
        if not moves or not self.shards:
            return True
        if self.staging_records:
            return False
        lines = [line for shard in self.shards for line in self._lines(shard)]
        new = reorder_lines(lines, moves)
        if new == lines:
            return True
        first = next(i for i, (a, b) in enumerate(zip(lines, new, strict=True)) if a != b)
        start, before = 0, 0  # the shard holding the record before the first change, and its offset
        while before + self.shards[start]["records"] <= max(first - 1, 0):
            before += self.shards[start]["records"]
            start += 1
        number = shard_number(self.shards[start]["name"])
        swap = swap_dir(self.out, self.name)
        shutil.rmtree(swap, ignore_errors=True)
        own_folder(swap)
        entries = []
        for j, chunk in enumerate(self._cut(new[before:])):
            name = f"{self.name}/part-{number + j:05d}.{self.fmt}"
            data = encode_shard(chunk, self.fmt, self.typed)
            atomic_write_bytes(swap / name.rsplit("/", 1)[1], data)
            entries.append(
                {"name": name, "records": len(chunk), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
        self._store({self.key("swap"): json.dumps(entries)})
        self._finish_swap()
        return True

    def _cut(self, lines: list[bytes]) -> list[list[bytes]]:
        """Consecutive records in shards as :meth:`full_before` cuts them while writing."""
        chunks: list[list[bytes]] = []
        size = 0
        for line in lines:
            if not chunks or (size > 0 and size + len(line) > self.limit):
                chunks.append([])
                size = 0
            chunks[-1].append(line)
            size += len(line)
        return chunks

    def _finish_swap(self) -> None:
        """Move the shards a committed swap names into place and commit the new shard list; drop
        a swap that was never committed."""
        swap = swap_dir(self.out, self.name)
        entries = json.loads(self.state.get(self.key("swap"), "") or "null")
        if entries is None:
            shutil.rmtree(swap, ignore_errors=True)
            return
        names = {e["name"] for e in entries}
        start = next((i for i, s in enumerate(self.shards) if s["name"] == entries[0]["name"]), len(self.shards))
        for e in entries:
            src = swap / e["name"].rsplit("/", 1)[1]
            if src.exists():
                os.replace(src, self.out / e["name"])
        for old in self.shards[start:]:
            if old["name"] not in names:
                (self.out / old["name"]).unlink(missing_ok=True)
        self.shards = self.shards[:start] + entries
        self._store({self.key("shards"): json.dumps(self.shards), self.key("swap"): ""})
        shutil.rmtree(swap, ignore_errors=True)

    def _store(self, values: dict[str, str]) -> None:
        """Write values of the run state and commit them at once, not at the next checkpoint."""
        for key, value in values.items():
            if hasattr(self.state, "set"):
                self.state.set(key, value)
            else:  # a plain dict (unit tests)
                self.state[key] = value
        if hasattr(self.state, "commit"):
            self.state.commit()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def files(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.shards]
