"""Linear-time matching for patterns that come from data (rule files): Python syntax, RE2 engine.

Python's ``re`` backtracks: ``(a+)+$`` on thirty a's and a "!" runs for minutes, and even a
plain ``\\{\\{.*\\}\\}`` searched in a 200 KB line of braces is quadratic. Rule files are
data that users edit, so their patterns run on RE2 (``google-re2``), whose cost is linear in
the text for every pattern. :func:`compile_linear` takes a pattern written for Python's
``re`` (the syntax the rule files document), parses it with Python's own parser and writes
the same expression in RE2 syntax, so that classes mean what they mean in Python:

- ``\\w`` is a Unicode letter, number or ``_`` (``str.isalnum()``), ``\\d`` a Unicode decimal
  digit, ``\\s`` the characters ``str.isspace()`` accepts (RE2's own classes are ASCII);
- case-insensitive matching folds Unicode case, as Python does.

Constructs RE2 cannot run in linear time are refused with :class:`LinearPatternError`, which
the rule loaders turn into a configuration error naming the file and rule: backreferences,
lookahead and lookbehind, conditional groups, atomic groups, possessive repeats, a negated
class holding a negated class escape (``[^\\W\\d]``), and counted repeats above 1000.

One difference remains: ``\\b`` and ``\\B`` are word boundaries between ASCII word
characters and anything else (RE2 has no Unicode word boundary), so ``\\bdpa\\b`` also
matches inside "südpa" where Python would not. Write ``(?:^|\\W)`` instead where it matters.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

import re2

MAX_REPEAT_COUNT = 1000  # RE2's limit on {m,n}


class LinearPatternError(ValueError):
    """The pattern uses a construct the linear-time engine does not have."""


def _space_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for cp in range(0x3001):  # no whitespace above U+3000
        if chr(cp).isspace():
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


_SPACE = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in _space_ranges())
# class bodies (without brackets) of Python's Unicode categories
_POSITIVE = {
    _c.CATEGORY_DIGIT: r"\p{Nd}",
    _c.CATEGORY_WORD: r"\p{L}\p{N}_",
    _c.CATEGORY_SPACE: _SPACE,
}
_NEGATIVE = {
    _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
    _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
    _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
}
_ASCII = {
    _c.CATEGORY_DIGIT: "0-9",
    _c.CATEGORY_WORD: "0-9A-Za-z_",
    _c.CATEGORY_SPACE: r"\t\n\x{b}\f\r ",
}


def _lit(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\x{{{cp:x}}}"


class _Writer:
    def __init__(self, pattern: str):
        self.pattern = pattern

    def refuse(self, what: str) -> None:
        raise LinearPatternError(f"{what} is not supported by the linear-time engine (RE2)")

    def category(self, cat: Any, ascii_: bool) -> str:
        table = _ASCII if ascii_ else _POSITIVE
        return table[cat]

    def klass(self, items: list[tuple[Any, Any]], ascii_: bool) -> str:
        negate = False
        positive: list[str] = []
        negated_cats: list[str] = []
        for op, av in items:
            if op is _c.NEGATE:
                negate = True
            elif op is _c.LITERAL:
                positive.append(_lit(av))
            elif op is _c.RANGE:
                positive.append(f"{_lit(av[0])}-{_lit(av[1])}")
            elif op is _c.CATEGORY:
                if av in _NEGATIVE:
                    negated_cats.append(self.category(_NEGATIVE[av], ascii_))
                else:
                    positive.append(self.category(av, ascii_))
            else:  # pragma: no cover - the parser emits nothing else inside []
                self.refuse(f"class item {op}")
        if negate:
            if negated_cats:
                self.refuse("a negated class holding \\W, \\D or \\S")
            return "[^" + "".join(positive) + "]"
        parts = (["[" + "".join(positive) + "]"] if positive else []) + ["[^" + n + "]" for n in negated_cats]
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    def seq(self, items: Any, ascii_: bool) -> str:
        return "".join(self.node(op, av, ascii_) for op, av in items)

    def node(self, op: Any, av: Any, ascii_: bool) -> str:
        if op is _c.LITERAL:
            return _lit(av)
        if op is _c.NOT_LITERAL:
            return "[^" + _lit(av) + "]"
        if op is _c.ANY:
            return "."
        if op is _c.IN:
            return self.klass(av, ascii_)
        if op is _c.BRANCH:
            return "(?:" + "|".join(self.seq(b, ascii_) for b in av[1]) + ")"
        if op is _c.SUBPATTERN:
            _group, add, delete, sub = av
            flags = _flag_letters(add)
            off = _flag_letters(delete)
            local_ascii = (ascii_ or bool(add & re.ASCII)) and not (delete & re.ASCII)
            head = "(?" + flags + ("-" + off if off else "") + ":" if (flags or off) else "(?:"
            return head + self.seq(sub, local_ascii) + ")"
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, sub = av
            if lo > MAX_REPEAT_COUNT or (hi != _c.MAXREPEAT and hi > MAX_REPEAT_COUNT):
                self.refuse(f"a counted repeat above {MAX_REPEAT_COUNT}")
            body = "(?:" + self.seq(sub, ascii_) + ")"
            if hi == _c.MAXREPEAT:
                quant = "*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}"
            elif lo == 0 and hi == 1:
                quant = "?"
            else:
                quant = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
            return body + quant + ("?" if op is _c.MIN_REPEAT else "")
        if op is _c.AT:
            return {
                _c.AT_BEGINNING: "^",
                _c.AT_BEGINNING_STRING: r"\A",
                _c.AT_END: "$",
                _c.AT_END_STRING: r"\z",
                _c.AT_BOUNDARY: r"\b",
                _c.AT_NON_BOUNDARY: r"\B",
            }[av]
        names = {
            "GROUPREF": "a backreference",
            "GROUPREF_EXISTS": "a conditional group",
            "ASSERT": "a lookahead or lookbehind",
            "ASSERT_NOT": "a negative lookahead or lookbehind",
            "ATOMIC_GROUP": "an atomic group",
            "POSSESSIVE_REPEAT": "a possessive repeat",
        }
        self.refuse(names.get(str(op), f"the construct {op}"))
        return ""  # pragma: no cover


def _flag_letters(flags: int) -> str:
    return "".join(ch for flag, ch in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s")) if flags & flag)


def to_re2_syntax(pattern: str, flags: int = 0) -> str:
    """The RE2 spelling of a Python ``re`` pattern with the same meaning.

    >>> to_re2_syntax(r"\\d+ min")
    '(?:[\\\\p{Nd}])+\\\\x{20}min'
    """
    try:
        parsed = _p.parse(pattern, flags)
    except re.error as exc:
        raise LinearPatternError(str(exc)) from None
    all_flags = parsed.state.flags
    body = _Writer(pattern).seq(parsed, bool(all_flags & re.ASCII))
    letters = _flag_letters(all_flags)
    return (f"(?{letters})" if letters else "") + body


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors become LinearPatternError, not lines on stderr
_OPTIONS.max_mem = 64 << 20  # room for the larger rule alternations


_SURROGATE = re.compile("[\ud800-\udfff]")


class LinearPattern:
    """An RE2 pattern with ``search``/``match``/``fullmatch`` taking any ``str``.

    RE2 reads UTF-8, which a lone surrogate (left by a broken JSON escape) does not have: such
    characters are matched as U+FFFD, one for one, so match positions stay those of the text.
    """

    __slots__ = ("_re2", "pattern", "syntax")

    def __init__(self, compiled: Any, pattern: str, syntax: str):
        self._re2 = compiled
        self.pattern = pattern
        self.syntax = syntax  # the RE2 spelling (see to_re2_syntax)

    def _call(self, method: str, text: str) -> Any:
        try:
            return getattr(self._re2, method)(text)
        except UnicodeEncodeError:
            return getattr(self._re2, method)(without_surrogates(text))

    def search(self, text: str) -> Any:
        return self._call("search", text)

    def match(self, text: str) -> Any:
        return self._call("match", text)

    def fullmatch(self, text: str) -> Any:
        return self._call("fullmatch", text)

    def __repr__(self) -> str:
        return f"compile_linear({self.pattern!r})"


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD (RE2 reads UTF-8, which has no form for them)."""
    return _SURROGATE.sub("\ufffd", text)


