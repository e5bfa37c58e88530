"""The same input under another path is the same input: `babelmill run seeds/ -o out`, then
`babelmill run ./seeds -o out`, an absolute path, a symlink, a run from another folder, or the
folder moved or renamed. Nothing is processed again, nothing is reported as a duplicate of itself,
and the corpus keeps its bytes; a moved file's row in the run state (and the manifest) follows it
to its new path. A real copy (another file with the same bytes) is still a duplicate."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from tests.conftest import SEEDS, read_jsonl

STAGES = '[pipeline]\nstages = ["read", "repair", "strip", "normalize", "dedup"]\n'


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the working folder, with ``seeds/`` (a copy) and a small config."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "pipeline.toml").write_text(STAGES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*inputs: str, out: str = "out", config: str | None = "pipeline.toml") -> str:
    args = ["run", *inputs, "-o", out, "--no-progress", *(["-c", config] if config else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _manifest_inputs(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["inputs"]


def _first_run(work: Path) -> tuple[bytes, list[dict]]:
    said = _run("seeds/")
    assert "5 processed, 0 unchanged" in said and "5 kept, 0 duplicates" in said
    return (work / "out" / "corpus.jsonl").read_bytes(), _manifest_inputs(work / "out")


def _already_done(said: str, work: Path, corpus: bytes) -> None:
    assert "0 processed, 5 unchanged" in said, said
    assert "0 kept, 0 duplicates, 0 quarantined" in said, said
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus


@pytest.mark.parametrize("spelling", ["./seeds", "absolute", "seeds/../seeds", "symlink/", "from_elsewhere"])
def test_the_same_inputs_under_another_spelling_are_already_done(work: Path, spelling: str, monkeypatch):
    corpus, rows = _first_run(work)
    if spelling == "absolute":
        said = _run(str(work / "seeds"))
    elif spelling == "symlink/":
        (work / "link").symlink_to(work / "seeds")
        said = _run("link/")
    elif spelling == "from_elsewhere":
        (work / "sub").mkdir()
        monkeypatch.chdir(work / "sub")
        said = _run("../seeds", out="../out", config="../pipeline.toml")
    else:
        said = _run(spelling)
    _already_done(said, work, corpus)
    assert _manifest_inputs(work / "out") == rows  # the same input rows, under the first spelling
    monkeypatch.chdir(work)  # and the spelling of the first run still finds them
    _already_done(_run("seeds"), work, corpus)


def test_a_moved_folder_keeps_its_records_and_its_rows_follow_it(work: Path):
    corpus, rows = _first_run(work)
    (work / "seeds").rename(work / "articles")
    _already_done(_run("articles"), work, corpus)
    moved = _manifest_inputs(work / "out")
    assert [r["path"] for r in moved] == [r["path"].replace("seeds/", "articles/") for r in rows]
    assert [{**r, "path": None} for r in moved] == [{**r, "path": None} for r in rows]
    # an edit at the new place replaces the record in its place (no stale record of the old path)
    edited = sorted((work / "articles").iterdir())[1]
    edited.write_text(edited.read_text() + "\nOne more sentence for the end of this article.\n")
    said = _run("articles")
    assert "1 processed, 4 unchanged" in said and "1 kept, 0 duplicates" in said, said
    records = read_jsonl(work / "out" / "corpus.jsonl")
    assert len(records) == 5 and records[1]["source"]["path"] == f"articles/{edited.name}"
    assert len(_manifest_inputs(work / "out")) == 5


def test_a_renamed_file_keeps_its_record(work: Path):
    corpus, _ = _first_run(work)
    first = sorted((work / "seeds").iterdir())[0]
    first.rename(work / "seeds" / "renamed.txt")
    _already_done(_run("seeds"), work, corpus)
    assert sorted(r["path"] for r in _manifest_inputs(work / "out"))[-1] == "seeds/renamed.txt"


def test_the_same_file_named_twice_in_one_run_is_read_once(work: Path):
    first = sorted(p.name for p in (work / "seeds").iterdir())[1]
    said = _run("seeds/", f"seeds/{first}", str(work / "seeds" / first))
    assert "5 processed" in said and "5 kept, 0 duplicates" in said, said
    corpus = (work / "out" / "corpus.jsonl").read_bytes()
    _already_done(_run("seeds/", f"./seeds/{first}"), work, corpus)


def test_a_real_copy_is_still_a_duplicate_in_one_run_and_in_a_later_one(work: Path):
    names = sorted(p.name for p in (work / "seeds").iterdir())
    shutil.copy(work / "seeds" / names[1], work / "seeds" / "zz-copy.txt")
    said = _run("seeds")
    assert "5 kept, 1 duplicate," in said, said
    (rejected,) = read_jsonl(work / "out" / "rejected.jsonl")
    assert rejected["reason"] == "identical_input" and rejected["source"]["path"] == "seeds/zz-copy.txt"
    # a copy made after the first run, with the original still there, is a duplicate too
    shutil.copy(work / "seeds" / names[2], work / "seeds" / "zz-later-copy.txt")
    said = _run(str(work / "seeds"))
    assert "1 processed, 6 unchanged" in said and "0 kept, 1 duplicate," in said, said
    assert [r["source"]["path"] for r in read_jsonl(work / "out" / "rejected.jsonl")][-1] == str(
        work / "seeds" / "zz-later-copy.txt"
    )


def test_a_relative_path_naming_another_file_from_another_folder_replaces_nothing(work: Path, monkeypatch):
    """`in/a.txt` run from two folders names two files: the second is a new input (recorded under
    its absolute path), not an edit of the first (whose record would go)."""
    for name, seed in (("one", 0), ("two", 3)):
        (work / name / "in").mkdir(parents=True)
        shutil.copy(sorted((work / "seeds").iterdir())[seed], work / name / "in" / "a.txt")
    monkeypatch.chdir(work / "one")
    _run("in", out="../out", config="../pipeline.toml")
    monkeypatch.chdir(work / "two")
    said = _run("in", out="../out", config="../pipeline.toml")
    assert "1 processed" in said and "1 kept" in said, said
    paths = [r["source"]["path"] for r in read_jsonl(work / "out" / "corpus.jsonl")]
    assert paths == ["in/a.txt", str(work / "two" / "in" / "a.txt")]
    monkeypatch.chdir(work / "one")  # and each is still its own, unchanged input
    assert "0 processed, 1 unchanged" in _run("in", out="../out", config="../pipeline.toml")


def test_a_run_state_from_before_real_paths_still_works(work: Path):
    """A state written before the ``real`` column (an existing output folder) is read: its rows
    are found by the path they were written under, and by content for another spelling."""
    corpus, rows = _first_run(work)
    db = sqlite3.connect(work / "out" / "state" / "runs.sqlite")
    db.execute("DROP INDEX IF EXISTS inputs_real")
    for column in {"real", "record_path"} & {r[1] for r in db.execute("PRAGMA table_info(inputs)")}:
        db.execute(f"ALTER TABLE inputs DROP COLUMN {column}")
    db.commit()
    db.close()
    _already_done(_run(str(work / "seeds")), work, corpus)
    assert _manifest_inputs(work / "out") == rows
    (work / "seeds").rename(work / "moved")
    _already_done(_run("moved/"), work, corpus)
    assert all(r["path"].startswith("moved/") for r in _manifest_inputs(work / "out"))


def test_the_seeds_under_another_path_with_the_default_config(tmp_path: Path, monkeypatch):
    """The bug as a user met it: the default pipeline, `run seeds/` then `run $PWD/seeds`."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    models = tmp_path / "no-models"
    models.mkdir()
    first = _run("seeds/", "--models-dir", str(models), config=None)
    assert "5 kept" in first
    corpus = (tmp_path / "out" / "corpus.jsonl").read_bytes()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    said = _run(os.path.abspath("seeds"), "--models-dir", str(models), config=None)
    _already_done(said, tmp_path, corpus)
    again = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert again["inputs"] == manifest["inputs"]


