"""The sharded layout one method at a time (babelmill.io.shards), with a dict as run state:
sizes, sealing, recovery, record removal, records put back in their place."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from babelmill.errors import SinkError
from babelmill.io.formats import OutputConfig, decode_shard, encode_shard
from babelmill.io.layout import STAGING, iter_corpus_records
from babelmill.io.sinks import ShardedSink, open_sink
from tests.io.records import GOLDEN_GZIP, LINES, PAIRS, TYPES, column_types, jsonl_line, seed_record_as

# -- shards --------------------------------------------------------------------------------------------


def _sharded(tmp_path, fmt="jsonl", size=100, state=None) -> ShardedSink:
    sink = open_sink(tmp_path, {} if state is None else state, OutputConfig(format=fmt, shard_size=size))
    sink.recover()
    return sink


def _commit(sink: ShardedSink) -> dict[str, str]:
    values = sink.state_values()
    sink.after_commit()
    return values


@pytest.mark.parametrize("state", [{}, {"corpus_staging_bytes": "", "corpus_staging_records": ""}])
def test_staging_without_a_commit_starts_empty(tmp_path, state):
    (tmp_path / STAGING).write_bytes(LINES[0])
    sink = _sharded(tmp_path, state=state)
    assert (tmp_path / STAGING).read_bytes() == b""
    assert (sink.staging_records, sink.files()) == (0, [])


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
        "corpus_shard_size": "100",
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
    first = {**seed_record_as("a"), "text": "Straße 中文"}  # non-ASCII records are rewritten byte for byte
    for rec in (first, seed_record_as("b"), seed_record_as("c")):
        sink.write(jsonl_line(rec))
    sink.seal()
    _commit(sink)
    for doc_id in ("b", "x"):
        sink.write(jsonl_line(seed_record_as(doc_id)))
    sink.seal()
    _commit(sink)
    for doc_id in ("b", "d", "d2"):
        sink.write(jsonl_line(seed_record_as(doc_id)))
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
    assert data == encode_shard([jsonl_line(first), jsonl_line(seed_record_as("c"))], fmt)
    assert (tmp_path / STAGING).read_bytes() == jsonl_line(seed_record_as("d")) + jsonl_line(seed_record_as("d2"))
    assert sink.staging_records == 2
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert sink.remove_ids({"zzz"}) == 0
    sink.write(jsonl_line(seed_record_as("e")))
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
        open_sink(tmp_path, {}, OutputConfig(format="jsonl.zst"))
    assert str(err.value) == "--format jsonl.zst needs the zstandard package: pip install 'babelmill[zstd]'"
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(SinkError) as err:
        open_sink(tmp_path, {}, OutputConfig(format="parquet"))
    assert str(err.value) == "--format parquet needs pyarrow: pip install 'babelmill[parquet]'"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_parallel_shards_keep_their_names_and_types(tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-00000.jsonl").write_bytes(LINES[0])  # another output's shard: left alone
    (tmp_path / "parallel").mkdir()
    (tmp_path / "parallel" / f"part-00003.{fmt}").write_bytes(b"uncommitted")
    (tmp_path / "parallel" / f".part-00004.{fmt}.tmp").write_bytes(b"part")
    sink = open_sink(tmp_path, {}, OutputConfig(format=fmt, shard_size=10_000), "parallel")
    sink.recover()
    assert [p.name for p in (tmp_path / "parallel").iterdir()] == []
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["part-00000.jsonl"]
    for rec in PAIRS:
        sink.write(jsonl_line(rec))
    sink.seal()
    values = sink.state_values()
    sink.after_commit()
    assert set(values) == {
        "parallel_layout",
        "parallel_shards",
        "parallel_shard_size",
        "parallel_staging_bytes",
        "parallel_staging_records",
    }
    assert [s["name"] for s in json.loads(values["parallel_shards"])] == [f"parallel/part-00000.{fmt}"]
    assert (tmp_path / ".parallel-staging.jsonl").read_bytes() == b""
    # typed Parquet: numbers, booleans, lists and nulls come back as they went in
    assert list(decode_shard(tmp_path / "parallel" / f"part-00000.{fmt}")) == PAIRS
    assert column_types(tmp_path / "parallel" / f"part-00000.{fmt}") == TYPES[fmt]
    assert sink.remove_ids({"a"}) == 1
    assert list(decode_shard(tmp_path / "parallel" / f"part-00000.{fmt}")) == PAIRS[1:]
    assert column_types(tmp_path / "parallel" / f"part-00000.{fmt}") == TYPES[fmt]  # still typed after the rewrite
    sink.write(jsonl_line(PAIRS[0]))
    sink.seal()
    assert [s["name"] for s in sink.files()] == [f"parallel/part-00000.{fmt}", f"parallel/part-00001.{fmt}"]
    sink.close()


# -- records put back in their place -------------------------------------------------------------


def _write_run(sink: ShardedSink, state: dict, lines: list[bytes]) -> None:
    """What a run does: seal when the next record would not fit, and at the end; commit."""
    for line in lines:
        if sink.full_before(line):
            sink.seal()
            state.update(_commit(sink))
        sink.write(line)
    sink.flush()
    sink.seal()
    state.update(_commit(sink))


def _replaced_c(tmp_path: Path) -> tuple[ShardedSink, dict, ShardedSink]:
    """A fresh output of records a..f, and one where "c" was removed and written again at the end."""
    records = [jsonl_line({"id": k, "text": k * 30}) for k in "abcdef"]
    (tmp_path / "fresh").mkdir()
    (tmp_path / "inc").mkdir()
    fresh_state: dict = {}
    fresh = _sharded(tmp_path / "fresh", size=120, state=fresh_state)
    _write_run(fresh, fresh_state, records)
    state: dict = {}
    sink = _sharded(tmp_path / "inc", size=120, state=state)
    _write_run(sink, state, records)
    assert sink.remove_ids({"c"}) == 1
    state.update(sink.state_values())
    _write_run(sink, state, [records[2]])
    assert [r["id"] for r in sink.records()] == list("abdefc")
    return sink, state, fresh


def _shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "corpus").iterdir())}


def test_moved_records_are_cut_into_the_shards_a_fresh_run_writes(tmp_path):
    sink, state, fresh = _replaced_c(tmp_path)
    assert len(fresh.files()) >= 3  # the move crosses shard boundaries
    assert sink.move_records({"c": 2})
    state.update(sink.state_values())
    assert [r["id"] for r in sink.records()] == list("abcdef")
    assert sink.files() == fresh.files()
    assert _shard_bytes(tmp_path / "inc") == _shard_bytes(tmp_path / "fresh")
    assert not (tmp_path / "inc" / ".corpus-swap").exists()
    assert sink.move_records({"c": 2})  # again: nothing to do
    assert _shard_bytes(tmp_path / "inc") == _shard_bytes(tmp_path / "fresh")
    sink.close()
    fresh.close()


def test_a_swap_cut_short_is_finished_when_the_output_is_opened_again(tmp_path, monkeypatch):
    sink, state, fresh = _replaced_c(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(ShardedSink, "_finish_swap", lambda self: None)  # killed once the swap is committed
        sink.move_records({"c": 2})
    sink.close()
    assert [r["id"] for r in sink.records()] == list("abdefc")  # the committed shards are untouched
    assert json.loads(state["corpus_swap"])
    again = _sharded(tmp_path / "inc", size=120, state=state)
    assert [r["id"] for r in again.records()] == list("abcdef")
    assert _shard_bytes(tmp_path / "inc") == _shard_bytes(tmp_path / "fresh")
    assert state["corpus_swap"] == "" and json.loads(state["corpus_shards"]) == fresh.files()
    # shards written for a swap that was never committed are dropped, the output left as it was
    (tmp_path / "inc" / ".corpus-swap").mkdir()
    (tmp_path / "inc" / ".corpus-swap" / "part-00000.jsonl").write_bytes(LINES[0])
    third = _sharded(tmp_path / "inc", size=120, state=state)
    assert not (tmp_path / "inc" / ".corpus-swap").exists()
    assert [r["id"] for r in third.records()] == list("abcdef")
    for s in (sink, again, third, fresh):
        s.close()


def test_records_waiting_in_staging_are_not_moved(tmp_path):
    sink = _sharded(tmp_path, size=10_000)
    sink.write(LINES[0])
    sink.seal()
    sink.after_commit()
    sink.write(LINES[1])
    sink.flush()
    assert sink.move_records({"b": 0}) is False
    assert [r["id"] for r in sink.records()] == ["a", "b"]
    sink.close()
