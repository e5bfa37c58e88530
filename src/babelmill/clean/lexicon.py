"""The line model's lexicon: which words and word pairs a line is made of, as evidence of article text.

Chrome and user comments have their own words ("leave a reply", "share this", "I", "you", "thanks
for", "read more", "Anmelden") that the line's shape does not show. A linear model over a line's
word uni- and bigrams (binary, L2-normalised, only n-grams seen on at least ``min_sites`` training
sites, so that no site's own template is memorised) gives each line a log-odds score; the line
model sees that score, its page-relative value and its means over the neighbouring lines
(:func:`babelmill.clean.line_model.lexical_columns`).

Scoring needs only the stored weights: a line's score is the bias plus the sum of its known
n-grams' weights divided by the square root of their number (the L2-normalised binary row).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: only the line's first characters are read: the cost stays flat in the line's length
MAX_CHARS = 300
_WORD = re.compile(r"\w+")


def line_words(text: str) -> list[str]:
    """The lower-cased words of ``text``'s first :data:`MAX_CHARS` characters, in order."""
    return _WORD.findall(text[:MAX_CHARS].lower())


def grams_of_words(words: Sequence[str]) -> list[str]:
    """The distinct words and adjacent word pairs of a line's :func:`line_words`, in order of
    first appearance."""
    return list(dict.fromkeys([*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]))


def grams(text: str) -> list[str]:
    """The distinct lower-cased words and adjacent word pairs of ``text``'s first :data:`MAX_CHARS`
    characters, in order of first appearance.

    >>> grams("Leave a Reply. Leave a")
    ['leave', 'a', 'reply', 'leave a', 'a reply', 'reply leave']
    """
    return grams_of_words(line_words(text))


@dataclass
class Lexicon:
    """N-gram weights and a bias: :meth:`score` gives each line's log-odds of article text."""

    weights: dict[str, float]
    bias: float

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        if len(data["grams"]) != len(data["weights"]):
            raise ValueError("lexicon: grams and weights differ in length")
        return cls(dict(zip(data["grams"], map(float, data["weights"]), strict=True)), float(data["bias"]))

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Log-odds of article text for each line, from its known n-grams alone."""
        return self.score_words([line_words(t) for t in texts])

    def score_words(self, words: Sequence[Sequence[str]]) -> np.ndarray:
        """:meth:`score` from the lines' :func:`line_words`."""
        get = self.weights.get
        out = np.full(len(words), self.bias)
        for i, ws in enumerate(words):
            hits = [w for w in map(get, grams_of_words(ws)) if w is not None]
            if hits:
                out[i] += math.fsum(hits) / math.sqrt(len(hits))
        return out


def train_lexicon(
    texts: Sequence[Sequence[str]],
    labels: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    sites: Sequence[str],
    min_sites: int = 3,
    alpha: float = 1e-5,
    digits: int = 4,
) -> dict:
    """The lexicon's stored form, learned from pages' lines (``texts``), their 0/1 ``labels`` and
    sample ``weights`` (lines of weight 0 are left out), the n-grams limited to those found on
    at least ``min_sites`` of the pages' ``sites``. L2-regularised logistic regression by SGD
    (``alpha``), seeded: the same pages give the same weights; rounded to ``digits`` decimals.
    Needs scikit-learn."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import normalize

    kept = [np.asarray(w) > 0 for w in weights]
    lines = [t for ts, k in zip(texts, kept, strict=True) for t, keep in zip(ts, k, strict=True) if keep]
    vec = CountVectorizer(analyzer=grams, binary=True, dtype=np.float64)
    X = vec.fit_transform(lines).tocsr()
    # on how many sites each n-gram occurs
    site_ids = {s: k for k, s in enumerate(sorted(set(sites)))}
    row_site = np.concatenate([np.full(int(k.sum()), site_ids[s]) for k, s in zip(kept, sites, strict=True)])
    by_site = sp.csr_matrix(
        (np.ones(len(row_site)), (row_site, np.arange(len(row_site)))), shape=(len(site_ids), len(lines))
    )
    on_sites = np.asarray(((by_site @ X) > 0).sum(axis=0)).ravel()
    cols = np.flatnonzero(on_sites >= min_sites)
    y = np.concatenate([np.asarray(lab)[k] > 0.5 for lab, k in zip(labels, kept, strict=True)])
    w = np.concatenate([np.asarray(wt)[k] for wt, k in zip(weights, kept, strict=True)])
    settings = {"min_sites": min_sites, "alpha": alpha}
    if not len(cols) or len(set(y.tolist())) < 2:  # too few sites or one class: the base rate alone
        rate = min(max(float(np.average(y, weights=w)) if w.sum() else 0.5, 1e-3), 1 - 1e-3)
        return {"grams": [], "weights": [], "bias": round(math.log(rate / (1 - rate)), digits), **settings}
    Xs = normalize(X[:, cols])
    clf = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=8, tol=None, random_state=0)
    clf.fit(Xs, y, sample_weight=w)
    names = vec.get_feature_names_out()[cols]
    coef = np.round(clf.coef_.ravel(), digits)
    nz = coef != 0
    order = np.argsort(names[nz], kind="stable")
    return {
        "grams": [str(g) for g in names[nz][order]],
        "weights": [float(c) for c in coef[nz][order]],
        "bias": round(float(clf.intercept_[0]), digits),
        **settings,
    }
