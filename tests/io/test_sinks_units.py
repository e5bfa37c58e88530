"""The corpus sinks one method at a time (babelmill.io.sinks), with a dict as run state: sizes,
layouts, shard bytes (golden gzip), recovery, record removal and what the manifest is told."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import pytest

from babelmill.errors import SinkError
from babelmill.io.formats import DEFAULT_SHARD_SIZE, OutputConfig, decode_shard, encode_shard, parse_size
from babelmill.io.layout import CORPUS, STAGING, corpus_files, iter_corpus_records, remove_outputs
from babelmill.io.sinks import CorpusSink, ShardedSink, SingleFileSink


def _line(rec: dict) -> bytes:
    return (json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


LINES = [_line({"id": "a", "text": "Hallo Welt"}), _line({"id": "b", "text": "中文"})]
SEED_RECORD = json.loads((Path(__file__).parents[2] / "output" / "corpus.jsonl").read_text("utf-8").splitlines()[0])


def _rec(doc_id: str) -> dict:
    """A real corpus record (the first seed's) under another id: what Parquet shards hold."""
    return {**json.loads(json.dumps(SEED_RECORD)), "id": doc_id}


# The bytes of a gzip shard holding LINES. Shards are compared by sha256 across runs and
# machines; if this changes on purpose (another level, header, library), say in the change that
# existing sharded outputs get different bytes and need `babelmill run ... --rebuild`.
GOLDEN_GZIP = bytes.fromhex(
    "1f8b08000000000000ffab56ca4c51b252504a54d251502a49ad2801713c127372f215c253734a946ab9aaa12a9290553cd9b1f6d9b476a02c009e"
    "74ca7a40000000"
)


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
    assert type(CorpusSink.open(Path("."), {}, cfg)) is (ShardedSink if sharded else SingleFileSink)


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
    lines = [_line({"id": f"r{i}", "text": text % i * 3}) for i in range(300)]
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
        recs = [_rec("a"), _rec("b")]
    path = tmp_path / f"part-00000.{fmt}"
    path.write_bytes(encode_shard([_line(r) for r in recs], fmt))
    got = list(decode_shard(path))
    assert got == recs and [list(r) for r in got] == [list(r) for r in recs]


def test_parquet_schema_is_typed_with_record_parts_as_structs(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "part-00000.parquet"
    path.write_bytes(encode_shard([_line(_rec("a")), _line(_rec("b"))], "parquet"))
    table = pq.read_table(path)
    assert table.column_names[:4] == ["id", "title", "text", "language"]
    assert pa.types.is_struct(table.schema.field("source").type)
    assert pa.types.is_list(table.schema.field("blocks").type)
    assert table.schema.field("metadata").type == pa.string()  # free-form: JSON
    assert table.column("id").to_pylist() == ["a", "b"]
    # a record that does not fit the schema is refused, never written with other types
    with pytest.raises(SinkError, match="does not fit the Parquet schema"):
        encode_shard([_line({"id": "a", "text": "x"})], "parquet")
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


# -- files of an output directory -----------------------------------------------------------------


def test_corpus_files_in_record_order(tmp_path):
    assert corpus_files(tmp_path / "missing") == []
    shards = ("corpus-00010.jsonl", "corpus-00002.jsonl", "corpus-100000.jsonl", "corpus-99999.jsonl", "corpus-1.jsonl")
    for name in shards:
        (tmp_path / name).write_bytes(LINES[0])
    for name in ("corpus-00003.txt", "corpus-00004.jsonl.tmp", "xcorpus-00005.jsonl", STAGING):
        (tmp_path / name).write_bytes(LINES[1])
    assert [p.name for p in corpus_files(tmp_path)] == [
        "corpus-00002.jsonl",
        "corpus-00010.jsonl",
        "corpus-99999.jsonl",
        "corpus-100000.jsonl",
    ]
    assert [r["id"] for r in iter_corpus_records(tmp_path)] == ["a", "a", "a", "a"]
    (tmp_path / CORPUS).write_bytes(LINES[1])  # a single corpus file wins
    assert corpus_files(tmp_path) == [tmp_path / CORPUS]
    assert [r["id"] for r in iter_corpus_records(str(tmp_path))] == ["b"]


def test_remove_outputs_deletes_corpus_files_and_their_temporaries_only(tmp_path):
    remove_outputs(tmp_path / "missing")  # nothing to do
    doomed = [CORPUS, f".{CORPUS}.tmp", STAGING, CORPUS + ".tmp", "corpus-00000.jsonl.gz", "parallel.jsonl"]
    doomed += ["corpus/part-00000.jsonl.gz", "corpus/.part-00001.parquet.tmp", "parallel/part-00000.jsonl.gz"]
    kept = ["manifest.json", ".manifest.json.tmp", "rejected.jsonl", "notes.tmp", "corpus-00001.txt", "corpus-1.jsonl"]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "parallel").mkdir()
    for name in doomed + kept:
        (tmp_path / name).write_text("x")
    (tmp_path / "state").mkdir()
    remove_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + ["state"])  # empty shard folders go
    # a shard folder holding anything else stays, with that file
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "mine.txt").write_text("x")
    remove_outputs(tmp_path)
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["mine.txt"]


