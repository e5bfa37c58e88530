"""Keys and shingles for deduplication.

Everything here works on a *normalized copy* of the text (NFKC, case folded, punctuation and
whitespace folded). The normalized form is only ever used to build keys; the text a document
carries on to the corpus keeps its original form.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable

import numpy as np

# Scripts written without spaces between words: each character is one token, so Chinese or
# Japanese text that is still waiting for translation still gets useful shingles.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_CJK_RE = re.compile(rf"[{_CJK}]")

#: block languages written without spaces between words: shingled by characters
CHARACTER_LANGS = frozenset({"zh", "ja"})
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


def is_character_text(normalized: str, lang: str | None = None) -> bool:
    """Whether a block is shingled by characters: its detected language, else its script.

    Chinese and Japanese blocks are; every other detected language is shingled by words. A block
    without a detected language (a document that never went through ``detect``) is shingled by
    characters when at least half of its tokens are CJK characters.

    >>> is_character_text("hello world", "zh"), is_character_text("北京 大学", "de")
    (True, False)
    >>> is_character_text("北京大学 in beijing"), is_character_text("the 北 京 talks in beijing")
    (True, False)
    """
    if lang is not None and lang not in ("und", "other"):
        return lang in CHARACTER_LANGS
    toks = tokens(normalized)
    return bool(toks) and 2 * len(_CJK_RE.findall(normalized)) >= len(toks)


def block_shingles(normalized: str, lang: str | None, word_size: int, char_size: int) -> list[str]:
    """Shingles of one normalized block: word ``word_size``-grams, or character ``char_size``-grams.

    Character shingles are n-grams of :func:`tokens`, so a Latin word inside Chinese text is one
    unit, and punctuation (already folded to spaces) never forms part of a shingle.

    >>> block_shingles("the talks resumed on monday", "en", 3, 2)
    ['the talks resumed', 'talks resumed on', 'resumed on monday']
    >>> block_shingles("北京 大学", "zh", 3, 2)
    ['北 京', '京 大', '大 学']
    """
    size = char_size if is_character_text(normalized, lang) else word_size
    return shingles(tokens(normalized), size)


def shingle_hashes(grams: Iterable[str]) -> np.ndarray:
    """Sorted distinct 32-bit hashes (CRC-32) of shingles: the set that verification compares.

    Part of the index's on-disk format. At 32 bits two articles of 1,000 shingles share a
    colliding hash with probability about 2e-4, which cannot move a similarity measurably.

    >>> shingle_hashes(["b c", "a b", "b c"]).tolist() == sorted({zlib.crc32(b"a b"), zlib.crc32(b"b c")})
    True
    """
    return np.unique(np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint32))
