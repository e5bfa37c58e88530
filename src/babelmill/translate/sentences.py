r"""Offline, rule-based sentence splitting for German, English and Chinese.

argostranslate's own splitter downloads a model at run time; this one is a few regular
expressions. Splitting errs towards *not* splitting: a missed boundary only makes one longer
input for the translator, a false boundary (inside "z.B.") damages the translation.

A boundary is ``.``/``!``/``?``/``…`` (plus any closing quotes or brackets) followed by
whitespace and a sentence start (upper-case letter, digit, opening quote/bracket, non-Latin
letter), unless a lone dot ends a known abbreviation, a single initial, or a 1-3 digit ordinal
number (German "am 17. November"); a dot followed by a closing quote ends the quotation.
Decimals ("3.5") never have a space after the dot. Chinese ``。！？；…`` end a sentence with no
space needed. Newlines are always boundaries.

Every step is linear in the length of the line (possessive quantifiers, a bounded look-back
for the word before a dot, a sorted search for quotations), so hostile input such as
``"z. B. " * 100_000`` or a line of 100k dots costs no more per character than prose.

>>> split_sentences("Dr. Müller kam am 17. November, z.B. mit 3.5 Mio. Euro. Dann ging er.")
['Dr. Müller kam am 17. November, z.B. mit 3.5 Mio. Euro.', 'Dann ging er.']
>>> split_sentences('Er sagte: „Das ist gut. Sehr gut.“ Danach ging er.')
['Er sagte: „Das ist gut. Sehr gut.“', 'Danach ging er.']
>>> split_sentences("Äpfel, Birnen usw. sind teuer. Warum? Niemand weiß es!")
['Äpfel, Birnen usw. sind teuer.', 'Warum?', 'Niemand weiß es!']
>>> split_sentences("中国经济增长了。这是好消息！真的吗？是的；当然……")
['中国经济增长了。', '这是好消息！', '真的吗？', '是的；', '当然……']
>>> split_sentences("Mehr unter https://example.com/a.b?x=1 jetzt. Ende.")
['Mehr unter https://example.com/a.b?x=1 jetzt.', 'Ende.']
"""

from __future__ import annotations

import re
from bisect import bisect_left

# Lower-cased, without the final dot. German first, then common English ones.
ABBREVIATIONS = frozenset(
    """
    z.b bzw usw etc ca dr nr prof hr fr frl st str vgl ggf inkl exkl evtl mio mrd jh jhd abs art bspw
    sog u.a d.h u.u z.t v.a o.ä o.g s.o s.u i.d.r u.s.w zzgl bzgl gem geb gest mind max min tel ff
    dipl ing mag med jur phil rer nat hrsg verf tsd abb kap bd lt zit ehem insb allg evang kath
    mr mrs ms jr sr inc ltd co corp vs e.g i.e no approx dept est fig gov jan feb mar apr jun jul aug
    sep sept oct okt nov dec dez mo di mi do sa so
    """.split()
)

_CLOSERS = "\"'”’“‘»«)]}」』）›‹"
_OPENERS = "\"'„“‚‘»«([{「『（›‹¿¡"
# candidate end: a run of terminators (only from its first character, taken whole) + closers,
# then whitespace; the next char decides. Possessive runs never backtrack: giving back a
# terminator or closer could not make the look-ahead's whitespace match anyway.
_BOUNDARY = re.compile(rf"(?<![.!?…])[.!?…]++[{re.escape(_CLOSERS)}]*+(?=\s++(\S))")
_CJK_END = re.compile(r"(?:[。！？；]|…++)[”’」』）\"']*+")
_DOTTED = re.compile(r"(?:\w{1,2}\.)+\w{1,2}")
# a word longer than this before a dot is never an abbreviation (bounds the look-back)
_MAX_WORD = 64


def _is_sentence_start(ch: str) -> bool:
    return ch.isupper() or ch.isdigit() or ch in _OPENERS or (ch.isalpha() and not ch.islower())


def _word_before(line: str, start: int, end: int) -> str | None:
    """The whitespace-free run of ``line`` that ends at ``end`` (not before ``start``), or None
    when it is longer than ``_MAX_WORD``; looks back at most ``_MAX_WORD + 1`` characters.

    >>> _word_before("Er kam z.B", 0, 10), _word_before("x" * 70, 0, 70)
    ('z.B', None)
    """
    lo = max(start, end - _MAX_WORD - 1)
    i = end
    while i > lo and not line[i - 1].isspace():
        i -= 1
    if end - i > _MAX_WORD:
        return None
    return line[i:end]


def _ends_with_non_boundary(word: str | None) -> bool:
    """True when a dot right after ``word`` belongs to an abbreviation, initial or ordinal.

    >>> [_ends_with_non_boundary(w) for w in ("z.B", "„Dr", "A", "17", "2023", "Haus", None)]
    [True, True, True, True, False, False, False]
    """
    if word is None:
        return False
    word = word.lstrip(_OPENERS)  # the dot itself is never part of it: terminator runs are taken whole
    low = word.lower()
    if low in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # initial: "A. Merkel"
        return True
    if word.isdigit() and len(word) <= 3:  # ordinal: "am 17. November", "im 19. Jahrhundert"
        return True
    # dotted abbreviations not in the list: "u.s.w", "z.B" -> letters separated by dots
    return bool(_DOTTED.fullmatch(word))


