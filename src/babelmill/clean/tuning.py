"""Tuning the line model's decision rule on out-of-fold probabilities (``babelmill train-cleaner``).

Pages are scored as ``benchmarks/clean.py`` scores the cleaner's output: truth pages by the exact
bag-of-tokens overlap of the kept lines, snippet pages by the snippets found in the kept text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from babelmill.clean.decide import decide_lines, fill_gaps
from babelmill.clean.line_model import FEATURES
from babelmill.clean.pages import PageData, _norm


def page_scores(pd: PageData, keep: np.ndarray) -> tuple[float, float, float]:
    """Token precision, recall and F1 of keeping ``keep`` (line mask) on a truth page: the bag of
    the kept lines' tokens against the truth's (each token counted at most as often as the truth
    has it, over the whole kept text, as ``benchmarks/clean.py`` scores the cleaner's output)."""
    kept_ids = pd.tok_ids[keep[pd.tok_line]]
    kept = float(len(kept_ids))
    hit = float(np.minimum(np.bincount(kept_ids, minlength=len(pd.truth_counts)), pd.truth_counts).sum())
    prec = hit / kept if kept else 0.0
    rec = hit / pd.truth_tokens if pd.truth_tokens else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


# the decision rules tuning chooses from: a fixed threshold, or the page's expected F-beta cut
# with a floor (lines at or above it stay whatever the cut; 1.01: no floor)
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.2, 0.61, 0.05))
FBETAS = (1.0, 1.25, 1.5, 2.0, 3.0)
FLOORS = (0.3, 0.35, 0.4, 0.5, 1.01)
PROSE_KEEP = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
PROSE_WORDS = (30.0, 60.0, 120.0)


def _rules():
    """``(threshold, fbeta, prose_keep, prose_words)`` candidates (prose_keep > 1: no prose rule)."""
    for thr, fbeta in [(t, 0.0) for t in THRESHOLDS] + [(f, b) for b in FBETAS for f in FLOORS]:
        yield thr, fbeta, 1.01, 30.0
        for prose_keep in PROSE_KEEP:
            if fbeta == 0 and prose_keep >= thr:
                continue
            for prose_words in PROSE_WORDS:
                yield thr, fbeta, prose_keep, prose_words


# The constraints tuning holds on the inner folds' out-of-fold pages. The inner models see less
# data than the model that ships, and the first outer site-grouped CV with the expected F cut
# (2026-11-30) measured recall 0.941 on held-out sites when the inner figure was held at 0.95:
# recall is asked with a margin. Snippet pages' article snippets must stay and their chrome
# snippets go as the issue asks (>= 0.95 kept, >= 0.85 dropped), with the same kind of margin.
MIN_RECALL = 0.96
MAX_LOST = 0.01
MIN_SNIPPET_KEEP = 0.96
MIN_SNIPPET_DROP = 0.87


def kept_lines(pd: PageData, p: np.ndarray, rule: tuple[float, float, float, float]) -> np.ndarray:
    """The lines the cleaner keeps on ``pd`` with probabilities ``p`` and the decision rule
    ``(threshold, fbeta, prose_keep, prose_words)``, as :func:`babelmill.clean.model_step.apply_line_model`
    decides them (the rule, then :func:`fill_gaps`)."""
    thr, fbeta, prose_keep, prose_words = rule
    keep = decide_lines(p, pd.hard, pd.short, pd.weq, thr, prose_keep, prose_words, fbeta)
    sentences = ~pd.short & (pd.X[:, FEATURES.index("sent_end")] > 0)
    return fill_gaps(keep, pd.hard, sentences)


def snippet_rates(pd: PageData, keep: np.ndarray) -> tuple[float, float]:
    """Share of a snippet page's article snippets found in the kept lines' text, and share of its
    chrome snippets not found there (NFC and whitespace normalized, as ``benchmarks/clean.py``
    scores the cleaner's output)."""
    spec = pd.page.snippets or {"with": [], "without": []}
    text = _norm("\n".join(t for t, k in zip(pd.texts, keep, strict=True) if k))
    with_ = [_norm(s) in text for s in spec["with"] if s.strip()]
    without = [_norm(s) not in text for s in spec["without"] if s.strip()]
    return (sum(with_) / len(with_) if with_ else 1.0), (sum(without) / len(without) if without else 1.0)


