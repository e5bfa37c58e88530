"""Style features for telling English machine-translated from Chinese apart from other English.

The features avoid content words and length on purpose: the development data's Chinese-origin
texts are about China and longer, so a topical or length feature would learn the topic, not the
translation. What remains is how the text is *built*: function-word rates, punctuation rates,
what follows a comma (comma splices), function-word connectives and the shape of short
function-word sequences, all normalised per token (or per sentence), so a long and a short
chunk of the same style get the same vector.

>>> f = featurize("The role of red dates: taste sweet, return to the spleen.")
>>> round(f["fw:the"], 3), f["punct:colon"] > 0
(0.182, True)
"""

from __future__ import annotations

import re
from collections import Counter

# Closed-class English words (articles, pronouns, prepositions, conjunctions, auxiliaries,
# common adverbs/determiners). No nouns, verbs or adjectives that carry topic.
FUNCTION_WORDS: tuple[str, ...] = tuple(
    """
a about above after again against all also although am among an and another any are as at
be because been before being below between both but by can could did do does doing down during
each either even ever every few for from further had has have having he her here hers herself him
himself his how however i if in into is it its itself just least less let many may me might more
most much must my myself neither no nor not now of off on once one only or other others our ours
ourselves out over own per quite rather same several shall she should since so some such than that
the their theirs them themselves then there therefore these they this those though through thus
to too under until up upon us very was we were what whatever when where whether which while who
whom whose why will with within without would yet you your yours yourself
""".split()
)
_FW = frozenset(FUNCTION_WORDS)

# Discourse and stance words that Chinese-to-English translation over-produces (renderings of
# 进一步/相关/积极/开展/加强/各种/实现/方面 ...). They are topic-neutral: they occur in finance,
# tech, food and politics alike, so they describe the translation, not the subject.
TRANSLATIONESE: tuple[str, ...] = tuple(
    """
further relevant related actively carry carried effectively comprehensively strengthen various
aspects aspect realize realized achieve continuously gradually constantly certain significant
significantly overall timely promote promoting situation conduct conducted relevant currently
everyone really very quite such so also still already directly indeed greatly deeply firmly
""".split()
)
_TR = frozenset(TRANSLATIONESE)

# Punctuation and symbol classes, counted per token.
PUNCT: dict[str, str] = {
    "comma": ",",
    "period": ".",
    "colon": ":",
    "semicolon": ";",
    "question": "?",
    "exclaim": "!",
    "paren": "(",
    "straight_dquote": '"',
    "straight_squote": "'",
    "curly_dquote": "\u201c\u201d",
    "curly_squote": "\u2018\u2019",
    "dash": "\u2013\u2014",
    "hyphen_spaced": "",  # handled specially
    "percent": "%",
    "slash": "/",
}

# What follows a comma. Chinese chains clauses with commas where English starts a new sentence,
# and MT keeps the chain: ", it is", ", we will", ", and the" (comma splices). Counted per token.
COMMA_FOLLOWERS: dict[str, str] = {
    "pron": r"i|we|they|he|she|it|you",
    "and": r"and",
    "the": r"the|this|these",
    "conj": r"but|so|which|while|because",
    "verb": r"is|are|was|were|has|have|can|will|should",
    "adv": r"also|still|even|only|then",
}
_COMMA_RES = {k: re.compile(rf",\s+(?:{v})\b", re.IGNORECASE) for k, v in COMMA_FOLLOWERS.items()}

# Multi-word connectives and function-word collocations (no content words), per token.
CONNECTIVES: tuple[str, ...] = (
    "at the same time",
    "in addition",
    "it is reported",
    "according to",
    "in order to",
    "so as to",
    "as well as",
    "in terms of",
    "with the",
    "has been",
    "it is",
    "there are",
    "there is",
    "and the",
    "of the",
    "in the",
    "to the",
)
_CONNECTIVE_RES = {c: re.compile(rf"\b{c}\b") for c in CONNECTIVES}

_TOKEN_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens."""
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def shape(tok: str) -> str:
    """A function word stays itself; numbers become ``N``; every other word becomes ``W``."""
    if tok in _FW:
        return tok
    if tok[0].isdigit():
        return "N"
    return "W"


def shape_ngrams(toks: list[str], n: int) -> Counter[str]:
    """Counts of ``n``-grams over :func:`shape` tokens that contain at least one function word."""
    shapes = [shape(t) for t in toks]
    out: Counter[str] = Counter()
    for i in range(len(shapes) - n + 1):
        gram = shapes[i : i + n]
        if any(g not in ("W", "N") for g in gram):
            out[" ".join(gram)] += 1
    return out


def featurize(text: str) -> dict[str, float]:
    """Feature name -> value, each a rate per token (or per sentence) so length cancels out."""
    toks = tokens(text)
    n = max(len(toks), 1)
    feats: dict[str, float] = {}
    counts = Counter(toks)
    for w in FUNCTION_WORDS:
        if counts[w]:
            feats[f"fw:{w}"] = counts[w] / n
    for w in _TR:
        if counts[w]:
            feats[f"tr:{w}"] = counts[w] / n
    feats["tr_share"] = sum(counts[w] for w in _TR) / n
    # contractions are rare in machine output and common in native informal English
    feats["shape:contraction"] = sum(1 for t in toks if "'" in t) / n
    feats["fw_share"] = sum(counts[w] for w in _FW) / n
    for name, chars in PUNCT.items():
        if chars:
            c = sum(text.count(ch) for ch in chars)
            if c:
                feats[f"punct:{name}"] = c / n
    spaced = len(re.findall(r"\s-\s", text))
    if spaced:
        feats["punct:hyphen_spaced"] = spaced / n
    sents = [s for s in _SENT_RE.split(text.strip()) if s]
    ns = max(len(sents), 1)
    # commas per sentence: Chinese run-on sentences become comma-spliced English
    feats["sent:commas_per_sentence"] = min(text.count(",") / ns, 10.0) / 10.0
    # share of sentences that start with a function word vs. a content word
    starts = [tokens(s)[:1] for s in sents]
    feats["sent:start_fw"] = sum(1 for s in starts if s and s[0] in _FW) / ns
    # capitalised words that are not sentence-initial (names, acronyms): a style, not a topic
    caps = len(re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+", text))
    feats["shape:cap_rate"] = caps / n
    feats["shape:digit_rate"] = sum(1 for t in toks if t[0].isdigit()) / n
    # average word length: long Latinate words vs. short everyday ones
    words = [t for t in toks if not t[0].isdigit()]
    feats["shape:mean_word_len"] = (sum(len(t) for t in words) / max(len(words), 1)) / 10.0
    for name, rx in _COMMA_RES.items():
        c = len(rx.findall(text))
        if c:
            feats[f"cs:{name}"] = c / n
    joined = " ".join(toks)
    for phrase, rx in _CONNECTIVE_RES.items():
        c = len(rx.findall(joined))
        if c:
            feats[f"con:{phrase.replace(' ', '_')}"] = c / n
    for gram, c in shape_ngrams(toks, 2).items():
        feats[f"bi:{gram}"] = c / n
    for gram, c in shape_ngrams(toks, 3).items():
        feats[f"tri:{gram}"] = c / n
    return feats
