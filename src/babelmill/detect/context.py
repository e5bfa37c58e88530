"""Context for short and ambiguous blocks.

A name ("Greg Brockman"), a timestamp ("9:46 PM • Nov 17, 2023") or a button label carries
too little text for any detector: langdetect calls names German or Swedish and timestamps
Slovak. In an article such a block almost always shares the language around it, so a *weak*
block leans towards its context: its nearest *strong* neighbours (before and after) and the
document's dominant language vote, and the winner gets a prior that the block's own
probabilities must overcome (see :func:`resolve`).

Strong means: decided by script, or at least ``min_letters`` letters and confidence at least
``min_confidence``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from babelmill.detect.langid import Guess


@dataclass(slots=True)
class Decision:
    """Final language of one block after context, and why."""

    lang: str
    code: str
    confidence: float
    reason: str  # "script", "model" (strong own guess), "neighbours", "dominant", "own_evidence"


def is_strong(g: Guess, min_letters: int, min_confidence: float) -> bool:
    if g.lang is None:
        return False
    if g.by == "script":
        return True
    return g.letters >= min_letters and g.confidence >= min_confidence


def dominant_language(guesses: list[Guess], weights: list[int], strong: list[bool], default: str = "en") -> str:
    """Language with the most characters over strong blocks (all blocks if none is strong)."""
    counts: Counter[str] = Counter()
    for g, w, s in zip(guesses, weights, strong, strict=True):
        if s and g.lang:
            counts[g.lang] += w
    if not counts:
        for g, w in zip(guesses, weights, strict=True):
            if g.lang:
                counts[g.lang] += w
    if not counts:
        return default
    return max(sorted(counts), key=lambda k: counts[k])


def dominant_other_code(guesses: list[Guess], weights: list[int], strong: list[bool]) -> str:
    """The most written non-target language (by characters of strong blocks), or ``und``."""
    counts: Counter[str] = Counter()
    for g, w, s in zip(guesses, weights, strong, strict=True):
        if s and g.lang == "other" and g.code:
            counts[g.code] += w
    return max(sorted(counts), key=lambda k: counts[k]) if counts else "und"


def _code_for(group: str, guess: Guess) -> str:
    if group != "other":
        return group
    if guess.code and guess.lang == "other":
        return guess.code
    return "und"


def context_language(
    i: int, guesses: list[Guess], strong: list[bool], dominant: str, window: int
) -> tuple[str, Guess | None, str]:
    """Vote of the nearest strong block before, the nearest after, and the dominant language.

    Ties go to the dominant language, so one quoted English tweet next to a German paragraph
    does not pull the German attribution line below it into English, while a line *between*
    two English tweets is English.
    """
    n = len(guesses)
    before = next((guesses[j] for j in range(i - 1, max(-1, i - 1 - window), -1) if strong[j]), None)
    after = next((guesses[j] for j in range(i + 1, min(n, i + 1 + window)) if strong[j]), None)
    votes: Counter[str] = Counter({dominant: 1})
    for x in (before, after):
        if x is not None:
            votes[x.lang] += 1
    best = max(votes.values())
    winners = sorted(k for k, v in votes.items() if v == best)
    lang = dominant if dominant in winners else winners[0]
    src = next((x for x in (before, after) if x is not None and x.lang == lang), None)
    return lang, src, "neighbours" if votes[lang] > 1 or lang != dominant else "dominant"


def resolve(
    guesses: list[Guess],
    weights: list[int],
    *,
    min_letters: int = 20,
    min_confidence: float = 0.7,
    context_prior: float = 0.6,
    short_letters: int = 12,
    window: int = 3,
    default: str = "en",
) -> tuple[list[Decision], str]:
    """Decide every block's language; returns decisions and the document's dominant language.

    A strong guess stands. A weak one is re-weighed with a context prior: the context language
    (:func:`context_language`) gets ``context_prior``, each other group an equal share of the
    rest, and the block's own probability per group is multiplied in. So context decides when
    the block says little ("Greg Brockman": every language about equally likely), while clear
    own evidence still wins ("OpenAI will be interesting to watch" stays English in a German
    article, since German gets almost no probability of its own).

    Args:
        guesses: context-free guesses, one per block, in document order.
        weights: characters per block (for the dominant language).
        min_letters / min_confidence: what makes a guess strong enough to stand alone.
        context_prior: prior probability of the context language for weak blocks.
        short_letters: a weak block with fewer letters has its own probabilities blended
            towards uniform in proportion (3 letters: a quarter of its own evidence).
        window: how many blocks to look at on each side for a strong neighbour.
        default: the language when a document has no usable text at all.
    """
    groups = ("de", "en", "zh", "other")
    strong = [is_strong(g, min_letters, min_confidence) for g in guesses]
    dominant = dominant_language(guesses, weights, strong, default)
    other_code = dominant_other_code(guesses, weights, strong)
    out: list[Decision] = []
    for i, g in enumerate(guesses):
        if strong[i]:
            out.append(Decision(g.lang, _code_for(g.lang, g), g.confidence, g.by))
            continue
        ctx, src, reason = context_language(i, guesses, strong, dominant, window)
        if g.lang is None:  # no letters at all: context is all there is
            code = _code_for(ctx, src) if src is not None else (ctx if ctx != "other" else other_code)
            out.append(Decision(ctx, code, 0.5, reason))
            continue
        rest = (1.0 - context_prior) / (len(groups) - 1)
        # detectors are over-sure on a handful of letters (langdetect gives "9:46 PM" to Slovak
        # at 1.0): below ``short_letters`` letters the own guess is blended towards uniform
        trust = min(1.0, g.letters / max(short_letters, 1))
        own = {k: trust * g.score_of(k) + (1.0 - trust) / len(groups) for k in groups}
        post = {k: own[k] * (context_prior if k == ctx else rest) for k in groups}
        total = sum(post.values())
        if total <= 0:
            lang, conf = ctx, 0.5
        else:
            lang = max(groups, key=lambda k: post[k])  # fixed group order breaks ties
            conf = post[lang] / total
            if lang != ctx:
                reason = "own_evidence"
        if lang == g.lang:
            code = _code_for(lang, g)
        elif src is not None and src.lang == lang:
            code = _code_for(lang, src)
        else:
            code = lang if lang != "other" else _top_other(g) or other_code
        out.append(Decision(lang, code, round(min(conf, 1.0), 4), reason))
    return out, dominant


def _top_other(g: Guess) -> str:
    others = {k: v for k, v in g.scores.items() if k not in ("de", "en", "zh")}
    return max(sorted(others), key=lambda k: others[k]) if others else ""
