"""Explicit machine-translation markers, kept as data in ``pipeline/rules/mt_markers.toml``.

Each group (``disclaimer``, ``zh_source``, ``platform``, ``byline``, ``german_source``) is a
list of regular expressions with one weight. :meth:`MarkerRules.scan` reports the groups that
match any line, with the first matching line as evidence. Lines longer than
``max_line_chars`` are skipped for the byline-like groups, where a match inside running prose
means something else (an article *about* Weibo is not *from* Weibo); other groups (the
disclaimers) allow three times that, as a disclaimer is a note, not a paragraph; inline stock
tags (``ticker_tag``) count anywhere. Patterns use Python ``re`` syntax and run on RE2 (linear
time in the line; see :mod:`babelmill.safe_re`).

Markers need context. A disclaimer counts only where the line reads as a statement about this
text (:func:`reads_as_statement`): "This article was machine-translated", "Machine translated by
Google", a source line "Translated from Chinese by ...". A navigation or tag label that happens to
name the subject ("Machine Translation" as a category link, "Tags: AI, Machine translation") or a
sentence about machine translation in general ("Machine translation has improved ...") is not.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from babelmill.safe_re import LinearPattern, LinearPatternError, compile_linear

# Groups whose patterns only count on short, byline-like lines.
SHORT_LINE_GROUPS = frozenset({"zh_source", "byline", "platform"})
# Groups whose patterns are specific enough to count anywhere, even inside a paragraph.
ANY_LINE_GROUPS = frozenset({"ticker_tag"})
# Groups that claim something about this very text: they must read as a statement, not a label.
STATEMENT_GROUPS = frozenset({"disclaimer", "zh_translation", "german_source"})

# "Category: ...", "Tags: ...", "Filed under ...": what follows is a list of labels
_LABEL_PREFIX = re.compile(
    r"^\W*(categor(y|ies)|tags?|tagged|topics?|sections?|filed under|more (in|on|about)|related|see also|"
    r"read more|keywords?|labels?|subjects?|menu|home)\b\s*[:：>»›|/-]?",
    re.IGNORECASE,
)
# separators of breadcrumbs and menus
_NAV_SEPARATORS = re.compile(r"[|›»•·]|\s[>/]\s")
# the text itself is meant: a self-reference, or who/what made the translation
_ABOUT_THIS_TEXT = re.compile(
    r"\b(this|the (above|following|original)|the (article|content|text|post|page|story|news|report|translation)|"
    r"below|above|for reference|translated (automatically|by|from|using|with|into)|"
    r"translation (is|was|has been)? ?(provided|powered|generated|done|produced) by|"
    r"(machine|automatically|auto|ai)[- ]translated)\b",
    re.IGNORECASE,
)


def reads_as_label(line: str) -> bool:
    """A "Category: ...", "Tags: ...", "Filed under ..." line: a list of labels, not prose."""
    return bool(_LABEL_PREFIX.match(line))


def reads_as_statement(line: str, start: int, end: int) -> bool:
    """Does the marker matched at ``line[start:end]`` state something about this text?

    No for a label: a line after "Category:"/"Tags:" or a breadcrumb/menu segment, and for a bare
    noun phrase of a few words ("Machine Translation", "AI translation news"). No for a sentence
    that is about machine translation in general. Yes where the segment with the match refers to
    the text itself or names who translated it ("This article was machine-translated", "Machine
    translated by Google", "Translated from Chinese").

    >>> reads_as_statement("Machine Translation", 0, 19)
    False
    >>> reads_as_statement("This article was machine translated.", 17, 35)
    True
    """
    if reads_as_label(line):
        return False
    # the menu/breadcrumb segment that holds the match
    lo = hi = None
    for m in _NAV_SEPARATORS.finditer(line):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end and hi is None:
            hi = m.start()
    segment = line[lo or 0 : hi if hi is not None else len(line)].strip()
    return bool(_ABOUT_THIS_TEXT.search(segment))


STRUCTURAL_WEIGHTS = ("zh_pair", "original_title_zh")


@dataclass(slots=True)
class MarkerHit:
    group: str
    weight: float
    text: str  # the matching line, shortened


@dataclass
class MarkerRules:
    groups: dict[str, list[LinearPattern]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    max_line_chars: int = 100

    @classmethod
    def load(cls, path: str | Path) -> MarkerRules:
        """Read and compile a markers file; raises ``ValueError`` naming the bad entry."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{path}: markers file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a valid TOML markers file: {exc}") from None
        weights = {str(k): float(v) for k, v in raw.get("weights", {}).items()}
        groups: dict[str, list[LinearPattern]] = {}
        for name, table in raw.items():
            if name in ("weights", "max_line_chars"):
                continue
            if not isinstance(table, dict) or not isinstance(table.get("patterns"), list):
                raise ValueError(f"{path}: [{name}] must be a table with a 'patterns' list")
            if name not in weights:
                raise ValueError(f"{path}: group [{name}] has no weight in [weights]")
            compiled = []
            for pat in table["patterns"]:
                try:
                    compiled.append(compile_linear(pat, re.IGNORECASE | re.MULTILINE))
                except (LinearPatternError, TypeError) as exc:
                    raise ValueError(f"{path}: [{name}] bad pattern {pat!r}: {exc}") from None
            groups[name] = compiled
        for key in STRUCTURAL_WEIGHTS:
            weights.setdefault(key, 0.0)
        return cls(groups, weights, int(raw.get("max_line_chars", 100)))

    def scan(self, lines: list[str]) -> list[MarkerHit]:
        """One hit per matching group, in group order, with the first line that matched."""
        hits = []
        for name in sorted(self.groups):
            for line in lines:
                text = line.strip()
                limit = self.max_line_chars if name in SHORT_LINE_GROUPS else 3 * self.max_line_chars
                if not text or (len(text) > limit and name not in ANY_LINE_GROUPS):
                    continue
                m = next((m for p in self.groups[name] if (m := p.search(text))), None)
                if m is not None and name in STATEMENT_GROUPS and not reads_as_statement(text, m.start(), m.end()):
                    continue
                if m is not None:
                    hits.append(MarkerHit(name, self.weights[name], _excerpt(text, m.start(), m.end())))
                    break
        return hits


def _excerpt(text: str, start: int, end: int, limit: int = 70) -> str:
    """The line if short, else the match with a little context, marked with ellipses."""
    if len(text) <= limit:
        return text
    lo = max(0, start - 15)
    hi = min(len(text), max(end + 15, lo + 30), lo + limit)
    return ("..." if lo > 0 else "") + text[lo:hi] + ("..." if hi < len(text) else "")
