"""Does a learned text score of the candidate lines help the headline model? (Measured, not shipped.)

Usage::

    .venv/bin/python benchmarks/title_text_feature.py [--dev ../shared/dev] [--quick] [--variants line,char,resid]

The shipped model (``benchmarks/train_title.py``) scores a page's candidate lines with 60
hand-built features. Here a word (or character) n-gram model of the candidate's own text gives
one more feature, in the manner of the line model's lexicon (:mod:`babelmill.clean.lexicon`):
n-grams limited to those seen on at least 3 training sites, so no site's own template or story
is memorised. Variants (``--variants``):

* ``line``: logistic regression "this candidate line is the headline" over its binary,
  L2-normalised word uni- and bigrams (liblinear, C 1), scored as
  :meth:`babelmill.clean.lexicon.Lexicon.score` scores; features ``text_score`` and
  ``text_gap`` (the page's best text score less the line's);
* ``char``: the same over character 3- and 4-grams;
* ``resid``: the n-gram weights learned inside the page softmax, with the 60-feature logit's score
  (L2 3, fitted on the same pages) as offset, so they learn what the 60 features leave over
  (L-BFGS, L2 1 on the n-gram weights); feature ``text_score``.

Nesting: a page's text score always comes from an n-gram model that never saw its site. For the
held-out fold of any split (outer or inner), the n-gram model is trained on the whole training
part; the training part's own text scores (what the conditional logit learns from) are out of
fold, from 4 site-grouped folds inside that training part. The L2 strength of the logit is
chosen by 4 inner site-grouped folds, as ``train_title.py`` chooses it; the decision is read on
the inner figure (for each of the 5 outer training parts, 4-fold CV inside it: 1,456 page
predictions per L2), the outer figure is reported. The baseline (the shipped 60 features) is
measured in the same run. The pages are cleaned as ``train_title.py`` cleans them (held-out
line-model lexicons); ``--quick``: a third of the pages with the packaged lexicon, under a minute.
Deterministic (liblinear and L-BFGS with fixed inputs, no random numbers). Ships nothing.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

from train_title import (  # noqa: E402
    FOLDS,
    L2_GRID,
    collect,
    dev_lexicons,
    dev_or_exit,
    feature_names,
    fit,
    matrices,
    predict,
    site_folds,
    train,
)

from babelmill.clean.lexicon import Lexicon, grams  # noqa: E402

MIN_SITES = 3
INNER = 4
VARIANTS = ("line", "char", "resid")


def char_grams(text: str) -> list[str]:
    """Distinct lower-cased character 3- and 4-grams of the line's first 300 characters."""
    t = " " + " ".join(text[:300].lower().split()) + " "
    return list(dict.fromkeys(t[i : i + n] for n in (3, 4) for i in range(len(t) - n + 1)))


def _vocab(pages: list[dict], analyzer: Callable[[str], list[str]]):
    """Binary n-gram matrix of the pages' candidate lines, restricted to n-grams of >= MIN_SITES sites."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    texts = [t for p in pages for t in p["texts"]]
    sites = [p["site"] for p in pages for _ in p["texts"]]
    vec = CountVectorizer(analyzer=analyzer, binary=True, dtype=np.float64)
    x = vec.fit_transform(texts).tocsr()
    sid = {s: k for k, s in enumerate(sorted(set(sites)))}
    rows = np.array([sid[s] for s in sites])
    by_site = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(sid), len(texts)))
    cols = np.flatnonzero(np.asarray(((by_site @ x) > 0).sum(axis=0)).ravel() >= MIN_SITES)
    return x[:, cols].tocsr(), vec.get_feature_names_out()[cols]


def fit_line(pages: list[dict], analyzer) -> Callable[[list[str]], list[float]]:
    """``line`` / ``char``: per-line logistic regression, scored as the lexicon scores."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    x, names = _vocab(pages, analyzer)
    y = np.array([lab for p in pages for lab in p["labels"]], dtype=int)
    clf = LogisticRegression(C=1.0, solver="liblinear").fit(normalize(x), y)
    coef = np.round(clf.coef_.ravel(), 4)
    weights = {str(g): float(c) for g, c in zip(names, coef, strict=True) if c != 0}
    bias = round(float(clf.intercept_[0]), 4)
    if analyzer is grams:
        lexicon = Lexicon(weights, bias)
        return lambda texts: lexicon.score(texts).tolist()

    def score(texts: list[str]) -> list[float]:
        out = []
        for t in texts:
            hits = [w for g in analyzer(t) if (w := weights.get(g)) is not None]
            out.append(bias + (math.fsum(hits) / math.sqrt(len(hits)) if hits else 0.0))
        return out

    return score


