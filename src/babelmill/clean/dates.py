"""Date strings from bylines and datelines -> ISO 8601, or a structured partial date.

Pages write dates in many ways ("Sep 28 14:59", "Nov 17, 2023", "2019-11-18", "06.12.2022",
"8. November 2021", "Montag, 8. November 2021", "9:46 PM • Nov 17, 2023", "2024年9月28日").
:func:`parse_date` returns:

* an ISO 8601 string (``2023-11-17`` or ``2023-11-17T21:46``) when year, month and day are on
  the page, which every consumer (``datetime.fromisoformat``, pandas, DuckDB) parses;
* a :class:`dict` ``{"year", "month", "day", "time", "raw"}`` with ``None`` for what the page
  leaves out when the date is partial ("Sep 28 14:59" has no year, "November 2023" no day):
  nothing is guessed, no year and no first-of-the-month day is invented;
* ``None`` when the text is not a date (relative dates such as "2 hours ago" included: the
  crawl time that would anchor them is not known).

The cases the parser must get right, negatives included, are in ``tests/cases/date_cases.json``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser

_DE_MONTHS = {
    "januar": "January", "jänner": "January", "jan": "Jan", "februar": "February", "feber": "February",
    "märz": "March", "maerz": "March", "mär": "Mar", "mrz": "Mar", "april": "April", "mai": "May",
    "juni": "June", "juli": "July", "august": "August", "september": "September", "oktober": "October",
    "okt": "Oct", "november": "November", "dezember": "December", "dez": "Dec",
}  # fmt: skip
_DE_MONTH_RE = re.compile(r"\b(" + "|".join(sorted(_DE_MONTHS, key=len, reverse=True)) + r")\b\.?", re.IGNORECASE)
_WEEKDAYS = re.compile(
    r"\b(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    r"mo|di|mi|do|fr|sa|so|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b\.?,?",
    re.IGNORECASE,
)
_ZH = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号](?:\s*(\d{1,2})[:：](\d{2}))?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[。！？!?，；]")
_MAX_CJK_LABEL = 12
_NOISE = re.compile(
    r"\b(published|updated|posted|created|last|modified|veröffentlicht|aktualisiert|erstellt|zuletzt|stand|"
    r"datum|date|am|um|on|at|uhr|est|edt|cst|cdt|mst|mdt|pst|pdt|cet|cest|mez|mesz|gmt|utc|bst|ist|aest|aedt)\b\.?|"
    r"[•·|,:](?!\d{2})|\(|\)",
    re.IGNORECASE,
)
_HAS_MONTH = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])|\d{1,4}[-./]\d{1,2}([-./]\d{2,4})?",
    re.IGNORECASE,
)
_DOTTED_MERIDIEM = re.compile(r"(?<![A-Za-z])([ap])\.\s?m\.", re.IGNORECASE)
_GLUED_YEAR = re.compile(r",(?=\d{4}\b)")
_TIME_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(\s*(am|pm|uhr))?\s*$", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?!\d)")
_RELATIVE = re.compile(
    r"\b(ago|yesterday|today|tomorrow|gestern|heute|morgen|vorgestern|vor\s+\d+|seit|last\s+(week|month|year))\b",
    re.IGNORECASE,
)
_MONTH_NAMES = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])",
    re.IGNORECASE,
)


def _germanize(text: str) -> str:
    """German month names -> English, weekdays dropped, "8. November" -> "8 November"."""
    low = _DE_MONTH_RE.sub(lambda m: _DE_MONTHS[m.group(1).casefold()], text)
    low = _WEEKDAYS.sub(" ", low)
    return re.sub(r"\b(\d{1,2})\.\s+(?=[A-Za-z])", r"\1 ", low)


def partial_date(year: int | None, month: int, day: int | None, time: str | None, raw: str) -> dict[str, Any]:
    """The structured form of a date the page gives only in part."""
    return {"year": year, "month": month, "day": day, "time": time, "raw": raw}


def _value(year: int | None, month: int, day: int | None, time: str | None, raw: str) -> str | dict[str, Any] | None:
    if year is not None and day is not None:
        try:
            datetime(year, month, day)
        except ValueError:
            return None  # "30. Februar 2023": not a calendar date
        return f"{year:04d}-{month:02d}-{day:02d}" + (f"T{time}" if time else "")
    return partial_date(year, month, day, time, raw)


def parse_date(text: str, max_words: int = 9) -> str | dict[str, Any] | None:
    """ISO 8601 for a short full date string, a partial-date dict, else None.

    >>> parse_date("Nov 17, 2023")
    '2023-11-17'
    >>> parse_date("9:46 PM • Nov 17, 2023")
    '2023-11-17T21:46'
    >>> parse_date("Montag, 8. November 2021")
    '2021-11-08'
    >>> parse_date("Sep 28 14:59")
    {'year': None, 'month': 9, 'day': 28, 'time': '14:59', 'raw': 'Sep 28 14:59'}
    >>> parse_date("发布时间：2024年9月28日 14:59")
    '2024-09-28T14:59'
    >>> parse_date("该线路一期工程已于2021年12月30日开通，全长约三十公里。") is None
    True
    >>> parse_date("November 2023")
    {'year': 2023, 'month': 11, 'day': None, 'time': None, 'raw': 'November 2023'}
    >>> parse_date("Founding team departing") is None, parse_date("vor 2 Stunden") is None
    (True, True)
    """
    raw = " ".join(text.split())
    t = raw
    if not t or len(t.split()) > max_words or _TIME_ONLY.match(t) or _RELATIVE.search(t) or t.endswith(":"):
        return None
    m = _ZH.search(t)
    if m:
        # a CJK line is one "word": a date line is the date and a short label ("发布时间：",
        # "来源：人民网"), not a sentence that mentions a date or a wire lead ("新华社北京11月20日电 ...")
        rest = t[: m.start()] + t[m.end() :]
        if len(_CJK.findall(rest)) > _MAX_CJK_LABEL or _SENTENCE_END.search(rest):
            return None
        y, mo, d, hh, mm = m.groups()
        if not 1 <= int(mo) <= 12:
            return None
        time = f"{int(hh):02d}:{mm}" if hh and int(hh) < 24 and int(mm) < 60 else None
        return _value(int(y) if y else None, int(mo), int(d), time, raw)
    t = _germanize(t)
    t = _DOTTED_MERIDIEM.sub(r"\1m", t)  # "4:48 a.m." -> "4:48 am"
    t = _GLUED_YEAR.sub(", ", t)  # "Jan 15,2008" -> "Jan 15, 2008"
    if not _HAS_MONTH.search(t):
        return None
    cleaned = " ".join(_NOISE.sub(" ", t).split())
    cleaned = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", cleaned, flags=re.IGNORECASE)  # "Jun 18th"
    # more letters than a month name and a meridiem: not a bare date ("March for Science 2023")
    letters = re.sub(r"[^A-Za-z]", " ", cleaned).split()
    extra = [w for w in letters if not _MONTH_NAMES.fullmatch(w) and w.casefold() not in ("am", "pm", "a", "p", "m")]
    if extra or len(letters) > 2:
        return None
    dayfirst = bool(re.search(r"\b\d{1,2}\.\d{1,2}\.", cleaned))
    try:
        a = dateparser.parse(cleaned, default=datetime(1904, 1, 1), dayfirst=dayfirst)
        b = dateparser.parse(cleaned, default=datetime(1908, 2, 2), dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    if a is None or b is None or a.month != b.month:
        return None
    has_year, has_day = a.year == b.year, a.day == b.day
    if not has_year and not has_day:
        return None  # a month name alone
    if has_year and not 1000 <= a.year <= 2999:
        return None
    time = f"{a.hour:02d}:{a.minute:02d}" if has_day and _TIME.search(cleaned) else None
    return _value(a.year if has_year else None, a.month, a.day if has_day else None, time, raw)


def is_full_date(value: object) -> bool:
    """Whether a parsed value is a complete ISO date (a string), not a partial dict."""
    return isinstance(value, str)
