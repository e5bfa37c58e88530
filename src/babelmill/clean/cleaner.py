"""Tell the article from the page chrome in a one-block-per-line text dump.

Steps, each recording a reason for every line it removes:

1. embedded posts (:mod:`babelmill.clean.embeds`): tweet text becomes a quote block; its
   attribution, timestamp and truncation link go;
2. rule files (:mod:`babelmill.clean.rules`): UI vocabulary such as share bars, comment
   forms, cookie and subscription prompts, disclaimers (bylines are left for step 3);
3. metadata (:mod:`babelmill.clean.metadata`): title, subtitle, byline, date, source and
   breadcrumb lines; afterwards any other date-only line goes (``dateline``);
4. site repetition: lines that recur across many documents of one site (``site_boilerplate``);
5. structure: each line is *good* (prose), *medium* (a short sentence) or *short* from its
   word-equivalent length (CJK characters / 1.5), function-word density relative to the
   document's median, closing punctuation, URL share and capitalisation. The article is the
   contiguous stretch with the highest score (good lines count for it, short and removed
   lines against; a rule with ``action = "section_end"`` is a wall), plus its continuation
   across a wall right after it when what follows reads as more of the same article (an
   inline "Leave a comment" button or "Related" box; the box goes as ``inline_box``),
   sentences or "...:" intros directly above it, islands of prose close to it, and runs of
   short lines sandwiched between kept lines (fact boxes, ingredient lists). Outside it
   everything goes (``before_article`` / ``after_article``, or ``navigation_run`` for runs of
   short lines); inside it, short lines stay as headings or list items;
6. repeated paragraphs inside the document are collapsed (``repeated_paragraph``).

When nothing qualifies, sentence-like lines that only position removed are kept
(``CleanResult.fallback``); the stage quarantines documents that end up with no blocks.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from babelmill.clean.dates import parse_date
from babelmill.clean.embeds import find_embeds
from babelmill.clean.line_model import BASE, HARD_KINDS, LineModel, comment_marks, page_matrix
from babelmill.clean.lines import Line, doc_language, make_line, script_of, strip_bullet
from babelmill.clean.metadata import extract_metadata, is_byline
from babelmill.clean.repeats import content_stems, line_key, repeated_paragraphs
from babelmill.clean.rules import RuleSet
from babelmill.document import Block

_TICKER = re.compile(r"\$[^$\n]{1,40}?\([A-Z0-9.]{1,12}\)\$")
_SENTENCE_END = tuple('.!?…。！？"”’»)')
# statements, not questions: menus and FAQ link lists are made of question-shaped titles
_STATEMENT_END = tuple('.!…。！"”’»)')
_CJK_SENTENCE = re.compile(r"[。！？!?…][”」』\"')）]*\s*$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+\S")
# removal reasons of chrome that also sits inside an article (between gallery items, recipe steps)
_INLINE_CHROME = ("share_bar", "ad_label", "image_credit", "ui_placeholder", "embed_", "reading_time", "repeated_")
# removal reasons that mark a comment thread (reply buttons, post timestamps)
_THREAD_MARKS = ("comment_widget", "dateline")


def _wall_between(walls: list[int], a: int, b: int) -> bool:
    """Whether a wall index lies strictly between ``a`` and ``b`` (``walls`` sorted)."""
    k = bisect_right(walls, a)
    return k < len(walls) and walls[k] < b


def _next_wall(walls: list[int], a: int, default: int) -> int:
    """The first wall at or after ``a``, else ``default``."""
    k = bisect_left(walls, a)
    return walls[k] if k < len(walls) else default


def _prev_wall(walls: list[int], a: int, default: int) -> int:
    """The last wall at or before ``a``, else ``default``."""
    k = bisect_right(walls, a)
    return walls[k - 1] if k else default


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


@dataclass
class CleanResult:
    blocks: list[Block] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False  # no article region was found; kept the best candidate lines
    #: per non-blank input line: ``{"line", "keep", "rule" or "kind", "p"}``; ``p`` is the line
    #: model's probability of article text (None without a model, or for a line the rules decided)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    #: the line model's feature rows (lines x FEATURES) when the cleaner was asked to keep them
    features: Any = None

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)

    def reasons(self) -> Counter[str]:
        return Counter(r["rule"] for r in self.removed)


def split_lines(text: str) -> list[Line]:
    return [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]


class Cleaner:
    """Stateless per document; corpus repetition comes in as ``site_repeats``."""

    def __init__(
        self,
        rules: RuleSet,
        thresholds: Thresholds | None = None,
        model: LineModel | None = None,
        keep_features: bool = False,
    ):
        self.rules = rules
        self.t = thresholds or Thresholds()
        self.model = model
        self.keep_features = keep_features

    # -- classification ---------------------------------------------------------------------
    def _classes(self, lines: list[Line], lang: str | None) -> list[str]:
        t = self.t
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
            sentence = ln.text.rstrip().endswith(_SENTENCE_END)
            statement = ln.text.rstrip().endswith(_STATEMENT_END)
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

    def clean(self, text: str, site_repeats: set[str] | None = None) -> CleanResult:
        lines = split_lines(text)
        res = CleanResult()
        if not lines:
            return res
        lang = doc_language(lines)
        classes = self._classes(lines, lang)
        scripts = Counter(script_of(ln.text) for ln, c in zip(lines, classes, strict=True) if c == "good")
        body_script = scripts.most_common(1)[0][0] if scripts else script_of(text)

        decided: dict[int, str] = {}  # index -> removal reason
        trims: dict[int, str] = {}
        partial: list[tuple[int, str, str]] = []

        # 1. embeds
        embeds = find_embeds(lines, set())
        quote_of: dict[int, int] = {}
        for e_i, emb in enumerate(embeds):
            for k, txt, reason in emb.removed:
                if k in emb.trims or k in emb.lines:
                    partial.append((k, txt, reason))
                else:
                    decided[k] = reason
            trims.update(emb.trims)
            for k in emb.lines:
                quote_of[k] = e_i

        step: dict[int, str] = {i: "embed" for i in decided}  # index -> step that removed it
        # 2. rules (before metadata, so chrome never becomes a title)
        section_end: set[int] = set()
        for i, ln in enumerate(lines):
            if i in decided or i in quote_of or is_byline(ln.text):
                continue
            rule = self.rules.first_hit(ln.text, ln.n_words)
            if rule is not None:
                decided[i] = rule.reason
                step[i] = "rule"
                if rule.action == "section_end":
                    section_end.add(i)
                    step[i] = "wall"

        # 3. metadata
        first_good = next((i for i, c in enumerate(classes) if c == "good" and i not in decided), len(lines))
        visible = [ln if i not in decided else make_line(ln.n, "") for i, ln in enumerate(lines)]
        meta, taken = extract_metadata(visible, first_good, body_script)
        for i, reason in taken.items():
            if i not in decided and i not in quote_of:
                decided[i] = reason
                step[i] = "metadata"
        res.metadata = meta

        # a line that is only a date (post dates, comment timestamps) is not article text
        for i, ln in enumerate(lines):
            if (
                i not in decided
                and i not in quote_of
                and ln.n_words <= 8
                and any(ch.isdigit() for ch in ln.text)  # every date has a day or a year
                and parse_date(ln.text)
            ):
                decided[i] = "dateline"
                step[i] = "dateline"

        # 4. site repetition
        if site_repeats:
            flagged = [
                i
                for i, ln in enumerate(lines)
                if i not in decided and i not in quote_of and line_key(ln.text) in site_repeats
            ]
            good = [i for i, c in enumerate(classes) if c == "good" and i not in decided]
            if len([i for i in flagged if classes[i] == "good"]) * 2 > len(good):
                # most of the prose recurs elsewhere: a reprint (dedup's business), not a template
                flagged = [i for i in flagged if classes[i] != "good"]
            for i in flagged:
                decided[i] = "site_boilerplate"
                step[i] = "site"
        hard = dict(decided)

        # 5. region
        lo, hi, islands, boxed, walls = self._region(lines, classes, decided, section_end, quote_of, body_script)
        for i in boxed:
            decided.setdefault(i, "inline_box")
        keep: dict[int, str] = {}  # index -> block kind
        runs = self._short_runs(lines, classes, decided, quote_of)
        counts = Counter(line_key(ln.text) for ln in lines)
        for i, ln in enumerate(lines):
            if i in decided:
                continue
            if i in quote_of:
                if lo <= i <= hi:
                    keep[i] = "quote"
                else:
                    decided[i] = "before_article" if i < lo else "after_article"
                continue
            if (i in islands and classes[i] in ("good", "medium")) or (
                self.t.near_prose and classes[i] == "good" and self._near(i, lo, hi, walls)
            ):
                keep[i] = "list_item" if (ln.bullet or _NUMBERED.match(ln.text)) else "paragraph"
                continue
            if not (lo <= i <= hi):
                if i in runs:
                    decided[i] = "navigation_run"
                else:
                    decided[i] = "before_article" if i < lo else "after_article"
                continue
            c = classes[i]
            if c in ("good", "medium"):
                if ln.bullet or _NUMBERED.match(ln.text):
                    keep[i] = "list_item"
                elif c == "medium" and self._heading_shaped(ln):
                    keep[i] = "heading"
                else:
                    keep[i] = "paragraph"
                continue
            # short line inside the article
            if i in runs and not self.t.keep_inner_runs:
                decided[i] = "navigation_run"
            elif counts[line_key(ln.text)] > 1:
                decided[i] = "repeated_line"
            elif ln.text.rstrip().endswith(":"):
                keep[i] = "paragraph"
            elif ln.bullet or _NUMBERED.match(ln.text) or self._after_intro(lines, i, decided):
                keep[i] = "list_item"
            elif ln.alpha_share < 0.5 and ln.weq < 2 and not any(ch for ch in ln.text if ord(ch) > 0x2000):
                decided[i] = "symbol_line"
            elif self._heading_shaped(ln):
                keep[i] = "heading"
            else:
                keep[i] = "paragraph"

        # lists between two stretches of article text are part of it (fact boxes, ingredients)
        if self.t.sandwich_lists and keep:
            self._sandwiched(lines, decided, keep, quote_of)

        probs: dict[int, float] = {}
        if self.model is not None or self.keep_features:
            X = self._features(lines, classes, step, quote_of, keep, lo, hi)
            if self.keep_features:
                res.features = X
            if self.model is not None:
                probs = self._model_step(lines, classes, X, hard, decided, keep, quote_of)

        # 6. repeated paragraphs (prose only)
        order = sorted(keep)
        texts = [trims.get(i, lines[i].text) for i in order]
        rep = repeated_paragraphs(texts, self.t.repeat_min_words, self.t.repeat_threshold)
        for pos in rep:
            i = order[pos]
            if keep[i] in ("paragraph", "list_item"):
                del keep[i]
                decided[i] = "repeated_paragraph"

        # headings with nothing after them in the article are leftovers of cut sections
        for i in sorted(keep, reverse=True):
            if keep[i] != "heading":
                break
            del keep[i]
            decided[i] = "after_article"

        if not keep:
            res.fallback = True
            for i in range(len(lines)):
                sentence = lines[i].n_words >= 3 and lines[i].text.rstrip().endswith(_SENTENCE_END)
                positional = decided.get(i) in ("before_article", "after_article", "navigation_run", "line_model", None)
                if positional and (classes[i] in ("good", "medium") or sentence):
                    keep[i] = "paragraph"
                    decided.pop(i, None)

        # build output
        quote_blocks: dict[int, Block] = {}
        for i in sorted(keep):
            ln = lines[i]
            txt = trims.get(i, ln.text)
            for m in list(_TICKER.finditer(txt)):
                partial.append((i, m.group(0), "embed_ticker"))
            txt = " ".join(_TICKER.sub(" ", txt).split())
            if keep[i] == "quote":
                e_i = quote_of[i]
                if e_i in quote_blocks:
                    quote_blocks[e_i].text += "\n" + txt
                    continue
                blk = Block(text=txt, kind="quote", line=ln.n, meta=dict(embeds[e_i].meta))
                quote_blocks[e_i] = blk
                res.blocks.append(blk)
                continue
            if keep[i] == "list_item":
                txt = strip_bullet(txt)
            if txt:
                res.blocks.append(Block(text=txt, kind=keep[i], line=ln.n))
        rows = []
        for i, r in decided.items():
            row: dict[str, Any] = {"line": lines[i].n, "text": lines[i].raw, "rule": r}
            if r == "line_model":
                row["p"] = round(probs[i], 4)
            rows.append(row)
        rows += [{"line": lines[i].n, "text": txt, "rule": r} for i, txt, r in partial if txt]
        res.removed = sorted(rows, key=lambda r: (r["line"], r["rule"]))
        for i, ln in enumerate(lines):
            p = round(probs[i], 4) if i in probs else None
            if i in keep:
                res.verdicts.append({"line": ln.n, "keep": True, "kind": keep[i], "p": p})
            else:
                res.verdicts.append({"line": ln.n, "keep": False, "rule": decided.get(i, "empty"), "p": p})
        return res

    # -- the line model ----------------------------------------------------------------------
    def _features(
        self,
        lines: list[Line],
        classes: list[str],
        step: dict[int, str],
        quote_of: dict[int, int],
        keep: dict[int, str],
        lo: int,
        hi: int,
    ) -> np.ndarray:
        """The line model's feature rows (see :mod:`babelmill.clean.line_model`)."""
        longs = sorted(ln.stop_density() for ln in lines if ln.n_words >= 12 and ln.cjk < 10)
        median = longs[len(longs) // 2] if longs else 0.0
        uses_stop = median >= 0.1
        counts = Counter(line_key(ln.text) for ln in lines)
        cls_code = {"short": 0.0, "medium": 1.0, "good": 2.0}
        # topic: content words the line shares with the prose the structure step kept
        stems = [content_stems(ln.text) if i not in step else set() for i, ln in enumerate(lines)]
        ref = [i for i in keep if classes[i] == "good"] or [i for i, c in enumerate(classes) if c == "good"]
        in_ref = set(ref)
        pool: Counter[str] = Counter()
        for i in ref:
            pool.update(stems[i])
        rows = np.zeros((len(lines), len(BASE)))
        for i, ln in enumerate(lines):
            t = ln.text
            end = t[-1:]
            n_chars = len(t)
            alpha = ln.alpha
            digits = sum(1 for ch in t if ch.isdigit())
            stop = ln.stop_density()
            kind = step.get(i)
            nw = ln.n_words
            own = stems[i]
            if own:
                mine = 1 if i in in_ref else 0
                cohesion = sum(1 for st in own if pool[st] > mine) / len(own)
            else:
                cohesion = 0.0
            rows[i] = (
                math.log1p(ln.weq),
                min(nw, 200),
                math.log1p(n_chars),
                ln.cjk / max(1, alpha),
                stop,
                min(stop / median, 3.0) if uses_stop else 1.0,
                float(t.endswith(_SENTENCE_END)),
                float(t.endswith(_STATEMENT_END)),
                float(end in (":", "：")),
                float(end in ("?", "？")),
                ln.title_share,
                alpha / max(1, n_chars - t.count(" ")),
                digits / max(1, n_chars),
                ln.url_share,
                float(ln.bullet or _NUMBERED.match(t) is not None),
                (t.count(",") + t.count("，") + t.count("、")) / max(1.0, ln.weq),
                sum(t.count(c) for c in "|·•»›/"),
                float(t[:1].isupper()),
                (sum(len(w) for w in ln.words) / nw) if nw else 0.0,
                cls_code[classes[i]],
                *(float(kind == k) for k in HARD_KINDS),
                float(i in quote_of),
                float(i in keep),
                float(lo <= i <= hi),
                math.log(counts[line_key(t)]),
                cohesion,
            )
        return page_matrix(rows, (lo, hi), median, uses_stop, comment_marks([ln.text for ln in lines]))

    def _model_step(
        self,
        lines: list[Line],
        classes: list[str],
        X: np.ndarray,
        hard: dict[int, str],
        decided: dict[int, str],
        keep: dict[int, str],
        quote_of: dict[int, int],
    ) -> dict[int, float]:
        """Decide every line the rules, metadata and embed steps left open by the line model.

        A line stays when its probability reaches the model's threshold, or when it belongs to a
        prose run (consecutive lines that are neither short nor removed by a rule) of at least
        ``prose_words`` words whose mean probability reaches the lower ``prose_keep``: unsure
        long prose is kept rather than risk losing the article. Others go as ``line_model``.
        """
        m = self.model
        assert m is not None
        p = m.predict(X)
        n = len(lines)
        hard_mask = np.array([i in hard for i in range(n)], dtype=bool)
        short = np.array([c == "short" for c in classes], dtype=bool)
        weq = np.array([ln.weq for ln in lines])
        stays = m.decide(p, hard_mask, short, weq)
        probs: dict[int, float] = {}
        for i in range(n):
            if i in hard:
                continue
            probs[i] = float(p[i])
            if stays[i]:
                decided.pop(i, None)
                if i not in keep:
                    keep[i] = self._kind(lines[i], classes[i], i in quote_of)
            else:
                keep.pop(i, None)
                decided[i] = "line_model"
        return probs

    def _kind(self, ln: Line, cls: str, quote: bool) -> str:
        if quote:
            return "quote"
        if ln.bullet or _NUMBERED.match(ln.text):
            return "list_item"
        if cls != "good" and self._heading_shaped(ln):
            return "heading"
        return "paragraph"

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _heading_shaped(ln: Line) -> bool:
        """A short line without closing punctuation (or a question) that starts with a capital."""
        t = ln.text.rstrip()
        return (
            ln.n_words <= 12
            and t[:1].isupper()
            and (t.endswith("?") or not t.endswith(_SENTENCE_END + (":", ",", ";")))
        )

    def _sandwiched(self, lines: list[Line], decided: dict[int, str], keep: dict[int, str], quote_of: dict) -> None:
        """Keep runs of short lines that sit between kept article lines (only removed by position),
        unless a long line or page-level chrome (navigation, timestamps, legal lines) lies between."""
        kept = sorted(keep)
        positional = ("navigation_run", "before_article", "after_article", "repeated_line")
        for a, b in zip(kept, kept[1:], strict=False):
            if b - a < 3 or b - a > self.t.sandwich_max + 1:
                continue
            inner = range(a + 1, b)
            chrome = [i for i in inner if i in decided and decided[i] not in positional]
            if any(lines[i].n_words > 5 or not decided[i].startswith(_INLINE_CHROME) for i in chrome):
                # site navigation, other posts' timestamps, legal lines between: the page around the
                # article, not a fact box. Share buttons, ad labels and credits also sit between a
                # gallery's or a recipe's items, so they do not count.
                continue
            for i in inner:
                if decided.get(i) in positional and lines[i].n_words >= 2 and i not in quote_of:
                    del decided[i]
                    keep[i] = "list_item"

    def _near(self, i: int, lo: int, hi: int, walls: list[int]) -> bool:
        """Whether line ``i`` lies within ``island_gap`` lines of the article, no wall between.

        ``walls`` is sorted; the check is a binary search, so it costs the same on long pages.
        """
        if i < lo:
            return lo - i <= self.t.island_gap and not _wall_between(walls, i, lo)
        if i > hi:
            return i - hi <= self.t.island_gap and not _wall_between(walls, hi, i)
        return True

    def _after_intro(self, lines: list[Line], i: int, decided: dict[int, str]) -> bool:
        """Short line in a list introduced by a line ending in ':'."""
        j = i - 1
        while j >= 0 and i - j <= 12:
            if j in decided:
                return False
            t = lines[j].text.rstrip()
            if t.endswith(":"):
                return True
            if lines[j].weq > 12:
                return False
            j -= 1
        return False

    def _short_runs(self, lines: list[Line], classes: list[str], decided: dict[int, str], quote_of: dict) -> set[int]:
        """Indices in runs of >= nav_run short, non-list lines (menus, link lists, share bars)."""
        out: set[int] = set()
        run: list[int] = []

        def flush() -> None:
            if len(run) >= self.t.nav_run:
                out.update(run)
            run.clear()

        for i, ln in enumerate(lines):
            short = classes[i] == "short" and i not in quote_of
            listy = ln.bullet or _NUMBERED.match(ln.text) is not None
            if (short and not listy) or (i in decided and decided[i] not in ("repeated_title",)):
                if i not in decided:
                    run.append(i)
                elif run:
                    continue  # removed chrome inside a menu does not break the run
            else:
                flush()
        flush()
        # a list introduced by "...:" is not a menu
        return {i for i in out if not self._after_intro(lines, i, decided)}

    def _scores(self, lines: list[Line], classes: list[str], decided: dict[int, str], quote_of: dict) -> list[float]:
        t = self.t
        out = []
        for i, ln in enumerate(lines):
            if i in quote_of:
                s = 0.5
            elif i in decided:
                s = -t.removed_penalty if not decided[i].startswith(("metadata", "repeated_title")) else -0.2
            elif classes[i] == "good":
                s = 1.0 + min(ln.weq, 60.0) / 10.0
            elif classes[i] == "medium":
                s = self.t.medium_score
            else:
                s = -t.short_penalty
            out.append(s)
        return out

    @staticmethod
    def _best_span(scores: list[float], lo: int, hi: int, walls: set[int]) -> tuple[float, int, int]:
        """Max-sum contiguous span of ``scores[lo:hi]``; walls reset it."""
        best, best_lo, best_hi = 0.0, lo, lo - 1
        cur, cur_lo = 0.0, lo
        for i in range(lo, hi):
            if i in walls:
                cur, cur_lo = 0.0, i + 1
                continue
            if cur <= 0:
                cur, cur_lo = 0.0, i
            cur += scores[i]
            if cur > best:
                best, best_lo, best_hi = cur, cur_lo, i
        return best, best_lo, best_hi

    def _region(
        self,
        lines: list[Line],
        classes: list[str],
        decided: dict[int, str],
        walls: set[int],
        quote_of: dict,
        body_script: str = "latin",
    ) -> tuple[int, int, set[int], set[int], list[int]]:
        """The article: the best-scoring stretch, its continuations across inline widgets, plus
        nearby islands of prose (a lede cut off by a paywall box or a share bar) that no wall
        separates from it.

        Returns ``(lo, hi, islands, boxed, stops)``: ``boxed`` are the lines of inline widgets
        between the article and a continuation (the wall line and its teaser links); ``stops``
        the walls plus the share bars after the article, which prose after it does not cross.
        """
        scores = self._scores(lines, classes, decided, quote_of)
        wall_list = sorted(walls)
        n = len(lines)
        if self.t.wall_penalty > 0:
            # a section heading costs a lot but can be bridged by much article text on both
            # sides (an inline "Related" box inside the body); islands never cross one
            main_scores = [(-self.t.wall_penalty if i in walls else sc) for i, sc in enumerate(scores)]
            _, lo, hi = self._best_span(main_scores, 0, n, set())
        else:
            _, lo, hi = self._best_span(scores, 0, n, walls)
        islands: set[int] = set()
        boxed: set[int] = set()
        if hi < lo:
            return lo, hi, islands, boxed, wall_list
        hi = self._end_at_share_bar(lines, classes, decided, lo, hi, body_script)
        lo, hi = self._continue_across_walls(
            lines, classes, decided, scores, walls, wall_list, lo, hi, body_script, boxed
        )
        # sentences and "...:" intros directly above the best stretch belong to it
        while lo > 0 and (lo - 1) not in decided and (lo - 1) not in walls:
            t = lines[lo - 1].text.rstrip()
            greeting = t.endswith(",") and lines[lo - 1].n_words <= 4
            if lines[lo - 1].weq >= 2 and (
                t.endswith(":") or greeting or (t.endswith(_STATEMENT_END) and lines[lo - 1].n_words >= 3)
            ):
                lo -= 1
            else:
                break
        gap = self.t.island_gap
        # before the article, back to the previous wall
        start = lo
        while True:
            a = max(0, start - gap, _prev_wall(wall_list, start - 1, -1) + 1)
            score, ilo, ihi = self._best_span(scores, a, start, walls)
            if ihi < ilo or score < self.t.island_score:
                break
            islands.update(range(ilo, ihi + 1))
            start = ilo
        # after the article, up to the next wall or share bar
        stops = sorted(set(wall_list) | set(self._share_bar_runs(lines, decided, hi + 1, n)))
        end = hi + 1
        while end < n:
            b = min(n, end + gap, _next_wall(stops, end, n))
            score, ilo, ihi = self._best_span(scores, end, b, walls)
            if ihi < ilo or score < self.t.island_score:
                break
            islands.update(range(ilo, ihi + 1))
            end = ihi + 1
        return lo, hi, islands, boxed, stops

    def _continue_across_walls(
        self,
        lines: list[Line],
        classes: list[str],
        decided: dict[int, str],
        scores: list[float],
        walls: set[int],
        wall_list: list[int],
        lo: int,
        hi: int,
        body_script: str,
        boxed: set[int],
    ) -> tuple[int, int]:
        """Extend the article's end across section walls that are inline widgets.

        A wall ("Leave a comment", "Related:", "Lesen Sie auch") right after the end of the
        article ends it only when what lies beyond is chrome. When the best stretch on the far
        side starts right behind the wall and reads like more of the same article (see
        :meth:`_is_continuation`), the article goes on there; the wall and the few lines between
        (inline teaser links) are ``boxed``. Only forward: text above a wall that opens the
        page is more often a caption or a teaser than a lede.
        """
        t = self.t
        if t.wall_reach <= 0:
            return lo, hi
        n = len(lines)
        article = self._article_stems(lines, classes, decided, lo, hi)

        def undecided(a: int, b: int) -> int:
            """Lines no rule removed in ``a..b-1``, counted up to one past ``wall_reach``."""
            seen = 0
            for k in range(a, b):
                if k not in decided:
                    seen += 1
                    if seen > t.wall_reach:
                        break
            return seen

        # forward: the wall after the article's end
        while True:
            w = _next_wall(wall_list, hi + 1, n)
            if w >= n or undecided(hi + 1, w) > t.wall_reach:
                break
            end = _next_wall(wall_list, w + 1, n)
            _, a, b = self._best_span(scores, w + 1, end, walls)
            # the continuation starts at its first prose line; teaser links before it are the box
            a = next((k for k in range(a, b + 1) if k not in decided and classes[k] == "good"), b + 1)
            if b < a or undecided(w + 1, a) > t.wall_reach:
                break
            if not self._is_continuation(lines, classes, decided, a, b, body_script, article):
                break
            boxed.update(range(hi + 1, a))
            hi = b
        return lo, hi

    def _share_bar_runs(self, lines: list[Line], decided: dict[int, str], a: int, b: int) -> list[int]:
        """Starts of runs of at least ``share_bar_run`` share-button lines in ``a..b-1`` that occur
        once on the page: a bar repeated under every item (a gallery, a list of tips) is part of
        the content's layout, not the end of the story."""
        if self.t.share_bar_run <= 0:
            return []
        runs: list[tuple[int, tuple[str, ...]]] = []
        i = 0
        while i < len(lines):
            j = i
            while j < len(lines) and decided.get(j) == "share_bar":
                j += 1
            if j - i >= self.t.share_bar_run:
                runs.append((i, tuple(line_key(lines[k].text) for k in range(i, j))))
            i = max(j, i + 1)
        seen = Counter(key for _, key in runs)
        return [start for start, key in runs if a <= start < b and seen[key] == 1]

    def _end_at_share_bar(
        self, lines: list[Line], classes: list[str], decided: dict[int, str], lo: int, hi: int, body_script: str
    ) -> int:
        """End the article at a share bar inside it when what follows does not read as more of it.

        A run of ``share_bar_run`` share-button lines is where pages put the end of a story;
        teaser cards and author boxes after it are in the best stretch only because they are
        prose-shaped. The rest of the stretch stays when it holds more prose than the part
        before the bar or passes :meth:`_is_continuation` (a share bar under the lede or mid-story).
        """
        t = self.t
        if t.share_bar_run <= 0:
            return hi
        # a few bars at most: each check reads the rest of the stretch
        for i in self._share_bar_runs(lines, decided, lo, hi + 1)[:4]:
            j = i
            while decided.get(j + 1) == "share_bar":
                j += 1
            rest = [k for k in range(j + 1, hi + 1) if k not in decided]
            if not rest:
                break
            before = sum(lines[k].weq for k in range(lo, i) if k not in decided and classes[k] == "good")
            after = sum(lines[k].weq for k in rest if classes[k] == "good")
            if before < after:
                continue  # most of the prose comes after the bar: not the story's end
            article = self._article_stems(lines, classes, decided, lo, i - 1)
            if not self._is_continuation(lines, classes, decided, rest[0], rest[-1], body_script, article):
                return max(lo, i - 1)
        return hi

    @staticmethod
    def _article_stems(lines: list[Line], classes: list[str], decided: dict[int, str], lo: int, hi: int) -> set[str]:
        out: set[str] = set()
        for i in range(lo, hi + 1):
            if i not in decided and classes[i] == "good":
                out |= content_stems(lines[i].text)
        return out

    def _is_continuation(
        self,
        lines: list[Line],
        classes: list[str],
        decided: dict[int, str],
        a: int,
        b: int,
        body_script: str,
        article: set[str],
    ) -> bool:
        """Whether lines ``a..b`` read as more of the article rather than a chrome section.

        Several prose lines (``good``: long, ordinary function-word density, so the same
        language as the body), mostly uninterrupted by short lines (teaser lists alternate a
        headline with a summary; comment threads an author line with the comment), in the
        body's script, and on the article's topic: at least ``continuation_cohesion`` of their
        content words occur in the article (another story's teaser shares few of them); no
        comment-widget or timestamp line among them.
        """
        t = self.t
        if any(decided.get(i) in _THREAD_MARKS for i in range(a, b + 1)):
            return False  # reply buttons and timestamps between the lines: a comment thread
        own = [i for i in range(a, b + 1) if i not in decided]
        good = [i for i in own if classes[i] == "good"]
        if len(good) < 2 or len(good) < t.continuation_share * len(own):
            return False
        if sum(lines[i].weq for i in good) < t.continuation_words:
            return False
        if Counter(script_of(lines[i].text) for i in good).most_common(1)[0][0] != body_script:
            return False
        stems: set[str] = set()
        for i in good:
            stems |= content_stems(lines[i].text)
        return bool(stems) and len(stems & article) >= t.continuation_cohesion * len(stems)
