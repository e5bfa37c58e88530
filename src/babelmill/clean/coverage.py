"""How much of a page the cleaner kept, and warnings when the article may have been lost.

A cleaner that takes the wrong stretch of a page for the article (a teaser list, a comment
thread) still returns text, and the record would look fine. :func:`cleaning_report` compares
what was kept with the page's *prose runs* (consecutive lines that read as running text) and
says so when the article may be gone:

* ``kept_share``: share of the page's words (CJK characters / 1.5 count as words) that are in
  the kept blocks;
* ``lost_probability`` and ``article_may_be_lost``: a small logistic model (weights in
  ``babelmill/data/lost_warning.json``, trained by ``benchmarks/train_lost_warning.py`` on the
  dev pages' truths, where "lost" means that less than half of the article's words were kept)
  over :func:`lost_features`: kept words against the page's longest prose run, how much of that
  run and of all prose was kept or removed by position, ...; the warning fires at the
  probability threshold chosen by site-grouped cross-validation (stored with the weights), or
  when the kept text is shorter than ``lost_share`` of the page's longest prose run of
  ``lost_run_words``+ words (the plain loss, too rare in the data for the model to learn);
* ``long_prose_removed``: a prose run of at least ``lost_run_words`` words was removed whole,
  by position (before or after the region taken for the article), and it is longer than
  ``lost_share`` of the kept text (a description of what happened, not a prediction).

Without the model (file missing, or the strip stage's ``lost_model = false``) only that rule
remains. Figures: ``benchmarks/TITLE.md``
(section *Cleaning warnings*).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from babelmill.clean.lines import Line, make_line, text_weq

ARTICLE_MAY_BE_LOST = "article_may_be_lost"
LONG_PROSE_REMOVED = "long_prose_removed"
# removal reasons that are the region's guess, not a rule's: a long prose run removed for one
# of these may be the article itself
_POSITIONAL = ("before_article", "after_article", "navigation_run", "inline_box", "site_boilerplate", "line_model")
_SENTENCE_END = tuple('.!?…。！？"”’»)')


def _prose(ln: Line) -> bool:
    """A line of running text: 10+ words that end like a sentence or hold function words."""
    return ln.weq >= 10 and (ln.text.rstrip().endswith(_SENTENCE_END) or ln.stop_density() >= 0.15)


def prose_runs(lines: list[Line]) -> list[tuple[int, int, float]]:
    """``(first index, last index, words)`` of each run of consecutive prose lines."""
    runs: list[tuple[int, int, float]] = []
    start, words = -1, 0.0
    for i, ln in enumerate(lines):
        if _prose(ln):
            if start < 0:
                start, words = i, 0.0
            words += ln.weq
        elif start >= 0:
            runs.append((start, i - 1, words))
            start = -1
    if start >= 0:
        runs.append((start, len(lines) - 1, words))
    return runs


def lost_features(
    lines: list[Line],
    blocks: list,
    removed: list,
    kept_words: float | None = None,
    runs: list[tuple[int, int, float]] | None = None,
) -> dict[str, float]:
    """What the lost-article model sees of a cleaned page (all from the page and the verdicts).
    ``kept_words`` (the blocks' words) and ``runs`` (:func:`prose_runs`) when known already."""
    page_words = sum(ln.weq for ln in lines)
    kept_lines = {int(b.line) for b in blocks if getattr(b, "line", None) is not None}
    if kept_words is None:
        kept_words = sum(text_weq(b.text) for b in blocks)
    if runs is None:
        runs = prose_runs(lines)
    rules = {int(r["line"]): str(r["rule"]) for r in removed}
    longest = max(runs, key=lambda r: r[2], default=None)
    prose_words = sum(w for _, _, w in runs)
    kept_prose = removed_prose = longest_kept = 0.0
    for a, b, _ in runs:
        for k in range(a, b + 1):
            ln = lines[k]
            if ln.n in kept_lines:
                kept_prose += ln.weq
                if longest is not None and a == longest[0]:
                    longest_kept += ln.weq
            elif rules.get(ln.n, "").startswith(_POSITIONAL):
                removed_prose += ln.weq
    lw = longest[2] if longest is not None else 0.0
    return {
        "kept_share": min(1.0, kept_words / page_words) if page_words else 0.0,
        "log_kept": math.log1p(kept_words),
        "log_longest": math.log1p(lw),
        "kept_vs_longest": min(3.0, kept_words / lw) if lw else 3.0,
        "longest_kept": longest_kept / lw if lw else 1.0,
        "prose_kept": kept_prose / prose_words if prose_words else 1.0,
        "prose_removed_by_position": removed_prose / prose_words if prose_words else 0.0,
        "log_removed_vs_kept": math.log1p(removed_prose) - math.log1p(kept_words),
        "kept_is_prose": min(1.0, kept_prose / kept_words) if kept_words else 0.0,
        "log_blocks": math.log1p(len(blocks)),
    }


@dataclass
class LostModel:
    """Logistic regression on standardised :func:`lost_features`, with its warning threshold."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LostModel:
        return cls(
            list(data["features"]),
            [float(v) for v in data["mean"]],
            [float(v) for v in data["scale"]],
            [float(v) for v in data["weights"]],
            float(data["bias"]),
            float(data["threshold"]),
        )

    def probability(self, feats: dict[str, float]) -> float:
        z = self.bias
        for name, m, sd, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (feats[name] - m) / sd
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def default_lost_model() -> LostModel | None:
    """The shipped model (``babelmill/data/lost_warning.json``), or None when it is missing."""
    try:
        text = resources.files("babelmill.data").joinpath("lost_warning.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None
    return LostModel.from_json(json.loads(text))


def cleaning_report(
    text: str,
    blocks: list,
    removed: list,
    lost_share: float = 0.5,
    lost_run_words: float = 80.0,
    model: LostModel | None | bool = True,
    lines: list[Line] | None = None,
) -> dict[str, Any]:
    """``{"kept_share", "warnings", "longest_prose_words", "lost_probability"}`` for a cleaned page.

    ``model``: True for the shipped lost-article model, a :class:`LostModel`, or None/False for
    the rule (``lost_probability`` is then null). ``lines``: the page's non-blank lines when the
    caller has them already (the cleaner's, :attr:`CleanResult.lines`), else read from ``text``.
    """
    if lines is None:
        lines = [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]
    page_words = sum(ln.weq for ln in lines)
    kept_words = sum(text_weq(b.text) for b in blocks)
    share = min(1.0, kept_words / page_words) if page_words else 0.0
    runs = prose_runs(lines)
    longest = max((w for _, _, w in runs), default=0.0)
    rules = {int(r["line"]): str(r["rule"]) for r in removed}
    warnings: list[str] = []
    lost_model = default_lost_model() if model is True else (model or None)
    prob: float | None = None
    if lost_model is not None:
        prob = lost_model.probability(lost_features(lines, blocks, removed, kept_words, runs))
    # the model at its threshold, or the rule (the plain loss: a teaser kept, the article removed)
    fired = lost_model is not None and prob is not None and prob >= lost_model.threshold
    if fired or (longest >= lost_run_words and kept_words < lost_share * longest):
        warnings.append(ARTICLE_MAY_BE_LOST)
    for a, b, words in runs:
        if words < lost_run_words or words <= lost_share * kept_words:
            continue
        reasons = [rules.get(lines[k].n) for k in range(a, b + 1)]
        if all(r is not None and r.startswith(_POSITIONAL) for r in reasons):
            warnings.append(LONG_PROSE_REMOVED)
            break
    return {
        "kept_share": round(share, 3),
        "warnings": warnings,
        "longest_prose_words": round(longest),
        "lost_probability": None if prob is None else round(prob, 3),
    }
