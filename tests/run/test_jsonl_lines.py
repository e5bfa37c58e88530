"""A document of a JSONL input that moved to another line of its file (a line deleted or
inserted above it, lines reordered) is unchanged, as a moved file is: it is not processed again
and is no duplicate of itself. A deleted line keeps its record, as a deleted file does; a line
edited in place replaces its record; two lines with the same bytes are still one document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from tests.conftest import read_jsonl
from tests.run import test_crash_safety as crash

STAGES = '[pipeline]\nstages = ["read", "repair", "strip", "normalize", "dedup"]\n'


def _line(i: int, extra: str = "") -> str:
    text = (
        f"Article {i}{extra}: the council met on Tuesday to discuss budget item number {i} and voted "
        f"for it after a long debate among members. " + " ".join(f"w{i}x{k}" for k in range(30))
    )
    return json.dumps({"id": f"d{i}", "text": text})


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "pipeline.toml").write_text(STAGES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def _run(*extra: str, out: str = "out") -> str:
    args = ["run", "in", "-o", out, "-c", "pipeline.toml", "--no-progress", "--input-format", "jsonl", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _says(said: str, processed: int, unchanged: int, kept: int, duplicates: int = 0) -> None:
    assert f"{processed} processed, {unchanged} unchanged" in said, said
    assert f"{kept} kept, {duplicates} duplicate" in said, said


def _ids(out: Path, name: str = "corpus.jsonl") -> list[str]:
    return [r["source"]["id"] for r in read_jsonl(out / name)]


def _rows(out: Path) -> dict[str, str]:
    """The manifest's input rows: path -> source id of the line (by content)."""
    return {row["path"]: row["sha256"] for row in json.loads((out / "manifest.json").read_text())["inputs"]}


def test_deleting_the_first_line_leaves_the_other_documents_unchanged(work: Path):
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in (1, 2, 3)]
    _write(f, lines)
    _says(_run(), 3, 0, 3)
    corpus = (work / "out" / "corpus.jsonl").read_bytes()
    _write(f, lines[1:])
    _says(_run(), 0, 2, 0)
    # the deleted document keeps its record (as a deleted file does); the others keep theirs
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    _says(_run(), 0, 2, 0)  # and stays so
    # an edit of the document now on line 1 (d2) replaces d2's record, not the deleted d1's
    _write(f, [_line(2, " edited"), lines[2]])
    _says(_run(), 1, 1, 1)
    records = read_jsonl(work / "out" / "corpus.jsonl")
    assert [(r["source"]["id"], r["source"]["line"]) for r in records] == [("d1", 1), ("d2", 1), ("d3", 3)]
    assert records[1]["text"].startswith("Article 2 edited")
    assert read_jsonl(work / "out" / "rejected.jsonl") == []


def test_a_line_inserted_at_the_top_is_the_only_document_processed(work: Path):
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in range(1, 31)]
    _write(f, lines)
    _run()
    _write(f, [_line(0), *lines])
    _says(_run(), 1, 30, 1)
    assert sorted(_ids(work / "out")) == sorted(f"d{i}" for i in range(31))
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    _says(_run(), 0, 31, 0)
    # --rebuild writes the lines the documents are on now: the same records otherwise
    _run("--rebuild", out="rebuilt")
    assert sorted(_ids(work / "out")) == sorted(_ids(work / "rebuilt"))
    assert [r["source"]["line"] for r in read_jsonl(work / "rebuilt" / "corpus.jsonl")] == list(range(1, 32))


def test_reordered_lines_are_unchanged_and_an_edit_after_the_move_replaces_the_moved_record(work: Path):
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in (1, 2, 3, 4)]
    _write(f, lines)
    _run()
    corpus = (work / "out" / "corpus.jsonl").read_bytes()
    _write(f, [lines[3], lines[2], lines[0], lines[1]])
    _says(_run(), 0, 4, 0)
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    sha = {r["source"]["id"]: r["source"]["sha256"] for r in read_jsonl(work / "out" / "corpus.jsonl")}
    rows = _rows(work / "out")
    assert [rows[f"in/a.jsonl:{n}"] for n in (1, 2, 3, 4)] == [sha["d4"], sha["d3"], sha["d1"], sha["d2"]]
    _write(f, [lines[3], _line(3, " edited"), lines[0], lines[1]])  # d3, now on line 2
    _says(_run(), 1, 3, 1)
    assert _ids(work / "out") == ["d1", "d2", "d3", "d4"]  # the new record takes the old one's place
    assert read_jsonl(work / "out" / "corpus.jsonl")[2]["text"].startswith("Article 3 edited")


def test_a_deleted_line_put_back_is_its_own_record_again(work: Path):
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in (1, 2, 3)]
    _write(f, lines)
    _run()
    corpus = (work / "out" / "corpus.jsonl").read_bytes()
    _write(f, lines[1:])
    _run()
    _write(f, [lines[1]])  # d3 deleted too
    _says(_run(), 0, 1, 0)
    _write(f, lines)
    _says(_run(), 0, 3, 0)
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    assert sorted(_rows(work / "out")) == ["in/a.jsonl:1", "in/a.jsonl:2", "in/a.jsonl:3"]


