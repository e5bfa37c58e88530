"""Article metadata from the lines around the body: title, subtitle, byline, date, source.

Works on the top of the document (lines before the first sentence-like paragraph) and on
short byline-shaped lines anywhere. Every line it consumes is reported with a reason
(``metadata_title``, ``metadata_author`` ...), so the body never repeats the metadata.
"""

from __future__ import annotations

import re
import unicodedata

from babelmill.clean.byline import _ROLE, Byline, credit_line, is_person_name, parse_byline
from babelmill.clean.dates import parse_date
from babelmill.clean.lines import Line, script_of

_AUTHOR_SOURCE = re.compile(
    r"^(?:author|autor(?:in)?|作者)\s*[:：]\s*(?P<author>\S.*?)\s(?:source|quelle|来源)\s*[:：]\s*(?P<source>.+)$", re.I
)
_EDITOR = re.compile(
    r"^(?:editor|editors|edited by|redaktion|bearbeitet von|编辑|责编|责任编辑)\s*[/:：]\s*(?P<name>.{1,40})$", re.I
)
_SOURCE = re.compile(r"^(?:source|sources|quelle|来源|原文来源|出处)\s*[:：]\s*(?P<src>[^/]{2,80})$", re.I)
# site and date start and end where the spaces around the separator do not, so the "\s*" between
# them never has to be retried at every length of a long run of spaces
_SITE_DATE = re.compile(r"^(?P<site>[^\s·•|](?:[^·•|]{0,39}?[^\s·•|])??)\s*[·•|]\s*(?P<date>[^\s·•|][^·•|]{3,39})$")
_BREADCRUMB_ITEM = re.compile(r"^[-–•>»›]\s+\S")
_BREADCRUMB_SEP = re.compile(r"\s(?:/|>|»|›|\|)\s")


def is_byline(text: str) -> bool:
    """Whether a line is an author/editor/source credit (metadata, not chrome or body).

    >>> is_byline("Author: Lan Xi Source: Weibo"), is_byline("Editor/Rocky"), is_byline("Source: Weibo")
    (True, True, True)
    """
    t = text.strip()
    if len(t.split()) > 14:
        return False
    return bool(_AUTHOR_SOURCE.match(t) or _EDITOR.match(t) or _SOURCE.match(t))


_KEY_LEAD = re.compile(r"^[-–•>»›\s]+")
_KEY_NON_WORD = re.compile(r"[^\w]+")


def norm_key(text: str) -> str:
    """Comparison key: NFKC, case-folded, punctuation and spaces squeezed."""
    t = _KEY_LEAD.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(_KEY_NON_WORD.sub(" ", t).split())


def _heading_like(ln: Line) -> bool:
    t = ln.text
    return 2 <= ln.weq <= 30 and not t.endswith((".", ",", ";")) and ln.alpha_share >= 0.6 and ln.url_chars == 0


def _role_line(ln: Line) -> bool:
    """A credit line under a byline: "AP Golf Writer", "Staff Reporter"."""
    return ln.n_words <= 5 and bool(_ROLE.search(ln.text)) and not ln.text.rstrip().endswith((".", "!", "?"))


