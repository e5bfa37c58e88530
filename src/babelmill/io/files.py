"""File helpers every writer shares: content hashes, atomic replacement, cutting back to a commit."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks (the one file-hashing helper)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part.

    The temporary file is hidden (``.NAME.tmp``), so tools that read a folder of shards never
    pick it up."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def truncate_to(path: Path, length: int) -> None:
    """Cut off bytes written after the last commit. A file *shorter* than the committed length
    was rewritten without some records (edited inputs) just before a crash: it is left as it is,
    never padded, and the rerun commits its real length."""
    if path.exists() and path.stat().st_size > length:
        with open(path, "r+b") as fh:
            fh.truncate(length)


__all__ = ["atomic_write_bytes", "file_sha256", "fsync_dir", "truncate_to"]
