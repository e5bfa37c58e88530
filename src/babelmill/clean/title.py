"""The headline: chosen among the lines around the start of the article by a small learned model.

Pages put a lot above the article (skip links, search prompts, app banners, menus, teaser
titles); the headline is one short line among them, usually a few lines above the first
paragraph. After the cleaner has decided every line, :func:`choose_title` scores each candidate
line with a conditional logit (a softmax over the page's candidates and a "no title" option;
weights in ``babelmill/data/title.json``, trained by ``benchmarks/train_title.py``; model card
in ``benchmarks/TITLE.md``) over features of

* position: lines from the first kept block and from the first long paragraph, page position;
* shape: length, capitalisation, closing punctuation, digits, separators ("Story | Site");
* content: share of its content words found in the body's first paragraphs and in the whole body;
* repetition: whether the line recurs across the site's pages (template) or on the page itself;
* the cleaner's verdict on it (kept heading or paragraph, removed as before-article text, as part
  of a run of short lines, or picked by the rule-based metadata extractor) and its neighbours
  (a byline or date right under a headline).

Candidates are the page's first lines and those from ``WINDOW_BEFORE`` lines above the first
kept block to ``WINDOW_AFTER`` below it. A line that a rule or the site's repetition classified
as page chrome (navigation, share bars, prompts, bylines, dates, breadcrumbs) is never a
candidate. Lines with the same text pool their probability (a headline printed twice); the best
text becomes the title unless the "no title" option (whose score is learned from pages where no
line is the headline) holds half the page's probability or more; then the title is null.

:func:`apply_title` writes the choice into a :class:`~babelmill.clean.cleaner.CleanResult`: the
line leaves the body (``metadata_title``) and ``metadata["title_probability"]`` records the score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from babelmill.clean.lines import Line
from babelmill.clean.metadata import norm_key
from babelmill.clean.title_candidates import Candidate, candidates, probs_of


@dataclass
class TitleModel:
    """Conditional logit over a page's candidates (standardised features) and a "no title" option.

    A candidate's probability is its softmax share among the page's candidates and the
    no-title option, whose score is learned from pages where no line is the headline. The page
    has a title when the candidates together outweigh that option (:func:`pooled_choice`).
    """

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    no_title_score: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TitleModel:
        return cls(
            features=list(data["features"]),
            mean=list(data["mean"]),
            scale=list(data["scale"]),
            weights=list(data["weights"]),
            no_title_score=float(data["no_title_score"]),
        )

    def score(self, feats: dict[str, float]) -> float:
        z = 0.0
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (feats.get(name, 0.0) - m) / s
        return z


@lru_cache(maxsize=1)
def default_model() -> TitleModel | None:
    """The shipped model (``babelmill/data/title.json``), or None when it is missing."""
    try:
        text = resources.files("babelmill.data").joinpath("title.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None
    return TitleModel.from_json(json.loads(text))


def verdicts_of(blocks: list, removed: list[dict[str, Any]]) -> dict[int, tuple[str | None, str | None]]:
    """``line number -> (rule, kind)`` from a clean result's blocks and removed rows."""
    out: dict[int, tuple[str | None, str | None]] = {}
    for row in removed:
        out.setdefault(int(row["line"]), (str(row["rule"]), None))
    for b in blocks:
        if b.line is not None:
            out[int(b.line)] = (None, b.kind)
    return out


def choose_title(
    lines: list[Line],
    verdicts: dict[int, tuple[str | None, str | None]],
    repeats: set[str] | None = None,
    model: TitleModel | None = None,
    probs: dict[int, float] | None = None,
) -> tuple[Candidate | None, float]:
    """The best candidate (the best line of the best text) and its text's probability; None when
    the "no title" option holds half the probability or more."""
    model = model or default_model()
    if model is None:
        return None, 0.0
    cands = candidates(lines, verdicts, repeats, probs)
    if not cands:
        return None, 0.0
    k, share, emitted = pooled_choice([c.line.text for c in cands], [model.score(c.features) for c in cands],
                                      model.no_title_score)  # fmt: skip
    return (cands[k] if emitted else None), share


