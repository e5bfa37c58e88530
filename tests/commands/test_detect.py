"""``babelmill detect``: JSON lines per block and per document."""

from __future__ import annotations

import json

from click.testing import CliRunner

from babelmill.cli import main


def lines(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.strip()]


def test_detect_prints_blocks_then_document(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(
        "Die Regierung hat heute ein neues Gesetz beschlossen.\n\n"
        "Greg Brockman\n"
        "东京的天气很好。\n"
        "This sentence is plainly written in English, and it says so.\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["detect", str(f)])
    assert res.exit_code == 0, res.output
    out = lines(res.output)
    blocks, docs = out[:-1], out[-1:]
    assert [b["line"] for b in blocks] == [1, 3, 4, 5]  # empty line 2 is no block
    for b in blocks:
        assert set(b) >= {"file", "line", "language", "confidence", "characters"}
        assert b["file"] == str(f)
    assert [b["language"] for b in blocks][2:] == ["zh", "en"]
    (doc,) = docs
    assert doc["document"] is True
    assert doc["language"] in {"de", "en"}
    assert set(doc["language_mix"]) == {"de", "en", "zh"}
    assert doc["machine_translated"] is False
    assert isinstance(doc["evidence"], list)


def test_documents_only_and_stdin(tmp_path):
    res = CliRunner().invoke(main, ["detect", "--documents", "-"], input="Ein kurzer deutscher Satz steht hier.\n")
    assert res.exit_code == 0, res.output
    (doc,) = lines(res.output)
    assert doc["file"] == "-" and doc["language"] == "de"


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes(b"Das ist ein Satz \xff\xfe mit kaputten Bytes darin.\n")
    res = CliRunner().invoke(main, ["detect", str(f)])
    assert res.exit_code == 0, res.output
    assert lines(res.output)[0]["language"] == "de"


def test_missing_file_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, ["detect", str(tmp_path / "nope.txt")])
    assert res.exit_code != 0
    assert "nope.txt" in res.output


def test_documents_line_has_classifier_probability_and_evidence(tmp_path):
    f = tmp_path / "page.txt"
    f.write_text(
        "Home\nMachine Translation\n"
        + "The city council voted on Tuesday night to expand the bike lane network downtown, after a long debate.\n" * 2
        + "Residents had complained for years about the lack of safe routes to school, and parents spoke up.\n" * 2
        + "This article was machine-translated from Chinese.\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["detect", "--documents", str(f)])
    assert res.exit_code == 0, res.output
    (doc,) = lines(res.output)
    assert doc["machine_translated"] is True
    assert 0.0 <= doc["mt_probability"] <= 1.0
    assert any(e.startswith("disclaimer: 'This article was machine-translated") for e in doc["evidence"])
    assert any(e.startswith("classifier P(mt_zh)=") and "calibrated" in e for e in doc["evidence"])


def test_files_are_decoded_as_the_run_decodes_them(tmp_path):
    # a GB18030 Chinese page and a UTF-16 German one: read as UTF-8 they are mojibake ("other")
    zh = tmp_path / "zh.txt"
    zh.write_bytes("国家统计局周一公布的数据显示，今年第三季度国内生产总值同比增长。\n".encode("gb18030"))
    de = tmp_path / "de.txt"
    de.write_bytes("Die Bundesregierung hat am Montag ein neues Gesetz beschlossen.\n".encode("utf-16"))
    res = CliRunner().invoke(main, ["detect", "--documents", str(zh), str(de)])
    assert res.exit_code == 0, res.output
    assert [(d["file"], d["language"]) for d in lines(res.output)] == [(str(zh), "zh"), (str(de), "de")]


def test_binary_and_empty_files_are_reported_not_judged(tmp_path):
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    good = tmp_path / "good.txt"
    good.write_text("This sentence is plainly written in English, and it says so.\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["detect", "--documents", str(png), str(empty), str(good)])
    assert res.exit_code == 1
    out = res.output.splitlines()
    assert f"babelmill detect: {png}: quarantined (binary): binary file (png signature)" in out
    assert any(line.startswith(f"babelmill detect: {empty}: quarantined (empty)") for line in out)
    docs = [json.loads(x) for x in out if x.startswith("{")]
    assert [(d["file"], d["language"]) for d in docs] == [(str(good), "en")]  # the run goes on


def test_stdin_is_read_as_a_file_is(tmp_path):
    """stdin gets the run's read stage, as the help says: gzip unpacked, HTML reduced to its text,
    and empty or binary input one stderr line and exit 1, never a language verdict."""
    import gzip

    sentence = "Die Regierung hat heute in Berlin ein neues Gesetz über die Energiewende beschlossen."
    res = CliRunner().invoke(main, ["detect", "--documents", "-"], input=gzip.compress(sentence.encode()))
    assert res.exit_code == 0, res.output
    (doc,) = lines(res.output)
    assert doc["language"] == "de", doc
    html = f"<html><body><p>{sentence.replace('ü', '&uuml;')}</p></body></html>"
    res = CliRunner().invoke(main, ["detect", "-"], input=html)
    block, _doc = lines(res.output)
    assert block["characters"] == len(sentence) and block["language"] == "de"
    for data, reason in [(b"", "empty"), (b"  \n\n", "no_text"), (bytes(range(32)) * 4, "binary")]:
        res = CliRunner().invoke(main, ["detect", "--documents", "-"], input=data)
        assert res.exit_code == 1, (reason, res.output)
        assert res.stdout == ""
        assert res.stderr.strip().startswith(f"babelmill detect: -: quarantined ({reason}):"), res.stderr
