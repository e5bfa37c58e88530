"""What a run reads: the default text extensions, ``--include``/``--exclude``, compressed inputs,
and JSONL documents (``--input-format jsonl``) as datatrove and Dolma write them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.errors import RunError
from babelmill.run import RunOptions, run_pipeline
from tests.conftest import read_jsonl

STAGES = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'
ENGLISH = "The city council approved the new bridge on Tuesday after a long debate about its cost.\n"
GERMAN = "Die Größe der neuen Brücke überrascht die Anwohner. Der Bürgermeister sagte, sie öffne im Frühjahr.\n"


def _run(tmp_path: Path, inputs: list[str], out: Path | None = None, **kw) -> tuple[object, list[str], Path]:
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES)
    out = out or tmp_path / "out"
    lines: list[str] = []
    summary = run_pipeline(RunOptions(inputs=inputs, output_dir=out, config_path=config, **kw), warn=lines.append)
    return summary, lines, out


def _read_names(out: Path) -> set[str]:
    return {row["path"].rsplit("/", 1)[-1] for row in json.loads((out / "manifest.json").read_text())["inputs"]}


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    d = tmp_path / "pages"
    (d / "notes").mkdir(parents=True)
    (d / "a.txt").write_text("A. " + ENGLISH)
    (d / "b.html").write_text(f"<html><body><p>B. {ENGLISH}</p></body></html>")
    (d / "c").write_text("C. " + ENGLISH)  # scrapers often write no extension
    (d / "d.TXT.gz").write_bytes(gzip.compress(("D. " + ENGLISH).encode()))
    (d / "notes" / "e.md").write_text("E. " + GERMAN)
    (d / "meta.json").write_text('{"url": "https://example.com/a", "title": "A page"}\n')
    (d / "f.json").write_text('{"url": "https://example.com/f"}\n')
    (d / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    return d


def test_a_folder_is_read_by_its_text_extensions_and_the_rest_is_counted(tmp_path: Path, pages: Path):
    summary, _, out = _run(tmp_path, [str(pages)])
    assert _read_names(out) == {"a.txt", "b.html", "c", "d.TXT.gz", "e.md"}
    assert summary.kept == 5
    assert summary.skipped == {"not_text:.json": 2, "not_text:.png": 1}
    assert json.loads((out / "manifest.json").read_text())["summary"]["skipped"] == summary.skipped
    paragraph = summary.paragraph(out)
    assert "Skipped 3 files in the input folders not read for their extension (.json 2, .png 1;" in paragraph


def test_include_and_exclude_choose_the_files_of_a_folder(tmp_path: Path, pages: Path):
    summary, _, out = _run(tmp_path, [str(pages)], include=("*.json",), exclude=("f.*",))
    assert _read_names(out) == {"meta.json"}
    assert summary.skipped == {"not_included": 6, "excluded": 1}
    assert "1 matching --exclude" in summary.paragraph(out)

    # a glob with a / matches the path below the named folder
    summary, _, out = _run(tmp_path, [str(pages)], tmp_path / "out2", exclude=("notes/*",))
    assert "e.md" not in _read_names(out) and summary.skipped["excluded"] == 1


def test_a_glob_that_can_match_no_file_is_one_error_line_naming_it(tmp_path: Path, pages: Path):
    # an unclosed [ is a plain character to fnmatch: the typo selected nothing, without a word
    with pytest.raises(RunError, match=r"--include '\[\*\.md': unclosed '\['"):
        _run(tmp_path, [str(pages)], include=("*.txt", "[*.md"))
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(
        main, ["run", str(pages), "--exclude", "notes/", "-o", str(tmp_path / "out"), "--no-progress"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "babelmill: error: --exclude 'notes/': ends in / and so matches no file (notes/* matches the files below)"
    ]
    assert not (tmp_path / "out").exists()


def test_a_glob_or_a_file_named_on_the_command_line_is_read_whatever_its_extension(tmp_path: Path, pages: Path):
    summary, _, out = _run(tmp_path, [str(pages / "*.json"), str(pages / "shot.png")])
    assert _read_names(out) == {"meta.json", "f.json", "shot.png"}
    assert summary.quarantined == 1 and not summary.skipped  # the image: binary, as before


def test_a_folder_with_no_text_file_is_nothing_to_read(tmp_path: Path):
    d = tmp_path / "only_json"
    d.mkdir()
    (d / "x.json").write_text("{}\n")
    with pytest.raises(RunError) as err:
        _run(tmp_path, [str(d)])
    assert f"nothing to read: {d} holds no files to read" in str(err.value)
    assert ".json 1; --include GLOB reads them" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_an_include_glob_that_names_the_input_folder_itself_says_what_would_match(tmp_path: Path, pages: Path):
    """`run pages --include 'pages/notes/*.md'` matched nothing and said only "Skipped N not
    matching --include": a glob with a / is matched against the path below the folder."""
    glob = f"{pages.name}/notes/*.md"
    with pytest.raises(RunError) as err:
        _run(tmp_path, [str(pages)], include=(glob,))
    assert f"(--include {glob!r} matches paths below {pages.name}/: 'notes/*.md' would)" in str(err.value)


