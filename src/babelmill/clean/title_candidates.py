"""Headline candidates and their features (the model that scores them is
:mod:`babelmill.clean.title`).

Candidates are the page's first lines, those from ``WINDOW_BEFORE`` lines above the first
kept block to ``WINDOW_AFTER`` below it, and those within ``DATE_REACH`` lines of the article's
date or byline. A line that a rule or the site's repetition classified
as page chrome (``NEVER``) is never a candidate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babelmill.clean.dates import parse_date
from babelmill.clean.lines import Line, script_of, stoplists
from babelmill.clean.repeats import content_stems

WINDOW_BEFORE = 40
WINDOW_AFTER = 20
PAGE_HEAD = 5
# removal reasons of lines that are never a title: chrome found by rules, the site's template,
# metadata of another kind. Positional verdicts (before_article, navigation_run: a run of short
# lines) are only evidence: a headline often stands between menus.
NEVER = (
    "site_boilerplate", "breadcrumb", "metadata_author", "metadata_date", "metadata_source", "dateline",
    "embed_", "symbol_line", "repeated_paragraph", "inline_box", "share_bar", "navigation", "comment_widget",
    "cookie_prompt", "subscription_prompt", "related_links", "ad_label", "image_credit", "ui_placeholder",
    "reading_time", "disclaimer", "footer", "newsletter", "app_prompt", "login", "search",
)  # fmt: skip
# verdicts the model sees as one-hot features ("kept" covers every kept block)
VERDICTS = (
    "kept_heading", "kept_paragraph", "before_article", "after_article", "navigation_run", "metadata_title",
    "metadata_subtitle", "repeated", "other",
)  # fmt: skip
# words of page furniture (knowledge, used as a feature: the model weighs it against the rest)
_UI_WORDS = frozenset(
    "home news more latest top story stories submit policy email e-mail comments comment photo photos pics video "
    "videos gallery click here subscribe login log sign register search live table related article articles premium "
    "shop welcome advertisement advertise sponsored print share follow contact about archive archives menu skip "
    "jump content navigation site sites newsletter rss feed tools help services weather traffic classifieds jobs "
    "homes cars blog blogs forum forums discussion report offensive send copy view views most popular read "
    "watch listen download app apps mobile edition editions close window page text size font increase decrease "
    "enlarge reduce sign main next previous prev back top friendly printable bookmark classified classifieds ad "
    "ads scores results odds tips bets bonus free".split()
)
# a line that opens with a command or a link word of page furniture ("Send me a copy of this
# e-mail.", "Powered by TypePad", "What are these?", "» Links to this article"): knowledge, used as
# a feature (on the dev pages 3 of the 377 candidate lines that match a headline open so,
# "Home woes for Flyers"; 593 of the 9,663 others do)
_UI_START = re.compile(
    r"^\W*(send|click|powered by|links?|what are|more|view|see|read|watch|listen|print|e-?mail|share|post|add|"
    r"leave|sign|log|subscribe|follow|get|play|win|enter|join|download|order|buy|call|visit|contact|back|return|"
    r"go to|jump|skip|home)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"\b(photo|photos|pics|getty|afp|reuters|ap|aap|associated press|staff|images?)\b|/\s*[A-Z]", re.I)
_SEP = re.compile(r"\s[|–—-]\s|\s[|:]\s?|::")
_NUM = re.compile(r"\d")
# removal reasons of the article's own metadata lines: a headline stands next to them
_META = ("metadata_author", "metadata_date", "dateline")
DATE_REACH = 4
_QUOTES = "'\"’”»« "
_CRUMB = re.compile(r"\s(?:»|>|›|/|::)\s|^\s*[«»‹›<>]|[«»‹›<>]\s*$")
# "Location: ...", "Topics: ...", "Posted: ...": a field label, not a headline's "Name: claim"
_LABEL = re.compile(
    r"^(location|topics?|tags?|posted|filed|filed under|category|categories|section|keywords|source|related|"
    r"you are in|you are here|see also|more|comments?|rating|views?)\s*:",
    re.IGNORECASE,
)
_DATEISH = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b.*\b(19|20)\d\d\b|"
    r"\b\d{1,2}:\d{2}\s*([ap]\.?m\.?|gmt|est|et|pst|uhr)\b",
    re.IGNORECASE,
)


def _rule_ok(rule: str | None) -> bool:
    """Whether a line removed for ``rule`` may still be the headline."""
    if rule is None:
        return True
    if rule.startswith(("metadata_title", "metadata_subtitle", "metadata_original_title", "repeated_title")):
        return True
    # line_model: the cleaner's line model, the positional verdicts' successor (MODEL.md)
    if rule in ("before_article", "after_article", "navigation_run", "repeated_line", "line_model"):
        return True
    return False


def _verdict(rule: str | None, kind: str | None) -> str:
    if kind is not None:
        return "kept_heading" if kind == "heading" else "kept_paragraph"
    if rule in ("before_article", "after_article", "navigation_run", "metadata_title", "metadata_subtitle"):
        return rule
    if rule == "line_model":  # headline candidates sit above the body, where this was before_article
        return "before_article"
    if rule and rule.startswith("repeated"):
        return "repeated"
    return "other"


@dataclass
class Candidate:
    index: int
    line: Line
    features: dict[str, float]


def candidates(
    lines: list[Line],
    verdicts: dict[int, tuple[str | None, str | None]],
    repeats: set[str] | None = None,
    probs: dict[int, float] | None = None,
) -> list[Candidate]:
    """Candidate lines and their features.

    ``verdicts`` maps a line number (``Line.n``) to ``(removal rule, kept block kind)``: one of
    the two is None. ``repeats`` are the keys of the site's template lines (the same set the
    cleaner uses, so a rerun after a crash decides the title as the first run did). ``probs``
    maps a line number to the cleaner's line-model probability of article text (a line a rule
    decided has none: kept counts as 1, removed as 0).
    """
    if not lines:
        return []
    repeats = repeats or set()
    probs = probs or {}
    index_of = {ln.n: i for i, ln in enumerate(lines)}
    kept = sorted(index_of[n] for n, (_, kind) in verdicts.items() if kind is not None and n in index_of)
    b0 = kept[0] if kept else 0
    kept_set = set(kept)
    long_first = next((i for i in kept if lines[i].weq >= 25), b0)
    # the body's words, each with the number of kept lines it is in (a kept candidate's own
    # words do not count as the body's: its overlap would be 1 by construction)
    memo: dict[int, set[str]] = {}

    def topic_of(j: int) -> set[str]:
        """:func:`topic_stems` of line ``j``, computed once per page (shared: do not modify)."""
        if j not in memo:
            memo[j] = topic_stems(lines[j].text)
        return memo[j]

    stems_of = {i: topic_of(i) for i in kept}
    body_count: dict[str, int] = {}
    for i in kept:
        for w in stems_of[i]:
            body_count[w] = body_count.get(w, 0) + 1
    paras = [i for i in kept if lines[i].weq >= 10]
    para_stems = _first_paras(paras, -1, stems_of)
    keys = [ln.key for ln in lines]
    key_count: dict[str, int] = {}
    for k in keys:
        key_count[k] = key_count.get(k, 0) + 1
    n = len(lines)
    main = _main_start(lines, kept)
    window = set(range(min(PAGE_HEAD, n)))
    for anchor in {b0, long_first, main}:
        window |= set(range(max(0, anchor - WINDOW_BEFORE), min(n, anchor + WINDOW_AFTER + 1)))
    # a headline stands next to the article's date or byline: the first few of those above the body
    marks = [i for i in range(min(n, main + WINDOW_AFTER)) if verdicts.get(lines[i].n, (None, None))[0] in _META]
    # ...and the first date or byline (anywhere) that a long kept paragraph follows within three
    # lines: the article's own, when kept ads or teasers above it hold the body's anchors
    signed = next(
        (i for i in range(n) if verdicts.get(lines[i].n, (None, None))[0] in _META
         and any(j in kept_set and lines[j].weq >= 25 for j in range(i + 1, min(n, i + 4)))),
        None,
    )  # fmt: skip
    for i in marks[:4] + ([signed] if signed is not None else []):
        window |= set(range(max(0, i - DATE_REACH), min(n, i + DATE_REACH + 1)))
    lp = [_line_p(lines[i], verdicts, probs) for i in range(n)]
    # the first kept paragraph at or below each line (its stems: the story that line heads)
    next_para: list[int | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        v = verdicts.get(lines[i].n, (None, None))
        next_para[i] = i if v[1] is not None and lines[i].weq >= 10 else next_para[i + 1]
    out: list[Candidate] = []
    # heading-like candidates between a line and the body: the nearest one above the body is rank 0
    shaped = [i for i in sorted(window) if _shaped(lines[i])]
    for i in sorted(window):
        ln = lines[i]
        rule, kind = verdicts.get(ln.n, (None, None))
        if not _rule_ok(rule) or not ln.words or ln.weq > 40 or ln.url_share > 0.3 or _sentence(ln):
            continue
        text = ln.text
        stems = topic_of(i)
        near = [verdicts.get(lines[j].n, (None, None))[0] for j in range(i + 1, min(n, i + 4))]
        above = [verdicts.get(lines[j].n, (None, None))[0] for j in range(max(0, i - 2), i)]
        below_p = [lp[j] for j in range(i + 1, min(n, i + 4))]
        above_p = [lp[j] for j in range(max(0, i - 3), i)]
        np_i = next_para[i + 1]
        next_stems = topic_of(np_i) if np_i is not None and np_i - i <= 30 else set()
        bare = text.rstrip(_QUOTES)
        short_nb = sum(1 for d in (-2, -1, 1, 2) if 0 <= i + d < n and lines[i + d].weq <= 3)
        rank = sum(1 for j in shaped if i < j < b0) if i < b0 else -1
        d0 = i - b0
        f: dict[str, float] = {
            "d_first": max(-40, min(20, d0)) / 10,
            "before_first": float(d0 < 0),
            "at_or_after_first": float(d0 >= 0),
            "log_dist_first": math.log1p(abs(d0)),
            "d_long": max(-40, min(20, i - long_first)) / 10,
            "log_dist_long": math.log1p(abs(i - long_first)),
            "d_main": max(-40, min(20, i - main)) / 10,
            "log_dist_main": math.log1p(abs(i - main)),
            "page_head": float(i < PAGE_HEAD),
            "page_pos": i / max(1, n),
            "rank_above": min(rank, 6) / 3 if rank >= 0 else 0.0,
            "nearest_above": float(rank == 0),
            "words": min(ln.weq, 40) / 10,
            "words_sq": (min(ln.weq, 40) / 10) ** 2,
            "short_1_3": float(ln.weq <= 3),
            "title_share": ln.title_share,
            "all_caps": float(text.upper() == text and any(c.isalpha() for c in text)),
            "starts_upper": float(text[:1].isupper()),
            "ends_period": float(text.endswith(".")),
            "ends_q_excl": float(text.endswith(("?", "!"))),
            "ends_colon": float(text.endswith(":")),
            "has_sep": float(bool(_SEP.search(text))),
            "digit_share": len(_NUM.findall(text)) / max(1, len(text)),
            "stop_density": ln.stop_density(),
            "overlap_first": _share(stems, _first_paras(paras, i, stems_of)),
            "overlap_body": _share(stems, {w for w in stems if body_count.get(w, 0) > (w in stems_of.get(i, ()))}),
            "site_repeat": float(keys[i] in repeats),
            "page_repeat": float(key_count[keys[i]] > 1),
            "byline_below": float(any(r in _META for r in near)),
            "byline_above": float(any(r in _META for r in above)),
            "line_p": lp[i],
            "line_p_below": max(below_p, default=0.0),
            "line_p_above": sum(above_p) / len(above_p) if above_p else 0.0,
            "overlap_next_para": _share(stems, next_stems),
            "next_para_dist": math.log1p(np_i - i) if np_i is not None else 4.0,
            "date_like": float(parse_date(text) is not None or bool(_DATEISH.search(text))),
            "crumbs": float(len(_CRUMB.findall(text)) >= 2),
            "label_prefix": float(bool(_LABEL.match(text))),
            "quoted_sentence": float(bare != text and bare.endswith((".", "!", "?"))),
            "ends_ellipsis": float(text.rstrip().endswith(("...", "…"))),
            "short_neighbours": short_nb / 4,
            "cjk": float(script_of(text) == "cjk"),
            "ui_start": float(bool(_UI_START.match(text))),
            "ui_share": sum(1 for w in ln.words if w.casefold() in _UI_WORDS) / max(1, ln.n_words),
            "credit": float(bool(_CREDIT.search(text))),
            "dek_below": float(_dek_near(lines, i, range(i + 1, min(n, i + 3)), para_stems, verdicts, topic_of)),
            "head_above": float(_head_near(lines, i, range(max(0, i - 2), i), para_stems, verdicts, topic_of)),
        }
        v = _verdict(rule, kind)
        for name in VERDICTS:
            f[f"v_{name}"] = float(v == name)
        out.append(Candidate(i, ln, f))
    # relative to the page's other candidates: the best overlap, the closest to the body
    if out:
        top_first = max(c.features["overlap_first"] for c in out)
        top_body = max(c.features["overlap_body"] for c in out)
        overl = sorted((c for c in out if c.features["overlap_first"] > 0), key=lambda c: abs(c.index - b0))
        top_p = max(c.features["line_p"] for c in out)
        for c in out:
            c.features["line_p_gap"] = top_p - c.features["line_p"]
            c.features["overlap_first_gap"] = top_first - c.features["overlap_first"]
            c.features["overlap_body_gap"] = top_body - c.features["overlap_body"]
            c.features["overlap_rank"] = min(overl.index(c), 5) / 5 if c in overl else 1.0
    return out


# function words that carry no topic. The English list of the ``stop-words`` package (which
# ``content_stems`` uses) holds 1,300 words, "microsoft", "opens", "cases" and "new" among them,
# so a headline such as "EU opens new cases against Microsoft" had no content words at all.
# Here only its short words (4 letters or fewer) and these common longer function words count.
_LONG_FUNCTION = frozenset(
    "about above after again against among because before being below between could during every "
    "having other others their there these those through under until where which while would should "
    "since within without whose itself yourself themselves another".split()
)


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    english = stoplists().get("english", frozenset())
    short = {w for w in english if len(w) <= 4}
    others = frozenset().union(*(v for k, v in stoplists().items() if k != "english"))
    return frozenset(short | _LONG_FUNCTION | others)


_TOKEN = re.compile(r"[^\W_]+")


def topic_stems(text: str) -> set[str]:
    """Stems of a line's topic words (5-letter prefixes; CJK as ``content_stems`` splits it)."""
    if script_of(text) == "cjk":
        return content_stems(text)
    stops = _function_words()
    return {w[:5] for w in _TOKEN.findall(text.casefold()) if (len(w) >= 3 or w.isdigit()) and w not in stops}


