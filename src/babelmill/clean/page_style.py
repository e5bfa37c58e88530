"""Which kind of page this is, as evidence of what its "main text" is.

Labelled page sets disagree on what the main text of a page is: one keeps the comment thread
under a blog post, another drops it; one keeps captions and the dek, another only the story's
paragraphs. A line's features alone cannot tell which convention applies, but the page's words
can: a 2007 forum thread, a 2012 blog post with comments and a 2008 wire story read differently.
This model gives each page the probability of each training set's kind of page (a multinomial
logistic regression over the page's word counts, sub-linear tf x idf, L2-normalised), and the
line model sees those probabilities as features of every line of the page.

Scoring needs only the stored numbers: each known word's idf and per-class weights, and the
per-class bias.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from babelmill.clean.lexicon import MAX_CHARS


def page_word_counts(words: Sequence[Sequence[str]]) -> Counter:
    """How often each word occurs on the page, from its lines' words (:func:`line_words`)."""
    counts: Counter = Counter()
    for ws in words:
        counts.update(ws)
    return counts


@dataclass
class PageStyle:
    """Per-word idf and per-class weights, per-class bias: :meth:`probabilities` of a page's kind."""

    classes: list[str]
    idf: dict[str, float]
    weights: dict[str, list[float]]
    bias: list[float]

    @classmethod
    def from_json(cls, data: dict) -> PageStyle:
        classes = [str(c) for c in data["classes"]]
        words = data["words"]
        if not (len(words) == len(data["idf"]) == len(data["weights"])) or len(data["bias"]) != len(classes):
            raise ValueError("page style: words, idf, weights and classes differ in length")
        if any(len(w) != len(classes) for w in data["weights"]):
            raise ValueError("page style: a word's weights do not match the classes")
        return cls(
            classes,
            dict(zip(words, map(float, data["idf"]), strict=True)),
            {w: [float(x) for x in ws] for w, ws in zip(words, data["weights"], strict=True)},
            [float(b) for b in data["bias"]],
        )

    @property
    def feature_names(self) -> list[str]:
        return [f"style_{c}" for c in self.classes]

    def probabilities(self, words: Sequence[Sequence[str]]) -> np.ndarray:
        """The probability of each class for a page whose lines have these words."""
        logits = list(self.bias)
        values = []
        for word, n in sorted(page_word_counts(words).items()):
            idf = self.idf.get(word)
            if idf is not None:
                values.append((word, (1.0 + math.log(n)) * idf))
        norm = math.sqrt(math.fsum(v * v for _, v in values))
        for word, v in values:
            x = v / norm
            for k, w in enumerate(self.weights[word]):
                logits[k] += x * w
        z = np.asarray(logits)
        e = np.exp(z - z.max())
        return e / e.sum()


#: the bias of a class no training page had: its probability is nil
ABSENT = -30.0


def train_page_style(
    words: Sequence[Sequence[Sequence[str]]],
    labels: Sequence[str],
    min_pages: int = 20,
    c: float = 3.0,
    classes: Sequence[str] | None = None,
    digits: int = 4,
) -> dict | None:
    """The page style model's stored form, learned from pages' line words (:func:`line_words`)
    and their ``labels`` (the set each page comes from); words on fewer than ``min_pages``
    pages are left out (no one site's template vocabulary). L2-regularised multinomial logistic
    regression (``c``, lbfgs: deterministic), weights rounded to ``digits`` decimals.

    ``classes``: the classes to give probabilities for (default: the labels'), so that models
    learned on parts of a training set have the same columns; pages of other labels are left
    out, and a class no page has gets probability 0. None when fewer than two classes are asked
    for. Needs scikit-learn."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    classes = sorted(set(labels) if classes is None else set(classes))
    if len(classes) < 2:
        return None
    used = [k for k, lab in enumerate(labels) if lab in classes]
    present = sorted({labels[k] for k in used})
    counts = [page_word_counts(words[k]) for k in used]
    df = Counter(w for cnt in counts for w in cnt)
    vocab = sorted(w for w, n in df.items() if n >= min_pages) if len(present) >= 2 else []
    col = {w: k for k, w in enumerate(vocab)}
    n = len(counts)
    idf = np.array([math.log((1 + n) / (1 + df[w])) + 1.0 for w in vocab])
    coef = np.zeros((len(classes), len(vocab)))
    bias = np.full(len(classes), ABSENT)
    for lab in present:
        bias[classes.index(lab)] = 0.0
    if vocab:
        rows, cols, vals = [], [], []
        for r, cnt in enumerate(counts):
            for w, m in cnt.items():
                k = col.get(w)
                if k is not None:
                    rows.append(r)
                    cols.append(k)
                    vals.append((1.0 + math.log(m)) * idf[k])
        X = normalize(sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab))))
        y = np.array([present.index(labels[k]) for k in used])
        clf = LogisticRegression(C=c, max_iter=5000)
        clf.fit(X, y)
        if len(present) > 2:
            fit_coef, fit_bias = clf.coef_, clf.intercept_
        else:  # one logit for the second class: split it in two so that their softmax is its sigmoid
            fit_coef = np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2])
            fit_bias = np.array([-clf.intercept_[0] / 2, clf.intercept_[0] / 2])
        rows_of = [classes.index(lab) for lab in present]
        coef[rows_of] = fit_coef
        bias[rows_of] = fit_bias
    coef = np.round(coef, digits)
    return {
        "classes": list(classes),
        "words": vocab,
        "idf": [round(float(v), digits) for v in idf],
        "weights": [[float(x) for x in coef[:, k]] for k in range(len(vocab))],
        "bias": [round(float(b), digits) for b in bias],
        "min_pages": min_pages,
        "c": c,
        "max_chars": MAX_CHARS,
    }
