"""Parallel records from translated documents, and their export as TSV, Moses and TMX, read back."""

from __future__ import annotations

import json
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.document import Block, Document
from babelmill.io.parallel import ExportFilter, export_parallel, iter_parallel_records, parallel_records
from babelmill.io.write import dumps, load_schema
from babelmill.stages.translate import TranslateConfig, TranslateStage
from tests.fixtures.fake_backend import ReverseBackend

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def translated_docs() -> list[Document]:
    docs = [
        Document(
            id="doc-a",
            text="",
            blocks=[
                Block("Hello there.", lang="en"),
                Block("Erster Satz. Zweiter Satz mit <Tags> & „Zitat“.", lang="de"),
            ],
        ),
        Document(id="doc-b", text="", blocks=[Block("Erster Satz.", lang="de"), Block("第一句。第二句！", lang="zh")]),
        Document(id="doc-c", text="", blocks=[Block("Bonjour le monde.", lang="other", meta={"lang_code": "fr"})]),
    ]
    backends = {"de": ReverseBackend(), "zh": ReverseBackend("zh@1", score=-2.5), "fr": ReverseBackend("fr@1")}
    stage = TranslateStage(TranslateConfig(), {}, backends=backends)
    out = list(stage.run(docs))
    stage.close()
    return out


def write_parallel(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parallel.jsonl").write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def test_records_follow_the_schema_and_the_blocks():
    docs = translated_docs()
    records = [r for d in docs for r in parallel_records(d)]
    schema = load_schema("parallel-record")
    for record in records:
        jsonschema.validate(record, schema)
    assert [(r["id"], r["block"], r["sentence"], r["source_lang"]) for r in records] == [
        ("doc-a", 1, 0, "de"),
        ("doc-a", 1, 1, "de"),
        ("doc-b", 0, 0, "de"),
        ("doc-b", 1, 0, "zh"),
        ("doc-b", 1, 1, "zh"),
        ("doc-c", 0, 0, "fr"),
    ]
    a = docs[0].blocks[1]
    assert records[1]["source"] == "Zweiter Satz mit <Tags> & „Zitat“."
    assert records[1]["source"] in a.original
    assert records[2]["from_cache"] is True  # "Erster Satz." was made for doc-a
    assert records[3]["score"] == -2.5 and records[3]["flags"] == docs[1].blocks[1].meta["quality"]["flags"]
    assert list(records[0]) == list(schema["required"])  # fixed key order
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**records[0], "score": "high"}, schema)


def sample_records() -> list[dict]:
    records = [r for d in translated_docs() for r in parallel_records(d)]
    odd = dict(records[0], source="Zeile\tmit Tab\nund Umbruch\x07.", target="Line\twith tab\nand break.")
    return [*records, dict(records[1]), odd]  # an exact duplicate and a record with odd characters


def export(tmp_path: Path, fmt: str, *extra: str) -> tuple[Path, str]:
    out = write_parallel(tmp_path / "out", sample_records())
    dest = tmp_path / f"export-{fmt}"
    result = CliRunner().invoke(main, ["export-parallel", str(out), "--format", fmt, "--to", str(dest), *extra])
    assert result.exit_code == 0, result.output
    return dest, result.output


def test_tsv_export_reads_back_one_line_per_distinct_pair(tmp_path: Path):
    dest, output = export(tmp_path, "tsv")
    assert sorted(p.name for p in dest.iterdir()) == ["parallel.de-en.tsv", "parallel.fr-en.tsv", "parallel.zh-en.tsv"]
    rows = [line.split("\t") for line in (dest / "parallel.de-en.tsv").read_text(encoding="utf-8").splitlines()]
    assert all(len(row) == 2 for row in rows)
    assert [row[0] for row in rows] == [
        "Erster Satz.",
        "Zweiter Satz mit <Tags> & „Zitat“.",
        "Zeile mit Tab und Umbruch\x07.",
    ]  # doc-b's "Erster Satz." and the repeated record are the same pairs: written once
    assert rows[2][1] == "Line with tab and break."
    assert "skipped 2 duplicates" in output


def test_moses_export_is_line_aligned(tmp_path: Path):
    dest, _ = export(tmp_path, "moses", "--lang", "de")
    assert sorted(p.name for p in dest.iterdir()) == ["parallel.de-en.de", "parallel.de-en.en"]
    src = (dest / "parallel.de-en.de").read_text(encoding="utf-8").split("\n")
    tgt = (dest / "parallel.de-en.en").read_text(encoding="utf-8").split("\n")
    assert len(src) == len(tgt) == 4 and src[-1] == tgt[-1] == ""
    assert src[1] == "Zweiter Satz mit <Tags> & „Zitat“." and tgt[1] == ReverseBackend.expected(src[1])