# opening quote -> the quotes that close it
_QUOTE_PAIRS = {"„": "“”", "»": "«", "«": "»", "“": "”", '"': '"', "‚": "‘’", "「": "」", "『": "』"}
_MAX_QUOTE = 300  # longer "quotes" are more likely an unbalanced mark than one quotation
_OPENING_QUOTE = re.compile("[" + re.escape("".join(_QUOTE_PAIRS)) + "]")


def _quoted_regions(line: str) -> list[tuple[int, int]]:
    """``(open, close)`` index pairs of balanced quotations on one line, left to right.

    >>> _quoted_regions('Er sagte „Ja. Nein.“ und »Gut.« Dann "x".')
    [(9, 19), (25, 30), (37, 39)]
    """
    regions: list[tuple[int, int]] = []
    i = 0
    while m := _OPENING_QUOTE.search(line, i):  # jump from one opening mark to the next
        i = m.start()
        closers = _QUOTE_PAIRS[line[i]]
        window = line[i + 1 : i + 1 + _MAX_QUOTE]
        hits = [window.find(c) for c in closers if c in window]
        if hits:
            close = i + 1 + min(hits)
            regions.append((i, close))
            i = close + 1
        else:
            i += 1
    return regions


def _inside(regions: list[tuple[int, int]], opens: list[int], pos: int) -> bool:
    """True when ``open < pos <= close`` for one of the sorted, disjoint ``regions``."""
    k = bisect_left(opens, pos) - 1
    return k >= 0 and pos <= regions[k][1]


def _split_line(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    quoted = _quoted_regions(line)
    opens = [open_ for open_, _ in quoted]
    for m in _BOUNDARY.finditer(line):
        end = m.end()
        nxt = m.group(1)
        if not _is_sentence_start(nxt):
            continue
        if _inside(quoted, opens, end):
            continue  # inside a quotation: translate it as one unit
        # a lone dot may end an abbreviation; a dot with a closing quote or bracket ends a quotation
        if m.group(0) == "." and _ends_with_non_boundary(_word_before(line, start, m.start())):
            continue
        piece = line[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
    rest = line[start:].strip()
    if rest:
        pieces.append(rest)
    out: list[str] = []
    for piece in pieces:  # Chinese punctuation needs no following space
        out.extend(_split_cjk(piece))
    return out


def _split_cjk(text: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for m in _CJK_END.finditer(text):
        piece = text[start : m.end()].strip()
        if piece:
            parts.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (whitespace at the edges dropped, nothing else changed)."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(_split_line(line))
    return out


def split_with_separators(text: str) -> list[tuple[str, str]]:
    """Like :func:`split_sentences` but keep what followed each sentence: ``"\\n"`` where a line
    ended (one more per blank line after it, so paragraph breaks survive), ``" "`` between
    sentences of one line, ``""`` after the last; used to reassemble translations (English output
    is space-separated even where a Chinese source was not).

    >>> split_with_separators("Eins. Zwei.\\nDrei")
    [('Eins.', ' '), ('Zwei.', '\\n'), ('Drei', '')]
    >>> split_with_separators("Eins.\\n\\n  \\nZwei.\\n\\n")
    [('Eins.', '\\n\\n\\n'), ('Zwei.', '\\n')]
    """
    out: list[tuple[str, str]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        sents = _split_line(line)
        more = i < len(lines) - 1
        for j, s in enumerate(sents):
            if j < len(sents) - 1:
                sep = " "
            else:
                sep = "\n" if more else ""
            out.append((s, sep))
        if not sents and out and more:  # a blank line: one more line break after the last sentence
            out[-1] = (out[-1][0], out[-1][1] + "\n")
    return out


def chunk_long(sentence: str, max_chars: int) -> list[str]:
    """Cut a sentence longer than ``max_chars`` so that run-on text (tables, lists without
    punctuation) stays translatable: at the last ``"; "`` before the limit, else the last
    ``": "``, else ``", "``, else the last space (the punctuation stays with the left part);
    text without any of them (CJK, a long URL) is cut hard at ``max_chars``.

    >>> chunk_long("aaa, bbb, ccc", 6)
    ['aaa,', 'bbb,', 'ccc']
    >>> chunk_long("一二三四五六七", 3)
    ['一二三', '四五六', '七']
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    out: list[str] = []
    text = sentence.strip()
    pos, n = 0, len(text)
    while n - pos > max_chars:
        window = text[pos : pos + max_chars + 1]
        cut = max_chars
        for mark in ("; ", ": ", ", ", " "):
            found = window.rfind(mark)
            if found > 0:
                cut = found + len(mark) - 1
                break
        out.append(text[pos : pos + cut].rstrip())
        pos += cut
        while pos < n and text[pos].isspace():
            pos += 1
    if pos < n:
        out.append(text[pos:])
    return out
