"""The single-file layout one method at a time (babelmill.io.single), with a dict as run state."""

from __future__ import annotations

import hashlib

import pytest

from babelmill.io.formats import OutputConfig
from babelmill.io.layout import CORPUS, iter_corpus_records
from babelmill.io.sinks import SingleFileSink, open_sink
from tests.io.records import LINES, PAIRS, jsonl_line

# -- single file ---------------------------------------------------------------------------------------


def _single(tmp_path, state=None) -> SingleFileSink:
    sink = open_sink(tmp_path, state or {}, OutputConfig())
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
        sink.write(jsonl_line(rec))
    assert sink.remove_ids(set()) == 0
    assert sink.remove_ids({"b", "zzz"}) == 2
    kept = jsonl_line({"id": "a"}) + jsonl_line({"id": "c"})
    assert (tmp_path / CORPUS).read_bytes() == kept
    assert not (tmp_path / (CORPUS + ".tmp")).exists()
    manifest = {"name": CORPUS, "records": 2, "bytes": len(kept), "sha256": hashlib.sha256(kept).hexdigest()}
    assert sink.files() == [manifest]
    assert sink.state_values()["corpus_bytes"] == str(len(kept))  # reopened at the new end
    inode = (tmp_path / CORPUS).stat().st_ino
    assert sink.remove_ids({"zzz"}) == 0
    assert (tmp_path / CORPUS).stat().st_ino == inode  # nothing removed: not rewritten
    sink.write(jsonl_line({"id": "d"}))
    sink.close()
    assert [r["id"] for r in iter_corpus_records(tmp_path)] == ["a", "c", "d"]


@pytest.mark.parametrize("state", [{}, {"corpus_bytes": ""}])
def test_single_file_without_a_commit_starts_empty(tmp_path, state):
    (tmp_path / CORPUS).write_bytes(LINES[0])  # written by a run that died before its first commit
    _single(tmp_path, state)
    assert (tmp_path / CORPUS).read_bytes() == b""


def test_single_file_counts_records_of_any_bytes(tmp_path):
    (tmp_path / CORPUS).write_bytes(LINES[0] + b'{"id": "\xe9"}\n')  # not UTF-8: still a record
    assert _single(tmp_path, {"corpus_bytes": "100"}).files()[0]["records"] == 2


def test_single_file_remove_ids_without_a_file(tmp_path):
    assert SingleFileSink(tmp_path, {}, OutputConfig()).remove_ids({"a"}) == 0


def test_parallel_single_file_has_its_own_file_and_state_keys(tmp_path):
    state = {"corpus_bytes": "999", "corpus_layout": "sharded:parquet"}  # the corpus's, not ours
    sink = open_sink(tmp_path, state, OutputConfig(), "parallel")
    sink.recover()
    assert (sink.key("bytes"), sink.typed) == ("parallel_bytes", True)
    sink.write(jsonl_line(PAIRS[0]))
    sink.flush()
    assert sink.state_values() == {"parallel_bytes": str(len(jsonl_line(PAIRS[0]))), "parallel_layout": "single:jsonl"}
    assert [f["name"] for f in sink.files()] == ["parallel.jsonl"]
    assert not (tmp_path / CORPUS).exists()
    sink.close()
