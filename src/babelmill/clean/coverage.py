"""How much of a page the cleaner kept, and warnings when the article may have been lost.

A cleaner that takes the wrong stretch of a page for the article (a teaser list, a comment
thread) still returns text, and the record would look fine. :func:`cleaning_report` compares
what was kept with the page's *prose runs* (consecutive lines that read as running text) and
says so when the article may be gone:

* ``kept_share``: share of the page's words (CJK characters / 1.5 count as words) that are in
  the kept blocks;
* ``article_may_be_lost``: the kept text is shorter than ``lost_share`` of the page's longest
  prose run (the article is usually the longest run of prose on a page);
* ``long_prose_removed``: a prose run of at least ``lost_run_words`` words was removed whole,
  by position (before or after the region taken for the article), and it is longer than
  ``lost_share`` of the kept text.

The thresholds are the strip stage's ``lost_share`` and ``lost_run_words`` options; how they
were chosen on the dev pages is in ``benchmarks/TITLE.md`` (section *Cleaning warnings*).
"""

from __future__ import annotations

from typing import Any

from babelmill.clean.lines import Line, make_line

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


def cleaning_report(
    text: str, blocks: list, removed: list, lost_share: float = 0.5, lost_run_words: float = 80.0
) -> dict[str, Any]:
    """``{"kept_share": float, "warnings": [...], "longest_prose_words": int}`` for a cleaned page."""
    lines = [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]
    page_words = sum(ln.weq for ln in lines)
    kept_words = sum(make_line(0, b.text).weq for b in blocks)
    share = min(1.0, kept_words / page_words) if page_words else 0.0
    runs = prose_runs(lines)
    longest = max((w for _, _, w in runs), default=0.0)
    rules = {int(r["line"]): str(r["rule"]) for r in removed}
    warnings: list[str] = []
    if longest >= lost_run_words and kept_words < lost_share * longest:
        warnings.append(ARTICLE_MAY_BE_LOST)
    for a, b, words in runs:
        if words < lost_run_words or words <= lost_share * kept_words:
            continue
        reasons = [rules.get(lines[k].n) for k in range(a, b + 1)]
        if all(r is not None and r.startswith(_POSITIONAL) for r in reasons):
            warnings.append(LONG_PROSE_REMOVED)
            break
    return {"kept_share": round(share, 3), "warnings": warnings, "longest_prose_words": round(longest)}
