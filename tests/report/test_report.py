"""`babelmill report`: the figures of a corpus, in the terminal and as a safe HTML page."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.document import DUPLICATE, PENDING, Block, Document
from babelmill.io.write import corpus_record, dumps, rejected_record
from babelmill.report.html import render_html
from babelmill.report.summary import summarize

CHROMIUM = Path("/usr/bin/chromium")
# what scraped pages carry; none of it may become markup in the report
PAYLOADS = [
    "<script>document.title='PWNED'</script>",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
    "</style><script>document.body.appendChild(document.createElement('marquee'))</script>",
    '</title><div id="injected">x</div>',
    "<svg onload=alert(1)>",
    "<!-- --><iframe src=javascript:alert(1)>",
]
PIPELINE = {"version": "test", "config_sha256": "0" * 64}
# the hand-made corpora here carry markup even where the schema allows none (rule names)
pytestmark = pytest.mark.off_schema_output("hostile corpus written by hand")


def _doc(i: int, lang: str, title: str, removed: list[tuple[str, str]], **kw) -> Document:
    doc = Document(id=f"bm-{i:020d}", text=f"Body {i}.", source={"path": f"in/{i}.txt", "sha256": "a" * 64})
    doc.metadata["title"] = title
    doc.origin = {"language": lang, **kw.pop("origin", {})}
    doc.blocks = [Block(text=f"Body {i}.", lang=lang, translation=kw.pop("translation", "native"))]
    doc.removed = [{"line": n + 1, "text": text, "rule": rule} for n, (rule, text) in enumerate(removed)]
    doc.translation = kw.pop("translation_info", {})
    return doc


@pytest.fixture
def hostile_output(tmp_path: Path) -> Path:
    """An output directory whose every input-derived field carries markup."""
    out = tmp_path / "out"
    out.mkdir()
    docs = [
        _doc(1, "en", PAYLOADS[0], [("share_bar", PAYLOADS[1]), ("share_bar", "Share"), (PAYLOADS[4], "x")]),
        _doc(2, "zh", "Plain title", [("share_bar", PAYLOADS[2])], origin={"machine_translated": True}),
        _doc(
            3,
            "de",
            PAYLOADS[3],
            [("comment_widget", PAYLOADS[5])],
            translation=PENDING,
            translation_info={"blocks_pending": 1, "flagged": 2},
        ),
    ]
    docs[1].origin["machine_translated_from"] = "zh"
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(dumps(corpus_record(doc, PIPELINE)) + "\n")
    dup = _doc(4, "en", PAYLOADS[2], [])
    dup.source["path"] = PAYLOADS[1]
    dup.reject(DUPLICATE, "near_duplicate", stage="dedup", duplicate_of=docs[0].id, similarity=0.91)
    with open(out / "rejected.jsonl", "w", encoding="utf-8") as fh:
        fh.write(dumps(rejected_record(dup, PIPELINE)) + "\n")
    manifest = {
        "run": 1,
        "finished": "2026-01-01T00:00:00+00:00",
        "command": {"engine": "local"},
        "stages": {"read": {"seconds": 0.5, "documents_in": 4, "documents_out": 4}, PAYLOADS[4]: {"seconds": 1.25}},
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_summary_counts_what_the_corpus_holds(hostile_output: Path):
    s = summarize(hostile_output)
    assert s.documents == 3
    assert dict(s.by_language) == {"en": 1, "zh": 1, "de": 1}
    assert s.machine_translated == 1 and dict(s.machine_translated_from) == {"zh": 1}
    assert (s.blocks_pending, s.docs_with_pending, s.blocks_flagged) == (1, 1, 2)
    assert s.removal_reasons["share_bar"] == 3
    assert PAYLOADS[1] in s.removal_examples["share_bar"]
    assert list(s.clusters) == ["bm-00000000000000000001"]
    assert s.clusters["bm-00000000000000000001"][0]["similarity"] == 0.91
    assert s.stages["read"]["seconds"] == 0.5


def test_html_holds_inputs_only_escaped(hostile_output: Path):
    page = render_html(summarize(hostile_output))
    tags = _Tags()
    tags.feed(page)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "img" not in names and "iframe" not in names and "marquee" not in names
    assert not [a for _, attrs in tags.tags for a in attrs if a.startswith("on")], "an event handler attribute"
    assert not [t for t, attrs in tags.tags if attrs.get("id") == "injected"]
    for payload in PAYLOADS:
        assert payload not in page
    assert page.lower().count("</style>") == 1  # our own stylesheet's end, nothing injected
    assert "<script" not in page.lower() and "onerror=" not in page.replace("onerror=&quot;", "")
    # ... while the text itself is shown, escaped
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in page
    assert "&lt;/style&gt;&lt;script&gt;" in page
    assert "Content-Security-Policy" in page and "script-src &#x27;none&#x27;" in page


def test_report_command_prints_tables_and_writes_html(hostile_output: Path, tmp_path: Path):
    html_file = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(hostile_output), "--html", str(html_file)])
    assert result.exit_code == 0, result.output
    assert "Documents by language of origin" in result.output
    assert "share_bar" in result.output and "Time per stage" in result.output
    assert html_file.read_text(encoding="utf-8") == render_html(summarize(hostile_output))
    as_json = CliRunner().invoke(main, ["report", str(hostile_output), "--json"])
    figures = json.loads(as_json.output)
    assert figures["documents"] == 3 and figures["machine_translated_share"] == pytest.approx(1 / 3, abs=1e-3)
    assert figures["removal_reasons"]["share_bar"] == 3


def test_report_on_a_missing_output_is_an_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such output directory" in result.output


def test_report_on_a_folder_that_is_no_output_is_an_error(tmp_path: Path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "page.txt").write_text("Some article text.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(tmp_path / "articles")])
    assert result.exit_code == 1
    assert result.output.startswith(f"babelmill: error: {tmp_path / 'articles'}: not a babelmill output folder")


def test_report_on_damaged_files_counts_or_names_them_without_a_traceback(hostile_output: Path):
    with open(hostile_output / "corpus.jsonl", "a", encoding="utf-8") as fh:
        fh.write('[1, 2]\n"a string"\n{"id": "bm-x", "origin": "not an object"}\n')
    with open(hostile_output / "rejected.jsonl", "a", encoding="utf-8") as fh:
        fh.write("42\n")
    (hostile_output / "manifest.json").write_text("{cut off", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--json", str(hostile_output)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    warning, *rest = result.output.splitlines()
    assert warning.startswith(f"babelmill: warning: {hostile_output / 'manifest.json'}: unreadable")
    figures = json.loads("\n".join(rest))
    assert figures["documents"] == 3 and figures["unreadable_lines"] == 4


def test_report_reads_a_real_sharded_run(tmp_path: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        (inputs / f"{i}.txt").write_text(f"Article {i}\n\n" + f"Paragraph about topic {i} and more words. " * 20)
    (inputs / "copy.txt").write_text((inputs / "0.txt").read_text())
    config = tmp_path / "p.toml"
    config.write_text('[pipeline]\nstages = ["read", "repair", "normalize", "dedup"]\n')
    out = tmp_path / "out"
    run = CliRunner().invoke(
        main, ["run", str(inputs), "-o", str(out), "-c", str(config), "-q", "--format", "jsonl.gz"]
    )
    assert run.exit_code == 0, run.output
    s = summarize(out)
    assert s.documents == 6 and s.duplicates == 1 and s.corpus_files == ["corpus/part-00000.jsonl.gz"]
    assert set(s.stages) == {"read", "repair", "normalize", "dedup"}


def _chromium_dump(html_file: Path, tmp_path: Path) -> str:
    profile = tmp_path / "chromium-profile"
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom", html_file.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _chromium_report(output: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium builds from the report page of ``output``."""
    html_file = tmp_path / "report.html"
    html_file.write_text(render_html(summarize(output)), encoding="utf-8")
    return _chromium_dump(html_file, tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium: apt-get install -y chromium")
def test_chromium_renders_the_numbers_and_runs_no_injected_script(hostile_output: Path, tmp_path: Path):
    dom = _chromium_report(hostile_output, tmp_path)
    assert "<h1>babelmill corpus report</h1>" in dom
    assert re.search(r'id="card-documents"><b>3</b>', dom), "the document count is shown"
    assert re.search(r'id="card-machine-translated"><b>33\.3%</b>', dom)
    assert "<svg" in dom and "<rect" in dom, "the charts are drawn"
    # none of the payloads ran or became elements
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert title.startswith("babelmill report:") and "PWNED" not in title
    assert "data-pwned" not in dom.replace("data-pwned&#x27;", "").replace("'data-pwned'", "")
    assert not re.search(r"<(marquee|img|iframe|script)\b", dom)
    assert not re.search(r'<div[^>]*id="injected"', dom)
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # shown as text


def test_report_on_an_interrupted_output_skips_the_partial_tail(hostile_output: Path):
    with open(hostile_output / "corpus.jsonl", "ab") as fh:
        fh.write(b'{"id": "bm-half-written", "title": "cut off mid-li')  # a run killed mid-write
    s = summarize(hostile_output)
    assert s.documents == 3 and s.unreadable_lines == 1
    result = CliRunner().invoke(main, ["report", str(hostile_output)])
    assert result.exit_code == 0, result.output
    assert "1 unreadable line(s)" in result.output
    assert "1 unreadable line(s)" in render_html(s)


# -- what needs a look, the quality flags, distributions, history ---------------------------------


def _translated(text: str, flags: list[str]) -> Block:
    return Block(text=text, lang="de", translation="translated", original="Urtext.", meta={"quality": {"flags": flags}})


@pytest.fixture
def review_output(tmp_path: Path) -> Path:
    """A corpus with one document for each reason to look, a quarantined input and two runs."""
    out = tmp_path / "review"
    out.mkdir()
    fine = _doc(1, "en", "All fine", [])
    fine.cleaning = {"kept_share": 0.95, "warnings": []}
    lost = _doc(2, "en", "Lost article", [])
    lost.cleaning = {"kept_share": 0.12, "warnings": ["article_may_be_lost"]}
    mt = _doc(3, "en", "Machine translated", [], origin={"machine_translated": True, "evidence": ["zh source: 'x'"]})
    mt.origin["machine_translated_from"] = "zh"
    mt.cleaning = {"kept_share": 0.9, "warnings": []}
    flagged = _doc(4, "de", "Flagged", [], translation_info={"flagged": 2})
    flagged.blocks = [
        _translated("One one one one.", ["repetition", "low_confidence"]),
        _translated("Short.", ["low_confidence"]),
        _translated("Fine.", []),
    ]
    pending = _doc(5, "de", "Pending", [], translation=PENDING, translation_info={"blocks_pending": 1})
    pending.source["path"] = "in/<i>5</i>.txt"  # markup in a path stays text
    docs = [fine, lost, mt, flagged, pending]
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(dumps(corpus_record(doc, PIPELINE)) + "\n")
    bad = Document(id="bm-bad", text="", source={"path": "in/empty.txt"})
    bad.reject("quarantined", "empty", stage="read", message="the file is empty (0 bytes)")
    (out / "rejected.jsonl").write_text(dumps(rejected_record(bad, PIPELINE)) + "\n", encoding="utf-8")
    runs = [
        {"run": 1, "finished": "2026-01-01T00:00:00+00:00", "seconds": 4.0, "engine": {"name": "local"},
         "summary": {"processed": 6, "kept": 5, "quarantined": 1}, "stages": {"read": {"seconds": 1.5}}},
        {"run": 2, "finished": "2026-01-02T00:00:00+00:00", "seconds": 0.5, "engine": {"name": "local"},
         "summary": {"processed": 0, "kept": 0, "quarantined": 0}, "stages": {"read": {"seconds": 0.25}}},
    ]  # fmt: skip
    (out / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs))
    return out


