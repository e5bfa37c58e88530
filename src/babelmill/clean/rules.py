"""Boilerplate rules kept as data: ``pipeline/rules/*.toml`` -> compiled :class:`Rule` objects.

A rule file is a list of ``[[rule]]`` tables::

    [[rule]]
    name = "share_bar"            # unique within the file; used in error messages
    reason = "share_bar"          # the reason code recorded for a removal (defaults to name)
    lang = "en"                   # en, de, zh or any: documents which UI vocabulary it covers
    pattern = '''share (this|on facebook)'''
    match = "line"                # line: the whole (normalized) line; start: a prefix; search: anywhere
    max_words = 8                 # the rule only applies to lines of at most this many words
    action = "remove"             # remove: the line is chrome; section_end: the line opens a trailing
                                  # chrome section (comments, related posts, most read); final: the
                                  # line is chrome, removed after the structure step and the line
                                  # model have decided (it never informs their features, so a new
                                  # final rule needs no retrained model)
    case_sensitive = false

Patterns are matched against the line with bullet glyphs and surrounding whitespace stripped.
They are written in Python ``re`` syntax and run on RE2 (:mod:`babelmill.safe_re`), whose cost
is linear in the line for every pattern; the few constructs RE2 lacks (backreferences,
lookaround) are refused when the file is loaded.
Any mistake (bad regex, unknown key, missing pattern) raises :class:`RuleError` naming the file
and the rule, so a broken rule file fails when the configuration is loaded, not mid-run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babelmill.safe_re import LinearPattern, LinearPatternError, PatternSet, compile_linear

ACTIONS = ("remove", "section_end", "final")
MATCH_MODES = ("line", "start", "search")
LANGS = ("any", "en", "de", "zh")
_RULE_KEYS = {"name", "reason", "lang", "pattern", "match", "max_words", "action", "case_sensitive", "note"}
_REASON_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# leading list/bullet glyphs and trailing decoration that do not change what a line is
_LEAD = re.compile(r"^[\s•·▪▫◦‣∙*>»›\-–—|]+")
# str.rstrip, not a regex: "[...]+$" searched in a long run of these characters is quadratic
_TRAIL_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + ":|»›>→…·•"


class RuleError(ValueError):
    """A rule file problem; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    name: str
    reason: str
    lang: str
    pattern: LinearPattern  # RE2 (babelmill.safe_re): the match/search/fullmatch of re.Pattern
    match: str
    max_words: int
    action: str
    source: str

    def hits(self, norm: str, n_words: int) -> bool:
        if n_words > self.max_words:
            return False
        if self.match == "line":
            return self.pattern.fullmatch(norm) is not None
        if self.match == "start":
            return self.pattern.match(norm) is not None
        return self.pattern.search(norm) is not None


def normalize_for_rules(text: str) -> str:
    """Strip bullets, trailing decoration and repeated spaces.

    >>> normalize_for_rules("  •  Share this story:  ")
    'Share this story'
    """
    text = _LEAD.sub("", text)
    text = text.rstrip(_TRAIL_CHARS)
    return " ".join(text.split())


_ANCHORS = {"line": "fullmatch", "start": "match", "search": "search"}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    # per group (final or not) and match mode: the rules' indices and one RE2 set of their patterns
    _sets: list[tuple[bool, list[int], PatternSet]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sets = []
        for final in (False, True):
            for mode, anchor in _ANCHORS.items():
                idx = [i for i, r in enumerate(self.rules) if r.match == mode and (r.action == "final") == final]
                if idx:
                    sets.append((final, idx, PatternSet([self.rules[i].pattern for i in idx], anchor)))
        object.__setattr__(self, "_sets", sets)

    def first_hit(self, text: str, n_words: int, final: bool = False) -> Rule | None:
        """The first rule (in file order) that matches ``text``, or None: among the ``final``
        rules when ``final`` is true, otherwise among the others."""
        norm = normalize_for_rules(text)
        if not norm:
            return None
        best: int | None = None
        for group, idx, pattern_set in self._sets:
            if group != final:
                continue
            for k in pattern_set.matches(norm):
                i = idx[k]
                if n_words <= self.rules[i].max_words:
                    best = i if best is None else min(best, i)
                    break
        return None if best is None else self.rules[best]

    def __len__(self) -> int:
        return len(self.rules)


def _parse_rule(entry: object, index: int, path: Path) -> Rule:
    where = f"{path}: rule #{index + 1}"
    if not isinstance(entry, dict):
        raise RuleError(f"{where}: each [[rule]] must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{where}: missing 'name'")
    where = f"{path}: rule {name!r}"
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}; expected {sorted(_RULE_KEYS)}")
    reason = entry.get("reason", name)
    if not isinstance(reason, str) or not _REASON_RE.match(reason):
        raise RuleError(f"{where}: reason must be a snake_case code, got {reason!r}")
    lang = entry.get("lang", "any")
    if lang not in LANGS:
        raise RuleError(f"{where}: lang must be one of {LANGS}, got {lang!r}")
    match = entry.get("match", "line")
    if match not in MATCH_MODES:
        raise RuleError(f"{where}: match must be one of {MATCH_MODES}, got {match!r}")
    action = entry.get("action", "remove")
    if action not in ACTIONS:
        raise RuleError(f"{where}: action must be one of {ACTIONS}, got {action!r}")
    max_words = entry.get("max_words", 12)
    if not isinstance(max_words, int) or isinstance(max_words, bool) or max_words < 1:
        raise RuleError(f"{where}: max_words must be a positive integer, got {max_words!r}")
    pattern = entry.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise RuleError(f"{where}: missing 'pattern'")
    flags = 0 if entry.get("case_sensitive", False) else re.IGNORECASE
    try:
        compiled = compile_linear(pattern, flags)
    except LinearPatternError as exc:
        raise RuleError(f"{where}: bad regular expression {pattern!r}: {exc}") from None
    return Rule(name, reason, lang, compiled, match, max_words, action, str(path))


@lru_cache(maxsize=32)
def _load_file(path: Path, mtime: float) -> tuple[Rule, ...]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"rule"}
    if unknown:
        raise RuleError(f"{path}: unknown top-level key(s) {sorted(unknown)}; expected [[rule]] tables")
    entries = raw.get("rule", [])
    if not isinstance(entries, list):
        raise RuleError(f"{path}: 'rule' must be an array of tables ([[rule]])")
    rules = tuple(_parse_rule(e, i, path) for i, e in enumerate(entries))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RuleError(f"{path}: rule {rule.name!r} is defined twice")
        seen.add(rule.name)
    return rules


def load_rules(paths: list[Path] | tuple[Path, ...]) -> RuleSet:
    """Load and compile rule files in order (cached per file and modification time)."""
    rules: list[Rule] = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise RuleError(f"{path}: rule file not found")
        rules.extend(_load_file(path.resolve(), path.stat().st_mtime))
    return RuleSet(tuple(rules))
