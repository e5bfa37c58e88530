"""Bylines -> author names, the agency credited beside them, and the date written with them.

A byline line on a news page mixes the names with a date ("Von Juliane Rohr 28.04.2023,
18:11 Uhr"), a role ("JOSEPH WHITE AP Sports Writer", "Paulina Cwiartka, Online-Redakteurin"),
a place ("Anna Sleegers, Frankfurt"), an agency ("Felix Schröder und Jörg Soldwisch, dpa",
"Francois Murphy | Reuters") or several names ("Dominik Bath und Theresa Martus").
:func:`parse_byline` keeps only the names, each checked to look like a person's name, so a
German sentence that happens to start with "Von" ("Von Berlin nach München", "Von der
Befreiung zum Staatsvertrag") is not a byline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from babelmill.clean.dates import parse_date

_PREFIX = re.compile(
    r"^(?:by|von|text(?:\s+von|(?=\s*[:：]))|written by|words by|reported by|story by|posted by|"
    r"ein (?:kommentar|gastbeitrag|interview|essay|bericht|feature) von|eine (?:analyse|reportage|kolumne|glosse) von|"
    r"autor(?:in|en)?|authors?|作者|记者)\s*[:：]?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# agencies and wire services credited in bylines: they are the attribution, not an author
AGENCIES = {
    "ap": "AP", "associated press": "Associated Press", "reuters": "Reuters", "afp": "AFP",
    "agence france-presse": "AFP", "dpa": "dpa", "epd": "epd", "kna": "KNA", "apa": "APA", "sda": "SDA",
    "bloomberg": "Bloomberg", "xinhua": "Xinhua", "ians": "IANS", "pti": "PTI", "cnn": "CNN", "bbc": "BBC",
    "upi": "UPI", "aap": "AAP", "cp": "CP", "the canadian press": "The Canadian Press", "sid": "SID",
    "afp/dpa": "AFP/dpa", "dpa/afp": "dpa/AFP", "rtr": "Reuters", "t-online": "t-online", "staff and agencies":
    "agencies", "agencies": "agencies", "agenturen": "Agenturen",
}  # fmt: skip
_AGENCY_RE = re.compile(
    r"\(?\b(" + "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True)) + r")\b\)?", re.IGNORECASE
)
_ROLE_WORDS = (
    r"writer|reporter|correspondent|editor|columnist|contributor|journalist|producer|manager|director|"
    r"analyst|professor|staff|special|senior|chief|associate|deputy|"
    r"korrespondent(?:in)?|redakteur(?:in)?|reporter(?:in)?|autor(?:in)?|chefredakteur(?:in)?|"
    r"volontär(?:in)?|mitarbeiter(?:in)?|leiter(?:in)?|ressortleiter(?:in)?|kolumnist(?:in)?|"
    r"redaktion|online-redakteur(?:in)?|landespolitische|politische|freie?r?"
)
_ROLE = re.compile(rf"\b(?:{_ROLE_WORDS})\b", re.IGNORECASE)
# words of an organisation's name ("Sports Network", "NBC News Channel", "Eagle Washington Bureau",
# "VOA News", "Herald Reporter"): such a credit is the attribution, not an author
_ORG = re.compile(
    r"\b(?:news|network|channel|bureau|desk|services?|wire|herald|times|tribune|gazette|press|online|staff|"
    r"team|newsroom|redaktion|agentur|nachrichten|media|radio|tv|television|magazine|journal|daily|weekly)\b",
    re.IGNORECASE,
)
# "For The Associated Press", "für die Zeit": who the author wrote for
_FOR = re.compile(r"^(?:for|für)(?:\s+(?:the|die|den|das))?\b\s*", re.IGNORECASE)
_GLUED_ROLE = re.compile(r"(?<=[a-zäöüß])(Korrespondent(?:in)?|Redakteur(?:in)?|Reporter(?:in)?|Autor(?:in)?)$")
_SPLIT = re.compile(r"(?<!\s)\s*(?:,|;|/|&|\+|\band\b|\bund\b|\bmit\b|\bwith\b|\bsowie\b|\bu\.)\s*", re.IGNORECASE)
_PARTICLES = {
    "von", "van", "de", "der", "den", "da", "di", "du", "le", "la", "al", "el", "bin", "ibn", "ter", "ten", "zu",
    "y", "del", "della", "dos", "das", "des", "vom", "zur", "st.",
}  # fmt: skip
_NAME_TOKEN = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.\-]*|[A-Z]\.|[A-Z]\.[A-Z]\.|Mc\w+|O['’]\w+)$")
_TAIL_SEP = {"on", "am", "um", "published", "updated", "posted", "veröffentlicht", "aktualisiert", "-", "–", "—",
             "|", "•", "·", "at", "stand:", "stand"}  # fmt: skip
# job titles written before a name: "Rechtsanwalt Dennis Tölle"
_LEADING_TITLE = re.compile(
    r"^(?:rechtsanw[aä]lt(?:in)?|ra|notar(?:in)?|pfarrer(?:in)?|senior editor|staff writer)\s+", re.IGNORECASE
)
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")


@dataclass
class Byline:
    """What a byline says: the author names, the agency it credits, the date written with it."""

    authors: list[str] = field(default_factory=list)
    attribution: str | None = None
    date: str | dict[str, Any] | None = None
    date_raw: str | None = None


def is_person_name(text: str) -> bool:
    """Whether ``text`` reads as one person's name: 1 to 5 capitalised words (particles such as
    "von", "de" allowed inside), no digits, no sentence words; a Chinese name of 2-4 characters.

    >>> is_person_name("Ursula von der Leyen"), is_person_name("Berlin nach München"), is_person_name("DOUG FERGUSON")
    (True, False, True)
    """
    t = text.strip()
    if _CJK_NAME.match(t):
        return True
    toks = t.split()
    if not 1 <= len(toks) <= 5 or any(ch.isdigit() for ch in t) or len(t) > 60:
        return False
    if toks[0].casefold() in _PARTICLES and len(toks) == 1:
        return False
    caps = 0
    for k, tok in enumerate(toks):
        if tok.casefold() in _PARTICLES and 0 < k < len(toks) - 1:
            continue
        if tok.casefold() in ("jr.", "sr.", "jr", "sr", "ii", "iii"):
            continue
        if not _NAME_TOKEN.match(tok):
            return False
        caps += 1
    return caps >= 1


def _cut_date(tokens: list[str]) -> tuple[list[str], str | dict | None, str | None]:
    """Split off the first date-bearing tail (after the first name word); relative dates go too."""
    n = len(tokens)
    for k in range(1, n):
        tok = tokens[k].casefold().strip(",")
        starts = tok in _TAIL_SEP or tok[:1].isdigit() or bool(re.match(r"^(mon|tue|wed|thu|fri|sat|sun|montag|"
                                                                           r"dienstag|mittwoch|donnerstag|freitag|"
                                                                           r"samstag|sonntag|jan|feb|m[aä]r|apr|"
                                                                           r"ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])",
                                                                           tok))  # fmt: skip
        if not starts:
            continue
        for e in range(n, k, -1):
            tail = " ".join(tokens[k:e])
            tail_clean = re.sub(r"^(?:[-–—|•·]\s*)+", "", tail)
            value = parse_date(tail_clean, max_words=12)
            if value:
                return tokens[:k], value, tail_clean
        if re.search(r"\b(ago|vor)\b", " ".join(tokens[k:]), re.IGNORECASE) and tok[:1].isdigit():
            return tokens[:k], None, None  # "47 minutes ago": relative, unknown anchor
    return tokens, None, None


def _names(rest: str, out: Byline) -> bool:
    """Fill ``out.authors`` (and the agency) from the part of a byline after its prefix.

    Returns False when a part is neither a name, an agency, a role nor a place (a sentence that
    starts with "Von Ilya Sutskever, oder einem der ...")."""
    rest = re.sub(r"(?<!\s)\s+[|•·]\s+", ", ", rest)
    rest = rest.replace("(", ", ").replace(")", " ")
    after_role = False
    for chunk in _SPLIT.split(rest):
        chunk = _LEADING_TITLE.sub("", " ".join(chunk.split()).strip(" .,:;-–"))
        if not chunk:
            continue
        if after_role:
            continue  # "Sean Silverthorne, Editor, HBS Working Knowledge": what follows a role is affiliation
        m = _AGENCY_RE.search(chunk)
        if m:
            agency = AGENCIES[m.group(1).casefold()]
            out.attribution = out.attribution or agency
            before = _FOR.sub("", chunk[: m.start()].strip()).strip()
            if before and is_person_name(before) and not _ORG.search(before):
                out.authors.append(before)
            continue
        if _FOR.match(chunk) and out.authors:
            out.attribution = out.attribution or _FOR.sub("", chunk).strip() or None
            continue
        if _ORG.search(chunk) and is_person_name(_ORG.sub("", chunk).strip() or "X"):
            out.attribution = out.attribution or chunk  # "Sports Network", "NBC News Channel"
            continue
        chunk = _GLUED_ROLE.sub("", chunk).strip()
        rm = _ROLE.search(chunk)
        if rm:
            before = chunk[: rm.start()].strip()
            # "Sina Zehrfeld Landespolitische Korrespondentin" / "JOSEPH WHITE Sports Writer"
            words = before.split()
            while words and not is_person_name(" ".join(words)):
                words.pop()
            if words and _ORG.search(" ".join(words)):  # "Sports News Editor", "HERALD REPORTER"
                out.attribution = out.attribution or " ".join(words)
            elif len(words) >= 2 or (words and not out.authors):
                out.authors.append(" ".join(words))
            after_role = True
            continue
        if is_person_name(chunk):
            if out.authors and len(chunk.split()) == 1 and not _CJK_NAME.match(chunk):
                continue  # "Anna Sleegers, Frankfurt": a place after a name
            out.authors.append(chunk)
            continue
        return False
    return True


def parse_byline(text: str, require_prefix: bool = True) -> Byline | None:
    """Names, agency and date of a byline, or None when the line is not one.

    >>> parse_byline("Von Dominik Bath und Theresa Martus").authors
    ['Dominik Bath', 'Theresa Martus']
    >>> b = parse_byline("Von Juliane Rohr 28.04.2023, 18:11 Uhr"); (b.authors, b.date)
    (['Juliane Rohr'], '2023-04-28T18:11')
    >>> parse_byline("By JOSEPH WHITE AP Sports Writer").authors
    ['JOSEPH WHITE']
    >>> parse_byline("Von Berlin nach München") is None
    True
    """
    t = " ".join(text.split())
    if not t or len(t.split()) > 20:
        return None
    m = _PREFIX.match(t)
    if m:
        rest = m.group("rest")
    elif require_prefix:
        return None
    else:
        rest = t
    out = Byline()
    tokens, out.date, out.date_raw = _cut_date(rest.split())
    rest = " ".join(tokens)
    if not rest.strip():
        return None
    # the line must consist of names and credits only: any chunk that is neither a name, an
    # agency, a role or a place rejects it ("Von der Befreiung zum Staatsvertrag")
    if not _names(rest, out) or (not out.authors and not out.attribution):
        return None
    first = _SPLIT.split(re.sub(r"(?<!\s)\s+[|•·]\s+", ", ", rest))[0].strip(" .,:;-–")
    first = _GLUED_ROLE.sub("", first).strip()
    if first and not (is_person_name(first) or _AGENCY_RE.search(first) or (_ROLE.search(first) and out.authors)):
        return None
    # dedupe, keep order
    seen: set[str] = set()
    out.authors = [a for a in out.authors if a and not (a in seen or seen.add(a))]
    return out


def credit_line(text: str) -> Byline | None:
    """A prefix-less credit "Francois Murphy | Reuters" / "Jane Smith, dpa": names, then an agency."""
    t = " ".join(text.split())
    m = re.match(r"^(?P<names>[^|•·]{2,79}?[^\s|•·])\s*(?:[|•·,]|\s-\s)\s*\(?(?P<agency>[^|•·,()]{2,30})\)?$", t)
    if not m or m.group("agency").strip().casefold() not in AGENCIES:
        return None
    out = Byline(attribution=AGENCIES[m.group("agency").strip().casefold()])
    for chunk in _SPLIT.split(m.group("names")):
        chunk = chunk.strip(" .,")
        if not is_person_name(chunk) or len(chunk.split()) < 2:
            return None
        out.authors.append(chunk)
    return out if out.authors else None
