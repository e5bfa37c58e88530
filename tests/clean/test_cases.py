"""Per-rule strip cases kept as data (tests/cases/clean_cases.json), negatives included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelmill.clean.lines import strip_bullet
from babelmill.document import Document
from babelmill.stages.strip import StripConfig, StripStage

CASES = json.loads((Path(__file__).parents[1] / "cases" / "clean_cases.json").read_text(encoding="utf-8"))
TITLE = "Council approves budget after long debate"
# reasons of the hand-tuned structure step; with the line model (the default) such lines go as
# "line_model" (the model decides every line no rule, metadata or embed step removed)
STRUCTURAL = {"navigation_run", "before_article", "after_article", "inline_box", "repeated_line", "symbol_line"}


def build_page(case: dict) -> str:
    art = CASES["article"]
    lines = [TITLE, *case.get("before", []), art[0], *case.get("after_first", []), art[1]]
    lines += [*case.get("after_second", []), art[2], art[3], *case.get("after", [])]
    return "\n".join(lines) + "\n"


# Cases the line model gets wrong (MODEL.md, weak spots): prose after a "Related" / comments opener
# on a tiny page is too uncertain for it, and the decision rule tuned for recall and German
# must-keep snippets (expected F cut) keeps such a line on a page of five; the hand-tuned
# structure step's topic test handles them. (The model retrained with the chrome-snippet
# constraint got "related_section_cuts_teasers" and "teaser_cards_after_the_share_bar_go" right;
# the model with the lexicon keeps the German teaser sentence after "Das könnte Sie auch
# interessieren" again: a German news sentence, words the lexicon reads as article text.)
MODEL_MISSES = {
    "related_section_cuts_teasers",
    "inline_related_box_de_keeps_the_rest",
    "related_teasers_on_other_topics_go",
    "comment_thread_after_article_goes",
}


@pytest.fixture(scope="module")
def stages() -> dict[str, StripStage]:
    return {"line_model": StripStage(), "hand_tuned": StripStage(StripConfig(line_model=""))}


def _cases():
    for case in CASES["cases"]:
        for kind in ("line_model", "hand_tuned"):
            marks = []
            if kind == "line_model" and case["name"] in MODEL_MISSES:
                marks = [pytest.mark.xfail(strict=True, reason="known line-model miss (MODEL.md)")]
            yield pytest.param(case, kind, id=f"{case['name']}-{kind}", marks=marks)


@pytest.mark.parametrize(("case", "kind"), list(_cases()))
def test_case(case: dict, kind: str, stages: dict[str, StripStage]) -> None:
    stage = stages[kind]
    doc = next(iter(stage.process(Document(id="case", text=build_page(case)))))
    assert doc.ok
    kept = [b.text for b in doc.blocks]
    reasons = {r["text"].strip(): r["rule"] for r in doc.removed}
    for line, reason in case.get("removed", {}).items():
        assert line not in kept, f"{line!r} should be removed"
        allowed = {reason}
        if reason in STRUCTURAL and stage.cleaner.model is not None:
            # the model's removal, or the cleanup after it: a heading the model kept with nothing
            # of the article after it goes as after_article
            allowed = {"line_model", "after_article"}
        assert reasons.get(line) in allowed, f"{line!r}: expected {sorted(allowed)}, got {reasons.get(line)}"
    for line in case.get("kept", []):
        assert strip_bullet(line) in kept, f"{line!r} should be kept; removed as {reasons.get(line)}"
    # the article paragraphs themselves always survive
    for para in CASES["article"]:
        assert para in kept
    assert doc.metadata.get("title") == TITLE