def test_the_summary_lists_what_needs_a_look_with_source_paths(review_output: Path):
    s = summarize(review_output)
    assert dict(s.look_counts) == {
        "cleaning_warning": 1,
        "low_kept_share": 1,
        "machine_translated": 1,
        "flagged_translation": 1,
        "pending_blocks": 1,
    }
    assert s.look_documents == 4  # the lost article has two reasons; the fine one none
    why = {d["path"]: [(w["reason"], w["detail"]) for w in d["why"]] for d in s.needs_look}
    assert why["in/2.txt"] == [("cleaning_warning", "article_may_be_lost"), ("low_kept_share", "12% of the page kept")]
    assert why["in/3.txt"] == [("machine_translated", "from zh: zh source: 'x'")]
    assert why["in/4.txt"] == [("flagged_translation", "2 blocks: low_confidence 2, repetition 1")]
    assert why["in/<i>5</i>.txt"] == [("pending_blocks", "1 block (de)")]
    assert s.quarantined == [{"path": "in/empty.txt", "reason": "empty", "message": "the file is empty (0 bytes)"}]
    assert dict(s.flag_reasons) == {"low_confidence": 2, "repetition": 1}
    assert sum(s.lengths.values()) == 5 and s.lengths["< 500"] == 5
    assert [h["run"] for h in s.history] == [1, 2] and s.stages["read"]["seconds"] == 1.75


