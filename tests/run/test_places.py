"""A record replaced on a rerun keeps its input's place, in every layout: an incremental rerun
writes the bytes a ``--rebuild`` writes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from babelmill.io.layout import iter_corpus_records
from babelmill.run import RunOptions, run_pipeline

STAGES = '[pipeline]\nstages = ["read", "repair", "normalize", "dedup"]\n'


def _article(i: int, edition: int = 0) -> str:
    rng = random.Random(i * 1000 + edition)  # distinct articles: dedup keeps them all
    body = " ".join(f"w{rng.randrange(5000)}" for _ in range(150))
    return f"Article number {i}\n\n{body}.\n"


def _run(inputs: Path, out: Path, config: Path, fmt: str, **kw):
    opts = RunOptions(
        inputs=[str(inputs)], output_dir=out, config_path=config, output_format=fmt, shard_size="4KB", **kw
    )
    return run_pipeline(opts, warn=lambda m: None)


def _shards(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "corpus").iterdir())}


def _eight_articles(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Eight article inputs, the test pipeline's config and an output folder (inputs, config, out)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(8):
        (inputs / f"{i:02d}.txt").write_text(_article(i), encoding="utf-8")
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES, encoding="utf-8")
    out = tmp_path / "out"
    return inputs, config, out


@pytest.mark.parametrize("fmt", ["jsonl.gz", "parquet"])
def test_an_edited_input_keeps_its_place_in_the_shards_so_a_rerun_equals_a_rebuild(tmp_path: Path, fmt: str):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    inputs, config, out = _eight_articles(tmp_path)
    _run(inputs, out, config, fmt)
    assert len(_shards(out)) >= 3
    (inputs / "02.txt").write_text(_article(2, edition=1), encoding="utf-8")
    summary = _run(inputs, out, config, fmt)
    assert summary.replaced == 1
    names = [Path(r["source"]["path"]).name for r in iter_corpus_records(out)]
    assert names == [f"{i:02d}.txt" for i in range(8)]
    incremental = _shards(out)
    assert not (out / ".corpus-swap").exists()
    _run(inputs, out, config, fmt, rebuild=True)
    assert _shards(out) == incremental


def test_a_run_killed_while_swapping_shards_in_is_finished_by_the_next(tmp_path: Path, monkeypatch):
    from babelmill.io.shards import ShardedSink

    inputs, config, out = _eight_articles(tmp_path)
    _run(inputs, out, config, "jsonl.gz")
    (inputs / "02.txt").write_text(_article(2, edition=1), encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(ShardedSink, "_finish_swap", lambda self: None)  # killed once the swap is committed
        _run(inputs, out, config, "jsonl.gz")
    assert (out / ".corpus-swap").is_dir()  # the new shards wait there; the output folder check lets it be
    summary = _run(inputs, out, config, "jsonl.gz")
    assert summary.processed == 0
    assert not (out / ".corpus-swap").exists()
    assert [Path(r["source"]["path"]).name for r in iter_corpus_records(out)] == [f"{i:02d}.txt" for i in range(8)]
    finished = _shards(out)
    _run(inputs, out, config, "jsonl.gz", rebuild=True)
    assert _shards(out) == finished
