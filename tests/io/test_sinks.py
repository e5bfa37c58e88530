"""Corpus output formats and sharding: same records whatever the format, shards listed with checksums."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path

import pytest

from babelmill.config import ConfigError, load_config
from babelmill.io.formats import OutputConfig, parse_size
from babelmill.io.layout import STAGING, iter_corpus_records
from babelmill.io.sinks import open_sink
from babelmill.run import RunError, RunOptions, run_pipeline
from babelmill.run.state import RunState

STAGES = '[pipeline]\nstages = ["read", "repair", "normalize", "dedup"]\n'


def _inputs(folder: Path, n: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        rng = random.Random(i)  # distinct articles: dedup keeps them all
        body = " ".join(f"w{rng.randrange(5000)}" for _ in range(120))
        (folder / f"{i:03d}.txt").write_text(f"Article number {i}\n\n{body}.\n\nZweiter Absatz {i} — 中文 {i}.\n")
    return folder


def _run(inputs: Path, out: Path, config: Path, **kw):
    return run_pipeline(RunOptions(inputs=[str(inputs)], output_dir=out, config_path=config, **kw), warn=lambda m: None)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(STAGES)
    return path


def test_parse_size():
    assert parse_size("256MB") == 256_000_000
    assert parse_size("1GiB") == 1024**3
    assert parse_size("64k") == 64_000
    assert parse_size("1000") == 1000
    for bad in ("", "abc", "0", "-5MB", "12 parsecs"):
        with pytest.raises(ValueError):
            parse_size(bad)


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet"])
def test_every_format_holds_the_same_records_in_bounded_shards(tmp_path: Path, config: Path, fmt: str):
    if fmt == "jsonl.zst":
        pytest.importorskip("zstandard")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    inputs = _inputs(tmp_path / "in", 12)
    plain = tmp_path / "plain"
    _run(inputs, plain, config)
    expected = [json.loads(line) for line in (plain / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(expected) == 12

    out = tmp_path / fmt
    _run(inputs, out, config, output_format=fmt, shard_size="5kB")
    assert not (out / "corpus.jsonl").exists()
    assert list(iter_corpus_records(out)) == expected

    manifest = json.loads((out / "manifest.json").read_text())
    shards = manifest["corpus"]["files"]
    assert len(shards) > 1 and shards[0] == f"corpus/part-00000.{fmt}"
    assert sorted(f"corpus/{p.name}" for p in (out / "corpus").iterdir()) == shards  # shards only
    total = 0
    for name in shards:
        entry = manifest["outputs"][name]
        data = (out / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        records = list(iter_corpus_records_of(out / name))
        assert entry["records"] == len(records) >= 1
        total += len(records)
        # a shard holds whole records up to the size, so only a single oversized record may exceed it
        raw = sum(len(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")).encode()) + 1 for r in records)
        assert raw <= 5000 or len(records) == 1
    assert total == 12


def iter_corpus_records_of(path: Path):
    from babelmill.io.formats import decode_shard

    return decode_shard(path)


def test_compressed_shards_are_deterministic(tmp_path: Path, config: Path):
    inputs = _inputs(tmp_path / "in", 6)
    for name in ("a", "b"):
        _run(inputs, tmp_path / name, config, output_format="jsonl.gz", shard_size="4kB")
    names = sorted(p.name for p in (tmp_path / "a" / "corpus").iterdir())
    assert names and names == sorted(p.name for p in (tmp_path / "b" / "corpus").iterdir())
    for name in names:
        assert (tmp_path / "a" / "corpus" / name).read_bytes() == (tmp_path / "b" / "corpus" / name).read_bytes()
    with gzip.open(tmp_path / "a" / "corpus" / names[0], "rb") as fh:  # plain gzip, readable by any tool
        assert json.loads(fh.readline())["id"].startswith("bm-")


def test_plain_jsonl_with_a_shard_size_writes_jsonl_shards(tmp_path: Path, config: Path):
    inputs = _inputs(tmp_path / "in", 5)
    out = tmp_path / "out"
    _run(inputs, out, config, shard_size="3kB")
    shards = sorted((out / "corpus").glob("part-*.jsonl"))
    assert len(shards) >= 2
    lines = b"".join(p.read_bytes() for p in shards).splitlines()
    assert len(lines) == 5 and all(json.loads(line)["id"] for line in lines)


def test_incremental_run_adds_shards_and_replaces_edited_records(tmp_path: Path, config: Path):
    inputs = _inputs(tmp_path / "in", 4)
    out = tmp_path / "out"
    _run(inputs, out, config, output_format="jsonl.gz")
    first = {p.name: p.read_bytes() for p in (out / "corpus").iterdir()}
    assert list(first) == ["part-00000.jsonl.gz"]

    _inputs(inputs, 2, start=4)  # two new articles: a shard of their own, the first one untouched
    summary = _run(inputs, out, config, output_format="jsonl.gz")
    assert (summary.processed, summary.replaced) == (2, 0)
    assert sorted(p.name for p in (out / "corpus").iterdir()) == ["part-00000.jsonl.gz", "part-00001.jsonl.gz"]
    assert (out / "corpus" / "part-00000.jsonl.gz").read_bytes() == first["part-00000.jsonl.gz"]
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("corpus/part-00000.jsonl.gz", "corpus/part-00001.jsonl.gz"):
        assert manifest["outputs"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    assert manifest["outputs"]["corpus/part-00001.jsonl.gz"]["records"] == 2

    (inputs / "001.txt").write_text("Article number 1, rewritten\n\n" + "fresh words here " * 40)
    summary = _run(inputs, out, config, output_format="jsonl.gz")
    assert (summary.processed, summary.replaced) == (1, 1)
    records = list(iter_corpus_records(out))
    assert len(records) == 6 and len({r["id"] for r in records}) == 6
    assert [Path(r["source"]["path"]).name for r in records] == [f"{i:03d}.txt" for i in range(6)]
    assert "rewritten" in records[1]["text"]
    # the edited record went back to its place: the shards from there on are cut again, as a
    # run writing these records writes them (here all fit in one)
    assert sorted(p.name for p in (out / "corpus").iterdir()) == ["part-00000.jsonl.gz"]
    manifest = json.loads((out / "manifest.json").read_text())
    shard = out / "corpus" / "part-00000.jsonl.gz"
    assert manifest["outputs"]["corpus/part-00000.jsonl.gz"]["sha256"] == hashlib.sha256(shard.read_bytes()).hexdigest()
    assert manifest["outputs"]["corpus/part-00000.jsonl.gz"]["records"] == 6
    assert "corpus/part-00001.jsonl.gz" not in manifest["outputs"]


def test_a_rerun_in_another_format_is_refused_until_rebuild(tmp_path: Path, config: Path):
    inputs = _inputs(tmp_path / "in", 2)
    out = tmp_path / "out"
    _run(inputs, out, config)
    with pytest.raises(RunError, match="--rebuild"):
        _run(inputs, out, config, output_format="jsonl.gz")
    _run(inputs, out, config, output_format="jsonl.gz", rebuild=True)
    assert not (out / "corpus.jsonl").exists()
    assert len(list(iter_corpus_records(out))) == 2


def test_output_table_in_the_config(tmp_path: Path):
    inputs = _inputs(tmp_path / "in", 3)
    cfg = tmp_path / "gz.toml"
    cfg.write_text(STAGES + '\n[output]\nformat = "jsonl.gz"\nshard_size = "1MB"\n')
    assert load_config(cfg).output == OutputConfig(format="jsonl.gz", shard_size="1MB")
    out = tmp_path / "out"
    _run(inputs, out, cfg)
    assert [p.name for p in (out / "corpus").iterdir()] == ["part-00000.jsonl.gz"]
    # the command line wins over the config
    _run(inputs, tmp_path / "out2", cfg, output_format="jsonl", shard_size="")
    assert (tmp_path / "out2" / "corpus.jsonl").exists()


@pytest.mark.parametrize(
    "table, message",
    [('format = "csv"', "format must be one of"), ('shard_size = "lots"', "not a size"), ("level = 3", "unknown key")],
)
def test_bad_output_table_is_a_config_error(tmp_path: Path, table: str, message: str):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(STAGES + f"\n[output]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)


def test_sealed_but_uncommitted_shard_is_rebuilt_from_staging(tmp_path: Path):
    """The run died between writing a shard and committing the state: the shard goes, the
    staging records stay, and the next seal writes the same shard again."""
    out = tmp_path / "out"
    out.mkdir()
    state = RunState(out / "state")
    lines = [(json.dumps({"id": f"bm-{i}", "text": "x" * 50}) + "\n").encode() for i in range(3)]

    sink = open_sink(out, state, OutputConfig(format="jsonl.gz"))
    sink.recover()
    for line in lines[:2]:
        sink.write(line)
    sink.flush()
    for k, v in sink.state_values().items():
        state.set(k, v)
    state.commit()
    sink.after_commit()  # two records committed in staging
    sink.write(lines[2])  # a third, never committed
    sink.flush()
    sink.seal()  # corpus/part-00000 written ... and the process dies before the commit
    sink.close()
    sealed = (out / "corpus" / "part-00000.jsonl.gz").read_bytes()

    sink = open_sink(out, state, OutputConfig(format="jsonl.gz"))
    sink.recover()
    assert not (out / "corpus" / "part-00000.jsonl.gz").exists()
    assert (out / STAGING).read_bytes() == b"".join(lines[:2])
    sink.write(lines[2])
    sink.flush()
    sink.seal()
    for k, v in sink.state_values().items():
        state.set(k, v)
    state.commit()
    sink.after_commit()
    sink.close()
    state.close()
    assert (out / "corpus" / "part-00000.jsonl.gz").read_bytes() == sealed
    assert (out / STAGING).read_bytes() == b""
    assert [r["id"] for r in iter_corpus_records(out)] == ["bm-0", "bm-1", "bm-2"]


def test_a_file_rewritten_just_before_a_crash_is_never_padded(tmp_path: Path, config: Path):
    """Edited inputs make the runner rewrite the corpus without their old records; a crash
    before that is committed leaves the file shorter than the committed length."""
    inputs = _inputs(tmp_path / "in", 3)
    out = tmp_path / "out"
    _run(inputs, out, config)
    state = RunState(out / "state")
    committed = int(state.get("corpus_bytes"))
    kept = (out / "corpus.jsonl").read_bytes().splitlines(keepends=True)
    (out / "corpus.jsonl").write_bytes(b"".join(kept[1:]))  # the rewrite, then the crash
    sink = open_sink(out, state, OutputConfig())
    sink.recover()
    sink.close()
    state.close()
    data = (out / "corpus.jsonl").read_bytes()
    assert b"\x00" not in data and len(data) < committed
    # the rerun re-plans the edit and goes on from the real length
    (inputs / "000.txt").write_text("Article zero, edited\n\n" + "new words " * 30)
    _run(inputs, out, config)
    records = list(iter_corpus_records(out))
    assert len(records) == 3 and len({r["id"] for r in records}) == 3


def test_move_records_puts_each_record_at_its_place_among_the_others(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    sink = open_sink(out, RunState(out / "state"), OutputConfig())
    sink.recover()
    for doc_id in ["b", "d", "new", "a2", "c2"]:  # a2 and c2 were appended by a rerun
        sink.write((json.dumps({"id": doc_id}) + "\n").encode())
    sink.flush()
    size = (out / "corpus.jsonl").stat().st_size
    assert sink.keeps_places and sink.move_records({"a2": 0, "c2": 1})
    assert [r["id"] for r in iter_corpus_records(out)] == ["a2", "b", "c2", "d", "new"]
    assert (out / "corpus.jsonl").stat().st_size == size
    assert sink.move_records({"a2": 0, "c2": 1})  # twice gives the same file
    assert [r["id"] for r in iter_corpus_records(out)] == ["a2", "b", "c2", "d", "new"]
    # the sharded layout keeps places too (tests/io/test_shards.py)
    assert open_sink(tmp_path / "other", RunState(tmp_path / "other" / "state"), OutputConfig("jsonl.gz")).keeps_places


@pytest.mark.parametrize(
    "first, fmt, shard",
    [
        ({"output_format": "parquet"}, "parquet", "corpus/part-00000.parquet"),
        ({"output_format": "jsonl.gz"}, "jsonl.gz", "corpus/part-00000.jsonl.gz"),
        ({"shard_size": "1MB"}, "jsonl", "corpus/part-00000.jsonl"),
    ],
)
def test_a_rerun_that_names_no_format_goes_on_in_the_corpus_format(
    tmp_path: Path, config: Path, monkeypatch, first, fmt, shard
):
    """`babelmill run new/ -o out` on an output written with --format parquet was refused
    ("rerun with the same --format"); it now adds the new articles in the corpus's format,
    byte for byte as a rerun that names the format does."""
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    outs = {}
    for rerun_names_it in (False, True):
        root = tmp_path / str(rerun_names_it)
        monkeypatch.chdir(_inputs(root / "in", 3).parent)  # records name their inputs as given
        inputs, out = Path("in"), Path("out")
        outs[rerun_names_it] = root / "out"
        _run(inputs, out, config, **first)
        _inputs(inputs, 2, start=3)
        summary = _run(inputs, out, config, **(first if rerun_names_it else {}))
        assert (summary.kept, summary.unchanged) == (2, 3)
        assert not (out / "corpus.jsonl").exists()
        assert (out / shard).exists()
        assert len(list(iter_corpus_records(out))) == 5
    files = sorted(p.name for p in (outs[True] / "corpus").iterdir())
    assert files == sorted(p.name for p in (outs[False] / "corpus").iterdir())
    for name in files:
        assert (outs[False] / "corpus" / name).read_bytes() == (outs[True] / "corpus" / name).read_bytes(), name


def test_a_rerun_that_names_another_format_is_still_refused(tmp_path: Path, config: Path):
    inputs = _inputs(tmp_path / "in", 2)
    out = tmp_path / "out"
    _run(inputs, out, config, output_format="jsonl.gz")
    with pytest.raises(RunError, match="written as sharded jsonl.gz, not single jsonl"):
        _run(inputs, out, config, output_format="jsonl")
    gz_config = tmp_path / "parquet.toml"
    gz_config.write_text(STAGES + '\n[output]\nformat = "parquet"\n')
    with pytest.raises(RunError, match="written as sharded jsonl.gz, not sharded parquet"):
        _run(inputs, out, gz_config)
