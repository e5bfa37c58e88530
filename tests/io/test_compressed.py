"""Compressed inputs cut short: zstd's stream reader ends quietly where the data ends, so a cut
file must be recognised by its frame structure, as gzip's reader does by itself."""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import pytest
import zstandard

from babelmill.io.compressed import CompressionError, iter_lines, open_input, read_limited
from babelmill.io.jsonl_input import iter_jsonl

WORDS = "council bridge budget river Berlin minister said on Tuesday after debate cost".split()


def _text(n_words: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(n_words)).encode()


def _read(path: Path) -> bytes:
    with open_input(path) as (fh, _):
        return read_limited(fh, 10**8)


@pytest.mark.parametrize("keep", [0.5, 0.9, -1])
def test_a_zstd_file_cut_short_is_refused_not_read_as_its_first_part(tmp_path: Path, keep: float):
    data = zstandard.ZstdCompressor().compress(_text(60_000))
    cut = data[: int(len(data) * keep)] if keep > 0 else data[:keep]
    (tmp_path / "a.txt.zst").write_bytes(cut)
    with pytest.raises(CompressionError, match="cut short"):
        _read(tmp_path / "a.txt.zst")


def test_a_small_zstd_file_cut_short_is_refused_not_read_as_empty(tmp_path: Path):
    data = zstandard.ZstdCompressor().compress(b"A short article about the council. " * 40)
    (tmp_path / "a.txt.zst").write_bytes(data[:-10])
    with pytest.raises(CompressionError, match="cut short"):
        _read(tmp_path / "a.txt.zst")


@pytest.mark.parametrize(
    "compress",
    [
        lambda b: zstandard.ZstdCompressor().compress(b),
        lambda b: zstandard.ZstdCompressor(write_checksum=True, write_content_size=False).compress(b),
        lambda b: zstandard.ZstdCompressor(level=19).compress(b[:1000]) + zstandard.ZstdCompressor().compress(b[1000:]),
        lambda b: zstandard.ZstdCompressor().compress(b) + b"\x50\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"skip!",
        lambda b: zstandard.ZstdCompressor().compress(b""),
    ],
    ids=["plain", "checksum_no_size", "two_frames", "skippable_frame", "empty_frame"],
)
def test_whole_zstd_files_read_whole(tmp_path: Path, compress):
    raw = _text(50_000, seed=3)
    data = compress(raw)
    (tmp_path / "a.txt.zst").write_bytes(data)
    expected = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True).read()
    assert _read(tmp_path / "a.txt.zst") == expected


def test_a_streamed_zstd_file_reads_whole(tmp_path: Path):
    raw = _text(80_000, seed=4)
    buf = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(buf, closefd=False) as writer:
        for i in range(0, len(raw), 7_000):
            writer.write(raw[i : i + 7_000])
            writer.flush()
    (tmp_path / "a.txt.zst").write_bytes(buf.getvalue())
    assert _read(tmp_path / "a.txt.zst") == raw
    with open_input(tmp_path / "a.txt.zst") as (fh, _):
        assert b"".join(iter_lines(fh)) == raw


def test_a_cut_zstd_jsonl_shard_ends_in_one_bad_compression_line_as_gzip_does(tmp_path: Path):
    lines = [json.dumps({"id": f"d{i}", "text": _text(300, seed=i).decode()}) for i in range(200)]
    body = ("\n".join(lines) + "\n").encode()
    for name, packed in [
        ("s.jsonl.zst", zstandard.ZstdCompressor().compress(body)),
        ("s.jsonl.gz", gzip.compress(body)),
    ]:
        path = tmp_path / name
        path.write_bytes(packed[: len(packed) * 2 // 3])
        read = list(iter_jsonl(str(path), name))
        assert [r.reason for r in read[:-1]] == [None] * (len(read) - 1), name
        assert read[-1].reason == "bad_compression", name
        assert "cut short" in read[-1].message
