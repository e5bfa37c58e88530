"""A bad configuration stops ``babelmill run`` before any work, with a message naming the
file, the key and what was expected; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.config import ConfigError, load_config

GOOD_STAGES = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'


def run_with_config(tmp_path: Path, toml: str | None, name: str = "pipeline.toml"):
    (tmp_path / "in.txt").write_text("The council approved the bridge on Tuesday.\n")
    config = tmp_path / name
    if toml is not None:
        config.write_text(toml, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "in.txt"), "-o", str(out), "-c", str(config)])
    return result, config, out


@pytest.mark.parametrize(
    "toml, expected",
    [
        (GOOD_STAGES + "[stages.read]\nmax_byte = 10\n", ["unknown key 'max_byte'", "'read'", "max_bytes"]),
        (GOOD_STAGES + '[stages.read]\nmax_bytes = "10 MB"\n', ["key 'max_bytes'", "must be int", "str '10 MB'"]),
        (GOOD_STAGES + "[stages.read]\nextract_html = 1\n", ["key 'extract_html'", "must be bool", "int 1"]),
        (GOOD_STAGES + "[stages.read]\nmax_control_ratio = 2.0\n", ["[stages.read]", "max_control_ratio"]),
        (GOOD_STAGES + "[stages.read]\nmax_bytes = 0\n", ["[stages.read]", "max_bytes must be a positive"]),
        ('[pipeline]\nstages = ["read", "spellcheck"]\n', ["unknown stage 'spellcheck'", "known stages: read"]),
        (GOOD_STAGES + "[stages.spellcheck]\nx = 1\n", ["[stages.spellcheck]", "unknown stage"]),
        ("[pipeline]\nstages = []\n", ["stages must be a non-empty list"]),
        ('[pipeline]\nstages = "read"\n', ["stages must be a non-empty list"]),
        ("[stages.dedup]\nthreshold = 0.8\n", ["no [pipeline] stages", 'stages = ["read", "repair", "strip"']),
        (GOOD_STAGES + "[stages.dedup]\ntreshold = 0.5\n", ["[stages.dedup]", "unknown key 'treshold'"]),
        (
            '[pipeline]\nstages = ["read", "detect", "translate"]\n[stages.translate]\ncompute_type = "int3"\n',
            ["[stages.translate]", "compute_type must be one of", "int8", "not 'int3'"],
        ),
        (GOOD_STAGES + "[frobnicate]\nx = 1\n", ["unknown top-level table [frobnicate]"]),
        ('[pipeline]\nstages = ["read",, "repair"]\n', ["not valid TOML", "line 2"]),
        (GOOD_STAGES + "[stages.read]\nmax_bytes = \n", ["not valid TOML"]),
        ('[pipeline]\nstages = ["read", "repair", "detect", "strip"]\n', ["'strip' must come before 'detect'"]),
        ('[pipeline]\nstages = ["read", "normalize", "repair"]\n', ["'repair' must come before 'normalize'"]),
        ('[pipeline]\nstages = ["read", "repair", "repair"]\n', ["names 'repair' twice"]),
        ('[pipeline]\nstages = ["repair", "normalize"]\n', ["must start with 'read'"]),
    ],
    ids=[
        "unknown_key",
        "wrong_type_str",
        "wrong_type_bool",
        "ratio_out_of_range",
        "zero_limit",
        "unknown_stage",
        "unknown_section",
        "empty_stages",
        "stages_not_list",
        "only_stage_options",
        "typo_in_a_stage_not_run",
        "unknown_compute_type",
        "unknown_table",
        "bad_toml",
        "bad_toml_value",
        "detect_before_strip",
        "normalize_before_repair",
        "stage_twice",
        "no_read",
    ],  # fmt: skip
)
def test_bad_config_fails_before_any_work(tmp_path: Path, toml: str, expected: list[str]) -> None:
    result, config, out = run_with_config(tmp_path, toml)
    assert result.exit_code == 1
    message = result.stderr
    assert message.startswith(f"babelmill: error: {config}"), message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing written, not even the output folder


@pytest.mark.parametrize(
    "table, expected",
    [
        ('[stages.detect]\nmarkers = "nope.toml"\n', "[stages.detect]: {tmp}/nope.toml: markers file not found"),
        (
            '[stages.strip]\nrule_files = ["mine/rules.toml"]\n',
            "[stages.strip]: {tmp}/mine/rules.toml: rule file not found",
        ),
    ],
    ids=["markers", "rule_file"],
)
def test_a_file_the_config_names_that_is_missing_is_one_line_naming_config_and_file(
    tmp_path: Path, table: str, expected: str
) -> None:
    toml = '[pipeline]\nstages = ["read", "repair", "strip", "detect"]\n' + table
    result, config, _out = run_with_config(tmp_path, toml)
    assert result.exit_code == 1
    assert result.stderr == f"babelmill: error: {config} " + expected.format(tmp=tmp_path) + "\n"


def test_translate_without_detect_runs_with_one_warning_line(tmp_path: Path) -> None:
    result, config, out = run_with_config(tmp_path, '[pipeline]\nstages = ["read", "strip", "translate"]\n')
    assert result.exit_code == 0, result.output
    warning = f"babelmill: warning: {config}: [pipeline] stages has 'translate' without 'detect': no block gets a"
    assert result.stderr.startswith(warning)
    assert (out / "corpus.jsonl").exists()


def test_options_of_a_stage_not_run_give_one_warning_line(tmp_path: Path) -> None:
    result, config, _out = run_with_config(tmp_path, GOOD_STAGES + "[stages.dedup]\nthreshold = 0.5\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"babelmill: warning: {config}: [stages.dedup] is set, but 'dedup' is not in [pipeline] stages"
    )


def test_missing_config_file(tmp_path: Path) -> None:
    result, config, out = run_with_config(tmp_path, None)
    assert result.exit_code == 1
    assert f"babelmill: error: {config}: config file not found" in result.stderr
    assert not out.exists()


def test_config_that_is_not_utf8_text(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result, config, out = run_with_config(tmp_path, None)
    assert result.exit_code == 1
    assert f"babelmill: error: {config}: not valid TOML: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_good_config_runs(tmp_path: Path) -> None:
    result, _config, out = run_with_config(tmp_path, GOOD_STAGES + "[stages.read]\nmax_bytes = 1000000\n")
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists()


def test_load_config_reports_the_file_and_key() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/nonexistent/pipeline.toml")


def test_bad_regex_in_a_rule_file_fails_at_config_load(tmp_path: Path) -> None:
    pytest.importorskip("babelmill.clean.rules")
    rules = tmp_path / "my_rules.toml"
    rules.write_text('[[rule]]\nname = "share_bar"\npattern = "share (this|on facebook"\n', encoding="utf-8")
    toml = f'[pipeline]\nstages = ["read", "repair", "strip"]\n[stages.strip]\nrule_files = ["{rules}"]\n'
    result, config, out = run_with_config(tmp_path, toml)
    assert result.exit_code == 1
    message = result.stderr
    assert f"babelmill: error: {config}" in message
    assert str(rules) in message and "share_bar" in message and "bad regular expression" in message
    assert not out.exists()


DEDUP_STAGES = '[pipeline]\nstages = ["read", "repair", "normalize", "dedup"]\n[stages.dedup]\n'


def test_the_old_dedup_engine_key_is_read_as_backend_with_a_warning(tmp_path, capsys):
    config = tmp_path / "old.toml"
    config.write_text(DEDUP_STAGES + 'engine = "datasketch"\n', encoding="utf-8")
    cfg = load_config(config)
    assert cfg.options["dedup"].backend == "datasketch"
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "[stages.dedup]" in err and "'engine' is deprecated" in err
    assert 'backend = "datasketch"' in err
    # the resolved configuration (manifest, config hash) knows only the new name
    assert "engine" not in cfg.resolved()["options"]["dedup"]
    assert load_config(config).sha256() == _written(tmp_path, 'backend = "datasketch"\n').sha256()


def _written(tmp_path: Path, table: str):
    config = tmp_path / "new.toml"
    config.write_text(DEDUP_STAGES + table, encoding="utf-8")
    return load_config(config)


def test_the_old_and_the_new_dedup_key_together_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="'engine' is the old name of 'backend'"):
        _written(tmp_path, 'engine = "rensa"\nbackend = "datasketch"\n')


def test_a_run_with_the_old_dedup_key_warns_once_and_writes_the_corpus(tmp_path):
    result, _, out = run_with_config(tmp_path, DEDUP_STAGES + 'engine = "rensa"\n')
    assert result.exit_code == 0, result.output
    assert result.output.count("'engine' is deprecated") == 1
    assert (out / "corpus.jsonl").read_text(encoding="utf-8").count("\n") == 1
