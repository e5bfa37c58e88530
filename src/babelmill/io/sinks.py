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

from pathlib import Path
from typing import Any

from babelmill.errors import SinkError
from babelmill.io.files import atomic_write_bytes
from babelmill.io.formats import FORMATS, OutputConfig, decode_shard, parse_size
from babelmill.io.layout import CORPUS, OUTPUT_NAMES, SHARD_RE, corpus_files, iter_corpus_records, remove_outputs
from babelmill.io.shards import ShardedSink
from babelmill.io.single import SingleFileSink
from babelmill.io.sink import CorpusSink


def open_sink(out_dir: Path, state: Any, config: OutputConfig, name: str = "corpus") -> CorpusSink:
    """The writer of output ``name`` (``corpus`` or ``parallel``) in the layout ``config`` asks for."""
    sink_cls = ShardedSink if config.sharded else SingleFileSink
    return sink_cls(out_dir, state, config, name)


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
    "open_sink",
    "remove_outputs",
]
