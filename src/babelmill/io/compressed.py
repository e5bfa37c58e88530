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


ZSTD_SKIPPABLE = range(0x184D2A50, 0x184D2A60)  # magic numbers of skippable frames


def zstd_cut_short(fh: BinaryIO) -> bool:
    """True when the zstd frames in ``fh`` (a seekable file at offset 0, left at an unknown
    offset) break off before their end: a frame header, a block or the checksum runs past the
    end of the file. Only the headers are read (RFC 8878, section 3.1); bytes after the frames
    that are not a frame are left to the decompressor to judge.

    >>> import zstandard
    >>> data = zstandard.ZstdCompressor().compress(b"text " * 1000)
    >>> zstd_cut_short(io.BytesIO(data)), zstd_cut_short(io.BytesIO(data[:-1]))
    (False, True)
    """
    size = fh.seek(0, io.SEEK_END)
    pos = 0
    while pos < size:
        fh.seek(pos)
        head = fh.read(14)  # magic, descriptor, window, dictionary id (4), content size (up to 8)
        if len(head) < 4:
            return True
        magic = int.from_bytes(head[:4], "little")
        if magic in ZSTD_SKIPPABLE:
            if len(head) < 8:
                return True
            pos += 8 + int.from_bytes(head[4:8], "little")
            continue
        if head[:4] != ZSTD_MAGIC:
            return False
        if len(head) < 5:
            return True
        descriptor = head[4]
        single_segment = descriptor >> 5 & 1
        content_size_bytes = (0, 2, 4, 8)[descriptor >> 6] or single_segment
        header = 5 + (not single_segment) + (0, 1, 2, 4)[descriptor & 3] + content_size_bytes
        pos += header
        while True:  # blocks: a 3-byte header (last flag, type, size), then the content
            fh.seek(pos)
            block = fh.read(3)
            if len(block) < 3:
                return True
            value = int.from_bytes(block, "little")
            pos += 3 + (1 if (value >> 1) & 3 == 1 else value >> 3)  # an RLE block holds one byte
            if value & 1:
                break
        pos += 4 * (descriptor >> 2 & 1)  # the content checksum
        if pos > size:
            return True
    return pos > size


class _WholeZstd(io.RawIOBase):
    """zstd's stream reader, raising :class:`CompressionError` at its end when the file was cut."""

    def __init__(self, reader, cut_short: bool) -> None:
        self._reader = reader
        self._cut_short = cut_short

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
        super().close()

    def readinto(self, buffer) -> int:
        n = self._reader.readinto(buffer)
        if n == 0 and len(buffer) and self._cut_short:
            raise CompressionError("the compressed data is corrupt or cut short (the zstd frame breaks off)")
        return n


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
            zstandard = _zstandard()
            cut_short = zstd_cut_short(raw)
            raw.seek(0)
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with io.BufferedReader(_WholeZstd(reader, cut_short)) as fh:
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


__all__ = ["CompressionError", "compression_of", "iter_lines", "open_input", "read_limited", "zstd_cut_short"]