# -- JSONL documents -----------------------------------------------------------------------------


def _datatrove(i: int, text: str) -> dict:
    """A line as datatrove's JsonlWriter writes it."""
    return {"text": text, "id": f"dt-{i}", "media": [], "metadata": {"url": f"https://example.com/{i}", "dump": "x"}}


def _dolma(i: int, text: str) -> dict:
    """A line as Dolma's documents are written."""
    return {"id": f"dolma-{i}", "text": text, "source": "cc", "added": "2024-01-01", "created": "2023-05-01",
            "metadata": {"lang": "en"}}  # fmt: skip


def _jsonl(lines: list) -> bytes:
    return "".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines).encode()


def test_jsonl_documents_from_datatrove_and_dolma_gzip_and_zstd(tmp_path: Path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "00000.jsonl.gz").write_bytes(
        gzip.compress(_jsonl([_datatrove(0, "Zero. " + ENGLISH), _datatrove(1, "One. " + GERMAN)]))
    )
    dolma = _jsonl([_dolma(0, "Two. " + ENGLISH), "", _dolma(1, "Three. " + ENGLISH)])  # a blank line is skipped
    (d / "part-0.json.zst").write_bytes(zstandard.ZstdCompressor().compress(dolma))
    (d / "pages.txt").write_text(ENGLISH)  # not a JSONL extension: skipped
    summary, warnings, out = _run(tmp_path, [str(d)], input_format="jsonl")
    assert (summary.kept, summary.quarantined, summary.skipped) == (4, 0, {"not_text:.txt": 1})
    corpus = {r["source"]["id"]: r for r in read_jsonl(out / "corpus.jsonl")}
    assert sorted(corpus) == ["dolma-0", "dolma-1", "dt-0", "dt-1"]
    assert corpus["dt-1"]["text"].startswith("One. Die Größe")
    src = corpus["dt-1"]["source"]
    assert (src["path"], src["line"], src["compression"]) == (str(d / "00000.jsonl.gz"), 2, "gzip")
    assert src["extra"] == {"media": [], "metadata": {"url": "https://example.com/1", "dump": "x"}}
    src = corpus["dolma-1"]["source"]
    assert (src["line"], src["compression"]) == (3, "zstd")
    assert src["extra"] == {"source": "cc", "added": "2024-01-01", "created": "2023-05-01", "metadata": {"lang": "en"}}
    inputs = [row["path"] for row in json.loads((out / "manifest.json").read_text())["inputs"]]
    assert inputs == [f"{d / '00000.jsonl.gz'}:1", f"{d / '00000.jsonl.gz'}:2", f"{d / 'part-0.json.zst'}:1",
                      f"{d / 'part-0.json.zst'}:3"]  # fmt: skip