def test_an_output_where_the_inputs_became_their_own_duplicates_is_mended(work: Path, monkeypatch):
    """An output a babelmill before real paths wrote after `run seeds/` and `run $PWD/seeds`: five
    rows and rejected records of the inputs as duplicates of themselves. The next run drops them."""
    import babelmill.run.plan
    from babelmill.run.identity import Match, Matching

    corpus, rows = _first_run(work)
    with monkeypatch.context() as m:  # the plan of before: an input is the row of its path
        m.setattr(
            babelmill.run.plan,
            "match_inputs",
            lambda state, inputs: Matching([Match(k, real, previous=state.input(k)) for k, _a, real, _s, _l in inputs]),
        )
        assert "0 kept, 5 duplicates" in _run(str(work / "seeds"))
    assert len(read_jsonl(work / "out" / "rejected.jsonl")) == 5
    said = _run(str(work / "seeds"))
    _already_done(said, work, corpus)
    assert _manifest_inputs(work / "out") == rows


@pytest.mark.parametrize("how", ["absolute", "moved"])
def test_documents_of_a_jsonl_input_under_another_path_are_already_done(work: Path, how: str):
    (work / "docs").mkdir()
    texts = [p.read_text() for p in sorted((work / "seeds").iterdir())[:3]]
    lines = [json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)]
    (work / "docs" / "a.jsonl").write_text("".join(lines))
    _run("docs", "--input-format", "jsonl")
    corpus, rows = (work / "out" / "corpus.jsonl").read_bytes(), _manifest_inputs(work / "out")
    assert [r["path"] for r in rows] == ["docs/a.jsonl:1", "docs/a.jsonl:2", "docs/a.jsonl:3"]
    if how == "moved":
        (work / "docs").rename(work / "lines")
    said = _run(str(work / "docs") if how == "absolute" else "lines", "--input-format", "jsonl")
    assert "0 processed, 3 unchanged" in said and "0 duplicates" in said, said
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    paths = [r["path"] for r in _manifest_inputs(work / "out")]
    assert paths == [r["path"].replace("docs/", "lines/" if how == "moved" else "docs/") for r in rows]