def fit_resid(pages: list[dict], base: list[str], l2: float = 3.0, lam: float = 1.0):
    """``resid``: n-gram weights in the page softmax (and its "no title" option), the 60-feature
    logit's score as offset. A line's row is its binary n-grams over the square root of its
    number of n-grams (known or not), as it is scored."""
    import scipy.sparse as sp
    from scipy.optimize import minimize

    matrices(pages, base)
    w0, mean, scale, null = fit(pages, l2)
    off = np.concatenate([((p["X"] - mean) / scale) @ w0 for p in pages if len(p["X"])])
    x, names = _vocab(pages, grams)
    norms = np.array([math.sqrt(len(grams(t))) or 1.0 for p in pages for t in p["texts"]])
    x = sp.diags(1.0 / norms) @ x
    n = np.array([len(p["texts"]) for p in pages])
    seg = np.repeat(np.arange(len(pages)), n)
    y = np.concatenate([np.array(p["labels"], dtype=bool) for p in pages])
    has = np.array([any(p["labels"]) for p in pages])

    def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = off + x @ w
        top = np.full(len(pages), null)
        np.maximum.at(top, seg, s)
        e, e_null = np.exp(s - top[seg]), np.exp(null - top)
        z = np.bincount(seg, e, len(pages)) + e_null
        pos = np.bincount(seg, e * y, len(pages))
        got = np.where(has, pos, e_null)
        loss = -np.sum(np.log(np.maximum(got, 1e-300)) - np.log(z)) + 0.5 * lam * w @ w
        q = np.where(has[seg], e * y / np.maximum(pos, 1e-300)[seg], 0.0)
        return float(loss), x.T @ (e / z[seg] - q) + lam * w

    res = minimize(loss_grad, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    weights = {str(g): float(c) for g, c in zip(names, np.round(res.x, 4), strict=True) if c != 0}

    def score(texts: list[str]) -> list[float]:
        out = []
        for t in texts:
            gs = grams(t)
            out.append(math.fsum(w for g in gs if (w := weights.get(g)) is not None) / (math.sqrt(len(gs)) or 1.0))
        return out

    return score


def with_score(page: dict, scores: list[float], gap: bool) -> dict:
    q = dict(page)
    q["feats"] = [dict(f) for f in page["feats"]]
    top = max(scores, default=0.0)
    for f, s in zip(q["feats"], scores, strict=True):
        f["text_score"] = s
        if gap:
            f["text_gap"] = top - s
    return q


def augmenter(variant: str, base: list[str]):
    """``(train_part, held_out) -> (train_part, held_out)`` with the text features: the held-out
    pages scored by a model of the whole training part, the training part out of fold."""

    def fitter(pages: list[dict]):
        if variant == "resid":
            return fit_resid(pages, base)
        return fit_line(pages, grams if variant == "line" else char_grams)

    gap = variant != "resid"
    cache: dict = {}

    def augment(train_part: list[dict], held: list[dict]) -> tuple[list[dict], list[dict]]:
        key = (tuple(p["id"] for p in train_part), tuple(p["id"] for p in held))
        if key not in cache:
            folds = site_folds(train_part, INNER)
            out: list = [None] * len(train_part)
            for g in range(INNER):
                score = fitter([p for p, h in zip(train_part, folds, strict=True) if h != g])
                for i, (p, h) in enumerate(zip(train_part, folds, strict=True)):
                    if h == g:
                        out[i] = with_score(p, score(p["texts"]), gap)
            score = fitter(train_part)
            cache[key] = (out, [with_score(p, score(p["texts"]), gap) for p in held])
        return cache[key]

    names = [*base, "text_score"] + (["text_gap"] if gap else [])
    return augment, names


def _right(model, pages: list[dict]) -> int:
    return sum(ok and emitted for _, _, ok, emitted in map(lambda p: predict(model, p), pages))


def nested_cv(pages: list[dict], names: list[str], augment=None) -> dict:
    """Inner figures (right answers summed over the 5 outer training parts' 4 inner folds, per
    L2) and the outer figure (the L2 with the best inner figure in each training part)."""
    folds = site_folds(pages, FOLDS)
    inner = dict.fromkeys(L2_GRID, 0)
    outer, chosen = 0, []
    for f in range(FOLDS):
        part = [p for p, g in zip(pages, folds, strict=True) if g != f]
        held = [p for p, g in zip(pages, folds, strict=True) if g == f]
        ifolds = site_folds(part, INNER)
        per = {}
        for l2 in L2_GRID:
            right = 0
            for k in range(INNER):
                tr = [p for p, g in zip(part, ifolds, strict=True) if g != k]
                te = [p for p, g in zip(part, ifolds, strict=True) if g == k]
                if augment:
                    tr, te = augment(tr, te)
                matrices(tr, names)
                matrices(te, names)
                right += _right(train(tr, names, l2), te)
            per[l2] = right
            inner[l2] += right
        l2 = max(L2_GRID, key=lambda v: (per[v], -L2_GRID.index(v)))
        chosen.append(l2)
        tr, te = augment(part, held) if augment else (part, held)
        matrices(tr, names)
        matrices(te, names)
        outer += _right(train(tr, names, l2), te)
    return {"inner": inner, "outer": outer, "chosen": chosen}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="a third of the pages, packaged lexicon")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {VARIANTS}")
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if any(v not in VARIANTS for v in variants):
        print(f"--variants: of {VARIANTS}", file=sys.stderr)
        return 2
    dev = dev_or_exit(args.dev)
    t0 = time.perf_counter()
    pages = collect(dev, quick=args.quick, lexicons=None if args.quick else dev_lexicons(dev))
    base = feature_names(pages)
    n = len(pages)
    results = {"base": nested_cv(pages, base)}
    for v in variants:
        augment, names = augmenter(v, base)
        results[v] = nested_cv(pages, names, augment)
    print(f"l3s-gn1: {n} pages; nested site-grouped CV ({FOLDS} outer folds, {INNER} inner)")
    for name, r in results.items():
        inner = "  ".join(f"L2 {k:g}: {v}" for k, v in r["inner"].items())
        print(
            f"  {name:6s} inner right {inner}  (sum {sum(r['inner'].values())})   "
            f"outer {r['outer']} of {n} ({r['outer'] / n:.3f}), L2 chosen {r['chosen']}"
        )
    fields = " ".join(
        f"title_{k}_acc={r['outer'] / n:.4f} title_{k}_inner={sum(r['inner'].values())}" for k, r in results.items()
    )
    print(f"RESULT {fields} seconds={time.perf_counter() - t0:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
