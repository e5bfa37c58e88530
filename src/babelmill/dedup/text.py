"""Keys and shingles for deduplication.

Everything here works on a *normalized copy* of the text (NFKC, case folded, punctuation and
whitespace folded). The normalized form is only ever used to build keys; the text a document
carries on to the corpus keeps its original form.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Scripts written without spaces between words: each character is one token, so Chinese or
# Japanese text that is still waiting for translation still gets useful shingles.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n")


class _FoldTable(dict):
    """``str.translate`` table built lazily: punctuation, symbols, separators, controls -> space.

    Punctuation (P*) and symbols (S*) separate words just like spaces do: "U.S.-China" and
    "U.S. China" should give the same key, and so should curly and straight quotes.
    """

    def __missing__(self, codepoint: int) -> int:
        value = 32 if unicodedata.category(chr(codepoint))[0] in "PSZC" else codepoint
        self[codepoint] = value
        return value


# Turkish dotted/dotless i do not survive a round trip through upper case ("ı".upper() == "I",
# "İ".casefold() == "i̇"); fold both to a plain "i" so an upper-cased copy keeps its key.
_FOLD = _FoldTable({0x0131: ord("i"), 0x0307: None})


def normalize_key_text(text: str) -> str:
    """The text as used for keys: NFKC, case folded, punctuation and whitespace folded.

    >>> normalize_key_text("  The  U.S.-China   talks\\u00a0resumed!\\n\\n")
    'the u s china talks resumed'
    >>> normalize_key_text("ＦＵＬＬＷＩＤＴＨ “quotes” — Straße") == normalize_key_text('fullwidth "quotes" - STRASSE')
    True
    >>> normalize_key_text("...!!!")
    ''
    >>> normalize_key_text("HAKLARI İSTANBUL") == normalize_key_text("hakları istanbul")
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_FOLD).split())


def exact_key(text: str) -> bytes:
    """16-byte digest of :func:`normalize_key_text`; equal keys mean the same text up to form.

    >>> exact_key("Hello, world!") == exact_key("hello world")
    True
    >>> exact_key("Hello, world!") == exact_key("Hello, word!")
    False
    """
    return hashlib.blake2b(normalize_key_text(text).encode("utf-8"), digest_size=16).digest()


def tokens(normalized: str) -> list[str]:
    """Word tokens of normalized text (CJK characters count as one token each).

    >>> tokens("breaking news 北京 today")
    ['breaking', 'news', '北', '京', 'today']
    """
    return _TOKEN_RE.findall(normalized)


def shingles(words: list[str], size: int) -> list[str]:
    """Distinct word ``size``-grams, in first-seen order; a text shorter than ``size`` is one shingle.

    >>> shingles(["a", "b", "c", "a", "b", "c"], 3)
    ['a b c', 'b c a', 'c a b']
    >>> shingles(["short"], 5)
    ['short']
    >>> shingles([], 5)
    []
    """
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words)]
    grams = zip(*(words[i:] for i in range(size)), strict=False)
    return list(dict.fromkeys(map(" ".join, grams)))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: separated by blank lines, stripped, empty ones dropped.

    >>> split_paragraphs("One.\\n\\n  \\nTwo\\nlines.\\n\\n")
    ['One.', 'Two\\nlines.']
    """
    return [p.strip() for p in _BLANK_LINE_RE.split(text) if p.strip()]


def paragraph_hash(text: str, normalized: bool = False) -> int:
    """Signed 64-bit hash of a paragraph's normalized text (fits an SQLite INTEGER).

    Pass ``normalized=True`` when ``text`` is already :func:`normalize_key_text` output.

    >>> paragraph_hash("Share this article!") == paragraph_hash("share   this ARTICLE")
    True
    """
    key = text if normalized else normalize_key_text(text)
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """True Jaccard similarity of two collections taken as sets (1.0 for two empty ones).

    >>> jaccard(["a", "b", "c"], ["b", "c", "d"])
    0.5
    """
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
