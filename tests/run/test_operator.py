"""What an operator relies on around a run: nothing written when there is nothing to read, no lock
left behind, a manifest with no times (so a rerun of the same inputs changes no committed file)
and the run history in ``runs.jsonl``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from babelmill.errors import RunError
from babelmill.report.summary import summarize
from babelmill.run import RunOptions, run_pipeline
from tests.conftest import SEEDS

STAGES = '[pipeline]\nstages = ["read", "repair", "strip", "normalize", "dedup"]\n'


def _run(tmp_path: Path, inputs: list[str], out: Path) -> object:
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES)
    return run_pipeline(RunOptions(inputs=inputs, output_dir=out, config_path=config), warn=lambda m: None)


@pytest.mark.parametrize("kind", ["missing", "unmatched_glob", "empty_folder"])
def test_a_run_with_nothing_to_read_is_an_error_and_writes_nothing(tmp_path: Path, kind: str):
    named = {
        "missing": str(tmp_path / "nonexistent"),
        "unmatched_glob": str(tmp_path / "*.nothing"),
        "empty_folder": str(tmp_path / "empty"),
    }[kind]
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    with pytest.raises(RunError) as err:
        _run(tmp_path, [named], out)
    message = str(err.value)
    assert named in message and "nothing to read" in message
    assert {"missing": "does not exist", "unmatched_glob": "matches no file", "empty_folder": "holds no files"}[
        kind
    ] in message
    assert not out.exists()


def test_a_missing_input_beside_existing_ones_is_quarantined_not_an_error(tmp_path: Path):
    shutil.copy(SEEDS / sorted(p.name for p in SEEDS.iterdir())[0], tmp_path / "a.txt")
    summary = _run(tmp_path, [str(tmp_path / "a.txt"), str(tmp_path / "gone.txt")], tmp_path / "out")
    assert (summary.kept, summary.quarantined, summary.not_found) == (1, 1, 1)
    assert "1 kept, 0 duplicates, 1 quarantined (1 of them not found: check the names). " in summary.paragraph(
        tmp_path / "out"
    )


def test_no_lock_file_is_left_and_the_manifest_holds_no_times(tmp_path: Path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    out = tmp_path / "out"
    _run(tmp_path, [str(tmp_path / "seeds")], out)
    assert not (out / ".babelmill.lock").exists()
    first = (out / "manifest.json").read_bytes()
    manifest = json.loads(first)
    assert "started" not in manifest and "finished" not in manifest and "seconds" not in manifest["summary"]
    assert all("seconds" not in stage for stage in manifest["stages"].values())

    # the same inputs from scratch: every committed output, the manifest included, is the same
    shutil.rmtree(out / "state")
    (out / "runs.jsonl").unlink()
    _run(tmp_path, [str(tmp_path / "seeds")], out)
    assert (out / "manifest.json").read_bytes() == first
    assert not (out / ".babelmill.lock").exists()


def test_runs_jsonl_keeps_each_runs_times_and_the_report_adds_them_up(tmp_path: Path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    out = tmp_path / "out"
    _run(tmp_path, [str(tmp_path / "seeds")], out)
    _run(tmp_path, [str(tmp_path / "seeds")], out)  # nothing to do: a run of its own in the log
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["run"] for r in runs] == [1, 2]
    assert runs[0]["summary"]["processed"] == 5 and runs[1]["summary"]["processed"] == 0
    assert all(r["started"] <= r["finished"] and r["seconds"] >= 0 for r in runs)
    assert runs[0]["stages"]["strip"]["seconds"] > 0 and runs[0]["engine"]["name"] == "local"

    report = summarize(out)
    strip = report.stages["strip"]
    assert strip["seconds"] == pytest.approx(sum(r["stages"]["strip"]["seconds"] for r in runs))
    assert strip["documents_in"] == 5  # over both runs: the second processed nothing
    assert [h["run"] for h in report.history] == [1, 2] and report.run["run"] == 2


def test_output_that_is_a_file_exits_1_with_one_line(tmp_path: Path):
    from click.testing import CliRunner

    from babelmill.cli import main

    target = tmp_path / "afile"
    target.write_text("not a folder")
    result = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(target)])
    assert result.exit_code == 1
    assert "the output must be a folder, and this is a file" in result.output
    assert target.read_text() == "not a folder"


GERMAN = (
    "Die Größe der neuen Brücke überrascht die Anwohner im Süden der Stadt.\n\n"
    "Der Bürgermeister sagte am Dienstag, die Straße werde im Frühjahr geöffnet; die Kosten lägen bei drei "
    "Millionen Euro, und der Gemeinderat habe nach langer Debatte zugestimmt.\n"
)


def test_the_summary_reports_corpus_wide_totals_beside_this_runs(tmp_path: Path, empty_models_dir: Path):
    """A rerun that does nothing still says how many blocks in the corpus wait for a model."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "de.txt").write_text(GERMAN)
    shutil.copy(SEEDS / sorted(p.name for p in SEEDS.iterdir())[1], inputs / "en.txt")
    config = tmp_path / "pipeline.toml"
    config.write_text('[pipeline]\nstages = ["read", "repair", "strip", "detect", "translate", "normalize"]\n')
    out = tmp_path / "out"

    def run() -> object:
        opts = RunOptions(inputs=[str(inputs)], output_dir=out, config_path=config, models_dir=str(empty_models_dir))
        return run_pipeline(opts, warn=lambda m: None)

    first = run()
    assert first.blocks_pending >= 2
    totals = first.corpus_totals
    assert (totals["records"], totals["blocks_pending"], totals["records_with_pending"]) == (2, first.blocks_pending, 1)
    second = run()
    assert (second.processed, second.blocks_pending) == (0, 0)  # this run's counts
    assert second.corpus_totals == totals  # the corpus's
    paragraph = second.paragraph(out)
    assert "0 blocks pending a translation model. " in paragraph
    n = totals["blocks_pending"]
    assert "now holds 2 records: 0 with flagged translations (0 blocks); 0 with a cleaning warning" in paragraph
    assert f"{n} blocks in 1 document pending translation: de->en ({n} blocks); install with " in paragraph
    assert json.loads((out / "manifest.json").read_text())["summary"]["corpus_totals"] == totals

    # a state from before these counts: the totals say they are lower bounds
    import sqlite3

    with sqlite3.connect(out / "state" / "runs.sqlite") as db:
        db.execute("DELETE FROM record_counts")
    third = run()
    assert third.corpus_totals["complete"] is False
    assert "now holds 2 records: at least 0 blocks pending" in third.paragraph(out)
