"""Where the article is on a page: the best-scoring stretch of lines, extended.

Good lines count for the article, short and removed lines against; a rule with
``action = "section_end"`` is a wall. The best stretch is cut at a share bar when what follows
does not read as more of it, continued across a wall right after it when what follows does (an
inline "Leave a comment" button or "Related" box; the box is reported so the cleaner removes it
as ``inline_box``), and grows by sentences or "...:" intros directly above it and by islands of
prose close to it that no wall separates from it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter

from babelmill.clean.lines import Line, script_of
from babelmill.clean.structure import STATEMENT_END, Thresholds

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


class RegionFinder:
    """Finds the article's line range with the thresholds of one cleaner."""

    def __init__(self, thresholds: Thresholds):
        self.t = thresholds

    def find(
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
                t.endswith(":") or greeting or (t.endswith(STATEMENT_END) and lines[lo - 1].n_words >= 3)
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

    def near(self, i: int, lo: int, hi: int, walls: list[int]) -> bool:
        """Whether line ``i`` lies within ``island_gap`` lines of the article, no wall between.

        ``walls`` is sorted; the check is a binary search, so it costs the same on long pages.
        """
        if i < lo:
            return lo - i <= self.t.island_gap and not _wall_between(walls, i, lo)
        if i > hi:
            return i - hi <= self.t.island_gap and not _wall_between(walls, hi, i)
        return True

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
                runs.append((i, tuple(lines[k].key for k in range(i, j))))
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
                out |= lines[i].stems
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
            stems |= lines[i].stems
        return bool(stems) and len(stems & article) >= t.continuation_cohesion * len(stems)
