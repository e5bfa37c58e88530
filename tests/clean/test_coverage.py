"""kept_share and the cleaning warnings: a record says when its article may have been lost."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from babelmill.clean.coverage import (
    ARTICLE_MAY_BE_LOST,
    LONG_PROSE_REMOVED,
    cleaning_report,
    default_lost_model,
    lost_features,
    prose_runs,
)
from babelmill.clean.lines import make_line
from babelmill.cli import main
from babelmill.document import Block, Document
from babelmill.io.write import corpus_record, dumps
from babelmill.report.summary import summarize
from babelmill.run.manifest import RunSummary
from babelmill.stages.strip import StripConfig, StripStage

PROSE = [
    "The city council approved the new budget on Tuesday after a debate that lasted for more than six hours.",
    "Several members had argued that the plan did not do enough for public transport in the northern districts.",
    "Others said the cuts to the library service went too far and would close two branches before the summer.",
    "The mayor said she was pleased with the outcome and would now begin talks with the unions about wages.",
    "Teachers at the primary schools welcomed the money for new classrooms but asked for more staff as well.",
    "A group of residents protested outside the town hall, carrying banners against the planned parking fees.",
    "The finance director warned that interest payments on the old loans would rise sharply over three years.",
    "Opposition leaders promised to bring the question of the swimming pool back to the chamber in spring.",
]
TEASER = "Read more: the council and the budget"


def test_prose_runs_are_consecutive_sentence_lines() -> None:
    lines = [make_line(i + 1, t) for i, t in enumerate(["Home", *PROSE[:3], "Share", PROSE[3]])]
    runs = prose_runs(lines)
    assert [(a, b) for a, b, _ in runs] == [(1, 3), (5, 5)]
    assert runs[0][2] > 3 * runs[1][2] * 0.9


def test_whole_article_kept_gives_no_warning() -> None:
    text = "\n".join(["Council passes budget", *PROSE])
    blocks = [Block(text=p, line=i + 2) for i, p in enumerate(PROSE)]
    rep = cleaning_report(text, blocks, [{"line": 1, "text": "Council passes budget", "rule": "metadata_title"}])
    assert rep["warnings"] == [] and 0.9 < rep["kept_share"] <= 1.0


def test_article_removed_by_position_is_flagged() -> None:
    text = "\n".join([TEASER, *PROSE])
    blocks = [Block(text=TEASER, line=1)]
    removed = [{"line": i + 2, "text": p, "rule": "after_article"} for i, p in enumerate(PROSE)]
    rep = cleaning_report(text, blocks, removed)
    assert rep["warnings"] == [ARTICLE_MAY_BE_LOST, LONG_PROSE_REMOVED]
    assert rep["kept_share"] < 0.1


def test_prose_removed_by_a_rule_is_not_a_lost_article() -> None:
    """A long comment thread that a rule removed next to a kept article is no warning."""
    text = "\n".join([*PROSE[:4], "Comments", *PROSE[4:]])
    blocks = [Block(text=p, line=i + 1) for i, p in enumerate(PROSE[:4])]
    removed = [{"line": 5, "text": "Comments", "rule": "comment_widget"}]
    removed += [{"line": i + 6, "text": p, "rule": "comment_widget"} for i, p in enumerate(PROSE[4:])]
    assert cleaning_report(text, blocks, removed)["warnings"] == []


def test_strip_stage_sets_the_record_fields_and_counts() -> None:
    stage = StripStage()
    doc = next(iter(stage.process(Document(id="t", text="\n".join(["Council passes budget", *PROSE])))))
    record = corpus_record(doc, {"version": "t", "config_sha256": "0" * 64})
    assert 0.5 < record["cleaning"]["kept_share"] <= 1.0
    assert record["cleaning"]["warnings"] == []


def _write_corpus(out: Path) -> None:
    out.mkdir()
    docs = []
    for i, warnings in enumerate([[], [ARTICLE_MAY_BE_LOST], [ARTICLE_MAY_BE_LOST, LONG_PROSE_REMOVED]]):
        doc = Document(id=f"bm-{i:020d}", text="x", source={"path": f"in/{i}.txt", "sha256": "a" * 64})
        doc.blocks = [Block(text=f"Body {i}.")]
        doc.metadata["title"] = f"Title {i}"
        # the record without a warning keeps most of its page (a low share would list it for a look)
        doc.cleaning = {"kept_share": 0.05 * (i + 1) if warnings else 0.9, "warnings": warnings}
        docs.append(doc)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(dumps(corpus_record(doc, {"version": "t", "config_sha256": "0" * 64})) + "\n")


def test_report_lists_records_with_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_corpus(out)
    s = summarize(out)
    assert [w["path"] for w in s.warned] == ["in/1.txt", "in/2.txt"]
    assert s.warnings == {ARTICLE_MAY_BE_LOST: 2, LONG_PROSE_REMOVED: 1}
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0 and "Records with cleaning warnings (2" in result.output
    assert "in/2.txt" in result.output and "in/0.txt" not in result.output


def test_run_summary_counts_warned_records() -> None:
    summary = RunSummary(kept=3, cleaning_warnings=2)
    assert "2 records with a cleaning warning" in summary.paragraph(Path("out"))
    assert "cleaning warning" not in RunSummary(kept=3).paragraph(Path("out"))


def test_learned_warning_is_shipped_small_and_sees_its_features() -> None:
    model = default_lost_model()
    assert model is not None and 0.0 < model.threshold < 1.0
    lines = [make_line(i + 1, t) for i, t in enumerate([TEASER, *PROSE])]
    feats = lost_features(lines, [Block(text=TEASER, line=1)], [])
    assert sorted(feats) == model.features
    path = Path(__file__).parents[2] / "src" / "babelmill" / "data" / "lost_warning.json"
    assert path.stat().st_size < 5_000


def test_lost_probability_ranks_a_lost_article_above_a_kept_one() -> None:
    text = "\n".join([TEASER, *PROSE])
    kept = cleaning_report(
        text,
        [Block(text=p, line=i + 2) for i, p in enumerate(PROSE)],
        [{"line": 1, "text": TEASER, "rule": "before_article"}],
    )
    removed = [{"line": i + 2, "text": p, "rule": "after_article"} for i, p in enumerate(PROSE)]
    lost = cleaning_report(text, [Block(text=TEASER, line=1)], removed)
    assert 0.0 <= kept["lost_probability"] < lost["lost_probability"] <= 1.0
    assert ARTICLE_MAY_BE_LOST in lost["warnings"] and ARTICLE_MAY_BE_LOST not in kept["warnings"]


def test_without_the_model_only_the_rule_warns() -> None:
    text = "\n".join([TEASER, *PROSE])
    removed = [{"line": i + 2, "text": p, "rule": "after_article"} for i, p in enumerate(PROSE)]
    rep = cleaning_report(text, [Block(text=TEASER, line=1)], removed, model=None)
    assert rep["lost_probability"] is None and ARTICLE_MAY_BE_LOST in rep["warnings"]
    # a long article with a short removed teaser above it: neither the rule nor the model warns
    ok = cleaning_report(text, [Block(text=p, line=i + 2) for i, p in enumerate(PROSE)], [], model=None)
    assert ok["warnings"] == []


def test_record_carries_the_lost_probability() -> None:
    doc = next(iter(StripStage().process(Document(id="t", text="\n".join(["Council passes budget", *PROSE])))))
    record = corpus_record(doc, {"version": "t", "config_sha256": "0" * 64})
    assert 0.0 <= record["cleaning"]["lost_probability"] < 0.5
    doc = next(iter(StripStage(StripConfig(lost_model=False)).process(Document(id="t", text="\n".join(PROSE)))))
    assert corpus_record(doc, {"version": "t", "config_sha256": "0" * 64})["cleaning"]["lost_probability"] is None