def _share(stems: set[str], other: set[str]) -> float:
    return len(stems & other) / len(stems) if stems else 0.0


def _first_paras(paras: list[int], i: int, stems_of: dict[int, set[str]]) -> set[str]:
    """Content words of the first three kept paragraphs (10+ words) other than line ``i``."""
    out: set[str] = set()
    for j in [j for j in paras if j != i][:3]:
        out |= stems_of[j]
    return out


def _line_p(ln: Line, verdicts: dict, probs: dict[int, float]) -> float:
    """The line model's probability of article text; a line a rule decided: 1 kept, 0 removed."""
    p = probs.get(ln.n)
    if p is not None:
        return float(p)
    return 1.0 if verdicts.get(ln.n, (None, None))[1] is not None else 0.0


def probs_of(res: Any) -> dict[int, float]:
    """``line number -> line-model probability`` of a clean result (empty without a line model)."""
    out: dict[int, float] = {}
    for row in getattr(res, "verdicts", None) or []:
        if row.get("p") is not None:
            out[int(row["line"])] = float(row["p"])
    return out


def _main_start(lines: list[Line], kept: list[int]) -> int:
    """Start of the run of kept lines with the most words (gaps of up to 8 lines allowed)."""
    if not kept:
        return 0
    best_start, best_words = kept[0], -1.0
    start, words, prev = kept[0], 0.0, kept[0]
    for i in kept:
        if i - prev > 8:
            start, words = i, 0.0
        words += lines[i].weq
        prev = i
        if words > best_words:
            best_start, best_words = start, words
    return best_start


