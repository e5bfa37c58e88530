"""The line model's decision rules: which lines of a page stay, given their probabilities."""

from __future__ import annotations

import numpy as np


def expected_f_keep(p: np.ndarray, hard: np.ndarray, weq: np.ndarray, beta2: float) -> np.ndarray:
    """The page's lines by falling probability, up to the cut with the best expected F-beta.

    With ``p`` read as each line's chance of being article text and ``weq`` as its words, keeping
    the ``k`` most probable lines has expected true words ``tp(k) = sum(weq * p)`` over them, and
    the page's expected article words are ``sum(weq * p)`` over all lines; the cut maximizes
    ``(1 + beta2) * tp(k) / (kept words(k) + beta2 * article words)``. The cut adapts to the page:
    where the article is clear, unsure lines go; where every line is unsure, more of them stay.
    ``beta2 > 1`` weighs recall more than precision. Lines in ``hard`` never stay.

    >>> expected_f_keep(np.array([0.9, 0.3, 0.8, 0.05]), np.zeros(4, bool), np.array([30.0, 5, 30, 5]), 1.0).tolist()
    [True, False, True, False]
    """
    n = len(p)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    q = np.where(hard, 0.0, p)
    order = np.argsort(-q, kind="stable")
    w = weq[order]
    tp = np.cumsum(w * q[order])
    score = (1.0 + beta2) * tp / (np.cumsum(w) + beta2 * tp[-1] + 1e-9)
    keep[order[: int(np.argmax(score)) + 1]] = True
    return keep & ~hard


def decide_lines(
    p: np.ndarray,
    hard: np.ndarray,
    short: np.ndarray,
    weq: np.ndarray,
    threshold: float,
    prose_keep: float,
    prose_words: float,
    fbeta: float = 0.0,
) -> np.ndarray:
    """Which lines stay: those at or above ``threshold`` (with ``fbeta > 0`` also those above the
    cut of :func:`expected_f_keep`), and every line of a prose run (lines that are neither short
    nor removed by a rule, in a row) of at least ``prose_words`` words whose mean probability
    reaches ``prose_keep``. Lines in ``hard`` never stay.

    >>> decide_lines(np.array([0.9, 0.3, 0.3, 0.1]), np.zeros(4, bool), np.array([0, 0, 0, 1], bool),
    ...              np.array([20.0, 20.0, 20.0, 1.0]), 0.5, 0.2, 50.0).tolist()
    [True, True, True, False]
    """
    n = len(p)
    keep = (p >= threshold) & ~hard
    if fbeta > 0:
        keep |= expected_f_keep(p, hard, weq, fbeta)
    if n == 0 or prose_keep > 1:
        return keep
    prose = ~hard & ~short
    starts = np.concatenate([[True], prose[1:] != prose[:-1]])
    run = np.cumsum(starts) - 1
    words = np.bincount(run, weights=weq * prose)
    psum = np.bincount(run, weights=p * prose)
    size = np.bincount(run, weights=prose.astype(float))
    mean = psum / np.maximum(size, 1)
    ok = (words >= prose_words) & (mean >= prose_keep)
    return keep | (prose & ok[run])


def fill_gaps(stays: np.ndarray, hard: np.ndarray, prose: np.ndarray) -> np.ndarray:
    """``stays`` plus the ``prose`` lines whose nearest lines not in ``hard`` on both sides stay:
    a sentence between two kept paragraphs, cut off from them only by removed inline chrome
    (an image credit, a "Loading..." placeholder), belongs to the article.

    >>> fill_gaps(np.array([1, 0, 0, 0, 1], bool), np.array([0, 1, 0, 1, 0], bool), np.ones(5, bool)).tolist()
    [True, False, True, False, True]
    """
    out = stays.copy()
    open_ = np.flatnonzero(~hard)
    a, i, b = open_[:-2], open_[1:-1], open_[2:]
    out[i[~stays[i] & prose[i] & stays[a] & stays[b]]] = True
    return out
