"""Date strings from bylines and datelines -> ISO 8601.

Pages write dates in many ways ("Sep 28 14:59", "Nov 17, 2023", "2019-11-18", "06.12.2022",
"8. November 2021", "9:46 PM • Nov 17, 2023"). :func:`parse_date` returns an ISO string, or
None when the text is not a date; a date without a year keeps ISO's "--MM-DD" form rather
than guessing the year.
"""

from __future__ import annotations

import re
from datetime import datetime

from dateutil import parser as dateparser

_DE_MONTHS = {
    "januar": "January", "jänner": "January", "februar": "February", "märz": "March", "maerz": "March",
    "april": "April", "mai": "May", "juni": "June", "juli": "July", "august": "August",
    "september": "September", "oktober": "October", "november": "November", "dezember": "December",
    "okt": "Oct", "dez": "Dec", "mär": "Mar",
}  # fmt: skip
_DE_DAYS = r"\b(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)\b,?"
_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：](\d{2}))?")
_NOISE = re.compile(
    r"\b(published|updated|posted|veröffentlicht|aktualisiert|erstellt|stand|am|um|on|at|uhr|"
    r"est|edt|pst|pdt|cet|cest|mez|mesz|gmt|utc|bst)\b\.?|[•·|,]",
    re.IGNORECASE,
)
_HAS_MONTH = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b|\d{1,4}[-./]\d{1,2}([-./]\d{2,4})?",
    re.IGNORECASE,
)
_TIME_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(\s*(am|pm|uhr))?\s*$", re.IGNORECASE)


def _germanize(text: str) -> str:
    low = text
    for de, en in _DE_MONTHS.items():
        low = re.sub(rf"\b{de}\b\.?", en, low, flags=re.IGNORECASE)
    low = re.sub(_DE_DAYS, "", low, flags=re.IGNORECASE)
    # "8. November 2021" -> "8 November 2021"
    return re.sub(r"\b(\d{1,2})\.\s+(?=[A-Za-z])", r"\1 ", low)


def parse_date(text: str, max_words: int = 9) -> str | None:
    """ISO 8601 for a short date string, else None.

    >>> parse_date("Nov 17, 2023")
    '2023-11-17'
    >>> parse_date("9:46 PM • Nov 17, 2023")
    '2023-11-17T21:46'
    >>> parse_date("2019-11-18")
    '2019-11-18'
    >>> parse_date("8. November 2021")
    '2021-11-08'
    >>> parse_date("Sep 28 14:59")
    '--09-28T14:59'
    >>> parse_date("Founding team departing") is None
    True
    """
    t = " ".join(text.split())
    if not t or len(t.split()) > max_words or _TIME_ONLY.match(t):
        return None
    m = _ZH.search(t)
    if m:
        y, mo, d, hh, mm = m.groups()
        iso = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
        return iso + (f"T{int(hh):02d}:{mm}" if hh else "")
    t = _germanize(t)
    if not _HAS_MONTH.search(t):
        return None
    cleaned = " ".join(_NOISE.sub(" ", t).split())
    if not cleaned or sum(c.isalpha() for c in cleaned) > 14 + cleaned.count(" ") * 0:
        # more letters than a month name and a meridiem: not a bare date
        letters = re.sub(r"[^A-Za-z]", " ", cleaned).split()
        if len(letters) > 2:
            return None
    sentinel_a = datetime(1904, 1, 1)
    sentinel_b = datetime(1908, 2, 2)
    try:
        a = dateparser.parse(cleaned, default=sentinel_a, dayfirst=bool(re.search(r"\d{1,2}\.\d{1,2}\.", cleaned)))
        b = dateparser.parse(cleaned, default=sentinel_b, dayfirst=bool(re.search(r"\d{1,2}\.\d{1,2}\.", cleaned)))
    except (ValueError, OverflowError, TypeError):
        return None
    if a is None or b is None:
        return None
    has_year = a.year == b.year
    has_day = a.day == b.day
    has_month = a.month == b.month
    if not has_month:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", cleaned))
    if has_year:
        iso = f"{a.year:04d}-{a.month:02d}" + (f"-{a.day:02d}" if has_day else "")
    else:
        if not has_day:
            return None
        iso = f"--{a.month:02d}-{a.day:02d}"
    if has_time and has_day:
        iso += f"T{a.hour:02d}:{a.minute:02d}"
    return iso