def test_a_line_edited_in_place_still_replaces_its_record(work: Path):
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in (1, 2, 3)]
    _write(f, lines)
    _run()
    _write(f, [lines[0], _line(2, " edited"), lines[2]])
    _says(_run(), 1, 2, 1)
    assert _ids(work / "out") == ["d1", "d2", "d3"]
    assert read_jsonl(work / "out" / "corpus.jsonl")[1]["text"].startswith("Article 2 edited")


def test_identical_lines_are_still_duplicates_of_the_first_after_a_move(work: Path):
    f, g = work / "in" / "a.jsonl", work / "in" / "b.jsonl"
    lines = [_line(i) for i in (1, 2, 3)]
    _write(f, lines)
    _run()
    _write(f, [lines[1], lines[2], lines[1]])  # d1 deleted, d2 twice
    _write(g, [lines[2]])  # d3 in another file too
    _says(_run(), 2, 2, 0, duplicates=2)
    rejected = read_jsonl(work / "out" / "rejected.jsonl")
    corpus = {r["source"]["id"]: r["id"] for r in read_jsonl(work / "out" / "corpus.jsonl")}
    assert [(r["reason"], r["source"]["path"], r["source"]["line"], r["duplicate_of"]) for r in rejected] == [
        ("identical_input", "in/a.jsonl", 3, corpus["d2"]),
        ("identical_input", "in/b.jsonl", 1, corpus["d3"]),
    ]
    _says(_run(), 0, 4, 0)


def test_a_document_moved_to_another_jsonl_file_keeps_its_record(work: Path):
    f, g = work / "in" / "a.jsonl", work / "in" / "b.jsonl"
    lines = [_line(i) for i in (1, 2, 3)]
    _write(f, lines)
    _run()
    corpus = (work / "out" / "corpus.jsonl").read_bytes()
    _write(f, [lines[0], lines[2]])
    _write(g, [lines[1]])
    _says(_run(), 0, 3, 0)
    assert (work / "out" / "corpus.jsonl").read_bytes() == corpus
    assert read_jsonl(work / "out" / "rejected.jsonl") == []
    assert sorted(_rows(work / "out")) == ["in/a.jsonl:1", "in/a.jsonl:2", "in/b.jsonl:1"]


def _run_dying(out: Path, die_at: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run in-process, dying at the ``die_at``-th commit of the run state (0: not); the commits made."""
    from babelmill.run.state import RunState

    inputs, config = out.parent / "in", out.parent / "pipeline.toml"
    die_in = (RunState, "commit")
    return crash._run_until(inputs, out, config, die_in, die_at, monkeypatch, input_format="jsonl")


def test_moved_deleted_inserted_and_edited_lines_after_dying_at_any_commit(work: Path, monkeypatch):
    """Line 1 deleted, line 3 moved to line 1 and a new document put on line 3, line 4 edited: a
    run that dies at any commit and the run after it leave what one uninterrupted run does."""
    f = work / "in" / "a.jsonl"
    lines = [_line(i) for i in (1, 2, 3, 4, 5)]
    _write(f, lines)
    _run_dying(work / "before", 0, monkeypatch)  # (it undoes the fixture's chdir: absolute paths)
    _write(f, [lines[2], lines[1], _line(0), _line(4, " edited"), lines[4]])
    shutil.copytree(work / "before", work / "reference")
    commits = _run_dying(work / "reference", 0, monkeypatch)
    assert _ids(work / "reference") == ["d1", "d2", "d3", "d4", "d5", "d0"]
    assert read_jsonl(work / "reference" / "rejected.jsonl") == []
    rows = _rows(work / "reference")
    assert rows == {
        **{
            f"{f}:{n}": sha
            for n, sha in zip((1, 2, 3, 5), _shas(work / "reference", "d3", "d2", "d0", "d5"), strict=True)
        },
        f"{f}:4": _shas(work / "reference", "d4")[0],
        f"{f}:1 (deleted in run 2)": _shas(work / "reference", "d1")[0],
    }
    for die_at in range(1, commits + 1):
        out = work / f"died-{die_at}"
        shutil.copytree(work / "before", out)
        _run_dying(out, die_at, monkeypatch)
        _run_dying(out, 0, monkeypatch)
        for name in ("corpus.jsonl", "rejected.jsonl"):
            # the same records; not compared in order: a line edited in place whose run died at
            # the second commit gets its new record at the end, also without any move (on main)
            assert sorted((out / name).read_bytes().splitlines()) == sorted(
                (work / "reference" / name).read_bytes().splitlines()
            ), f"{name}, died at {die_at}"
        assert _rows(out) == rows, f"died at {die_at}"


def _shas(out: Path, *ids: str) -> list[str]:
    sha = {r["source"]["id"]: r["source"]["sha256"] for r in read_jsonl(out / "corpus.jsonl")}
    return [sha[i] for i in ids]
