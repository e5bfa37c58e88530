"""Which legacy encoding a file that is not UTF-8 is in.

charset-normalizer judges each code page of :data:`LEGACY_ENCODINGS` by the mess of its decoded
text (``chaos``: odd symbols, accents in odd places, scripts mixed inside words) and, given over
32 letters of one script, by how well the letters' frequencies fit a language (``coherence``).
:func:`guess_legacy` adds what it does not know: double-byte pages only for bytes that pair up;
no Chinese reading full of kana, nor Korean one full of lone jamo or of syllables outside EUC-KR
(:func:`_foreign_script`); in a tie, single-byte pages first for a text of mostly ASCII, and for a
short text, whose every reading scores a clean 0 on those measures, the same evidence without
their length limits (:func:`_short_text_evidence`); what is still tied goes to the code page
earlier in :data:`LEGACY_ENCODINGS`. The README (*Encodings*) says what that means for a line of
two or three characters, which no measure can settle.

ISO-2022-JP and ISO-2022-KR are 7-bit, so they never get here: :func:`iso2022_codec` finds them
by their escape sequences before the bytes are taken for ASCII.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# The code pages tried, in the order ties are broken. Chinese (GB18030, which contains GBK and
# GB2312) and Western European (Windows-1252, as browsers read Latin-1) come first: they are the
# corpus's languages and the most common legacy pages in news dumps. Each multi-byte page is its
# Windows superset (CP949 holds all 11,172 Hangul where EUC-KR has 2,350; CP932 and CP950 add
# the vendor characters, such as circled digits, that Windows pages hold): a file in the smaller
# page decodes the same, and one rare syllable or circled digit does not send a page elsewhere.
LEGACY_ENCODINGS = (
    "gb18030",  # Simplified Chinese
    "cp1252",  # Western European
    "cp1251",  # Cyrillic (Windows)
    "cp932",  # Japanese (Shift_JIS)
    "euc_jp",  # Japanese (Unix)
    "cp949",  # Korean (EUC-KR)
    "cp950",  # Traditional Chinese (Big5)
    "cp1250",  # Central European (Windows)
    "koi8_r",  # Russian (Unix)
    "cp1253",  # Greek (Windows)
    "cp1256",  # Arabic (Windows)
    "cp1255",  # Hebrew (Windows)
    "iso8859_2",  # Central European
    "iso8859_7",  # Greek
    "iso8859_6",  # Arabic
    "iso8859_8",  # Hebrew
    "utf_16_le",  # UTF-16 whose NULs did not give it away (CJK text without ASCII)
    "utf_16_be",
)

# charset-normalizer skips a code page it deems similar to one that already failed its mess
# probe (ISO-8859-2 once Windows-1250 failed, ISO-8859-7 once Windows-1253 did), though the text
# of one is a mess in the other (Polish ą, ś, ź sit at other bytes): those get a call of their own.
_SECOND_CALL = ("iso8859_2", "iso8859_7")
_FIRST_CALL = tuple(e for e in LEGACY_ENCODINGS if e not in _SECOND_CALL)

# charset-normalizer's own tolerances for "no difference" when it ranks two matches
_CHAOS_TIE = 0.005
_COHERENCE_TIE = 0.02

#: escape sequences that switch a 7-bit ISO-2022 text into a double-byte set, and the codecs
#: tried for it, in order (plain ISO-2022-JP first, the most common; then its extensions)
ISO_2022: tuple[tuple[bytes, tuple[str, ...]], ...] = (
    (b"\x1b$)C", ("iso2022_kr",)),  # KS X 1001, announced once at the top of ISO-2022-KR
    (b"\x1b$B", ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3")),  # JIS X 0208-1983
    (b"\x1b$@", ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3")),  # JIS C 6226-1978
    (b"\x1b$A", ("iso2022_jp_2",)),  # GB 2312 (ISO-2022-JP-2)
    (b"\x1b$(D", ("iso2022_jp_2",)),  # JIS X 0212
)


def iso2022_codec(data: bytes) -> str | None:
    """The ISO-2022 codec that decodes ``data``, when it is 7-bit and switches to a double-byte
    set with one of the :data:`ISO_2022` escape sequences; these never occur in other text
    (terminal escapes are ``ESC [``, ``ESC ]`` or ``ESC (``), so the sequence settles it.

    >>> iso2022_codec("台風です".encode("iso2022_jp")), iso2022_codec(b"plain ASCII")
    ('iso2022_jp', None)
    """
    if not data.isascii() or b"\x1b$" not in data:  # isascii stops at the first high byte
        return None
    for escape, candidates in ISO_2022:
        if escape in data:
            for codec in candidates:
                try:
                    data.decode(codec)
                    return codec
                except UnicodeDecodeError:
                    continue
    return None


def guess_legacy(data: bytes) -> str | None:
    """The code page of :data:`LEGACY_ENCODINGS` that decodes ``data`` to the cleanest text, in
    charset-normalizer's judgement; None when every one decodes it to a mess (or not at all).

    >>> guess_legacy("国家统计局今天发布了数据。".encode("gbk")), guess_legacy("Größe".encode("cp1252"))
    ('gb18030', 'cp1252')
    """
    from charset_normalizer import CharsetMatches, from_bytes

    # every character of the double-byte pages' common repertoire (GB 2312, KS X 1001, JIS kana
    # and kanji, Big5's frequent characters) has a lead byte over 0x80, and all but a few a second
    # one: bytes over 0x80 that never stand two in a row are accented letters of a single-byte
    # page ("Météo"), which GBK or Big5 would read as ideographs that swallow the next letter
    pages = LEGACY_ENCODINGS if _HIGH_PAIR.search(data) else _SINGLE_BYTE
    if len(data) < MIN_UTF16_BYTES:
        # UTF-16 gets here only without BOM and without NULs: CJK text without even a newline
        # or a digit. A few such bytes are any double-byte text, and UTF-16 reads them cleanly
        # as characters from anywhere in the 65,536
        pages = tuple(e for e in pages if not e.startswith("utf_16"))
    matches = [
        match
        for call in (_FIRST_CALL, _SECOND_CALL)
        for match in from_bytes(data, cp_isolation=[e for e in call if e in pages])
    ]
    ranked = CharsetMatches()
    for match in [m for m in matches if not _foreign_script(m)] or matches:
        ranked.append(match)  # the same text from two code pages becomes one match
    best = ranked.best()
    if best is None:
        return None
    tied = [
        (match, encoding)
        for match in ranked
        if abs(match.chaos - best.chaos) < _CHAOS_TIE and abs(match.coherence - best.coherence) <= _COHERENCE_TIE
        for encoding in match.could_be_from_charset
    ]
    weigh_short = len({id(match) for match, _ in tied}) > 1 and not best.coherence and len(data) <= SHORT_TEXT_BYTES
    # charset-normalizer prefers the reading that pairs more bytes; in a text of mostly ASCII
    # letters the few high bytes are accents ("één"), which a double-byte page pairs up
    pairs_first = 1 if _ascii_share(data) < MOSTLY_ASCII else -1

    def preference(candidate):
        match, encoding = candidate
        evidence = _short_text_evidence(str(match)) if weigh_short else (0, 0.0)
        return (*evidence, -pairs_first * match.multi_byte_usage, LEGACY_ENCODINGS.index(encoding))

    return min(tied, key=preference)[1]


#: shorter texts are not taken for UTF-16 without a BOM
MIN_UTF16_BYTES = 64

#: share of ASCII bytes over which a text is taken for a Latin-script one with a few accents
MOSTLY_ASCII = 0.8


def _ascii_share(data: bytes) -> float:
    return 1 - len(data.translate(None, bytes(range(128)))) / len(data)


#: ties in texts up to this many bytes are weighed by :func:`_short_text_evidence` (cheap there);
#: in longer ones charset-normalizer's own measures have had their say
SHORT_TEXT_BYTES = 1024

#: fewer letters than this say nothing of a language's letter frequencies
MIN_FIT_LETTERS = 10

_MULTI_BYTE = frozenset({"gb18030", "cp932", "euc_jp", "cp949", "cp950"})
_SINGLE_BYTE = tuple(e for e in LEGACY_ENCODINGS if e not in _MULTI_BYTE)
_HIGH_PAIR = re.compile(rb"[\x80-\xff]{2}")

# GB 2312 and KS X 1001 copied JIS X 0208's kana rows, so EUC-JP's kana read as GB18030 are kana
# still (its kanji become unrelated hanzi) and read as EUC-KR are Hangul jamo. Chinese text does
# not write kana, nor Korean text lone jamo: a reading by such a page where they are more than a
# few of the characters is another page's text.
_FOREIGN_LETTERS = {
    "gb18030": re.compile("[\u3040-\u30ff]"),
    "cp950": re.compile("[\u3040-\u30ff]"),
    "cp949": re.compile("[\u3130-\u318f]"),
}
_FOREIGN_SHARE = 0.05


def _foreign_script(match) -> bool:
    """Whether a Chinese or Korean reading holds what Chinese or Korean text does not."""
    letters = _FOREIGN_LETTERS.get(match.encoding)
    if letters is None:
        return False
    text = str(match)
    if len(letters.findall(text)) > _FOREIGN_SHARE * len(text):
        return True
    if match.encoding == "cp949":
        # Korean text is almost all in EUC-KR's 2,350 syllables; CP949 gave the other 8,822 the
        # byte pairs that Shift_JIS and Big5 use, so a reading full of them is such a page's text
        syllables = _HANGUL.findall(text)
        rare = sum(1 for syllable in syllables if syllable not in _EUC_KR_HANGUL())
        return rare > _FOREIGN_SHARE * len(syllables)
    return False


_HANGUL = re.compile("[\uac00-\ud7a3]")


@functools.cache
def _EUC_KR_HANGUL() -> frozenset[str]:  # noqa: N802 - a constant, built on first use
    """The 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)."""
    return frozenset(bytes((lead, trail)).decode("euc_kr") for lead in range(0xB0, 0xC9) for trail in range(0xA1, 0xFF))


def _short_text_evidence(text: str) -> tuple[int, float]:
    """What tells the readings of a short text apart, smallest first: the letters out of place (a
    letter beside one of a script charset-normalizer deems a suspicious neighbour, as Cyrillic
    inside a Latin word, "Noлl"), then how badly the letters fit a language: charset-normalizer's
    coherence, computed on the text repeated past the 33 letters of a script it asks for
    (repeating changes no letter's frequency rank, which is all it compares). The fit is weighed
    only where most letters are not ASCII (Hebrew read as Cyrillic): two readings of a Latin text
    differ in a letter or two, which the fit of the rest cannot judge."""
    from charset_normalizer.cd import coherence_ratio
    from charset_normalizer.md import is_suspiciously_successive_range
    from charset_normalizer.utils import unicode_range

    out_of_place = 0
    letters = 0
    previous: str | None = None
    non_ascii = 0
    for char in text:
        if not (char.isalpha() or unicodedata.category(char).startswith("M")):  # marks: Arabic vowels
            previous = None
            continue
        letters += 1
        non_ascii += not char.isascii()
        current = unicode_range(char)
        if previous is not None and previous != current and is_suspiciously_successive_range(previous, current):
            out_of_place += 1
        previous = current
    fit = 0.0
    if letters >= MIN_FIT_LETTERS and non_ascii > letters / 2:
        fits = coherence_ratio(text * 33)
        fit = fits[0][1] if fits else 0.0
    return out_of_place, -fit
