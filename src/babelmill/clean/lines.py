"""Per-line features for telling article text from page chrome in a text dump.

The dumps have one HTML block element per line and no markup left, so everything here is
computed from the text alone: length, words, stop-word density (function words are what
running prose has and menus lack), terminal punctuation, URL and symbol share, script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
# a bare domain starts where a run of word characters and hyphens starts (the lookbehind): from
# every word boundary inside "a-a-a-...", "[\w-]+\." would rescan the run (quadratic)
_URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w-])[\w-]+\.(?:com|de|org|net|co|io|at|ch|uk|ly)/\S*", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[•·▪▫◦‣∙*]|[-–—](?!>)|\d{1,2}[.)](?=\s))\s*")
TERMINAL = tuple('.!?…。！？:;"”’»“)')
# Stop-word lists of these languages are consulted; the best-scoring one describes a document.
STOP_LANGS = ("english", "german", "french", "spanish", "italian", "dutch", "portuguese", "swedish",
              "danish", "norwegian", "russian", "polish")  # fmt: skip


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGITS = re.compile(r"\d+")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3040 <= o <= 0x30FF or 0xF900 <= o <= 0xFAFF


def is_hangul(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7A3


@lru_cache(maxsize=1)
def stoplists() -> dict[str, frozenset[str]]:
    """Function-word lists by language (from the ``stop-words`` package)."""
    from stop_words import get_stop_words

    out = {}
    for lang in STOP_LANGS:
        try:
            out[lang] = frozenset(w.lower() for w in get_stop_words(lang) if w.isalpha())
        except Exception:  # noqa: BLE001 - a missing list only weakens one feature
            continue
    return out


@lru_cache(maxsize=1)
def _stop_index() -> dict[str, tuple[str, ...]]:
    """Function word -> the languages whose list holds it (one look-up per word)."""
    out: dict[str, list[str]] = {}
    for lang, words in stoplists().items():
        for w in words:
            out.setdefault(w, []).append(lang)
    return {w: tuple(langs) for w, langs in out.items()}


_HANGUL = re.compile("[\uac00-\ud7a3]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def script_of(text: str) -> str:
    """``cjk``, ``hangul``, ``latin``, ``cyrillic`` or ``other`` by majority of letters.

    >>> script_of("创始团队出走殆尽、Altman孤家寡人")
    'cjk'
    >>> script_of("Most of the founding team has left")
    'latin'
    """
    if text.isascii():  # no CJK, Hangul or Cyrillic letter: one search instead of four counts
        return "latin" if _LATIN.search(text) else "other"
    # CJK characters carry about a word each, Latin letters a fifth of one
    weighted = {
        "cjk": len(_CJK.findall(text)),
        "hangul": len(_HANGUL.findall(text)),
        "latin": len(_LATIN.findall(text)) * 0.25,
        "cyrillic": len(_CYRILLIC.findall(text)) * 0.25,
    }
    best = max(weighted, key=lambda k: weighted[k])
    return best if weighted[best] > 0 else "other"


@dataclass
class Line:
    """One non-blank input line and its features."""

    n: int  # 1-based line number in the input
    raw: str  # the line as it came in
    text: str  # stripped
    words: list[str] = field(default_factory=list)
    cjk: int = 0  # CJK characters
    bullet: bool = False
    url_chars: int = 0
    stop_hits: dict[str, int] = field(default_factory=dict)

    @property
    def n_words(self) -> int:
        return len(self.words)

    latin_words: int = 0  # words without CJK characters
    _alpha: int = field(default=-1, repr=False, compare=False)
    _key: str | None = field(default=None, repr=False, compare=False)
    _title_share: float = field(default=-1.0, repr=False, compare=False)
    _stems: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """:func:`line_key` of the line's text (computed once, on first use)."""
        if self._key is None:
            self._key = line_key(self.text)
        return self._key

    @property
    def weq(self) -> float:
        """Word-equivalent length: CJK text has no spaces, about 1.5 characters a word."""
        return self.latin_words + self.cjk / 1.5

    @property
    def terminal(self) -> bool:
        t = self.text.rstrip()
        return bool(t) and t.endswith(TERMINAL)

    @property
    def url_share(self) -> float:
        return self.url_chars / max(1, len(self.text))

    def stop_density(self, lang: str | None = None) -> float:
        """Share of function words: of ``lang``'s list, or of the best-fitting list when None.

        Taking the best list per line keeps quoted passages in another language (an English
        tweet in a German article) from looking like menus.
        """
        if not self.words or not self.stop_hits:
            return 0.0
        hits = self.stop_hits.get(lang, 0) if lang else max(self.stop_hits.values())
        return hits / len(self.words)

    @property
    def alpha(self) -> int:
        """Letters in the line (counted once, on first use)."""
        if self._alpha < 0:
            self._alpha = sum(map(str.isalpha, self.text))
        return self._alpha

    @property
    def alpha_share(self) -> float:
        t = self.text
        return sum(1 for c in t if c.isalpha()) / max(1, len(t.replace(" ", "")))

    @property
    def title_share(self) -> float:
        """Share of words starting with a capital letter (menus and headings are Title Case);
        computed once, on first use."""
        if self._title_share < 0:
            ws = [w for w in self.words if w[:1].isalpha()]
            self._title_share = sum(1 for w in ws if w[:1].isupper()) / max(1, len(ws))
        return self._title_share

    @property
    def stems(self) -> set[str]:
        """:func:`content_stems` of the line's text, computed once on first use (shared: do not
        modify it)."""
        if self._stems is None:
            self._stems = _stems(self.text)
        return self._stems


