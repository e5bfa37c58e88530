"""Hostile names, broken state and rule files: one escaped `error:` line, exit 1, no traceback."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.printable import printable

ART = "The city council approved the new budget on Tuesday after a debate that lasted six hours.\n" * 3


def _run(*args: str):
    return CliRunner().invoke(main, ["run", *args, "--no-progress"])


def test_names_with_escape_sequences_and_newlines_are_printed_escaped(tmp_path, empty_models_dir):
    inputs = tmp_path / "in"
    inputs.mkdir()
    # whitespace only: quarantined (no_text), so their names are printed
    (inputs / "title\x1b]0;owned\x07.txt").write_bytes(b" \n")
    (inputs / "a.txt\nbabelmill: forged.txt: kept").write_bytes(b"  \n")
    result = _run(str(inputs), "-o", str(tmp_path / "out"), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;owned\\x07" in result.output
    lines = result.output.splitlines()
    assert not any(line.startswith("babelmill: forged.txt") for line in lines)
    assert any("a.txt\\x0ababelmill: forged.txt: kept" in line for line in lines)


def test_printable_keeps_text_and_escapes_controls():
    assert printable("Größe — 中文 👍🏽") == "Größe — 中文 👍🏽"
    assert printable("a\u202eb\r\nc\x00") == "a\\u202eb\\x0d\\x0ac\\x00"
    assert printable("\ud800") == "\\ud800"


def test_a_corrupt_run_state_is_one_error_line(tmp_path, empty_models_dir):
    (tmp_path / "a.txt").write_text(ART)
    state = tmp_path / "out" / "state"
    state.mkdir(parents=True)
    (state / "runs.sqlite").write_bytes(b"not a database " * 100)
    result = _run(str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("babelmill: error: ")
    assert "runs.sqlite" in result.output and "--rebuild" in result.output
    assert "Traceback" not in result.output


def test_a_run_state_from_before_the_duplicate_of_column_is_used_and_kept(tmp_path, empty_models_dir):
    (tmp_path / "a.txt").write_text(ART)
    args = [str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--models-dir", str(empty_models_dir)]
    assert _run(*args).exit_code == 0
    with sqlite3.connect(tmp_path / "out" / "state" / "runs.sqlite") as db:
        db.execute("ALTER TABLE inputs DROP COLUMN duplicate_of")  # as an earlier babelmill wrote it
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert "1 unchanged since the last run" in result.output and "now holds 1 records" in result.output


def test_a_rule_file_that_fails_when_the_stage_is_built_is_one_error_line(tmp_path: Path, empty_models_dir):
    (tmp_path / "a.txt").write_text(ART)
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    pipeline = '[pipeline]\nstages = ["read", "strip"]\n[stages.strip]\nrule_files = ["mine.toml"]\n'
    (cfg / "pipeline.toml").write_text(pipeline)
    (cfg / "mine.toml").write_text("[[rule]]\nname = 'x'\npattern = '''(?<=a)b'''\n")
    args = [str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "-c", str(cfg / "pipeline.toml")]
    result = _run(*args, "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1
    head = f"babelmill: error: {cfg / 'pipeline.toml'} [stages.strip]: "
    assert result.output.startswith(head) and "mine.toml: rule 'x'" in result.output
    assert result.output.count("\n") == 1


# -- planted links, FIFOs, overlapping folders -----------------------------------------------------


def _inputs(tmp_path: Path) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(ART)
    return inputs


@pytest.mark.parametrize(
    "name", ["corpus.jsonl", "rejected.jsonl", "manifest.json", "manifest.json.tmp", ".babelmill.lock",
             ".corpus-staging.jsonl", ".babelmill.write-test"]
)  # fmt: skip
def test_a_link_planted_under_an_output_name_is_refused_and_its_target_untouched(tmp_path, empty_models_dir, name):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / name).symlink_to(victim)
    result = _run(str(_inputs(tmp_path)), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1
    assert result.output.startswith(f"babelmill: error: {out / name}: refusing") and "symbolic link" in result.output
    assert victim.read_text() == "precious\n"


def test_links_inside_the_state_folder_are_refused(tmp_path, empty_models_dir):
    out = tmp_path / "out"
    (out / "state").mkdir(parents=True)
    victim = tmp_path / "victim.db"
    victim.write_text("precious\n")
    (out / "state" / "runs.sqlite").symlink_to(victim)
    result = _run(str(_inputs(tmp_path)), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1 and "runs.sqlite: refusing to use the run state" in result.output
    assert victim.read_text() == "precious\n"


def test_a_fifo_under_an_output_name_does_not_hang_the_run(tmp_path, empty_models_dir):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "corpus.jsonl")
    result = _run(str(_inputs(tmp_path)), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1 and "a FIFO" in result.output


def test_rebuild_refuses_a_linked_state(tmp_path, empty_models_dir):
    inputs = _inputs(tmp_path)
    out = tmp_path / "out"
    assert _run(str(inputs), "-o", str(out), "--models-dir", str(empty_models_dir)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    (out / "state").rename(elsewhere)
    (out / "state").symlink_to(elsewhere)
    before = (out / "corpus.jsonl").read_bytes()
    result = _run(str(inputs), "-o", str(out), "--rebuild", "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1 and "state" in result.output and "symbolic link" in result.output
    assert (out / "corpus.jsonl").read_bytes() == before  # nothing emptied
    assert (elsewhere / "runs.sqlite").exists()


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_output_and_input_folders_may_not_overlap(tmp_path, empty_models_dir, where):
    inputs = _inputs(tmp_path)
    out = {"same": inputs, "inside": inputs / "out", "around": tmp_path}[where]
    result = _run(str(inputs), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert result.exit_code == 1 and result.output.startswith("babelmill: error: ")
    assert result.output.count("\n") == 1
    assert not (out / "corpus.jsonl").exists()


@pytest.mark.parametrize(
    "name,refused", [("corpus.jsonl", True), ("runs.jsonl", True), (".manifest.json.tmp", False)]
)  # fmt: skip
def test_a_link_planted_during_the_run_is_never_written_through(tmp_path, empty_models_dir, monkeypatch, name, refused):
    from babelmill.run.writer import CorpusWriter

    out = tmp_path / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    real_write = CorpusWriter.write

    def plant_then_write(self, doc):
        if not (out / name).is_symlink():  # after the checks before the run, before the first write
            (out / name).unlink(missing_ok=True)
            (out / name).symlink_to(victim)
        return real_write(self, doc)

    monkeypatch.setattr(CorpusWriter, "write", plant_then_write)
    result = _run(str(_inputs(tmp_path)), "-o", str(out), "--models-dir", str(empty_models_dir), "-q")
    assert victim.read_text() == "precious\n"
    assert "Traceback" not in result.output
    if refused:
        assert result.exit_code == 1
        assert result.output.startswith("babelmill: error: ") and result.output.count("\n") == 1
        assert name in result.output and "refusing to open a link" in result.output
    else:  # a temporary file is made anew: the planted link is replaced, never followed
        assert result.exit_code == 0, result.output
        assert not (out / name).exists() and (out / "manifest.json").is_file()


def test_the_state_folder_is_private_to_its_owner(tmp_path, empty_models_dir):
    out = tmp_path / "out"
    (out / "state").mkdir(parents=True)
    (out / "state").chmod(0o777)  # others could plant links for SQLite to write through
    inputs = _inputs(tmp_path)
    assert _run(str(inputs), "-o", str(out), "--models-dir", str(empty_models_dir)).exit_code == 0
    assert (out / "state").stat().st_mode & 0o022 == 0
    if os.geteuid() == 0:  # only root can hand the folder to another user
        os.chown(out / "state", 12345, 12345)
        result = _run(str(inputs), "-o", str(out), "--models-dir", str(empty_models_dir))
        assert result.exit_code == 1 and "belongs to another user (uid 12345)" in result.output


@pytest.mark.parametrize("name", ["corpus.jsonl", "rejected.jsonl"])
def test_an_output_cut_inside_a_record_is_refused_not_appended_to(tmp_path, empty_models_dir, name):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(ART)
    (inputs / "b.txt").write_bytes(b"")  # quarantined: rejected.jsonl has a record too
    out = tmp_path / "out"
    args = ["-o", str(out), "--models-dir", str(empty_models_dir)]
    assert _run(str(inputs), *args).exit_code == 0
    target = out / name
    target.write_bytes(target.read_bytes()[:40])  # a copy or an editor cut it mid-record
    (inputs / "c.txt").write_text(ART.replace("budget", "bridge") + "The mayor was pleased with the vote.\n")
    result = _run(str(inputs), *args)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"babelmill: error: {target}: ends inside a record: the file was cut or edited outside babelmill, and "
        "the next record would be glued onto the broken one; rerun with --rebuild to rebuild this output"
    )
    assert len(target.read_bytes()) == 40  # left as found
    assert _run(str(inputs), *args, "--rebuild").exit_code == 0
    assert all(line.endswith(b"}") for line in target.read_bytes().splitlines())


def test_lines_added_to_the_corpus_by_hand_are_cut_with_a_warning_not_silently(tmp_path, empty_models_dir):
    (tmp_path / "a.txt").write_text(ART)
    out = tmp_path / "out"
    args = (str(tmp_path / "a.txt"), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert _run(*args).exit_code == 0
    corpus = out / "corpus.jsonl"
    before = corpus.read_bytes()
    added = b'{"id": "mine", "text": "added by hand"}\n'
    with open(corpus, "ab") as fh:
        fh.write(added)
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert corpus.read_bytes() == before  # the file is back at its last checkpoint
    warning = [line for line in result.output.splitlines() if f"cut {len(added)} bytes of corpus" in line]
    assert len(warning) == 1 and "last checkpoint" in warning[0]


def test_an_output_without_state_is_rewritten_with_a_warning_that_says_no_checkpoint_covers_it(
    tmp_path, empty_models_dir
):
    (tmp_path / "a.txt").write_text(ART)
    out = tmp_path / "out"
    args = (str(tmp_path / "a.txt"), "-o", str(out), "--models-dir", str(empty_models_dir))
    assert _run(*args).exit_code == 0
    before = (out / "corpus.jsonl").read_bytes()
    for p in (out / "state").iterdir():  # a fresh clone of a committed corpus has no state folder
        p.unlink()
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert (out / "corpus.jsonl").read_bytes() == before
    line = next(x for x in result.output.splitlines() if "bytes of corpus" in x)
    assert "no checkpoint in the state covers" in line and "interrupted run's unfinished" not in line