def extract_metadata(lines: list[Line], first_body: int, body_script: str) -> tuple[dict, dict[int, str]]:
    """Return (metadata, {line index: reason}) for the lines it consumes.

    ``first_body`` is the index of the first sentence-like paragraph; the title zone is the
    part of the document before it.
    """
    meta: dict = {}
    taken: dict[int, str] = {}
    top = min(first_body, 40)

    def set_date(raw: str, iso: str | dict | None) -> None:
        if iso and "published" not in meta:
            meta["published"] = iso
            meta["published_raw"] = raw

    def set_authors(names: list[str]) -> None:
        names = [n for n in names if n]
        if names and "author" not in meta:
            meta["author"] = ", ".join(names)
            meta["authors"] = names

    def take_byline(i: int, b: Byline) -> None:
        set_authors(b.authors)
        if b.attribution:
            meta.setdefault("attribution", b.attribution)
        set_date(b.date_raw or lines[i].text, b.date)
        taken[i] = "metadata_author"
        k = i + 1
        if k < len(lines) and k not in taken and _role_line(lines[k]):
            taken[k] = "metadata_author"
            k += 1
        if k < len(lines) and k not in taken and lines[k].n_words <= 12:
            # "06.11.2023, 15:20 Uhr • 2 Min. Lesezeit" under the byline
            part = re.split(r"(?<!\s)\s+[|•·]\s+", lines[k].text)[0]
            value = parse_date(part)
            if value:
                set_date(part, value)
                taken[k] = "metadata_date"

    # -- bylines, sources, editors: anywhere, when the line is short
    for i, ln in enumerate(lines):
        if i in taken or ln.n_words > 14 and ln.cjk < 4 or ln.cjk > 40:
            continue
        t = ln.text
        m = _AUTHOR_SOURCE.match(t)
        if m:
            author = m.group("author").strip()
            set_authors([author] if is_person_name(author) else [])
            meta.setdefault("attribution", m.group("source").strip())
            taken[i] = "metadata_author"
            continue
        m = _EDITOR.match(t)
        if m and len(m.group("name").split()) <= 4:
            meta.setdefault("editor", m.group("name").strip())
            set_authors([m.group("name").strip()])
            taken[i] = "metadata_author"
            continue
        m = _SOURCE.match(t)
        if m and ln.n_words <= 12 and (i < top + 3 or i >= len(lines) - 8):
            meta.setdefault("attribution", m.group("src").strip().rstrip("."))
            taken[i] = "metadata_source"
            continue
        # a byline with its prefix is checked to hold names only, so it may sit under a dek or
        # below a long menu; far from the top it needs a full name ("By Tuesday" is no byline)
        b = parse_byline(t) or (credit_line(t) if i <= top + 2 else None)
        if b is not None and i > top + 2 and not any(len(a.split()) >= 2 for a in b.authors):
            b = None
        if b is not None and (b.authors or b.attribution):
            take_byline(i, b)

    # -- datelines and "site · date" lines in the title zone
    for i in range(min(top + 2, len(lines))):
        if i in taken:
            continue
        t = lines[i].text
        iso = parse_date(t)
        if iso:
            set_date(t, iso)
            taken[i] = "metadata_date"
            continue
        m = _SITE_DATE.match(t)
        if m and parse_date(m.group("date")):
            set_date(t, parse_date(m.group("date")))
            site = m.group("site").strip()
            if 1 <= len(site.split()) <= 4:
                meta.setdefault("site", site)
            taken[i] = "metadata_date"

    # -- breadcrumbs: a run of "- item" lines at the top whose last item names the page
    i = 0
    while i < min(top, len(lines)):
        j = i
        while j < len(lines) and _BREADCRUMB_ITEM.match(lines[j].text) and lines[j].n_words <= 14:
            j += 1
        if j - i >= 2:
            items = [re.sub(r"^[-–•>»›]\s+", "", lines[k].text) for k in range(i, j)]
            for k in range(i, j):
                taken[k] = "breadcrumb"
            if items[0].casefold() not in ("home", "startseite", "首页"):
                meta.setdefault("site", items[0])
            meta.setdefault("_crumb_title", items[-1])
            i = j
            break
        i += 1
    for i in range(min(top, len(lines))):
        t = lines[i].text
        if i not in taken and len(_BREADCRUMB_SEP.findall(t)) >= 2 and lines[i].n_words <= 20:
            taken[i] = "breadcrumb"

    # -- title: the breadcrumb's last item, else the first heading-like line of the title zone
    crumb = meta.pop("_crumb_title", None)
    title_idx = None
    cands = [i for i in range(min(top, len(lines))) if i not in taken and _heading_like(lines[i])]
    if crumb:
        for i in cands:
            if norm_key(lines[i].text) == norm_key(crumb):
                title_idx = i
                break
    if title_idx is None and cands:
        # prefer the line right before a byline/date line; else the last heading before the body
        # that does not sit in a run of menu items
        marks = sorted(k for k, r in taken.items() if r in ("metadata_author", "metadata_date") and k < top + 2)
        for mk in marks:
            before = [c for c in cands if c < mk and mk - c <= 3 and lines[c].weq >= 3]
            if before:
                # the nearest heading above the byline; a sentence-like dek sits between them
                pick = before[-1]
                if len(before) > 1 and lines[pick].text.endswith((".", "!")) and lines[pick].n_words >= 8:
                    pick = before[-2]
                title_idx = pick
                break
        if title_idx is None:
            for c in cands:
                run = sum(
                    1 for d in (-2, -1, 1, 2) if 0 <= c + d < len(lines) and lines[c + d].text and lines[c + d].weq <= 3
                )
                if run <= 1:
                    title_idx = c
                    break
    if title_idx is not None:
        title_ln = lines[title_idx]
        nxt = title_idx + 1
        while nxt in taken and nxt < len(lines):
            nxt += 1
        title_script = script_of(title_ln.text)
        if (
            title_script != body_script
            and body_script != "other"
            and nxt < len(lines)
            and nxt <= top
            and script_of(lines[nxt].text) == body_script
            and lines[nxt].weq <= 40
        ):
            # a title kept in the source language above its rendering (machine-translated pages)
            meta["original_title"] = title_ln.text
            taken[title_idx] = "metadata_original_title"
            title_idx = nxt
            title_ln = lines[nxt]
        meta["title"] = title_ln.text
        taken[title_idx] = "metadata_title"
        key = norm_key(title_ln.text)
        for i, ln in enumerate(lines):
            if i not in taken and norm_key(ln.text) == key:
                taken[i] = "repeated_title"
        # subtitle: the short line right under the title, or a dek standing between title and byline
        k = title_idx + 1
        while k in taken and taken[k] == "repeated_title":
            k += 1
        if k < len(lines) and k not in taken and k < top:
            sub = lines[k]
            byline_follows = any(taken.get(k + d) in ("metadata_author", "metadata_date") for d in (1, 2))
            subtitle_like = sub.n_words >= 3 and sub.text[:1].isupper() and not sub.text.endswith((":", ","))
            if subtitle_like and (sub.weq <= 12 or (byline_follows and sub.weq <= 45)):
                meta["subtitle"] = sub.text
                taken[k] = "metadata_subtitle"
    return meta, taken