def count_words(text: str) -> int:
    """Words as :class:`Line` counts them, without the other features (cheap).

    >>> count_words("Share this story (2 min)")
    5
    """
    return len(_WORD.findall(text))


def _may_hold_url(text: str) -> bool:
    """False when :data:`_URL` cannot match: each of its forms holds a ``/`` (``http://``, a bare
    domain's path) or ``www.``. Prose rarely has either, so most lines skip the search."""
    return "/" in text or ("." in text and "www." in text.lower())


def _counts(text: str) -> tuple[list[str], int, int]:
    """``(words, CJK characters, words without CJK characters)`` of a stripped line."""
    words = _WORD.findall(text)
    if text.isascii():  # no CJK character can be in it
        return words, 0, len(words)
    cjk = len(_CJK.findall(text))
    latin_words = sum(1 for w in words if not _CJK.search(w)) if cjk else len(words)
    return words, cjk, latin_words


def text_weq(text: str) -> float:
    """``make_line(0, text).weq`` without the line's other features (cheap).

    >>> text_weq("  Share this story (2 min) ") == make_line(0, "  Share this story (2 min) ").weq
    True
    """
    _, cjk, latin_words = _counts(text.strip())
    return latin_words + cjk / 1.5


def make_line(n: int, raw: str) -> Line:
    text = raw.strip()
    bullet = bool(_BULLET.match(text)) and not text.startswith(("-> ", "—>"))
    words, cjk, latin_words = _counts(text)
    url_chars = sum(len(m.group(0)) for m in _URL.finditer(text)) if _may_hold_url(text) else 0
    index = _stop_index()
    hits = dict.fromkeys(stoplists(), 0)
    get = index.get
    for w in words:
        langs = get(w.lower())
        if langs:
            for lang in langs:
                hits[lang] += 1
    return Line(
        n=n,
        raw=raw,
        text=text,
        words=words,
        cjk=cjk,
        bullet=bullet,
        url_chars=url_chars,
        stop_hits=hits,
        latin_words=latin_words,
    )


def line_key(text: str) -> str:
    """Key for counting a line across pages: case-folded, digits and spaces squeezed.

    >>> line_key("  Top 10   Stories ")
    'top 0 stories'
    """
    t = _DIGITS.sub("0", text.casefold())
    return " ".join(t.split())


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _all_stops() -> frozenset[str]:
    return frozenset().union(*stoplists().values()) if stoplists() else frozenset()


_HAN = re.compile("[\u4e00-\u9fff]")


def _stems(text: str) -> set[str]:
    stops = _all_stops()
    out = set()
    han = _HAN.search(text) is not None  # most lines have none: skip the per-word check
    for w in _TOKEN.findall(text.casefold()):
        if w in stops:
            continue
        if han and _HAN.search(w):
            out.update(w[i : i + 2] for i in range(max(1, len(w) - 1)))  # CJK character bigrams
        elif len(w) >= 3 or w.isdigit():
            out.add(w[:5])  # crude stemming: "operation"/"operational" share a prefix
    return out


def content_stems(text: str) -> set[str]:
    """Content-word stems of ``text`` (no function words; CJK as character bigrams).

    >>> sorted(content_stems("The operational operation of the council"))
    ['counc', 'opera']
    """
    return _stems(text)


def strip_bullet(text: str) -> str:
    """Remove a leading list glyph (the normalize stage renders bullets uniformly).

    >>> strip_bullet("  • Cofounder John Schulman is heading to rival Anthropic")
    'Cofounder John Schulman is heading to rival Anthropic'
    """
    t = text.strip()
    m = re.match(r"^(?:[•·▪▫◦‣∙*]|[-–—](?!>))\s*", t)
    return t[m.end() :].strip() if m else t


def doc_language(lines: list[Line]) -> str | None:
    """The stop-word list that best fits the document's longer lines (None when none fits)."""
    totals: dict[str, int] = {}
    n = 0
    for ln in lines:
        if ln.n_words >= 8:
            n += ln.n_words
            for lang, h in ln.stop_hits.items():
                totals[lang] = totals.get(lang, 0) + h
    if not totals or n == 0:
        return None
    best = max(sorted(totals), key=lambda k: totals[k])
    return best if totals[best] / n >= 0.12 else None