class PatternSet:
    """Which of many patterns match a text, in one pass of RE2's automaton over it.

    ``anchor`` is ``search``, ``match`` or ``fullmatch``. Matching a line against each of 40
    rule patterns in turn pays the call overhead 40 times; a set pays it once. A set's
    automaton can run out of memory on long texts, where RE2 then reports no match at all, so
    texts longer than ``max_chars`` are matched pattern by pattern (still linear).
    """

    def __init__(self, patterns: list[LinearPattern], anchor: str, max_chars: int = 2000):
        kind = {"search": re2.Set.SearchSet, "match": re2.Set.MatchSet, "fullmatch": re2.Set.FullMatchSet}[anchor]
        self._patterns = patterns
        self._anchor = anchor
        self._max_chars = max_chars
        self._set = kind(_OPTIONS) if patterns else None
        for p in patterns:
            self._set.Add(p.syntax)
        if self._set is not None:
            self._set.Compile()

    def matches(self, text: str) -> list[int]:
        """Indices (into ``patterns``) of the patterns that match ``text``, ascending."""
        if self._set is None:
            return []
        if len(text) > self._max_chars:
            return [i for i, p in enumerate(self._patterns) if getattr(p, self._anchor)(text) is not None]
        try:
            found = self._set.Match(text)
        except UnicodeEncodeError:
            found = self._set.Match(without_surrogates(text))
        return sorted(found) if found else []


def compile_linear(pattern: str, flags: int = 0) -> LinearPattern:
    """Compile a Python-syntax pattern for RE2; same ``search``/``match``/``fullmatch`` API.

    >>> compile_linear("(a+)+$").search("a" * 30 + "!") is None
    True
    >>> try:
    ...     compile_linear(r"(?<=x)y")
    ... except LinearPatternError as exc:
    ...     print(exc)
    a lookahead or lookbehind is not supported by the linear-time engine (RE2)
    """
    if not isinstance(pattern, str):
        raise LinearPatternError(f"a pattern must be a string, got {type(pattern).__name__}")
    syntax = to_re2_syntax(pattern, flags)
    try:
        return LinearPattern(re2.compile(syntax, _OPTIONS), pattern, syntax)
    except re2.error as exc:
        msg = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise LinearPatternError(f"RE2 cannot compile it: {msg}") from None
