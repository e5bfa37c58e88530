"""Writing-system evidence that outranks any statistical detector.

Han characters without kana are Chinese; kana (even a little, next to Han) means Japanese;
Hangul means Korean; Greek, Hebrew, Arabic, Devanagari, Thai, Georgian and Armenian letters
name their language too. Counting scripts is exact and deterministic, which a character-n-gram
model on a short line is not.

>>> profile("创始团队出走殆尽、Altman孤家寡人").han
12
>>> script_language("食物繊維やさまざまな栄養")
('other', 'ja')
>>> script_language("Καλημέρα κόσμε")
('other', 'el')
>>> script_language("Altman is alone") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Scripts that name their language outright (a few letters suffice); Cyrillic is left to the
# statistical detectors (Russian, Ukrainian, Bulgarian ... share it).
_SCRIPT_CODES: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"),  # Greek
    (0x0590, 0x05FF, "he"),  # Hebrew
    (0x0600, 0x06FF, "ar"),  # Arabic
    (0x0750, 0x077F, "ar"),  # Arabic Supplement
    (0x0900, 0x097F, "hi"),  # Devanagari
    (0x0E00, 0x0E7F, "th"),  # Thai
    (0x10A0, 0x10FF, "ka"),  # Georgian
    (0x0530, 0x058F, "hy"),  # Armenian
)


def _script_code(cp: int) -> str | None:
    for lo, hi, code in _SCRIPT_CODES:
        if lo <= cp <= hi:
            return code
    return None


@dataclass(slots=True)
class ScriptProfile:
    """Letter counts per writing system (punctuation, digits and symbols are not letters)."""

    han: int = 0
    kana: int = 0
    hangul: int = 0
    latin: int = 0
    other: int = 0  # Cyrillic, Greek, Arabic, ...
    by_code: dict[str, int] = field(default_factory=dict)  # letters of the scripts in _SCRIPT_CODES

    @property
    def letters(self) -> int:
        return self.han + self.kana + self.hangul + self.latin + self.other


def _is_han(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0x20000 <= cp <= 0x2EBEF  # Extensions B-F
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
    )


def _is_kana(cp: int) -> bool:
    return 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9D


def _is_hangul(cp: int) -> bool:
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def profile(text: str) -> ScriptProfile:
    """Count the letters of ``text`` by writing system."""
    p = ScriptProfile()
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            if ch.isalpha():
                p.latin += 1
        elif _is_han(cp):
            p.han += 1
        elif _is_kana(cp) and ch != "\u30fc" and ch != "\u30fb":  # prolonged-sound mark, middle dot
            p.kana += 1
        elif _is_hangul(cp):
            p.hangul += 1
        elif ch.isalpha():
            if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF:  # Latin-1, Latin Extended, Latin Additional
                p.latin += 1
            else:
                p.other += 1
                code = _script_code(cp)
                if code:
                    p.by_code[code] = p.by_code.get(code, 0) + 1
    return p


def script_language(text: str, min_share: float = 0.3) -> tuple[str, str] | None:
    """``(group, iso_code)`` when the script alone decides, else ``None``.

    A block is decided by script when CJK letters make up at least ``min_share`` of its letters
    (one CJK character carries about as much text as 2-4 Latin letters, so 0.3 already means
    the CJK part dominates). Any kana among the Han makes it Japanese.
    """
    p = profile(text)
    if not p.letters:
        return None
    cjk = p.han + p.kana
    if p.hangul / p.letters >= min_share:
        return ("other", "ko")
    if cjk / p.letters >= min_share:
        # a single kana in a Han block is enough: Chinese does not use kana at all
        if p.kana >= 1 and p.kana / cjk >= 0.02:
            return ("other", "ja")
        return ("zh", "zh")
    for code, n in sorted(p.by_code.items()):
        if n / p.letters >= 0.5:
            return ("other", code)
    return None
