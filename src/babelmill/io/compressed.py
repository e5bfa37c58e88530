"""Compressed inputs, read transparently: gzip (``.gz``) and zstd (``.zst``).

The compression is recognised by the file's first bytes (its magic number), not by its name, so
a gzip file without ``.gz`` is read too. Decompression is bounded: :func:`read_input_bytes`
never holds more than ``limit + 1`` decompressed bytes, so a small archive that expands to
gigabytes (a "zip bomb") is refused as too large without filling memory. zstd needs the
``zstandard`` package (``pip install 'babelmill[zstd]'``).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: compression suffixes looked through for the extension (the contents are read transparently)
COMPRESSION_SUFFIXES = (".gz", ".zst")
# what counts as an extension: a short run of letters and digits after the last dot
# ("story.2024-01-05" and "page.v12345678" have none)
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}")


def extension_of(name: str) -> str:
    """The lower-cased extension that decides whether a file is read, after a compression
    suffix; ``""`` for none.

    >>> extension_of("a.TXT"), extension_of("b.jsonl.gz"), extension_of("c.json"), extension_of("20240105")
    ('.txt', '.jsonl', '.json', '')
    >>> extension_of("story.2024-01-05"), extension_of("x.gz")
    ('', '')
    """
    lower = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
            break
    suffix = os.path.splitext(lower)[1]
    return suffix if _EXTENSION.fullmatch(suffix) else ""


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class CompressionError(ValueError):
    """A compressed input that cannot be decompressed (truncated, corrupt, or zstd without
    ``zstandard`` installed); the message says which."""


def compression_of(head: bytes) -> str | None:
    """``"gzip"``, ``"zstd"`` or None for the first bytes of a file.

    >>> compression_of(gzip.compress(b"x")), compression_of(b"plain"), compression_of(ZSTD_MAGIC + b"...")
    ('gzip', None, 'zstd')
    """
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def _zstandard():
    try:
        import zstandard
    except ImportError:
        raise CompressionError(
            "zstd-compressed, and the zstandard package is not installed: pip install 'babelmill[zstd]'"
        ) from None
    return zstandard


@contextmanager
def open_input(path: Path | str) -> Iterator[tuple[BinaryIO, str | None]]:
    """``(binary reader of the decompressed bytes, compression or None)`` for ``path``.

    Errors while decompressing surface from the reader's ``read`` as :class:`CompressionError`
    when read through :func:`read_limited`; opening a zstd file without ``zstandard`` raises
    :class:`CompressionError` here."""
    with open(path, "rb") as raw:
        kind = compression_of(raw.read(4))
        raw.seek(0)
        if kind == "gzip":
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                yield fh, kind
        elif kind == "zstd":
            reader = _zstandard().ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with io.BufferedReader(reader) as fh:
                yield fh, kind
        else:
            yield raw, None


def read_limited(fh: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``fh`` (one more than allowed tells the caller it is over);
    a corrupt or truncated compressed stream raises :class:`CompressionError`."""
    try:
        return fh.read(limit + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CompressionError(f"the compressed data is corrupt or cut short ({exc})") from None
    except Exception as exc:  # zstandard.ZstdError and the like
        if type(exc).__module__.startswith("zstandard") or "zstd" in type(exc).__name__.lower():
            raise CompressionError(f"the compressed data is corrupt or cut short ({exc})") from None
        raise


def iter_lines(fh: BinaryIO) -> Iterator[bytes]:
    """The lines of a (decompressed) reader; corrupt compressed data raises
    :class:`CompressionError` naming nothing but the cause (the caller names the file and line)."""
    try:
        yield from fh
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CompressionError(f"the compressed data is corrupt or cut short ({exc})") from None
    except Exception as exc:
        if type(exc).__module__.startswith("zstandard") or "zstd" in type(exc).__name__.lower():
            raise CompressionError(f"the compressed data is corrupt or cut short ({exc})") from None
        raise


__all__ = ["CompressionError", "compression_of", "iter_lines", "open_input", "read_limited"]