def test_a_moved_duplicate_whose_original_is_edited_is_decided_again(work: Path):
    """The rejected record of a moved duplicate names the path it was read from: when it is
    decided again (its original edited), that record goes all the same."""
    names = sorted(p.name for p in (work / "seeds").iterdir())
    shutil.copy(work / "seeds" / names[1], work / "seeds" / "zz-copy.txt")
    assert "5 kept, 1 duplicate," in _run("seeds")
    (work / "seeds").rename(work / "articles")
    assert "0 processed, 6 unchanged" in _run("articles")
    original = work / "articles" / names[1]
    original.write_text("A different article now.\n\n" + " ".join(f"word{k}" for k in range(80)) + "\n")
    said = _run("articles")
    assert "2 processed, 4 unchanged" in said and "2 kept, 0 duplicates" in said, said
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    paths = [r["source"]["path"] for r in read_jsonl(work / "out" / "corpus.jsonl")]
    assert len(paths) == 6 and paths[1] == f"articles/{names[1]}" and paths[-1] == "articles/zz-copy.txt"
    assert {r["fate"] for r in _manifest_inputs(work / "out")} == {"kept"}


def test_a_spelling_whose_row_names_a_deleted_file_does_not_take_another_files_row(work: Path, monkeypatch):
    """`in/a.txt` was a file that is gone; `in` now links to `x/`, whose `a.txt` has a row of its
    own (`x/a.txt`). Edited, that file replaces its own record; the deleted file keeps its record."""
    seeds = sorted((work / "seeds").iterdir())
    (work / "one" / "in").mkdir(parents=True)
    shutil.copy(seeds[0], work / "one" / "in" / "a.txt")
    monkeypatch.chdir(work / "one")
    _run("in", out="../out", config="../pipeline.toml")
    shutil.rmtree(work / "one" / "in")
    (work / "x").mkdir()
    shutil.copy(seeds[3], work / "x" / "a.txt")
    monkeypatch.chdir(work)
    _run("x")
    (work / "one" / "in").symlink_to(work / "x")
    (work / "x" / "a.txt").write_text(seeds[3].read_text() + "\nA closing line the editor added later on.\n")
    monkeypatch.chdir(work / "one")
    said = _run("in/", out="../out", config="../pipeline.toml")
    assert "1 processed" in said and "1 kept, 0 duplicates" in said, said
    records = read_jsonl(work / "out" / "corpus.jsonl")
    assert [r["source"]["path"] for r in records] == ["in/a.txt", str(work / "one" / "in" / "a.txt")]
    assert records[1]["source"]["sha256"] == hashlib.sha256((work / "x" / "a.txt").read_bytes()).hexdigest()
    assert sorted(r["path"] for r in _manifest_inputs(work / "out")) == sorted(
        ["in/a.txt", str(work / "one" / "in" / "a.txt")]
    )
