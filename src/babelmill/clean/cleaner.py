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
   document's median, closing punctuation, URL share and capitalisation
   (:mod:`babelmill.clean.structure`). The article (:mod:`babelmill.clean.region`) is the
   contiguous stretch with the highest score (good lines count for it, short and removed
   lines against; a rule with ``action = "section_end"`` is a wall), plus its continuation
   across a wall right after it when what follows reads as more of the same article (an
   inline "Leave a comment" button or "Related" box; the box goes as ``inline_box``),
   sentences or "...:" intros directly above it, islands of prose close to it, and runs of
   short lines sandwiched between kept lines (fact boxes, ingredient lists). Outside it
   everything goes (``before_article`` / ``after_article``, or ``navigation_run`` for runs of
   short lines); inside it, short lines stay as headings or list items; with a line model
   (:mod:`babelmill.clean.model_step`) the lines no rule decided are kept or removed by it;
6. repeated paragraphs inside the document are collapsed (``repeated_paragraph``).

When nothing qualifies, sentence-like lines that only position removed are kept
(``CleanResult.fallback``); the stage quarantines documents that end up with no blocks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from babelmill.clean.dates import parse_date
from babelmill.clean.embeds import find_embeds
from babelmill.clean.line_model import LineModel
from babelmill.clean.lines import Line, doc_language, make_line, script_of, strip_bullet
from babelmill.clean.metadata import extract_metadata, is_byline
from babelmill.clean.model_step import apply_line_model, line_features
from babelmill.clean.region import RegionFinder
from babelmill.clean.repeats import repeated_paragraphs
from babelmill.clean.rules import RuleSet
from babelmill.clean.structure import NUMBERED, SENTENCE_END, Thresholds, classify_lines, heading_shaped
from babelmill.document import Block

__all__ = ["CleanResult", "Cleaner", "Thresholds", "split_lines"]

_TICKER = re.compile(r"\$[^$\n]{1,40}?\([A-Z0-9.]{1,12}\)\$")
# removal reasons of chrome that also sits inside an article (between gallery items, recipe steps)
_INLINE_CHROME = ("share_bar", "ad_label", "image_credit", "ui_placeholder", "embed_", "reading_time", "repeated_")


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
    #: the page's non-blank lines as the cleaner read them (:func:`split_lines`); the title and
    #: coverage steps reuse them instead of reading the page again
    lines: list[Line] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)

    def reasons(self) -> Counter[str]:
        return Counter(r["rule"] for r in self.removed)


def split_lines(text: str) -> list[Line]:
    return [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]


def _last_colon_before(lines: list[Line]) -> list[int]:
    r"""Per line, the index of the nearest line above it whose text ends in ':' (-1000: none).

    >>> _last_colon_before(split_lines("Ingredients:\nflour\nsugar"))
    [-1000, 0, 0]
    """
    out = []
    last = -1000
    for i, ln in enumerate(lines):
        out.append(last)
        if ln.text.rstrip().endswith(":"):
            last = i
    return out


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

    def clean(self, text: str, site_repeats: set[str] | None = None) -> CleanResult:
        lines = split_lines(text)
        res = CleanResult(lines=lines)
        if not lines:
            return res
        lang = doc_language(lines)
        classes = classify_lines(lines, lang, self.t)
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
                i for i, ln in enumerate(lines) if i not in decided and i not in quote_of and ln.key in site_repeats
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
        region = RegionFinder(self.t)
        lo, hi, islands, boxed, walls = region.find(lines, classes, decided, section_end, quote_of, body_script)
        for i in boxed:
            decided.setdefault(i, "inline_box")
        keep: dict[int, str] = {}  # index -> block kind
        colon_before = _last_colon_before(lines)
        runs = self._short_runs(lines, classes, decided, quote_of, colon_before)
        counts = Counter(ln.key for ln in lines)
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
                self.t.near_prose and classes[i] == "good" and region.near(i, lo, hi, walls)
            ):
                keep[i] = "list_item" if (ln.bullet or NUMBERED.match(ln.text)) else "paragraph"
                continue
            if not (lo <= i <= hi):
                if i in runs:
                    decided[i] = "navigation_run"
                else:
                    decided[i] = "before_article" if i < lo else "after_article"
                continue
            c = classes[i]
            if c in ("good", "medium"):
                if ln.bullet or NUMBERED.match(ln.text):
                    keep[i] = "list_item"
                elif c == "medium" and heading_shaped(ln):
                    keep[i] = "heading"
                else:
                    keep[i] = "paragraph"
                continue
            # short line inside the article
            if i in runs and not self.t.keep_inner_runs:
                decided[i] = "navigation_run"
            elif counts[ln.key] > 1:
                decided[i] = "repeated_line"
            elif ln.text.rstrip().endswith(":"):
                keep[i] = "paragraph"
            elif ln.bullet or NUMBERED.match(ln.text) or self._after_intro(lines, i, decided, colon_before):
                keep[i] = "list_item"
            elif ln.alpha_share < 0.5 and ln.weq < 2 and not any(ch for ch in ln.text if ord(ch) > 0x2000):
                decided[i] = "symbol_line"
            elif heading_shaped(ln):
                keep[i] = "heading"
            else:
                keep[i] = "paragraph"

        # lists between two stretches of article text are part of it (fact boxes, ingredients)
        if self.t.sandwich_lists and keep:
            self._sandwiched(lines, decided, keep, quote_of)

        probs: dict[int, float] = {}
        if self.model is not None or self.keep_features:
            X = line_features(lines, classes, step, quote_of, keep, lo, hi)
            if self.keep_features:
                res.features = X
            if self.model is not None:
                probs = apply_line_model(self.model, lines, classes, X, hard, decided, keep, quote_of)

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

        # 7. final rules: chrome that no earlier step or feature sees (action = "final")
        for i in sorted(keep):
            if keep[i] == "quote":
                continue
            rule = self.rules.first_hit(lines[i].text, lines[i].n_words, final=True)
            if rule is not None:
                del keep[i]
                decided[i] = rule.reason

        if not keep:
            res.fallback = True
            for i in range(len(lines)):
                sentence = lines[i].n_words >= 3 and lines[i].text.rstrip().endswith(SENTENCE_END)
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

    # -- helpers ---------------------------------------------------------------------------
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

    def _after_intro(self, lines: list[Line], i: int, decided: dict[int, str], colon_before: list[int]) -> bool:
        """Short line in a list introduced by a line ending in ':' (``colon_before``: see
        :func:`_last_colon_before`; with none within reach the answer is no, without a look)."""
        if i - colon_before[i] > 12:
            return False
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

    def _short_runs(
        self, lines: list[Line], classes: list[str], decided: dict[int, str], quote_of: dict, colon_before: list[int]
    ) -> set[int]:
        """Indices in runs of >= nav_run short, non-list lines (menus, link lists, share bars)."""
        out: set[int] = set()
        run: list[int] = []

        def flush() -> None:
            if len(run) >= self.t.nav_run:
                out.update(run)
            run.clear()

        for i, ln in enumerate(lines):
            short = classes[i] == "short" and i not in quote_of
            listy = ln.bullet or NUMBERED.match(ln.text) is not None
            if (short and not listy) or (i in decided and decided[i] not in ("repeated_title",)):
                if i not in decided:
                    run.append(i)
                elif run:
                    continue  # removed chrome inside a menu does not break the run
            else:
                flush()
        flush()
        # a list introduced by "...:" is not a menu
        return {i for i in out if not self._after_intro(lines, i, decided, colon_before)}