def tune(
    pages: Sequence[PageData],
    probs: Sequence[np.ndarray],
    min_recall: float = MIN_RECALL,
    max_lost: float = MAX_LOST,
    min_snippet_keep: float = MIN_SNIPPET_KEEP,
    min_snippet_drop: float = MIN_SNIPPET_DROP,
) -> dict[str, float]:
    """Decision rule (threshold or expected F-beta cut, and the prose-run rule) with the best mean
    page F1 among those with mean recall >= ``min_recall``, at most ``max_lost`` of the pages
    losing their article (recall < 0.5) and snippet pages keeping at least ``min_snippet_keep``
    of their article snippets and dropping at least ``min_snippet_drop`` of their chrome
    snippets, on out-of-fold probabilities; when none meets all four, recall first, then kept
    snippets, then dropped snippets, then lost pages."""
    limits = (min_recall, min_snippet_keep, min_snippet_drop, max_lost)
    (thr, fbeta, prose_keep, prose_words), (f1, rec, lost, snip, drop), n_truth = best_rule(
        pages, probs, _rules(), kept_lines, limits
    )
    return {
        "threshold": thr,
        "fbeta": fbeta,
        "prose_keep": prose_keep,
        "prose_words": prose_words,
        "oof_f1": round(f1, 4),
        "oof_recall": round(rec, 4),
        "oof_lost": lost,
        "oof_snippet_keep": round(snip, 4),
        "oof_snippet_drop": round(drop, 4),
        "oof_pages": n_truth,
    }


def best_rule(
    pages: Sequence[PageData],
    probs: Sequence[np.ndarray],
    rules: Iterable[tuple],
    keep: Callable[[PageData, np.ndarray, tuple], np.ndarray],
    limits: tuple[float, float, float, float] = (MIN_RECALL, MIN_SNIPPET_KEEP, MIN_SNIPPET_DROP, MAX_LOST),
) -> tuple[tuple, tuple[float, float, int, float, float], int]:
    """``(rule, its figures, truth pages)``: among ``rules``, decided by ``keep(page,
    probabilities, rule) -> kept lines``, the first that ranks best (:func:`_rank` with
    ``limits``: recall, snippets kept, snippets dropped, lost pages); figures as
    :func:`rule_figures` gives them."""
    truth_pages = [(pd, p) for pd, p in zip(pages, probs, strict=True) if pd.page.truth is not None]
    snippet_pages = [(pd, p) for pd, p in zip(pages, probs, strict=True) if pd.page.snippets is not None]
    best: tuple | None = None
    for rule in rules:
        figures = rule_figures(truth_pages, snippet_pages, lambda pd, p, rule=rule: keep(pd, p, rule))
        f1, rec, lost, snip, drop = figures
        key = _rank(rec, snip, drop, lost, len(truth_pages), f1, limits)
        if best is None or key > best[0]:
            best = (key, rule, figures)
    assert best is not None, "no rules"
    return best[1], best[2], len(truth_pages)


def rule_figures(
    truth_pages: Sequence[tuple[PageData, np.ndarray]],
    snippet_pages: Sequence[tuple[PageData, np.ndarray]],
    keep: Callable[[PageData, np.ndarray], np.ndarray],
) -> tuple[float, float, int, float, float]:
    """What tuning weighs for one decision rule, ``keep(page, probabilities) -> kept lines``:
    mean page F1 and recall and the number of lost pages (recall < 0.5) over ``truth_pages``, and
    the mean shares of article snippets kept and chrome snippets dropped over ``snippet_pages``
    (1.0 when there are none)."""
    f1s, recs, lost = [], [], 0
    for pd, p in truth_pages:
        _, r, f = page_scores(pd, keep(pd, p))
        f1s.append(f)
        recs.append(r)
        lost += r < 0.5
    rates = [snippet_rates(pd, keep(pd, p)) for pd, p in snippet_pages]
    snip = float(np.mean([k for k, _ in rates])) if rates else 1.0
    drop = float(np.mean([d for _, d in rates])) if rates else 1.0
    return float(np.mean(f1s)), float(np.mean(recs)), lost, snip, drop


def _rank(
    rec: float, snip: float, drop: float, lost: int, pages: int, f1: float, limits: tuple[float, float, float, float]
) -> tuple:
    """The constraints met (recall, snippets kept, snippets dropped, lost pages, in that order),
    then the mean page F1: the order in which tuning ranks decision rules."""
    min_recall, min_snippet_keep, min_snippet_drop, max_lost = limits
    return (rec >= min_recall, snip >= min_snippet_keep, drop >= min_snippet_drop, lost <= max_lost * pages, f1)


def tuning_key(choice: dict) -> tuple:
    """How :func:`tune` ranks a tuned rule (with the default constraints), from its recorded figures."""
    return _rank(
        choice["oof_recall"],
        choice["oof_snippet_keep"],
        choice["oof_snippet_drop"],
        choice["oof_lost"],
        choice["oof_pages"],
        choice["oof_f1"],
        (MIN_RECALL, MIN_SNIPPET_KEEP, MIN_SNIPPET_DROP, MAX_LOST),
    )
