"""Run progress: per-stage counts, plain log lines without a terminal, --verbose and --quiet."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from babelmill.cli import main
from babelmill.config import load_config
from babelmill.engines.local import execute
from babelmill.report.progress import RunProgress
from babelmill.run import build_stages

STAGES = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'


def _setup(tmp_path: Path, n: int = 4) -> tuple[Path, Path]:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(n):
        (inputs / f"{i}.txt").write_text(f"Article {i}\n\nSome words about item {i}.\n")
    (inputs / "empty.txt").write_text("")
    config = tmp_path / "p.toml"
    config.write_text(STAGES)
    return inputs, config


def test_each_stage_is_counted_in_pipeline_order(tmp_path: Path):
    from babelmill.io.read import new_input_document

    inputs, config = _setup(tmp_path)
    stages = build_stages(load_config(config), {})
    seeds = [new_input_document(str(p)) for p in sorted(inputs.iterdir())]
    lines: list[str] = []
    progress = RunProgress(len(seeds), lines=True, log=lines.append, interval=0.0)
    with progress:
        for _ in execute(stages, seeds, progress):
            progress.written()
    assert list(progress.counts) == ["read", "repair", "normalize"]
    assert progress.counts == {"read": 5, "repair": 5, "normalize": 5}  # the empty file passes by, rejected
    assert len(lines) == 5
    assert lines[-1].startswith("babelmill: 5/5 documents written (")
    assert lines[-1].endswith("stages: read 5, repair 5, normalize 5")


def test_bar_mode_counts_without_a_terminal(tmp_path: Path):
    from babelmill.io.read import new_input_document

    inputs, config = _setup(tmp_path, n=2)
    stages = build_stages(load_config(config), {})
    seeds = [new_input_document(str(p)) for p in sorted(inputs.iterdir())]
    with RunProgress(len(seeds), bar=True) as progress:
        for _ in execute(stages, seeds, progress):
            progress.written()
    assert progress.done == 3 and progress.counts["normalize"] == 3


def test_verbose_run_logs_checkpoints_and_stage_timings(tmp_path: Path):
    inputs, config = _setup(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(out), "-c", str(config), "-v"])
    assert result.exit_code == 0, result.output
    assert "babelmill: checkpoint 1: 5/5 documents committed" in result.output
    for key in ("read", "repair", "normalize"):
        assert f"babelmill: stage {key}: " in result.output
    assert "documents_in=4" in result.output  # the empty input was rejected by read
    assert "The corpus in" in result.output


def test_quiet_run_prints_nothing(tmp_path: Path):
    inputs, config = _setup(tmp_path)
    result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(tmp_path / "out"), "-c", str(config), "-q"])
    assert result.exit_code == 0
    assert result.output == ""