# -- single file ---------------------------------------------------------------------------------------


def _single(tmp_path, state=None) -> SingleFileSink:
    sink = CorpusSink.open(tmp_path, state or {}, OutputConfig())
    sink.recover()
    return sink


def test_single_file_appends_and_reports_committed_length(tmp_path):
    sink = _single(tmp_path)
    assert sink.files() == []
    assert sink.full_before(LINES[0]) is False
    sink.write(LINES[0])
    sink.flush()
    assert sink.state_values() == {"corpus_bytes": str(len(LINES[0])), "corpus_layout": "single:jsonl"}
    sink.write(LINES[1])
    sink.close()
    data = b"".join(LINES)
    assert (tmp_path / CORPUS).read_bytes() == data
    assert sink.files() == [
        {"name": CORPUS, "records": 2, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    ]


def test_single_file_recover_cuts_back_to_the_commit(tmp_path):
    (tmp_path / CORPUS).write_bytes(LINES[0] + b'{"id": "half')
    sink = _single(tmp_path, {"corpus_bytes": str(len(LINES[0])), "corpus_layout": "single:jsonl"})
    assert (tmp_path / CORPUS).read_bytes() == LINES[0]
    sink.write(LINES[1])
    sink.close()
    assert [r["id"] for r in iter_corpus_records(tmp_path)] == ["a", "b"]


def test_single_file_remove_ids_counts_and_manifest_bytes(tmp_path):
    sink = _single(tmp_path)
    for rec in ({"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "b"}):
        sink.write(_line(rec))
    assert sink.remove_ids(set()) == 0
    assert sink.remove_ids({"b", "zzz"}) == 2
    kept = _line({"id": "a"}) + _line({"id": "c"})
    assert (tmp_path / CORPUS).read_bytes() == kept
    assert not (tmp_path / (CORPUS + ".tmp")).exists()
    manifest = {"name": CORPUS, "records": 2, "bytes": len(kept), "sha256": hashlib.sha256(kept).hexdigest()}
    assert sink.files() == [manifest]
    assert sink.state_values()["corpus_bytes"] == str(len(kept))  # reopened at the new end
    inode = (tmp_path / CORPUS).stat().st_ino
    assert sink.remove_ids({"zzz"}) == 0
    assert (tmp_path / CORPUS).stat().st_ino == inode  # nothing removed: not rewritten
    sink.write(_line({"id": "d"}))
    sink.close()
    assert [r["id"] for r in iter_corpus_records(tmp_path)] == ["a", "c", "d"]


@pytest.mark.parametrize("state", [{}, {"corpus_bytes": ""}])
def test_single_file_without_a_commit_starts_empty(tmp_path, state):
    (tmp_path / CORPUS).write_bytes(LINES[0])  # written by a run that died before its first commit
    _single(tmp_path, state)
    assert (tmp_path / CORPUS).read_bytes() == b""


@pytest.mark.parametrize("state", [{}, {"corpus_staging_bytes": "", "corpus_staging_records": ""}])
def test_staging_without_a_commit_starts_empty(tmp_path, state):
    (tmp_path / STAGING).write_bytes(LINES[0])
    sink = _sharded(tmp_path, state=state)
    assert (tmp_path / STAGING).read_bytes() == b""
    assert (sink.staging_records, sink.files()) == (0, [])


def test_single_file_counts_records_of_any_bytes(tmp_path):
    (tmp_path / CORPUS).write_bytes(LINES[0] + b'{"id": "\xe9"}\n')  # not UTF-8: still a record
    assert _single(tmp_path, {"corpus_bytes": "100"}).files()[0]["records"] == 2


def test_single_file_remove_ids_without_a_file(tmp_path):
    assert SingleFileSink(tmp_path, {}, OutputConfig()).remove_ids({"a"}) == 0


# -- layouts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, fmt, message",
    [
        ({"corpus_layout": "sharded:jsonl.gz"}, "jsonl", "written as sharded jsonl.gz, not single jsonl"),
        ({"corpus_layout": "single:jsonl"}, "parquet", "written as single jsonl, not sharded parquet"),
        ({"corpus_bytes": "10"}, "jsonl.gz", "written as single jsonl, not sharded jsonl.gz"),  # before layouts
        ({"corpus_bytes": "1"}, "jsonl.gz", "written as single jsonl, not sharded jsonl.gz"),
    ],
)
def test_another_layout_is_refused(tmp_path, state, fmt, message):
    sink = CorpusSink.open(tmp_path, state, OutputConfig(format=fmt))
    with pytest.raises(SinkError, match=message) as err:
        sink.recover()
    assert str(err.value).startswith(f"{tmp_path} holds a corpus written as ")
    assert str(err.value).endswith(
        "; rerun with the same --format/--shard-size, or use --rebuild or another -o directory"
    )


@pytest.mark.parametrize("state", [{}, {"corpus_bytes": "0"}, {"corpus_bytes": ""}])
def test_a_fresh_state_takes_any_layout(tmp_path, state):
    CorpusSink.open(tmp_path, state, OutputConfig(format="jsonl.gz")).recover()
    CorpusSink.open(tmp_path, state, OutputConfig()).recover()


def test_base_sink_does_nothing():
    sink = CorpusSink(Path("."), {}, OutputConfig())
    assert (sink.full_before(b"x"), sink.state_values(), sink.remove_ids({"a"}), sink.files()) == (False, {}, 0, [])


# -- shards --------------------------------------------------------------------------------------------


def _sharded(tmp_path, fmt="jsonl", size=100, state=None) -> ShardedSink:
    sink = CorpusSink.open(tmp_path, state or {}, OutputConfig(format=fmt, shard_size=size))
    sink.recover()
    return sink


def _commit(sink: ShardedSink) -> dict[str, str]:
    values = sink.state_values()
    sink.after_commit()
    return values


def test_shard_is_full_only_when_the_next_record_would_pass_the_size(tmp_path):
    line = b"x" * 39 + b"\n"  # 40 bytes
    sink = _sharded(tmp_path, size=80)
    assert sink.full_before(b"y" * 500) is False  # an empty shard takes any record
    sink.write(line)
    assert sink.full_before(line) is False  # 80 == size: fits
    sink.write(line)
    assert sink.full_before(b"\n") is True
    (tmp_path / "small").mkdir()
    small = _sharded(tmp_path / "small", size=1)
    small.write(b"\n")  # one byte staged: the shard is no longer empty
    assert small.full_before(b"\n") is True
    small.close()


def test_seal_writes_the_next_shard_and_commit_resets_staging(tmp_path):
    sink = _sharded(tmp_path, fmt="jsonl.gz")
    sink.seal()  # nothing staged: no shard
    assert sink.files() == []
    for line in LINES:
        sink.write(line)
    sink.flush()
    staged = _commit(sink)
    assert staged == {
        "corpus_layout": "sharded:jsonl.gz",
        "corpus_shards": "[]",
        "corpus_staging_bytes": str(len(b"".join(LINES))),
        "corpus_staging_records": "2",
    }
    sink.seal()
    sink.seal()  # already sealed, not yet committed: no second shard
    shard = {"name": "corpus/part-00000.jsonl.gz", "records": 2, "bytes": len(GOLDEN_GZIP)}
    shard["sha256"] = hashlib.sha256(GOLDEN_GZIP).hexdigest()
    assert sink.files() == [shard]
    assert (tmp_path / "corpus" / "part-00000.jsonl.gz").read_bytes() == GOLDEN_GZIP
    values = _commit(sink)
    assert values["corpus_staging_bytes"] == "0" and values["corpus_staging_records"] == "0"
    assert json.loads(values["corpus_shards"]) == [shard]
    assert (tmp_path / STAGING).read_bytes() == b""
    assert sink.staging_records == 0
    assert sink.state_values()["corpus_staging_bytes"] == "0"  # staging rewound, not just emptied
    # files() hands out copies: the manifest cannot change the sink's list
    sink.files()[0]["records"] = 99
    assert sink.files() == [shard]
    # the next shard is numbered after the last one
    sink.write(LINES[0])
    sink.seal()
    assert [f["name"] for f in sink.files()] == ["corpus/part-00000.jsonl.gz", "corpus/part-00001.jsonl.gz"]
    assert sink.state_values()["corpus_staging_records"] == "0"
    sink.close()


def test_shard_numbers_continue_from_the_committed_list(tmp_path):
    state = {"corpus_layout": "sharded:jsonl", "corpus_shards": json.dumps([{"name": "corpus/part-00007.jsonl"}])}
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-00007.jsonl").write_bytes(LINES[0])
    sink = _sharded(tmp_path, state=state)
    sink.write(LINES[1])
    sink.seal()
    assert sink.files()[-1]["name"] == "corpus/part-00008.jsonl"
    sink.close()
    # shards of an earlier version beside the other outputs: a rebuild, not a mixed layout
    legacy = {"corpus_layout": "sharded:jsonl", "corpus_shards": json.dumps([{"name": "corpus-00007.jsonl"}])}
    with pytest.raises(SinkError, match="--rebuild"):
        _sharded(tmp_path / "old", state=legacy)


def test_recover_removes_uncommitted_shards_and_temporaries_and_cuts_staging(tmp_path):
    committed = {"name": "corpus/part-00000.jsonl", "records": 1, "bytes": len(LINES[0]), "sha256": "x"}
    state = {
        "corpus_layout": "sharded:jsonl",
        "corpus_shards": json.dumps([committed]),
        "corpus_staging_bytes": str(len(LINES[1])),
        "corpus_staging_records": "1",
    }
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-00000.jsonl").write_bytes(LINES[0])
    (tmp_path / "corpus" / "part-00001.jsonl").write_bytes(LINES[1])  # sealed after the last commit
    (tmp_path / "corpus" / ".part-00002.jsonl.tmp").write_bytes(b"part")
    (tmp_path / "notes.tmp").write_bytes(b"mine")
    (tmp_path / STAGING).write_bytes(LINES[1] + b'{"id": "cut')
    sink = _sharded(tmp_path, state=state)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STAGING, "corpus", "notes.tmp"]
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["part-00000.jsonl"]
    assert (tmp_path / STAGING).read_bytes() == LINES[1]
    assert sink.staging_records == 1
    assert sink.files() == [committed]
    sink.write(LINES[0])
    assert sink.state_values()["corpus_staging_records"] == "2"
    sink.close()


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_remove_ids_rewrites_shards_and_staging_and_the_manifest_entries(tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    sink = _sharded(tmp_path, fmt=fmt)
    first = {**_rec("a"), "text": "Straße 中文"}  # non-ASCII records are rewritten byte for byte
    for rec in (first, _rec("b"), _rec("c")):
        sink.write(_line(rec))
    sink.seal()
    _commit(sink)
    for doc_id in ("b", "x"):
        sink.write(_line(_rec(doc_id)))
    sink.seal()
    _commit(sink)
    for doc_id in ("b", "d", "d2"):
        sink.write(_line(_rec(doc_id)))
    sink.flush()
    assert sink.remove_ids(set()) == 0
    assert sink.remove_ids({"b"}) == 3  # one in each shard, one staged
    path = tmp_path / "corpus" / f"part-00000.{fmt}"
    data = path.read_bytes()
    assert sink.files()[0] == {
        "name": f"corpus/{path.name}",
        "records": 2,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert data == encode_shard([_line(first), _line(_rec("c"))], fmt)
    assert (tmp_path / STAGING).read_bytes() == _line(_rec("d")) + _line(_rec("d2"))
    assert sink.staging_records == 2
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert sink.remove_ids({"zzz"}) == 0
    sink.write(_line(_rec("e")))
    sink.seal()
    _commit(sink)
    assert [r["id"] for r in iter_corpus_records(tmp_path)] == ["a", "c", "x", "d", "d2", "e"]


def test_remove_ids_heals_a_stale_manifest_entry_and_skips_missing_shards(tmp_path):
    stale = {"name": "corpus/part-00000.jsonl", "records": 5, "bytes": 1, "sha256": "stale"}
    gone = {"name": "corpus/part-00001.jsonl", "records": 1, "bytes": 1, "sha256": "gone"}
    state = {"corpus_layout": "sharded:jsonl", "corpus_shards": json.dumps([gone, stale])}
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-00000.jsonl").write_bytes(LINES[0])
    sink = _sharded(tmp_path, state=state)
    assert sink.remove_ids({"zzz"}) == 0
    assert sink.files() == [
        gone,
        {"name": stale["name"], "records": 1, "bytes": len(LINES[0]), "sha256": hashlib.sha256(LINES[0]).hexdigest()},
    ]


def test_a_missing_format_library_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(SinkError) as err:
        CorpusSink.open(tmp_path, {}, OutputConfig(format="jsonl.zst"))
    assert str(err.value) == "--format jsonl.zst needs the zstandard package: pip install 'babelmill[zstd]'"
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(SinkError) as err:
        CorpusSink.open(tmp_path, {}, OutputConfig(format="parquet"))
    assert str(err.value) == "--format parquet needs pyarrow: pip install 'babelmill[parquet]'"


# -- the parallel output: same sinks, its own names, state keys and typed Parquet --------------------

PAIRS = [
    {"id": "a", "src": "Hallo", "tgt": "Hello", "n": 1, "score": 0.5, "ok": True, "flags": ["x"], "note": None},
    {"id": "b", "src": "Welt", "tgt": "World", "n": 2, "score": -1.25, "ok": False, "flags": [], "note": "y"},
]


TYPES = {
    "jsonl": None,
    "parquet": ["string", "string", "string", "int64", "double", "bool"],
}


def _column_types(path: Path) -> list[str] | None:
    if path.suffix != ".parquet":
        return None
    import pyarrow.parquet as pq

    return [str(f.type) for f in pq.read_table(path).schema][:6]  # the columns whose type the data fixes


def test_an_unknown_output_name_is_refused(tmp_path):
    with pytest.raises(ValueError) as err:
        CorpusSink.open(tmp_path, {}, OutputConfig(), "pairs")
    assert str(err.value) == "output name must be one of corpus, parallel, not 'pairs'"


def test_parallel_single_file_has_its_own_file_and_state_keys(tmp_path):
    state = {"corpus_bytes": "999", "corpus_layout": "sharded:parquet"}  # the corpus's, not ours
    sink = CorpusSink.open(tmp_path, state, OutputConfig(), "parallel")
    sink.recover()
    assert (sink.key("bytes"), sink.typed) == ("parallel_bytes", True)
    sink.write(_line(PAIRS[0]))
    sink.flush()
    assert sink.state_values() == {"parallel_bytes": str(len(_line(PAIRS[0]))), "parallel_layout": "single:jsonl"}
    assert [f["name"] for f in sink.files()] == ["parallel.jsonl"]
    assert not (tmp_path / CORPUS).exists()
    sink.close()


def test_parallel_layout_is_checked_on_its_own_keys(tmp_path):
    sink = CorpusSink.open(tmp_path, {"parallel_bytes": "10"}, OutputConfig(format="jsonl.gz"), "parallel")
    with pytest.raises(SinkError, match="single jsonl, not sharded jsonl.gz"):
        sink.recover()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_parallel_shards_keep_their_names_and_types(tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-00000.jsonl").write_bytes(LINES[0])  # another output's shard: left alone
    (tmp_path / "parallel").mkdir()
    (tmp_path / "parallel" / f"part-00003.{fmt}").write_bytes(b"uncommitted")
    (tmp_path / "parallel" / f".part-00004.{fmt}.tmp").write_bytes(b"part")
    sink = CorpusSink.open(tmp_path, {}, OutputConfig(format=fmt, shard_size=10_000), "parallel")
    sink.recover()
    assert [p.name for p in (tmp_path / "parallel").iterdir()] == []
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["part-00000.jsonl"]
    for rec in PAIRS:
        sink.write(_line(rec))
    sink.seal()
    values = sink.state_values()
    sink.after_commit()
    assert set(values) == {"parallel_layout", "parallel_shards", "parallel_staging_bytes", "parallel_staging_records"}
    assert [s["name"] for s in json.loads(values["parallel_shards"])] == [f"parallel/part-00000.{fmt}"]
    assert (tmp_path / ".parallel-staging.jsonl").read_bytes() == b""
    # typed Parquet: numbers, booleans, lists and nulls come back as they went in
    assert list(decode_shard(tmp_path / "parallel" / f"part-00000.{fmt}")) == PAIRS
    assert _column_types(tmp_path / "parallel" / f"part-00000.{fmt}") == TYPES[fmt]
    assert sink.remove_ids({"a"}) == 1
    assert list(decode_shard(tmp_path / "parallel" / f"part-00000.{fmt}")) == PAIRS[1:]
    assert _column_types(tmp_path / "parallel" / f"part-00000.{fmt}") == TYPES[fmt]  # still typed after the rewrite
    sink.write(_line(PAIRS[0]))
    sink.seal()
    assert [s["name"] for s in sink.files()] == [f"parallel/part-00000.{fmt}", f"parallel/part-00001.{fmt}"]
    sink.close()


def test_typed_parquet_columns(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "parallel-00000.parquet"
    path.write_bytes(encode_shard([_line(r) for r in PAIRS], "parquet", typed=True))
    table = pq.read_table(path)
    assert table.column_names == list(PAIRS[0])
    assert table.schema.metadata[b"babelmill.typed_columns"] == b"1"
    assert str(table.schema.field("n").type) == "int64" and str(table.schema.field("ok").type) == "bool"
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    # records with keys in another order or missing keys: one column per key, first-seen order
    path.write_bytes(encode_shard([_line({"b": 1}), _line({"a": "x", "b": 2})], "parquet", typed=True))
    assert pq.read_table(path).column_names == ["b", "a"]
    assert list(decode_shard(path)) == [{"b": 1, "a": None}, {"b": 2, "a": "x"}]
    # an empty shard is still a readable typed file
    path.write_bytes(encode_shard([], "parquet", typed=True))
    assert list(decode_shard(path)) == []
    assert pq.read_table(path).schema.metadata[b"babelmill.typed_columns"] == b"1"


def test_remove_outputs_takes_the_parallel_files_too(tmp_path):
    doomed = ["parallel.jsonl", "parallel.jsonl.tmp", ".parallel-staging.jsonl", "parallel-00000.parquet"]
    kept = ["parallel.txt", "parallel-1.jsonl", "parallel.json"]
    for name in doomed + kept:
        (tmp_path / name).write_text("x")
    remove_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_sinks_write_the_corpus_unless_told_otherwise(tmp_path):
    assert ShardedSink(tmp_path, {}, OutputConfig(format="jsonl.gz")).name == "corpus"
    assert SingleFileSink(tmp_path, {}, OutputConfig()).path == tmp_path / CORPUS
