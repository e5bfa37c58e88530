"""Output formats one function at a time (babelmill.io.formats, babelmill.io.parquet): sizes, the
[output] table, shard bytes (golden gzip), decoding every format, typed Parquet columns."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from babelmill.errors import SinkError
from babelmill.io.formats import DEFAULT_SHARD_SIZE, OutputConfig, decode_shard, encode_shard, parse_size
from babelmill.io.layout import CORPUS, iter_corpus_records
from babelmill.io.sinks import ShardedSink, SingleFileSink, open_sink
from tests.io.records import GOLDEN_GZIP, LINES, PAIRS, jsonl_line, seed_record_as

# -- sizes and the [output] table -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("256MB", 256_000_000),
        (" 256 mb ", 256_000_000),
        ("1MiB", 1024**2),
        ("2KiB", 2048),
        ("2kib", 2048),
        ("1.5k", 1500),
        ("512k", 512_000),
        ("1kb", 1000),
        ("3g", 3 * 1000**3),
        ("1GiB", 1024**3),
        ("2t", 2 * 1000**4),
        ("1TiB", 1024**4),
        ("5b", 5),
        ("1", 1),
        ("1000", 1000),
        (2048, 2048),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", [True, False, 0, -1, "", "0", "0.0001k", "abc", "-5MB", "12 parsecs", "1 2", "MB"])
def test_parse_size_refuses(bad):
    with pytest.raises(ValueError) as err:
        parse_size(bad)
    assert repr(bad) in str(err.value)


def test_parse_size_message_gives_examples():
    with pytest.raises(ValueError, match=r"not a size: 'abc' \(examples: 256MB, 1GiB, 500000\)"):
        parse_size("abc")
    with pytest.raises(ValueError, match="size must be positive, got 0"):
        parse_size(0)


@pytest.mark.parametrize(
    "fmt, size, sharded, shard_bytes, layout",
    [
        ("jsonl", None, False, DEFAULT_SHARD_SIZE, "single:jsonl"),
        ("jsonl", "", False, DEFAULT_SHARD_SIZE, "single:jsonl"),
        ("jsonl", "1MB", True, 1_000_000, "sharded:jsonl"),
        ("jsonl.gz", None, True, DEFAULT_SHARD_SIZE, "sharded:jsonl.gz"),
        ("jsonl.zst", "", True, DEFAULT_SHARD_SIZE, "sharded:jsonl.zst"),
        ("parquet", 5000, True, 5000, "sharded:parquet"),
    ],
)
def test_output_config(fmt, size, sharded, shard_bytes, layout):
    cfg = OutputConfig(format=fmt, shard_size=size)
    assert (cfg.sharded, cfg.shard_bytes, cfg.layout) == (sharded, shard_bytes, layout)
    assert type(open_sink(Path("."), {}, cfg)) is (ShardedSink if sharded else SingleFileSink)


def test_default_shard_size_is_256_mib():
    assert DEFAULT_SHARD_SIZE == 256 * 1024 * 1024


def test_output_config_is_checked():
    with pytest.raises(ValueError, match="format must be one of jsonl, jsonl.gz, jsonl.zst, parquet, not 'csv'"):
        OutputConfig(format="csv")
    with pytest.raises(ValueError, match="not a size"):
        OutputConfig(shard_size="big")
    OutputConfig(shard_size="")  # empty: no shards
    with pytest.raises(ValueError) as err:
        OutputConfig(parallel="yes")
    assert str(err.value) == "parallel must be true or false, not 'yes'"


# -- shard bytes --------------------------------------------------------------------------------------


def test_jsonl_shard_is_the_lines():
    assert encode_shard(LINES, "jsonl") == b"".join(LINES)


def test_gzip_shard_bytes_are_golden():
    data = encode_shard(LINES, "jsonl.gz")
    assert data[3] == 0  # no file name in the header
    assert data[4:8] == b"\0\0\0\0"  # mtime 0
    assert data == GOLDEN_GZIP
    assert gzip.decompress(data) == b"".join(LINES)


def test_gzip_shard_of_many_records_is_golden():
    # big enough for the compression level to show in the bytes
    text = "Der Rat sagte am %d. Mai, die Lage sei ernst. "
    lines = [jsonl_line({"id": f"r{i}", "text": text % i * 3}) for i in range(300)]
    data = encode_shard(lines, "jsonl.gz")
    assert (len(data), hashlib.sha256(data).hexdigest()[:16]) == (2541, "a59ab3953b06ff99")


def test_zstd_shard_round_trips():
    pytest.importorskip("zstandard")
    data = encode_shard(LINES, "jsonl.zst")
    assert data[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    assert data == encode_shard(LINES, "jsonl.zst")
    import zstandard

    assert zstandard.ZstdDecompressor().decompress(data) == b"".join(LINES)


def test_unknown_format_is_refused():
    with pytest.raises(SinkError, match="unknown format 'csv'"):
        encode_shard(LINES, "csv")


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet"])
def test_decode_gives_back_the_records(tmp_path, fmt):
    if fmt == "jsonl.zst":
        pytest.importorskip("zstandard")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    recs = [
        {"id": "a", "title": "T", "text": "x", "source": {"path": "a.txt", "n": [1, 2]}},
        {"id": "b", "text": "中文", "language": "zh", "extra": "plain string"},
    ]
    if fmt == "parquet":  # the corpus schema is fixed: real records, keys in order, come back exactly
        recs = [seed_record_as("a"), seed_record_as("b")]
    path = tmp_path / f"part-00000.{fmt}"
    path.write_bytes(encode_shard([jsonl_line(r) for r in recs], fmt))
    got = list(decode_shard(path))
    assert got == recs and [list(r) for r in got] == [list(r) for r in recs]


def test_parquet_schema_is_typed_with_record_parts_as_structs(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "part-00000.parquet"
    path.write_bytes(encode_shard([jsonl_line(seed_record_as("a")), jsonl_line(seed_record_as("b"))], "parquet"))
    table = pq.read_table(path)
    assert table.column_names[:4] == ["id", "title", "text", "language"]
    assert pa.types.is_struct(table.schema.field("source").type)
    assert pa.types.is_list(table.schema.field("blocks").type)
    assert table.schema.field("metadata").type == pa.string()  # free-form: JSON
    assert table.column("id").to_pylist() == ["a", "b"]
    # a record that does not fit the schema is refused, never written with other types
    with pytest.raises(SinkError, match="does not fit the Parquet schema"):
        encode_shard([jsonl_line({"id": "a", "text": "x"})], "parquet")
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_decode_skips_blank_lines_and_reports_bad_ones(tmp_path):
    path = tmp_path / CORPUS
    path.write_bytes(LINES[0] + b"\n  \n" + b'{"id": "cut' + b"\n" + LINES[1])
    with pytest.raises(ValueError):
        list(decode_shard(path))
    errors = []
    assert [r["id"] for r in decode_shard(path, lambda p, msg: errors.append((p, msg)))] == ["a", "b"]
    assert len(errors) == 1 and errors[0][0] == path and "line 1" in errors[0][1]
    # bytes that are not UTF-8 are one bad line too, reported through iter_corpus_records as well
    path.write_bytes(LINES[0] + b'{"id": "\xff\xfe"}\n' + LINES[1])
    errors.clear()
    assert [r["id"] for r in iter_corpus_records(tmp_path, lambda p, msg: errors.append(msg))] == ["a", "b"]
    assert len(errors) == 1


def test_typed_parquet_columns(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "parallel-00000.parquet"
    path.write_bytes(encode_shard([jsonl_line(r) for r in PAIRS], "parquet", typed=True))
    table = pq.read_table(path)
    assert table.column_names == list(PAIRS[0])
    assert table.schema.metadata[b"babelmill.typed_columns"] == b"1"
    assert str(table.schema.field("n").type) == "int64" and str(table.schema.field("ok").type) == "bool"
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    # records with keys in another order or missing keys: one column per key, first-seen order
    path.write_bytes(encode_shard([jsonl_line({"b": 1}), jsonl_line({"a": "x", "b": 2})], "parquet", typed=True))
    assert pq.read_table(path).column_names == ["b", "a"]
    assert list(decode_shard(path)) == [{"b": 1, "a": None}, {"b": 2, "a": "x"}]
    # an empty shard is still a readable typed file
    path.write_bytes(encode_shard([], "parquet", typed=True))
    assert list(decode_shard(path)) == []
    assert pq.read_table(path).schema.metadata[b"babelmill.typed_columns"] == b"1"
