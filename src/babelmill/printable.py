"""Text from inputs made safe for a terminal or a log line.

File names and document text can hold anything: an escape sequence that retitles the
terminal or clears the screen, a newline that forges a second log line ("babelmill: ...:
kept"), a right-to-left override that reverses what follows. :func:`printable` writes every
such character as a visible escape, so one message stays one honest line.
"""

from __future__ import annotations

import unicodedata

# invisible format characters that reorder or hide text (bidi overrides and isolates, the
# line and paragraph separators); other format characters (ZWJ in emoji, soft hyphen) are kept
_REORDERING = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C, 0x2028, 0x2029}


def _escape(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def printable(text: object) -> str:
    """``text`` with control, reordering and unencodable characters written as ``\\xNN`` escapes.

    >>> printable("evil\\x1b]0;owned\\x07.txt")
    'evil\\\\x1b]0;owned\\\\x07.txt'
    >>> printable("a.txt\\nbabelmill: b.txt: kept")
    'a.txt\\\\x0ababelmill: b.txt: kept'
    >>> printable("Größe 中文 ✓")
    'Größe 中文 ✓'
    """
    s = str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        cp = ord(ch)
        if ch.isprintable() and cp not in _REORDERING:
            out.append(ch)
        elif ch == " " or (unicodedata.category(ch) == "Cf" and cp not in _REORDERING and cp != 0xFEFF):
            out.append(ch)  # ZWJ, soft hyphen, variation selectors: harmless
        else:
            out.append(_escape(ch))
    return "".join(out)
