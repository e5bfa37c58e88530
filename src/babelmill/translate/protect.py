r"""Keep spans that must not be translated out of the translator's reach.

URLs, e-mail addresses, ``@handles``, ``$tickers``, ``#hashtags``, numbers with units or
currency, inline ``code`` and emoji are replaced by placeholders ``ZQX0``, ``ZQX1``, ... before
translation and put back verbatim afterwards. The placeholder is a nonce word made of plain
ASCII letters and digits, which NMT models tend to copy like a name. When the model drops a
placeholder its span is appended to the sentence and the sentence is flagged.

>>> masked = protect("Mehr unter https://example.com/a, Kurs $AAPL +3,5 % 🚀")
>>> masked.text
'Mehr unter ZQX0, Kurs ZQX1 +ZQX2 ZQX3'
>>> restore("More at ZQX0, price ZQX1 +ZQX2 ZQX3", masked.spans)
('More at https://example.com/a, price $AAPL +3,5 % 🚀', [])
>>> restore("More at, price ZQX1 +ZQX2 ZQX3", masked.spans)
('More at, price $AAPL +3,5 % 🚀 https://example.com/a', ['placeholder_dropped'])
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

PLACEHOLDER = "ZQX{}"
# tolerant: the model may insert a space or change case inside the placeholder
_PLACEHOLDER_RE = re.compile(r"[Zz] ?[Qq] ?[Xx] ?(\d{1,9})")

# Only units written the same in English: a protected span is never translated, so a German word
# such as "Prozent" or "Mio." inside one would reach the English text as it is ("5 Prozent").
_UNITS = (
    r"%|‰|°C|°F|°|km/h|km²|m²|m³|qm|km|kg|mg|µg|g|cm|mm|µm|nm|m|ml|l|kWh|MWh|GWh|TWh|kW|MW|GW|W|kV|V|mAh|Ah|"
    r"GHz|MHz|Hz|TB|GB|MB|KB|kB|PB|Gbit/s|Mbit/s|Gbit|Mbit|bit|ms|min|h|s|t|ha|"
    r"€|\$|£|¥|EUR|USD|CHF|GBP|JPY|CNY|RMB|Euro|Dollar|px|pt|dB|PS"
)
# at most six thousands groups: a bounded repetition keeps a long run of "000 000 ..." linear
_NUMBER = r"\d+(?:[.,:\u202f\u00a0 ]\d{3}){0,6}(?:[.,]\d+)?"

PATTERNS: list[tuple[str, str]] = [
    ("placeholder_literal", _PLACEHOLDER_RE.pattern),  # a literal "ZQX1" in the input must survive too
    ("code", r"`[^`\n]+`"),
    ("url", r"(?:https?://|ftp://|www\.)[^\s<>\"'“”„«»]+[^\s<>\"'“”„«».,;:!?)\]}]"),
    # only from the start of a run of address characters: one scan per run, not one per character
    ("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
    ("handle", r"(?<![\w@/])@\w{1,30}"),
    ("ticker", r"(?<![\w$])\$[A-Z]{1,6}(?:\.[A-Z]{1,2})?(?![\w])"),
    ("hashtag", r"(?<![\w#&/])#\w*[^\W\d_]\w*"),
    ("amount", rf"(?<![\w.,])[$€£¥]\s?{_NUMBER}(?:\s?(?:bn|m|k)\b)?"),
    ("quantity", rf"(?<![\w.,]){_NUMBER}\s?(?:{_UNITS})(?![\w])"),
    (
        "emoji",
        r"(?:[\U0001F1E6-\U0001F1FF]{2}|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
        r"[\uFE0F\U0001F3FB-\U0001F3FF]*(?:\u200D[\U0001F300-\U0001FAFF\u2600-\u27BF][\uFE0F\U0001F3FB-\U0001F3FF]*)*)",
    ),
]
_EMOJI_START = re.compile(r"[\U0001F1E6-\U0001F1FF\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]")
_DIGIT = re.compile(r"\d")

#: per pattern, a cheap test that the text could hold a match at all (a necessary condition).
#: Leaving out the patterns that cannot match changes no result, and most sentences need only
#: a few: the combined pattern is tried at every position, so each alternative left out saves a
#: scan (about 3x faster on news sentences, which matters when a GPU decodes them)
_POSSIBLE = {
    "placeholder_literal": lambda t: ("q" in t or "Q" in t) and _DIGIT.search(t) is not None,
    "code": lambda t: "`" in t,
    "url": lambda t: "://" in t or "www." in t,
    "email": lambda t: "@" in t,
    "handle": lambda t: "@" in t,
    "ticker": lambda t: "$" in t,
    "hashtag": lambda t: "#" in t,
    "amount": lambda t: any(c in t for c in "$€£¥"),
    "quantity": lambda t: _DIGIT.search(t) is not None,
    "emoji": lambda t: _EMOJI_START.search(t) is not None,
}


@functools.lru_cache(maxsize=256)
def _combined(kinds: tuple[str, ...]) -> re.Pattern[str]:
    """The alternation of the named patterns, in :data:`PATTERNS` order (first wins on ties)."""
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in PATTERNS if name in kinds))


@dataclass(frozen=True)
class Masked:
    """``text`` with placeholders; ``spans[i]`` is what ``ZQX{i}`` stands for; ``kinds[i]`` its kind."""

    text: str
    spans: tuple[str, ...]
    kinds: tuple[str, ...]


def protect(text: str) -> Masked:
    """Replace protected spans by numbered placeholders (leftmost match wins, first pattern
    on ties). A digit run right after a span joins it, so ``ZQX1`` + ``5`` cannot read as ``ZQX15``."""
    possible = tuple(name for name, _ in PATTERNS if _POSSIBLE[name](text))
    if not possible:
        return Masked(text, (), ())
    combined = _combined(possible)
    spans: list[str] = []
    kinds: list[str] = []
    out: list[str] = []
    pos = 0
    while m := combined.search(text, pos):  # from the end of the last span (digits included)
        start, end = m.span()
        while end < len(text) and text[end].isdigit():
            end += 1
        out.append(text[pos:start])
        out.append(PLACEHOLDER.format(len(spans)))
        spans.append(text[start:end])
        kinds.append(m.lastgroup or "span")
        pos = end
    out.append(text[pos:])
    return Masked("".join(out), tuple(spans), tuple(kinds))


def restore(translated: str, spans: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    """Put each span back where its placeholder came out; return ``(text, flags)``.

    Flags: ``placeholder_dropped`` (the model lost one; its span is appended at the end),
    ``placeholder_extra`` (a repeated or unknown placeholder was removed).
    """
    if not spans and not _PLACEHOLDER_RE.search(translated):
        return translated, []
    used: set[int] = set()
    flags: list[str] = []

    def put_back(m: re.Match[str]) -> str:
        idx = int(m.group(1))
        if idx < len(spans) and idx not in used:
            used.add(idx)
            return spans[idx]
        if "placeholder_extra" not in flags:
            flags.append("placeholder_extra")
        return ""

    text = _PLACEHOLDER_RE.sub(put_back, translated)
    missing = [spans[i] for i in range(len(spans)) if i not in used]
    if missing:
        flags.insert(0, "placeholder_dropped")
        text = (text.rstrip() + " " + " ".join(missing)).strip()
    if "placeholder_extra" in flags:
        text = re.sub(r"  +", " ", text).strip()
    return text, flags


def has_translatable_text(masked_text: str) -> bool:
    """False when nothing but placeholders, digits, punctuation and space is left: such a
    sentence is copied, not translated.

    >>> has_translatable_text("ZQX0 ZQX1 — 12.")
    False
    """
    rest = _PLACEHOLDER_RE.sub(" ", masked_text)
    return any(ch.isalpha() for ch in rest)
