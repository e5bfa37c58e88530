"""Corpus file formats: JSONL, gzip- and zstd-compressed JSONL, typed Parquet; sizes; [output].

:func:`encode_shard` turns JSONL lines into the bytes of one file in a format and
:func:`decode_shard` gives the records of a file back, whatever its format. Compressed files are
deterministic (gzip ``mtime=0`` and no file name in the header; zstd single-threaded); Parquet
shards have one fixed, typed schema (:mod:`babelmill.io.parquet`).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelmill.errors import SinkError
from babelmill.io.parquet import records_to_table, table_to_records

FORMATS = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet")
DEFAULT_SHARD_SIZE = 256 * 1024 * 1024
#: Parquet schema metadata key marking shards of flat records with inferred column types
TYPED_MARK = b"babelmill.typed_columns"
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)$", re.IGNORECASE)  # on the stripped text
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str | int) -> int:
    """``"256MB"`` -> bytes. Decimal units (KB, MB, GB), binary with ``i`` (MiB), plain bytes.

    >>> parse_size("256MB"), parse_size("1MiB"), parse_size("512k"), parse_size(2048)
    (256000000, 1048576, 512000, 2048)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        m = _SIZE_RE.match(str(text).strip())
        if not m:
            raise ValueError(f"not a size: {text!r} (examples: 256MB, 1GiB, 500000)")
        unit = (m.group(2) or "").lower()
        base = unit[:1] if unit[:1] in "kmgt" and unit else ""
        factor = (1024 ** ("kmgt".index(base) + 1)) if base and "i" in unit else _UNITS[base]
        value = int(float(m.group(1)) * factor)
    if value <= 0:
        raise ValueError(f"size must be positive, got {text!r}")
    return value


@dataclass
class OutputConfig:
    """The ``[output]`` table of a pipeline TOML (``--format`` / ``--shard-size`` override it).

    Args:
        format: ``jsonl`` (default), ``jsonl.gz``, ``jsonl.zst`` (needs ``zstandard``) or
            ``parquet`` (needs ``pyarrow``).
        shard_size: uncompressed JSONL bytes per shard, e.g. ``"256MB"``. Empty keeps the single
            ``corpus.jsonl`` for ``jsonl``; compressed and Parquet output is always sharded
            (256MB by default) because those files cannot be appended to safely.
        parallel: also write ``parallel.jsonl`` (in the same format and sharding as the corpus):
            every translated sentence aligned with its English (see ``output/README.md``).
    """

    format: str = "jsonl"
    shard_size: str | int | None = None
    parallel: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.parallel, bool):
            raise ValueError(f"parallel must be true or false, not {self.parallel!r}")
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.shard_size is not None and self.shard_size != "":
            parse_size(self.shard_size)

    @property
    def sharded(self) -> bool:
        return self.format != "jsonl" or self.shard_size not in (None, "")

    @property
    def shard_bytes(self) -> int:
        return parse_size(self.shard_size) if self.shard_size not in (None, "") else DEFAULT_SHARD_SIZE

    @property
    def layout(self) -> str:
        return f"sharded:{self.format}" if self.sharded else "single:jsonl"


def _zstd():
    try:
        import zstandard
    except ImportError:
        raise SinkError("--format jsonl.zst needs the zstandard package: pip install 'babelmill[zstd]'") from None
    return zstandard


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise SinkError("--format parquet needs pyarrow: pip install 'babelmill[parquet]'") from None
    return pyarrow


def _typed_table(records: list[dict[str, Any]]):
    """A Parquet table with one typed column per key (pyarrow infers the types)."""
    pa = _pyarrow()
    keys: list[str] = []
    for rec in records:
        keys.extend(k for k in rec if k not in keys)
    # every row gets every key: pyarrow takes the columns from the first row only
    table = pa.Table.from_pylist([{k: rec.get(k) for k in keys} for rec in records]) if records else pa.table({})
    return table.replace_schema_metadata({TYPED_MARK: b"1"})


def encode_shard(lines: list[bytes], fmt: str, typed: bool = False) -> bytes:
    """JSONL lines (each ending in a newline) -> the bytes of one shard file in ``fmt``.

    Parquet: corpus records get the fixed typed schema of :mod:`babelmill.io.parquet`; with
    ``typed``, flat records (the parallel corpus) get one column per key, types inferred."""
    raw = b"".join(lines)
    if fmt == "jsonl":
        return raw
    if fmt == "jsonl.gz":
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
            gz.write(raw)
        return buf.getvalue()
    if fmt == "jsonl.zst":
        return _zstd().ZstdCompressor(level=3, threads=0).compress(raw)
    if fmt == "parquet" and typed:
        pa = _pyarrow()
        buf = pa.BufferOutputStream()
        pa.parquet.write_table(_typed_table([json.loads(line) for line in lines]), buf, compression="zstd")
        return buf.getvalue().to_pybytes()
    if fmt == "parquet":
        pa = _pyarrow()
        table = records_to_table(pa, [json.loads(line) for line in lines])
        buf = pa.BufferOutputStream()
        pa.parquet.write_table(table, buf, compression="zstd")
        return buf.getvalue().to_pybytes()
    raise SinkError(f"unknown format {fmt!r}")


def decode_shard(path: Path, on_error: Callable[[Path, str], None] | None = None) -> Iterator[dict[str, Any]]:
    """The records of one corpus file, in order, whatever its format.

    A JSONL line that does not parse (the uncommitted tail of a run that was killed, before the
    next run cuts it off) raises, or, with ``on_error``, is reported there and skipped.
    """
    name = path.name
    if name.endswith(".parquet"):
        pa = _pyarrow()
        table = pa.parquet.read_table(path)
        if (table.schema.metadata or {}).get(TYPED_MARK):
            yield from table.to_pylist()
        else:
            yield from table_to_records(table)
        return
    if name.endswith(".gz"):
        opener = gzip.open(path, "rb")
    elif name.endswith(".zst"):
        opener = _zstd().open(path, "rt", encoding="utf-8")  # its binary reader does not iterate lines
    else:
        opener = open(path, "rb")  # noqa: SIM115 - closed below
    with opener as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                if on_error is None:
                    raise
                on_error(path, str(exc))
                continue
            yield record


__all__ = ["DEFAULT_SHARD_SIZE", "FORMATS", "OutputConfig", "decode_shard", "encode_shard", "parse_size"]
