"""Repetition: near-identical paragraphs inside a document, and lines that recur across a site.

* In one document, machine translations and page templates repeat paragraphs (a summary box
  above the article restates its sentences). A paragraph whose every sentence closely matches
  a sentence elsewhere in the document is a repeat: the later copy of an identical pair, or
  the summary that restates the body, is dropped.
* Across documents of one site, a line that recurs in many pages is template (footer, menu,
  newsletter box). A line shared by only a couple of articles (a quoted tweet) is not. Lines are
  compared by :func:`line_key`; the per-site counts live in :mod:`babelmill.clean.site_lines`.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from babelmill.clean.lines import _TOKEN, _stems, content_stems, line_key

_SENT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


# a stem in more sentences than this is too common to find a copy by (bounds the work per sentence)
_MAX_POSTINGS = 64


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENT.split(text)) if s]


def repeated_paragraphs(
    paras: list[str], min_words: int = 8, threshold: float = 0.75, min_stems: int = 6
) -> dict[int, int]:
    """Map index of a repeated paragraph -> index of the paragraph it repeats.

    A sentence is repeated when at least ``threshold`` of its content stems (it needs
    ``min_stems`` of them) recur in one sentence of another paragraph. A paragraph whose
    sentences are all repeated is a copy. Of two copies the shorter goes (a teaser or caption
    restating the body), the later one when they are the same length. The first paragraph is
    dropped when half its sentences restate later ones: a summary box above the article.

    >>> same = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda sigma omega."
    >>> repeated_paragraphs([same, "Other text here entirely about nothing.", same])
    {2: 0}
    """
    sents = [[_stems(s) for s in sentences(p)] for p in paras]
    eligible = [len(_TOKEN.findall(p)) >= min_words for p in paras]
    sizes = [sum(len(s) for s in ss) for ss in sents]
    out: dict[int, int] = {}

    # Candidate search by prefix filtering (as in set-similarity joins): a sentence sharing
    # at least ``threshold`` of its stems with another must share one of its
    # ``len - ceil(threshold * len) + 1`` rarest stems, so only those stems' postings are
    # read and each candidate is verified exactly. Cost grows with the number of sentences,
    # not with their pairs; stems in very many sentences carry no signal and are skipped.
    owner: list[int] = []
    sent_sets: list[set[str]] = []
    postings: dict[str, list[int]] = {}
    # identical stem sets, so verbatim copies are found even when every stem is common
    same: dict[frozenset[str], list[int]] = {}
    for j, ss in enumerate(sents):
        if not eligible[j]:
            continue
        for s in ss:
            sid = len(owner)
            owner.append(j)
            sent_sets.append(s)
            same.setdefault(frozenset(s), []).append(sid)
            for stem in s:
                postings.setdefault(stem, []).append(sid)

    def rarity(stem: str) -> tuple[int, str]:
        return (len(postings.get(stem, ())), stem)

    def match(i: int) -> tuple[int, int, int, Counter[int]]:
        total = covered = checked = 0
        matched: Counter[int] = Counter()
        for s in sents[i]:
            if len(s) < 3:
                continue
            prefix = sorted(s, key=rarity)[: len(s) - math.ceil(threshold * len(s)) + 1]
            cands: set[int] = set(same.get(frozenset(s), ())[:_MAX_POSTINGS])
            for stem in prefix:
                hits = postings.get(stem, ())
                if len(hits) <= _MAX_POSTINGS:
                    cands.update(hits)
            best_j, best_overlap, best_sid = -1, 0, -1
            for sid in sorted(cands):
                j = owner[sid]
                if j == i or j in out:
                    continue
                ov = len(s & sent_sets[sid])
                if ov > best_overlap:
                    best_j, best_overlap, best_sid = j, ov, sid
            total += len(s)
            covered += best_overlap
            if len(s) >= min_stems:
                checked += 1
                if best_sid >= 0 and best_overlap / len(s) >= threshold:
                    matched[best_j] += 1
        return total, covered, checked, matched

    first = next((i for i, e in enumerate(eligible) if e), None)
    if first is not None and first <= 2:
        _, _, checked, matched = match(first)
        partial = sum(matched.values()) < checked or len(matched) > 1
        if matched and partial and sum(matched.values()) * 2 >= checked and all(j > first for j in matched):
            out[first] = matched.most_common(1)[0][0]
    for i in sorted((i for i, e in enumerate(eligible) if e and i not in out), key=lambda i: (sizes[i], -i)):
        total, covered, checked, matched = match(i)
        if total >= 10 and matched and covered / total >= threshold and sum(matched.values()) == checked:
            out[i] = matched.most_common(1)[0][0]
    return dict(sorted(out.items()))


__all__ = ["content_stems", "line_key", "repeated_paragraphs", "sentences"]
