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
    progress = RunProgress(len(seeds), lines=True, log=lines.append, interval=0.0, heartbeat=None)
    with progress:
        for _ in execute(stages, seeds, progress):
            progress.written()
    assert list(progress.counts) == ["read", "repair", "normalize"]
    assert progress.counts == {"read": 5, "repair": 5, "normalize": 5}  # the empty file passes by, rejected
    assert len(lines) == 5 * 4  # interval 0: a line on each of the three stages' counts and each write
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


class _Clock:
    """A clock the test moves by hand: lines are due by its time, not the machine's."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_come_every_interval_of_the_clock_and_not_more_often():
    clock, lines = _Clock(), []
    with RunProgress(100, lines=True, log=lines.append, clock=clock, heartbeat=None) as progress:
        for _ in range(100):
            clock.now += 0.5  # 50 seconds for 100 documents
            progress.written()
    assert len(lines) == 5  # at 10, 20, 30, 40 and 50 seconds
    assert lines[0] == "babelmill: 20/100 documents written (2.0 docs/s); stages: "
    assert lines[-1].startswith("babelmill: 100/100 documents written (2.0 docs/s)")


def test_a_line_is_due_while_a_stage_works_and_nothing_is_written():
    """Translation can hold documents for minutes: its own progress brings the lines."""
    clock, lines = _Clock(), []

    def slow(docs):
        for doc in docs:
            clock.now += 4.0
            yield doc

    with RunProgress(10, lines=True, log=lines.append, clock=clock, heartbeat=None) as progress:
        for _ in progress.track("translate", slow(range(10))):
            pass
    # a document every 4 seconds: lines at 12, 24 and 36 seconds (the 10th, at 40, is not due)
    assert [line.rsplit("; ", 1)[1] for line in lines] == [
        "stages: translate 3",
        "stages: translate 6",
        "stages: translate 9",
    ]
    assert all(" 0/10 documents written" in line for line in lines)


def test_the_heartbeat_logs_when_nothing_moves_at_all():
    import threading

    clock, lines, logged = _Clock(), [], threading.Event()

    def log(line: str) -> None:
        lines.append(line)
        logged.set()

    with RunProgress(3, lines=True, log=log, clock=clock, heartbeat=0.01):
        clock.now += 10.0  # one long document, no count changes
        assert logged.wait(5.0)
    assert lines == ["babelmill: 0/3 documents written (0.0 docs/s); stages: "]


def test_without_a_terminal_the_command_prints_plain_lines(tmp_path: Path, monkeypatch):
    """CliRunner's stderr is not a terminal: progress comes as plain lines (interval 0 here)."""
    monkeypatch.setattr(RunProgress, "INTERVAL", 0.0)
    inputs, config = _setup(tmp_path)
    result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(tmp_path / "out"), "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "babelmill: 5/5 documents written (" in result.stderr
    result = CliRunner().invoke(
        main, ["run", str(inputs), "-o", str(tmp_path / "out2"), "-c", str(config), "--no-progress"]
    )
    assert "documents written" not in result.stderr
