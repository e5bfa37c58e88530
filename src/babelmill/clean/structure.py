"""Line structure for the cleaner: each line's class (*good* prose, *medium* short sentence,
*short*) and the shapes of headings and list items, with the numbers the structure step uses.

A line's class comes from its word-equivalent length (CJK characters / 1.5), its function-word
density relative to the document's median, closing punctuation, URL share and capitalisation
(see :func:`classify_lines`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babelmill.clean.lines import Line

SENTENCE_END = tuple('.!?…。！？"”’»)')
# statements, not questions: menus and FAQ link lists are made of question-shaped titles
STATEMENT_END = tuple('.!…。！"”’»)')
_CJK_SENTENCE = re.compile(r"[。！？!?…][”」』\"')）]*\s*$")
NUMBERED = re.compile(r"^\d{1,3}[.)]\s+\S")


@dataclass
class Thresholds:
    """Numbers the structural classifier uses (documented on the stage's Config)."""

    good_words: float = 15.0
    sentence_words: float = 7.0
    medium_words: float = 5.0
    stop_low_ratio: float = 0.5
    stop_high_ratio: float = 0.7
    nav_run: int = 3
    repeat_threshold: float = 0.75
    repeat_min_words: int = 8
    short_penalty: float = 1.0
    removed_penalty: float = 0.5
    keep_inner_runs: bool = True
    near_prose: bool = True
    wall_penalty: float = 0.0
    sandwich_lists: bool = True
    sandwich_max: int = 40
    medium_score: float = 0.2
    island_score: float = 5.0
    island_gap: int = 60
    title_case_share: float = 0.75
    wall_reach: int = 6
    share_bar_run: int = 3
    continuation_share: float = 0.6
    continuation_words: float = 40.0
    continuation_cohesion: float = 0.3


def classify_lines(lines: list[Line], lang: str | None, t: Thresholds) -> list[str]:
    """Each line's class: ``good`` (prose), ``medium`` (a short sentence) or ``short``."""
    longs = sorted(ln.stop_density() for ln in lines if ln.n_words >= 12 and ln.cjk < 10)
    median = longs[len(longs) // 2] if longs else 0.0
    use_stop = lang is not None and median >= 0.1
    lo, hi = t.stop_low_ratio * median, t.stop_high_ratio * median
    out = []
    for ln in lines:
        w = ln.weq
        # function-word lists do not apply to Chinese text (no spaces, no list here)
        cjk_line = ln.cjk * 2 > ln.alpha
        stop = ln.stop_density() if use_stop and not cjk_line else 1.0
        sentence = ln.text.rstrip().endswith(SENTENCE_END)
        statement = ln.text.rstrip().endswith(STATEMENT_END)
        if ln.url_share > 0.5:
            out.append("short")
        elif cjk_line and not _CJK_SENTENCE.search(ln.text) and w < 2 * t.good_words:
            # Chinese headlines are as long as sentences; only punctuation tells them apart
            out.append("short" if w < t.good_words else "medium")
        elif (w >= t.good_words and stop >= lo) or (w >= t.sentence_words and statement and stop >= hi):
            out.append("good")
        elif ln.n_words >= 4 and not sentence and ln.title_share >= t.title_case_share:
            # Title Case Without A Full Stop: a link to another story, not prose
            out.append("short")
        elif w >= t.medium_words and (sentence or stop >= lo) and (stop >= lo * 0.5):
            out.append("medium")
        else:
            out.append("short")
    return out


def heading_shaped(ln: Line) -> bool:
    """A short line without closing punctuation (or a question) that starts with a capital."""
    t = ln.text.rstrip()
    return ln.n_words <= 12 and t[:1].isupper() and (t.endswith("?") or not t.endswith(SENTENCE_END + (":", ",", ";")))


def block_kind(ln: Line, cls: str, quote: bool) -> str:
    """The kind of block a line the line model keeps becomes."""
    if quote:
        return "quote"
    if ln.bullet or NUMBERED.match(ln.text):
        return "list_item"
    if cls != "good" and heading_shaped(ln):
        return "heading"
    return "paragraph"