def _on_topic(st: set[str], first: set[str]) -> bool:
    return bool(st) and len(st & first) >= 0.3 * len(st)


def _dek_near(lines: list[Line], i: int, rng: range, first: set[str], verdicts: dict, topic_of) -> bool:
    """The next line (bylines skipped) is on the body's topic: ``i`` heads a dek or the lede."""
    for j in rng:
        if verdicts.get(lines[j].n, (None, None))[0] in _META:
            continue
        return lines[j].weq >= 3 and _on_topic(topic_of(j), first)
    return False


def _head_near(lines: list[Line], i: int, rng: range, first: set[str], verdicts: dict, topic_of) -> bool:
    """The line above is a heading-shaped line on the body's topic: ``i`` may be its dek."""
    for j in reversed(rng):
        if verdicts.get(lines[j].n, (None, None))[0] in _META:
            continue
        return _shaped(lines[j]) and _on_topic(topic_of(j), first)
    return False


def _sentence(ln: Line) -> bool:
    """A sentence of 8+ words closed by a full stop, or a quoted sentence closed by a full stop,
    "!" or "?" (a quote from the body or a dek: 308 such candidate lines on the dev pages, none
    of them the headline): body text, not a headline."""
    t = ln.text.rstrip()
    bare = t.rstrip(_QUOTES)
    if ln.n_words < 8 or bare.endswith(".."):
        return False
    return bare.endswith(".") or (bare != t and bare.endswith(("!", "?")))


def _shaped(ln: Line) -> bool:
    """Heading-shaped: 2-30 words, no closing full stop or comma, mostly letters."""
    t = ln.text
    return 2 <= ln.weq <= 30 and not t.endswith((".", ",", ";")) and ln.alpha_share >= 0.6