def test_bad_jsonl_lines_are_quarantined_one_line_each_and_the_rest_is_read(tmp_path: Path):
    f = tmp_path / "mixed.jsonl"
    big = "x " * 600
    f.write_bytes(
        _jsonl([
            {"content": "Good. " + ENGLISH, "doc_id": 1, "lang": "en"},
            '{"content": "cut off',
            [1, 2],
            {"doc_id": 4},
            {"content": 5},
            {"content": big},
            {"content": None, "doc_id": 8},
        ])
        + b"\xff\xfe not utf-8\n"
    )  # fmt: skip
    config = tmp_path / "pipeline.toml"
    config.write_text(STAGES)
    (tmp_path / "read.toml").write_text(STAGES + "[stages.read]\nmax_bytes = 1000\n")
    result = CliRunner().invoke(
        main,
        ["run", str(f), "-o", str(tmp_path / "out"), "-c", str(tmp_path / "read.toml"), "--input-format", "jsonl",
         "--text-field", "content", "--id-field", "doc_id"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reasons = {
        2: "(bad_jsonl_line): not JSON (Unterminated string",
        3: "(bad_jsonl_line): a JSON list, not an object",
        4: "(bad_jsonl_line): no string field 'content' (fields: doc_id)",
        5: "(bad_jsonl_line): field 'content' is not a string (fields: content)",
        6: "(too_large): 1215 bytes is over the read.max_bytes limit of 1000",
        7: "(bad_jsonl_line): field 'content' is null (fields: content, doc_id)",
        8: "(bad_jsonl_line): not UTF-8 (byte 0)",
    }
    stderr = result.stderr.splitlines()
    for line, reason in reasons.items():
        matching = [s for s in stderr if s.startswith(f"babelmill: {f}:{line}: quarantined {reason}")]
        assert len(matching) == 1, (line, result.stderr)
    (kept,) = read_jsonl(tmp_path / "out" / "corpus.jsonl")
    assert (kept["source"]["id"], kept["source"]["line"], kept["source"]["extra"]) == (1, 1, {"lang": "en"})
    rejected = read_jsonl(tmp_path / "out" / "rejected.jsonl")
    assert sorted(r["source"]["line"] for r in rejected) == [2, 3, 4, 5, 6, 7, 8]


def test_jsonl_lines_python_or_javascript_wrote_give_strict_json_out_or_one_line_each(tmp_path: Path):
    """Python's json.dumps writes NaN/Infinity and JavaScript cuts emoji into lone surrogate escapes;
    deep nesting stopped the run with a RecursionError and a lone surrogate with a UnicodeEncodeError.
    Now NaN, Infinity and nesting are one quarantine line each, a lone surrogate becomes U+FFFD, and
    every output line is strict JSON (no NaN) in UTF-8."""
    f = tmp_path / "py.jsonl"
    german = GERMAN.strip()
    deep = "[" * 5000 + "]" * 5000
    cut = r'{"id": "cut \ud83d", "text": "Cut \ud83d emoji. Der Hund bellt.", "m": {"\udc00": "\ud83d\ude00"}}'
    f.write_bytes(
        _jsonl([
            {"id": "ok", "text": "Good. " + ENGLISH},
            f'{{"id": "nan", "text": "NaN. {german}", "score": NaN}}',
            f'{{"id": "inf", "text": "Inf. {german}", "score": -Infinity}}',
            f'{{"id": "deep", "text": "Deep. {german}", "d": {deep}}}',
            cut,
        ])
    )  # fmt: skip
    (tmp_path / "pipeline.toml").write_text(STAGES)
    result = CliRunner().invoke(
        main,
        ["run", str(f), "-o", str(tmp_path / "out"), "-c", str(tmp_path / "pipeline.toml"), "--input-format", "jsonl"],
    )
    assert result.exit_code == 0, result.output
    stderr = result.stderr.splitlines()
    for line, reason in {
        2: "not JSON (NaN is not a JSON value",
        3: "not JSON (-Infinity is not a JSON value",
        4: "nested more than 100 levels deep",
    }.items():
        assert sum(s.startswith(f"babelmill: {f}:{line}: quarantined (bad_jsonl_line): {reason}") for s in stderr) == 1

    def strict(constant: str) -> None:
        raise AssertionError(f"{constant} written: not JSON")

    for name in ("corpus.jsonl", "rejected.jsonl"):
        for text in (tmp_path / "out" / name).read_bytes().decode("utf-8").splitlines():
            json.loads(text, parse_constant=strict)
    kept = {r["source"]["id"]: r for r in read_jsonl(tmp_path / "out" / "corpus.jsonl")}
    assert sorted(kept) == ["cut \ufffd", "ok"]
    cut = kept["cut \ufffd"]
    assert cut["text"].startswith("Cut \ufffd emoji.") and cut["source"]["extra"] == {"m": {"\ufffd": "\U0001f600"}}


def test_a_file_holding_one_json_array_is_one_quarantine_line_saying_how_to_convert_it(tmp_path: Path):
    """A pretty-printed JSON array (as many scrapers export) gave one "not JSON" line for each of
    its lines; a compact one said only "a JSON list, not an object"."""
    d = tmp_path / "docs"
    d.mkdir()
    docs = [_dolma(0, "Zero. " + ENGLISH), _dolma(1, "One. " + GERMAN)]
    (d / "pretty.json").write_text(json.dumps(docs, indent=2, ensure_ascii=False))
    (d / "compact.json").write_text(json.dumps(docs, ensure_ascii=False))
    (d / "ok.jsonl").write_bytes(_jsonl(docs))
    (tmp_path / "pipeline.toml").write_text(STAGES)
    result = CliRunner().invoke(
        main,
        ["run", str(d), "-o", str(tmp_path / "out"), "-c", str(tmp_path / "pipeline.toml"), "--input-format", "jsonl"],
    )
    assert result.exit_code == 0, result.output
    hint = "JSON Lines has one object per line: jq -c '.[]' FILE > FILE.jsonl converts it"
    assert [s for s in result.stderr.splitlines() if "quarantined" in s] == [
        f"babelmill: {d / 'compact.json'}:1: quarantined (bad_jsonl_line): a JSON list, not an object; {hint}",
        f"babelmill: {d / 'pretty.json'}:1: quarantined (bad_jsonl_line): a JSON array over several lines, "
        f"not JSON Lines; {hint}",
    ]
    assert (
        len(read_jsonl(tmp_path / "out" / "corpus.jsonl")) == 2
        and len(read_jsonl(tmp_path / "out" / "rejected.jsonl")) == 2
    )


def test_a_jsonl_file_with_a_utf8_bom_and_crlf_keeps_its_first_line(tmp_path: Path):
    # as Windows tools write UTF-8 (PowerShell 5's Out-File -Encoding utf8, Notepad's "UTF-8 with BOM")
    f = tmp_path / "windows.jsonl"
    f.write_bytes(
        b"\xef\xbb\xbf" + _jsonl([_dolma(0, "Zero. " + ENGLISH), _dolma(1, "One. " + GERMAN)]).replace(b"\n", b"\r\n")
    )
    summary, warnings, out = _run(tmp_path, [str(f)], input_format="jsonl")
    assert warnings == [] and (summary.kept, summary.quarantined) == (2, 0)
    assert [r["source"]["id"] for r in read_jsonl(out / "corpus.jsonl")] == ["dolma-0", "dolma-1"]


def test_jsonl_reruns_read_only_the_lines_that_changed(tmp_path: Path):
    f = tmp_path / "docs.jsonl"
    docs = [_datatrove(i, f"Article {i}. " + ENGLISH) for i in range(4)]
    f.write_bytes(_jsonl(docs))
    summary, _, out = _run(tmp_path, [str(f)], input_format="jsonl")
    assert summary.kept == 4
    first = (out / "corpus.jsonl").read_bytes()

    summary, _, _ = _run(tmp_path, [str(f)], input_format="jsonl")
    assert (summary.processed, summary.unchanged) == (0, 4)

    docs[2]["text"] = "Article 2, edited. " + ENGLISH
    docs[3] = "{not json"
    f.write_bytes(_jsonl(docs))
    summary, warnings, _ = _run(tmp_path, [str(f)], input_format="jsonl")
    assert (summary.processed, summary.unchanged, summary.replaced) == (2, 2, 2)
    corpus = read_jsonl(out / "corpus.jsonl")
    assert [r["source"]["line"] for r in corpus] == [1, 2, 3]  # the edited line keeps its place
    assert corpus[2]["text"].startswith("Article 2, edited.")
    assert [w for w in warnings if "quarantined" in w] == [f"babelmill: {f}:4: quarantined (bad_jsonl_line): "
                                                           "not JSON (Expecting property name enclosed in double "
                                                           "quotes: line 1 column 2 (char 1))"]  # fmt: skip
    assert first != (out / "corpus.jsonl").read_bytes()


def test_a_line_inserted_above_the_others_of_a_jsonl_file_loses_no_document(tmp_path: Path):
    """Each line then holds the bytes of the line above it in the last run: the rerun took them
    all for copies of records that it removed (line N's old record), leaving one record of five;
    later it processed them all again as edits of their lines."""
    f = tmp_path / "docs.jsonl"
    docs = [_datatrove(i, f"Article {i}. " + " ".join(f"a{i}w{k}" for k in range(40))) for i in range(5)]
    f.write_bytes(_jsonl(docs[1:]))
    _run(tmp_path, [str(f)], input_format="jsonl")
    f.write_bytes(_jsonl(docs))
    summary, _, out = _run(tmp_path, [str(f)], input_format="jsonl")
    # the four documents moved down a line: unchanged (tests/run/test_jsonl_lines.py)
    assert (summary.processed, summary.unchanged, summary.kept, summary.duplicates) == (1, 4, 1, 0)
    _, _, rebuilt = _run(tmp_path, [str(f)], out=tmp_path / "rebuilt", input_format="jsonl")
    assert (out / "rejected.jsonl").read_bytes() == (rebuilt / "rejected.jsonl").read_bytes() == b""
    # the same records; theirs name the lines they were read from (records are not rewritten for a move)
    assert sorted(r["id"] for r in read_jsonl(out / "corpus.jsonl")) == sorted(
        r["id"] for r in read_jsonl(rebuilt / "corpus.jsonl")
    )
    assert len(read_jsonl(out / "corpus.jsonl")) == 5


def test_a_jsonl_file_without_input_format_jsonl_is_not_read_silently_as_a_page(tmp_path: Path):
    """A JSONL dump given without --input-format jsonl became one corpus record of raw JSON, also
    with --text-field given; in a folder it was skipped with a hint at --include only."""
    d = tmp_path / "dump"
    d.mkdir()
    f = d / "docs.jsonl"
    f.write_bytes(_jsonl([_dolma(0, "Zero. " + ENGLISH), _dolma(1, "One. " + GERMAN)]))
    (tmp_path / "pipeline.toml").write_text(STAGES)
    run = ["run", "-o", str(tmp_path / "out"), "-c", str(tmp_path / "pipeline.toml"), "--no-progress"]
    for option in (["--text-field", "content"], ["--id-field", "doc_id"]):
        result = CliRunner().invoke(main, [*run, str(f), *option])
        assert result.exit_code == 2, result.output
        assert f"{option[0]} applies to --input-format jsonl only" in result.stderr
        assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(main, [*run, str(d)])
    assert result.exit_code == 1
    assert "--input-format jsonl reads each line of .jsonl and .ndjson files as a document" in result.stderr
    result = CliRunner().invoke(main, [*run, str(f)])  # a named file is read whatever its extension
    assert result.exit_code == 0, result.output
    assert f"babelmill: warning: {f}: read as one text page; add --input-format jsonl" in result.stderr
    result = CliRunner().invoke(main, [*run, "--rebuild", "--input-format", "jsonl", str(f)])
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    assert len(read_jsonl(tmp_path / "out" / "corpus.jsonl")) == 2


def test_an_exclude_glob_without_a_slash_that_names_a_folder_leaves_out_its_files(tmp_path: Path, pages: Path):
    # as .gitignore and rsync read it: `--exclude notes` must not read notes/e.md into the corpus
    (pages / "notes" / "old").mkdir()
    (pages / "notes" / "old" / "g.txt").write_text("G. " + ENGLISH)
    (pages / "drafts-2024").mkdir()
    (pages / "drafts-2024" / "h.txt").write_text("H. " + ENGLISH)
    summary, _, out = _run(tmp_path, [str(pages)], exclude=("notes", "drafts-*"))
    assert _read_names(out) == {"a.txt", "b.html", "c", "d.TXT.gz"}
    assert summary.skipped["excluded"] == 3
    # the folder named on the command line is not one of the folders below it
    summary, _, out = _run(tmp_path, [str(pages)], tmp_path / "out2", exclude=(pages.name,))
    assert "a.txt" in _read_names(out)
