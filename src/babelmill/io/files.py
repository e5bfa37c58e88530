"""File helpers every writer shares: content hashes, atomic replacement, cutting back to a commit,
and opening output files without following links.

Every file babelmill writes in its output folder is opened here, never through a symbolic link
planted under its name (``O_NOFOLLOW``), never blocking on a FIFO (``O_NONBLOCK``), and only
when it is a regular file: a link planted while a run goes on makes that open fail (one
``error:`` line from the runner) instead of overwriting what it points at. Temporary files are
created anew (``O_EXCL``) and renamed over their target inside the same open folder (``rename``
replaces a link, it never writes through one).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

_NO_LINK = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_MODES = {
    "rb": os.O_RDONLY,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "r+b": os.O_RDWR,
}
REFUSED = "refusing to open a link, FIFO or other non-regular file planted under this name"


def open_regular(path: Path | str, mode: str = "rb") -> BinaryIO:
    """Open an output file (``rb``, ``ab`` or ``r+b``) without following a link planted under
    its name and only if it is a regular file; :class:`OSError` (``ELOOP``) otherwise.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); (d / "link").symlink_to(d / "victim")
    >>> open_regular(d / "link", "ab")
    Traceback (most recent call last):
    ...
    OSError: [Errno 40] refusing to open a link, FIFO or other non-regular file planted under this name: ...
    >>> (d / "victim").exists()
    False
    """
    try:
        fd = os.open(path, _MODES[mode] | _NO_LINK, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):  # a link; a FIFO nobody reads
            raise OSError(errno.ELOOP, REFUSED, str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.ELOOP, REFUSED, str(path))
    os.set_blocking(fd, True)
    return os.fdopen(fd, mode)


def _create_new(name: str, dir_fd: int) -> BinaryIO:
    """A fresh file ``name`` in the folder ``dir_fd`` (a stale one of that name is removed first;
    one planted again before the create makes it fail, as ``O_EXCL`` never follows a link)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_LINK
    try:
        fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
    except FileExistsError:
        raise OSError(errno.EEXIST, REFUSED, name) from None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb")


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
    tmp = f".{path.name}.tmp"
    # the temporary is created and renamed inside one open folder: nothing is resolved twice
    dir_fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        with _create_new(tmp, dir_fd) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def own_folder(path: Path) -> Path:
    """Create the folder ``path`` (a shard folder of the output) if needed; :class:`OSError`
    when a link or anything else but a real folder stands there."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise OSError(errno.ELOOP, "refusing to write into a link or non-folder planted under this name", str(path))
    return path


def create_new(path: Path) -> BinaryIO:
    """A fresh file at ``path`` for writing (see :func:`_create_new`): never through a link."""
    dir_fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        return _create_new(path.name, dir_fd)
    finally:
        os.close(dir_fd)


def ends_inside_a_line(path: Path) -> bool:
    """Whether a non-empty JSONL output does not end with a newline. Every commit, and every
    rewrite, leaves whole lines, so after :func:`truncate_to` such a file was cut or edited
    outside babelmill: appending to it would glue the next record onto a broken one."""
    if not path.exists():
        return False
    with open_regular(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return False
        fh.seek(size - 1)
        return fh.read(1) != b"\n"


def truncate_to(path: Path, length: int) -> int:
    """Cut off bytes written after the last commit; returns how many were cut. A file *shorter*
    than the committed length was rewritten without some records (edited inputs) just before a
    crash: it is left as it is, never padded, and the rerun commits its real length."""
    if path.exists() and (size := path.stat().st_size) > length:
        with open_regular(path, "r+b") as fh:
            fh.truncate(length)
        return size - length
    return 0


__all__ = [
    "atomic_write_bytes",
    "create_new",
    "ends_inside_a_line",
    "file_sha256",
    "fsync_dir",
    "open_regular",
    "own_folder",
    "truncate_to",
]
