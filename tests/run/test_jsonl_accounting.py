"""Every JSONL input file is accounted for: one with no document line (empty, blank lines only,
empty once decompressed) gets a quarantine record and a stderr line, as an empty page does."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from babelmill.cli import main
from tests.conftest import read_jsonl

STAGES = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'
ENGLISH = "The city council approved the new bridge on Tuesday after a long debate about its cost.\n"


def _run(tmp_path: Path, *inputs: Path):
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES)
    args = ["run", *map(str, inputs), "-o", str(tmp_path / "out"), "-c", str(config), "--input-format", "jsonl"]
    return CliRunner().invoke(main, args)


def test_a_jsonl_file_with_no_document_line_is_quarantined_not_dropped(tmp_path: Path):
    d = tmp_path / "shards"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"id": "a", "text": ENGLISH}) + "\n" + json.dumps({"text": ""}) + "\n")
    (d / "b.jsonl").write_bytes(b"")
    (d / "c.jsonl").write_text("\n  \n\n")
    (d / "d.jsonl.gz").write_bytes(gzip.compress(b""))
    result = _run(tmp_path, d)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    fates = {row["path"]: (row["fate"], row["reason"]) for row in manifest["inputs"]}
    assert fates == {
        f"{d / 'a.jsonl'}:1": ("kept", None),
        f"{d / 'a.jsonl'}:2": ("quarantined", "empty"),
        f"{d / 'b.jsonl'}:1": ("quarantined", "empty"),
        f"{d / 'c.jsonl'}:1": ("quarantined", "no_text"),
        f"{d / 'd.jsonl.gz'}:1": ("quarantined", "empty"),
    }
    assert manifest["summary"]["quarantined"] == 4
    rejected = [Path(r["source"]["path"]).name for r in read_jsonl(tmp_path / "out" / "rejected.jsonl")]
    assert sorted(rejected) == ["a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl.gz"]
    stderr = result.stderr
    # the stderr line names FILE:LINE once, not again inside the message
    assert f"babelmill: {d / 'a.jsonl'}:2: quarantined (empty): the text field is empty\n" in stderr
    assert f"babelmill: {d / 'b.jsonl'}:1: quarantined (empty): the file holds no line (0 bytes)" in stderr
    assert f"babelmill: {d / 'c.jsonl'}:1: quarantined (no_text): the file holds only blank lines" in stderr


def test_an_empty_jsonl_file_that_gets_lines_is_read_and_its_quarantine_record_goes(tmp_path: Path):
    f = tmp_path / "a.jsonl"
    f.write_bytes(b"")
    assert _run(tmp_path, f).exit_code == 0
    assert _run(tmp_path, f).exit_code == 0  # unchanged: skipped, still accounted for
    assert len(read_jsonl(tmp_path / "out" / "rejected.jsonl")) == 1
    f.write_text(json.dumps({"id": "a", "text": ENGLISH}) + "\n")
    result = _run(tmp_path, f)
    assert result.exit_code == 0, result.output
    assert read_jsonl(tmp_path / "out" / "rejected.jsonl") == []
    (kept,) = read_jsonl(tmp_path / "out" / "corpus.jsonl")
    assert kept["source"]["line"] == 1


def test_the_run_summary_counts_jsonl_documents_beside_the_files_that_hold_them(tmp_path: Path):
    f = tmp_path / "a.jsonl"
    f.write_text("".join(json.dumps({"id": str(i), "text": f"{i}. {ENGLISH}"}) + "\n" for i in range(3)))
    result = _run(tmp_path, f)
    assert "Read 1 input file holding 3 documents: 3 processed, 0 unchanged since the last run." in result.stdout
    result = _run(tmp_path, f)
    assert "Read 1 input file holding 3 documents: 0 processed, 3 unchanged since the last run." in result.stdout
