"""Where an output directory's corpus files are (babelmill.io.layout): record order, removal."""

from __future__ import annotations

from babelmill.io.layout import CORPUS, STAGING, corpus_files, iter_corpus_records, remove_outputs
from tests.io.records import LINES

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


def test_remove_outputs_takes_the_parallel_files_too(tmp_path):
    doomed = ["parallel.jsonl", "parallel.jsonl.tmp", ".parallel-staging.jsonl", "parallel-00000.parquet"]
    kept = ["parallel.txt", "parallel-1.jsonl", "parallel.json"]
    for name in doomed + kept:
        (tmp_path / name).write_text("x")
    remove_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