def pooled_choice(texts: list[str], scores: list[float], no_title_score: float) -> tuple[int, float, bool]:
    """The headline among scored candidate lines: lines with the same text (a headline printed
    twice) pool their softmax shares. Returns (index of the best text's highest-scoring line,
    the text's share, whether it is emitted).

    Two questions, each answered by its own probability: whether the page has a title among its
    candidates (the candidates' total share against the "no title" option's: emitted when that
    option holds less than half), and which text it is (the best pooled share). Comparing the
    best text with the "no title" option alone would answer "no title" whenever the page's
    probability is split between two or three close lines (a headline and its dek) although
    together they leave the option far behind (on the dev pages: 3 of 364 headlines were lost so,
    at text shares 0.16-0.33)."""
    top = max([*scores, no_title_score])
    pooled: dict[str, float] = {}
    best_line: dict[str, int] = {}
    for j, (text, sc) in enumerate(zip(texts, scores, strict=True)):
        key = norm_key(text)
        pooled[key] = pooled.get(key, 0.0) + math.exp(sc - top)
        if key not in best_line or sc > scores[best_line[key]]:
            best_line[key] = j
    null = math.exp(no_title_score - top)
    # the best text; ties go to the text whose best line comes first
    key = max(pooled, key=lambda t: (pooled[t], -best_line[t]))
    total = sum(pooled.values()) + null
    return best_line[key], pooled[key] / total, null < 0.5 * total


def page_lines(text: str) -> list[Line]:
    """The non-blank lines of a page, numbered as the cleaner numbers them (1-based)."""
    from babelmill.clean.lines import make_line

    return [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]


def apply_title(
    res: Any,
    text: str,
    repeats: set[str] | None = None,
    model: TitleModel | None = None,
    lines: list[Line] | None = None,
) -> None:
    """Choose the title of a clean result and move its line out of the body.

    A title kept in the source language above its rendering (``original_title``, paired by the
    metadata extractor on machine-translated pages) is left as the extractor paired it. ``lines``
    are :func:`page_lines` of ``text`` when the caller has them already (the cleaner's).
    """
    if res.metadata.get("original_title") or getattr(res, "fallback", False):
        return  # a paired original title, or no article region (every kept line is a guess)
    old_title = res.metadata.get("title")
    crumbs = {norm_key(str(r["text"])) for r in res.removed if r["rule"] == "breadcrumb"}
    if old_title and norm_key(old_title) in crumbs:
        return  # the page's breadcrumb names the title: the extractor's pick stands
    model = model or default_model()
    if model is None:
        return
    if lines is None:
        lines = page_lines(text)
    cand, p = choose_title(lines, verdicts_of(res.blocks, res.removed), repeats, model, probs_of(res))
    old_lines = {int(r["line"]) for r in res.removed if r["rule"] == "metadata_title"}
    new_line = cand.line.n if cand is not None else None
    if cand is not None and len(res.blocks) == 1 and res.blocks[0].line == new_line:
        cand, new_line = None, None  # the page's only block stays the body
    res.metadata["title_probability"] = round(p, 3)
    if new_line in old_lines or (cand is not None and old_title and norm_key(old_title) == norm_key(cand.line.text)):
        return  # the extractor's pick (or a copy of it): nothing moves
    sub_lines = {int(r["line"]) for r in res.removed if r["rule"] == "metadata_subtitle"}
    for row in res.removed:
        if int(row["line"]) in old_lines and row["rule"] == "metadata_title":
            row["rule"] = "before_article"
    if sub_lines and not (new_line is not None and any(s == _next_line(lines, new_line) for s in sub_lines)):
        # the subtitle belonged to the replaced title
        res.metadata.pop("subtitle", None)
        for row in res.removed:
            if row["rule"] == "metadata_subtitle":
                row["rule"] = "before_article"
    if cand is None:
        res.metadata.pop("title", None)
        return
    res.metadata["title"] = cand.line.text
    for row in res.removed:
        if int(row["line"]) == new_line:
            row["rule"] = "metadata_title"
            break
    else:
        res.blocks = [b for b in res.blocks if b.line != new_line]
        res.removed.append({"line": new_line, "text": cand.line.raw, "rule": "metadata_title"})
    # other copies of the headline on the page (a repeated title line) leave the body too
    key = norm_key(cand.line.text)
    copies = {b.line for b in res.blocks if b.line != new_line and norm_key(b.text) == key}
    if copies and len(copies) < len(res.blocks):
        by_line = {ln.n: ln for ln in lines}
        res.blocks = [b for b in res.blocks if b.line not in copies]
        for n in sorted(copies):
            res.removed.append({"line": n, "text": by_line[n].raw if n in by_line else key, "rule": "repeated_title"})
    res.removed.sort(key=lambda r: (r["line"], r["rule"]))


def _next_line(lines: list[Line], n: int) -> int | None:
    for k, ln in enumerate(lines):
        if ln.n == n:
            return lines[k + 1].n if k + 1 < len(lines) else None
    return None