def test_the_html_report_explains_flags_and_lists_documents_and_runs(review_output: Path):
    page = render_html(summarize(review_output))
    assert "Documents that need a look" in page and "Quarantined inputs" in page and "Run history" in page
    assert "in/&lt;i&gt;5&lt;/i&gt;.txt" in page and "<i>5</i>" not in page
    assert "<b>pending_blocks</b>: 1 block (de)" in page
    # each flag with its count and what it means
    low = re.search(r"<tr><td>low_confidence</td><td class=n>2</td><td>([^<]+)</td></tr>", page)
    assert low and "the model was unsure" in low.group(1)
    assert "<tr><td>repetition</td><td class=n>1</td>" in page
    assert "2 of 3 translated blocks carry at least one flag" in page
    assert "in/empty.txt" in page and "the file is empty (0 bytes)" in page
    second_run = r"<tr><td class=n>2</td><td>2026-01-02T00:00:00\+00:00</td><td>local</td><td class=n>0\.5</td>"
    assert re.search(second_run, page)


def test_empty_sections_say_none_rather_than_show_bare_headers(tmp_path: Path):
    out = tmp_path / "empty-output"
    out.mkdir()
    (out / "corpus.jsonl").write_bytes(b"")  # a run that kept nothing
    page = render_html(summarize(out))
    assert "<tbody></tbody>" not in page
    sections = re.split(r"<h[23]>", page)[1:]
    assert len(sections) >= 12
    for section in sections:
        heading, body = section.split("</h", 1)
        body = body.split(">", 1)[1]
        if not body.strip():
            continue  # a heading over sub-headings
        assert "<table>" in body or "<svg" in body or 'class="muted none">none</p>' in body or "<p>" in body, heading
    assert page.count('class="muted none">none</p>') >= 8


def test_the_terminal_report_shows_the_same_lists(review_output: Path):
    result = CliRunner().invoke(main, ["report", str(review_output)])
    assert result.exit_code == 0, result.output
    for text in (
        "Documents that need a look (4)", "in/2.txt", "article_may_be_lost", "Quarantined inputs",
        "Translation quality flags (2 of 3 translated blocks flagged)", "the model was unsure", "Run history",
    ):  # fmt: skip
        assert text in result.output, text
    figures = json.loads(CliRunner().invoke(main, ["report", str(review_output), "--json"]).output)
    assert figures["needs_look"]["documents"] == 4
    assert figures["translation_flags"] == {"low_confidence": 2, "repetition": 1}


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium: apt-get install -y chromium")
def test_chromium_shows_what_needs_a_look(review_output: Path, tmp_path: Path):
    dom = _chromium_report(review_output, tmp_path)
    assert re.search(r'id="card-need-a-look"><b>4</b>', dom)
    assert "in/&lt;i&gt;5&lt;/i&gt;.txt" in dom and "<i>" not in dom
    assert "low_kept_share</b>: 12% of the page kept" in dom