def test_tmx_export_parses_as_tmx_14(tmp_path: Path):
    dest, _ = export(tmp_path, "tmx")
    root = ET.parse(dest / "parallel.de-en.tmx").getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang", "datatype"):
        assert header.get(attr), attr
    units = root.findall("body/tu")
    assert len(units) == 3
    pairs = [[(tuv.get(XML_LANG), tuv.findtext("seg")) for tuv in tu.findall("tuv")] for tu in units]
    assert pairs[1] == [
        ("de", "Zweiter Satz mit <Tags> & „Zitat“."),
        ("en", ReverseBackend.expected("Zweiter Satz mit <Tags> & „Zitat“.")),
    ]
    assert pairs[2][0][1] == "Zeile mit Tab und Umbruch."  # a control character XML cannot hold is dropped
    props = {p.get("type"): p.text for p in units[0].findall("prop")}
    assert props["x-document"] == "doc-a" and float(props["x-score"]) == pytest.approx(-0.1)


def test_score_and_language_filters(tmp_path: Path):
    dest, output = export(tmp_path, "tsv", "--min-score", "-1")
    assert not (dest / "parallel.zh-en.tsv").exists()  # zh pairs score -2.5
    assert "score 2" in output
    dest, _ = export(tmp_path / "x", "tsv", "--lang", "zh", "--lang", "fr")
    assert sorted(p.name for p in dest.iterdir()) == ["parallel.fr-en.tsv", "parallel.zh-en.tsv"]


def test_missing_parallel_file_is_one_clear_error(tmp_path: Path):
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(main, ["export-parallel", str(tmp_path / "out")])
    assert result.exit_code == 1 and "no parallel.jsonl" in result.output


def test_export_streams_with_flat_memory(tmp_path: Path):
    template = sample_records()[1]

    def records(n: int):
        for i in range(n):
            yield dict(template, source=f"Satz Nummer {i} mit etwas Text.", target=f"Sentence number {i % (n // 2)}.")

    tracemalloc.start()
    summary = export_parallel(records(40_000), tmp_path / "big", "tsv", ExportFilter())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert summary.written["de-en"] == 40_000
    assert peak < 2_000_000  # 40k pairs hold ~2.5 MB of text; none of it is kept


def test_reader_reports_and_skips_a_torn_last_line(tmp_path: Path):
    out = write_parallel(tmp_path / "out", sample_records()[:2])
    with open(out / "parallel.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "torn')
    errors: list[str] = []
    records = list(iter_parallel_records(out, on_error=lambda path, msg: errors.append(path.name)))
    assert len(records) == 2 and errors == ["parallel.jsonl"]
    assert json.loads(dumps(records[0]))["id"] == "doc-a"


@pytest.mark.parametrize("fmt", ["tsv", "moses", "tmx"])
def test_a_stopped_export_leaves_no_cut_file_and_keeps_the_earlier_one(tmp_path: Path, fmt: str):
    """An export stopped midway (Ctrl-C, a full disk) left a cut file under the final name; a TMX
    was even closed with </tmx> after a partial body, so it looked complete."""
    dest = tmp_path / "export"
    records = sample_records()
    export_parallel(records, dest, fmt)
    before = {p.name: p.read_bytes() for p in dest.iterdir()}

    def stopped():
        yield from records[:3]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_parallel(stopped(), dest, fmt)
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before  # no partial file, nothing replaced


def test_an_export_that_writes_nothing_names_the_earlier_export_files(tmp_path: Path):
    out = write_parallel(tmp_path / "out", sample_records())
    dest = tmp_path / "export"
    command = ["export-parallel", str(out), "--format", "tmx", "--to", str(dest)]
    CliRunner().invoke(main, command)
    result = CliRunner().invoke(main, [*command, "--lang", "xx"])
    assert result.exit_code == 0 and "wrote 0 (none)" in result.stderr
    names = "parallel.de-en.tmx, parallel.fr-en.tmx, parallel.zh-en.tmx"
    assert f"babelmill: note: {dest} also holds {names} from an earlier export" in result.stderr
    result = CliRunner().invoke(main, command)
    assert "note:" not in result.stderr
