"""The command line as a user meets it: help texts, summary, exit status."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from tests.conftest import SEEDS

COMMANDS = [
    ["run"],
    ["models"],
    ["models", "list"],
    ["models", "install"],
    ["models", "remove"],
    ["detect"],
    ["clean"],
    ["report"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    description = result.output.split("\n\n", 2)[1]
    assert len(description.split()) >= 8, f"{command}: help says too little: {description!r}"


def test_top_level_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    for name in ("run", "models", "detect", "clean", "report"):
        assert f"  {name}" in result.output


def test_run_prints_a_one_paragraph_summary(tmp_path: Path, empty_models_dir: Path):
    seed = sorted(SEEDS.iterdir())[4]
    shutil.copy(seed, tmp_path / "a.txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "a.txt"), "-o", str(out), "--models-dir", str(empty_models_dir), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    for words in ("1 kept", "0 duplicates", "0 quarantined", "pending", "1 records"):
        assert words in summary


def test_a_models_dir_that_does_not_exist_is_named_in_a_warning(tmp_path: Path, empty_models_dir: Path):
    (tmp_path / "a.txt").write_text("Die Regierung hat heute ein neues Gesetz beschlossen.\n", encoding="utf-8")
    typo = tmp_path / "modles"
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--models-dir", str(typo), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"babelmill: warning: {typo}: no such models folder (--models-dir or $BABELMILL_MODELS); "
        "no translation model is read from it"
    )
    # an existing folder, empty or not, is no mistake
    result = CliRunner().invoke(
        main,
        ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out2"), "--models-dir", str(empty_models_dir),
         "--no-progress"],
    )  # fmt: skip
    assert "warning" not in result.stderr


def test_changed_dedup_settings_on_an_existing_output_ask_for_rebuild(tmp_path: Path, empty_models_dir: Path):
    seed = sorted(SEEDS.iterdir())[4]
    shutil.copy(seed, tmp_path / "a.txt")
    out = tmp_path / "out"
    args = ["--models-dir", str(empty_models_dir), "--no-progress"]
    assert CliRunner().invoke(main, ["run", str(tmp_path / "a.txt"), "-o", str(out), *args]).exit_code == 0
    config = tmp_path / "changed.toml"
    config.write_text(
        '[pipeline]\nstages = ["read", "repair", "strip", "detect", "translate", "normalize", "dedup"]\n'
        "[stages.dedup]\nshingle_size = 4\n"
    )
    shutil.copy(sorted(SEEDS.iterdir())[3], tmp_path / "b.txt")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "b.txt"), "-o", str(out), "-c", str(config), *args])
    assert result.exit_code == 1
    assert "--rebuild" in result.output
    both = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    rebuilt = CliRunner().invoke(main, ["run", *both, "-o", str(out), "-c", str(config), "--rebuild", *args])
    assert rebuilt.exit_code == 0, rebuilt.output


@pytest.mark.parametrize(
    ("size", "message"), [("0", "size must be positive"), ("abc", "not a size: 'abc'"), ("-5MB", "not a size")]
)
def test_a_bad_shard_size_is_a_usage_error_naming_the_option(tmp_path: Path, size: str, message: str):
    result = CliRunner().invoke(main, ["run", str(SEEDS), "-o", str(tmp_path / "out"), "--shard-size", size])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--shard-size'" in result.stderr and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_output_named_like_a_file_gets_a_warning_that_it_is_a_folder(tmp_path: Path, empty_models_dir: Path):
    seed = sorted(SEEDS.iterdir())[4]
    shutil.copy(seed, tmp_path / "a.txt")
    args = ["--models-dir", str(empty_models_dir), "--no-progress"]
    out = tmp_path / "corpus.jsonl"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "a.txt"), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"babelmill: warning: -o {out}: names the output folder (corpus, manifest.json and state/ are "
        "written inside it), not a file"
    )
    assert (out / "corpus.jsonl").is_file()
    # the rerun into the folder that now exists, and a plain folder name, say nothing
    for target in (out, tmp_path / "out"):
        result = CliRunner().invoke(main, ["run", str(tmp_path / "a.txt"), "-o", str(target), *args])
        assert result.exit_code == 0 and "warning" not in result.stderr
