"""Where an output directory's corpus files are, and reading them back in any layout.

``corpus.jsonl`` (single layout), or shards ``corpus/part-00000.<format>`` (sharded layout;
the folder holds shards only, so tools read ``OUT/corpus`` as one dataset), or the shards of
earlier versions beside the other outputs (``corpus-00000.<format>``, read, never written). The
parallel corpus is laid out the same way under the name ``parallel``. The writers are in
:mod:`babelmill.io.sinks`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from babelmill.io.formats import decode_shard

CORPUS = "corpus.jsonl"
STAGING = ".corpus-staging.jsonl"
#: the folder of a sharded corpus: only shards in it, so tools read ``OUT/corpus`` as one dataset
SHARD_DIR = "corpus"
#: shard file names inside the folder of an output (``corpus/``, ``parallel/``)
SHARD_RE = re.compile(r"^part-(\d{5,})\.(jsonl|jsonl\.gz|jsonl\.zst|parquet)$")
#: shards of earlier babelmill versions, beside the other outputs (read, never written)
LEGACY_SHARD_RE = re.compile(r"^corpus-(\d{5,})\.(jsonl|jsonl\.gz|jsonl\.zst|parquet)$")
#: outputs written through these sinks: the corpus and the parallel corpus
OUTPUT_NAMES = ("corpus", "parallel")


def swap_dir(out_dir: Path, name: str) -> Path:
    """Where the shards of output ``name`` wait while they are swapped in (see
    :meth:`babelmill.io.shards.ShardedSink.move_records`)."""
    return Path(out_dir) / f".{name}-swap"


def legacy_shard_re(name: str) -> re.Pattern[str]:
    """Shard names of output ``name`` as earlier versions wrote them (``corpus-00000.jsonl.gz``)."""
    return re.compile(rf"^{name}-(\d{{5,}})\.(jsonl|jsonl\.gz|jsonl\.zst|parquet)$")


def shard_number(name: str) -> int:
    base = name.rsplit("/", 1)[-1]
    m = SHARD_RE.match(base) or re.match(r"^[a-z]+-(\d{5,})\.", base)
    return int(m.group(1))


def shard_files(out_dir: Path, name: str) -> list[Path]:
    """The shards of output ``name`` in order: ``OUT/<name>/part-*``, else an earlier layout's."""
    out_dir = Path(out_dir)
    folder = out_dir / name
    shards = [p for p in folder.iterdir() if SHARD_RE.match(p.name)] if folder.is_dir() else []
    if not shards and out_dir.is_dir():
        legacy = legacy_shard_re(name)
        shards = [p for p in out_dir.iterdir() if legacy.match(p.name)]
    return sorted(shards, key=lambda p: shard_number(p.name))


def temp_of(name: str) -> str | None:
    """The file name an atomic write of ``name`` was writing to, if ``name`` is such a temporary."""
    if name.endswith(".tmp"):
        return name[:-4].removeprefix(".")
    return None


def corpus_files(out_dir: Path) -> list[Path]:
    """The corpus files of an output directory in record order (single file or shards)."""
    out_dir = Path(out_dir)
    if (out_dir / CORPUS).exists():
        return [out_dir / CORPUS]
    return shard_files(out_dir, SHARD_DIR)


def iter_corpus_records(out_dir: Path, on_error: Callable[[Path, str], None] | None = None) -> Iterator[dict[str, Any]]:
    """Every corpus record of an output directory, in order, whatever the layout and format."""
    for path in corpus_files(out_dir):
        yield from decode_shard(path, on_error)


def remove_outputs(out_dir: Path) -> None:
    """Delete every corpus and parallel file (``--rebuild``): single files, shards, staging,
    temporaries."""
    if not out_dir.is_dir():
        return
    for name in OUTPUT_NAMES:
        legacy = legacy_shard_re(name)
        for p in out_dir.iterdir():
            base = temp_of(p.name) or p.name
            if base in (f"{name}.jsonl", f".{name}-staging.jsonl") or legacy.match(base):
                p.unlink(missing_ok=True)
        swap = swap_dir(out_dir, name)
        if swap.is_dir() and not swap.is_symlink():
            for p in swap.iterdir():
                if SHARD_RE.match(temp_of(p.name) or p.name):
                    p.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                swap.rmdir()
        folder = out_dir / name
        if folder.is_dir() and not folder.is_symlink():
            for p in folder.iterdir():
                if SHARD_RE.match(temp_of(p.name) or p.name):
                    p.unlink(missing_ok=True)
            try:
                folder.rmdir()  # left in place if it holds anything babelmill did not write
            except OSError:
                pass
