"""Embedded posts (tweets, quoted posts) in text dumps.

An embedded tweet leaves its text followed by chrome: an attribution line
("— Sam Altman (@sama)"), a timestamp line ("9:46 PM • Nov 17, 2023") and, for long tweets, a
truncation link ("… twitter.com/i/web/status/1…"). Quoted posts on newsletters end in a
" - Source." link tail under an author line. The text is article content (kept as a quote
block with author, handle and date in its meta); the chrome is removed with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babelmill.clean.dates import parse_date
from babelmill.clean.lines import Line

# Every quantifier here is bounded or has a single place to stop, so the cost is linear in the
# line: a long run of spaces or dashes (hostile input) must not make a match try every split.
ATTRIBUTION = re.compile(
    r"^[—–―-]{1,2}\s{0,5}(?P<name>[^()@\s][^()@\n]{0,59}?)\s{0,5}\(\s{0,5}@(?P<handle>\w{1,30})\s{0,5}\)"
    r"\s{0,5}(?P<date>.{0,40})$"
)
TIMESTAMP = re.compile(r"^\d{1,2}[:.]\d{2}\s*(?:[AaPp]\.?[Mm]\.?\s*)?[•·|,-]\s*(?P<date>.{4,30})$")
# the link itself; the whitespace and ellipsis before it are taken by truncation_start()
_TRUNCATION_LINK = re.compile(
    r"(?P<web>(?:https?://)?(?:www\.)?(?:twitter|x)\.com/i/web/status/\S*)\s*$|pic\.twitter\.com/\S+\s*$"
)
# " - Source." at the end of a line; the whitespace before the dash is checked by source_tail_start()
_SOURCE_END = re.compile(r"[-–—]\s*(?:Source|Quelle|Link)\.?\s*$")
_NAME = re.compile(r"^[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}$")
MAX_TWEET_CHARS = 330  # a tweet is at most 280 characters; leave room for line breaks and emoji


def truncation_start(text: str) -> int | None:
    """Where a tweet's "… twitter.com/i/web/status/…" or "pic.twitter.com/…" tail starts.

    >>> t = "Big news today … twitter.com/i/web/status/1"
    >>> t[: truncation_start(t)]
    'Big news today'
    """
    m = _TRUNCATION_LINK.search(text)
    if m is None:
        return None
    head = text[: m.start()].rstrip()
    if m.group("web"):
        for ellipsis in ("…", "..."):
            if head.endswith(ellipsis):
                head = head[: -len(ellipsis)].rstrip()
                break
    return len(head)


def source_tail_start(text: str) -> int | None:
    """Where a quoted post's " - Source." tail starts (whitespace, a dash, the word, the end).

    >>> source_tail_start("We shipped it - Source.")
    13
    >>> source_tail_start("Tick-Link") is None
    True
    """
    m = _SOURCE_END.search(text)
    if m is None:
        return None
    start = len(text[: m.start()].rstrip())
    return start if start < m.start() else None


@dataclass
class Embed:
    lines: list[int]  # indices (into the line list) of the quoted text
    meta: dict[str, str] = field(default_factory=dict)
    removed: list[tuple[int, str, str]] = field(default_factory=list)  # (index, text, reason)
    trims: dict[int, str] = field(default_factory=dict)  # index -> text with embed chrome cut off


def _lang_of(line: Line) -> str | None:
    if line.n_words < 4 or not line.stop_hits:
        return None
    best = max(sorted(line.stop_hits), key=lambda k: line.stop_hits[k])
    return best if line.stop_hits[best] else None


def find_embeds(lines: list[Line], taken: set[int]) -> list[Embed]:
    """Locate embedded tweets and sourced quotes; ``taken`` indices are already decided."""
    embeds: list[Embed] = []
    used: set[int] = set(taken)
    for i, ln in enumerate(lines):
        if i in used:
            continue
        m = ATTRIBUTION.match(ln.text)
        if m:
            emb = Embed(
                lines=[], meta={"embed": "tweet", "author": m.group("name").strip(), "handle": "@" + m.group("handle")}
            )
            emb.removed.append((i, ln.text, "embed_attribution"))
            date = parse_date(m.group("date")) if m.group("date").strip() else None
            if i + 1 < len(lines) and (i + 1) not in used:
                nxt = lines[i + 1].text
                tm = TIMESTAMP.match(nxt)
                d2 = parse_date(nxt) if (tm or len(nxt) < 40) else None
                if d2:
                    date = date or d2
                    emb.removed.append((i + 1, nxt, "embed_timestamp"))
            if date:
                emb.meta["date"] = date
            # walk back over the tweet text
            total = 0
            first_lang = None
            j = i - 1
            while j >= 0 and j not in used:
                prev = lines[j]
                if ATTRIBUTION.match(prev.text) or TIMESTAMP.match(prev.text):
                    break
                if prev.text.rstrip().endswith(":") and emb.lines:
                    break
                cut = truncation_start(prev.text)
                text = prev.text if cut is None else prev.text[:cut]
                if total + len(text) > MAX_TWEET_CHARS and emb.lines:
                    break
                lang = _lang_of(prev)
                if first_lang is None:
                    first_lang = lang
                elif lang and first_lang and lang != first_lang:
                    break
                if prev.text.rstrip().endswith(":") and not emb.lines:
                    break
                total += len(text)
                emb.lines.insert(0, j)
                if text != prev.text:
                    emb.trims[j] = text.rstrip()
                    emb.removed.append((j, prev.text[len(text.rstrip()) :].strip(), "embed_truncation_link"))
                j -= 1
            for k, _, _ in emb.removed:
                used.add(k)
            used.update(emb.lines)
            embeds.append(emb)
            continue
        t = source_tail_start(ln.text)
        if t is not None and ln.n_words >= 4:
            emb = Embed(lines=[i], meta={"embed": "post"})
            emb.trims[i] = ln.text[:t].rstrip()
            emb.removed.append((i, ln.text[t:].strip(), "embed_source_tail"))
            j = i - 1
            while j >= 0 and j not in used and i - j <= 8:
                prev = lines[j]
                if _NAME.match(prev.text) and 2 <= prev.n_words <= 4 and not prev.terminal:
                    emb.meta["author"] = prev.text
                    emb.removed.append((j, prev.text, "embed_author"))
                    emb.lines = list(range(j + 1, i + 1))
                    break
                if source_tail_start(prev.text) is not None or prev.text.rstrip().endswith(":"):
                    break
                j -= 1
            for k, _, _ in emb.removed:
                used.add(k)
            used.update(emb.lines)
            embeds.append(emb)
    return embeds
