"""The MT-from-Chinese detector per register: how it does on news chunks, on reviews, on social posts.

Usage::

    .venv/bin/python benchmarks/mtdetect_domains.py [--quick]

The grouped CV figure of ``train_mtdetect.py`` pools three registers whose labels are not
balanced (``mtdetect-large.tsv``: Chinese-origin chunks come from news and reviews only, social
posts are almost all native), while chunks scored from outside may all be news. This benchmark
scores the shipped recipe's out-of-fold logits (5 folds grouped by source document, C = 32 as
the nested CV chooses in every fold, social weight 0.3) per register at the pooled best-F1 cut,
and beside it, in the same run, trainings that treat the registers otherwise:

* ``balanced``: within each register, Chinese-origin and other chunks weigh the same in total (a
  register cannot stand for the label); a register with one class only weighs 0.3;
* ``news``: news chunks only;
* ``news_heavy``: news at 1, the other registers at 0.3.

Each also scores WMT22 (``mtdetect.tsv``, never trained on) fitted on all its rows. ``--quick``:
the shipped recipe and ``balanced`` only. Nothing is written. Ends with ``RESULT``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))

import train_mtdetect as M  # noqa: E402

C = 32.0
FOLDS = 5
REGISTERS = ("news", "reviews", "social")


def weights_shipped(rows, y, dom) -> np.ndarray:
    return M.row_weights(rows)


def weights_balanced(rows, y, dom) -> np.ndarray:
    w = np.zeros(len(rows))
    for d in sorted(set(dom)):
        m = dom == d
        npos, nneg = int((y & m).sum()), int((~y & m).sum())
        if npos == 0 or nneg == 0:
            w[m] = M.SOCIAL_WEIGHT
            continue
        w[m & y] = m.sum() / (2 * npos)
        w[m & ~y] = m.sum() / (2 * nneg)
    return w


def weights_news(rows, y, dom) -> np.ndarray:
    return np.where(dom == "news", 1.0, 0.0)


def weights_news_heavy(rows, y, dom) -> np.ndarray:
    return np.where(dom == "news", 1.0, M.SOCIAL_WEIGHT)


VARIANTS: dict[str, Callable] = {
    "shipped": weights_shipped,
    "balanced": weights_balanced,
    "news": weights_news,
    "news_heavy": weights_news_heavy,
}


def evaluate(rows, counts, other, other_counts, weigh: Callable) -> dict[str, float]:
    y = np.array([r.positive for r in rows])
    dom = np.array([r.domain for r in rows])
    groups = [r.group for r in rows]
    w = weigh(rows, y, dom)
    fold = M.fold_of_groups(groups, FOLDS, 0)
    oof = np.zeros(len(y))
    for k in range(FOLDS):
        train = [i for i, g in enumerate(groups) if fold[g] != k and w[i] > 0]
        test = [i for i, g in enumerate(groups) if fold[g] == k]
        clf, _ = M.fit([counts[i] for i in train], y[train], C, weights=w[train])
        oof[test] = M.scores(clf, [counts[i] for i in test])
    cut = M.best_threshold(oof, y)
    pred = oof >= cut
    out = {"f1": M.f1_at(y, pred), "auc": M.auc(oof[y], oof[~y])}
    for d in REGISTERS:
        m = dom == d
        if (m & y).any():
            out[f"{d}_f1"] = M.f1_at(y[m], pred[m])
            out[f"{d}_auc"] = M.auc(oof[m & y], oof[m & ~y])
            out[f"{d}_recall"] = float(pred[m & y].mean())
        for label in ("native_en", "mt_de"):
            mm = m & np.array([r.label == label for r in rows])
            if mm.sum() >= 20:
                out[f"{d}_{label}_flagged"] = float(pred[mm].mean())
    train = [i for i in range(len(y)) if w[i] > 0]
    clf, _ = M.fit([counts[i] for i in train], y[train], C, weights=w[train])
    oz = M.scores(clf, other_counts)
    oy = np.array([r.positive for r in other])
    out["wmt22_f1"] = M.f1_at(oy, oz >= cut)
    out["wmt22_auc"] = M.auc(oz[oy], oz[~oy])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=M.DEFAULT_DATA)
    ap.add_argument("--other-year", type=Path, default=M.DEFAULT_OTHER)
    ap.add_argument("--quick", action="store_true", help="the shipped recipe and 'balanced' only (< 1 min)")
    args = ap.parse_args()
    if not args.data.is_file() or not args.other_year.is_file():
        sys.exit(f"mtdetect_domains: dev data not found ({args.data}, {args.other_year})")
    t0 = time.time()
    rows, other = M.load_rows(args.data), M.load_rows(args.other_year)
    counts, other_counts = M.featurize_all(rows), M.featurize_all(other)
    names = ["shipped", "balanced"] if args.quick else list(VARIANTS)
    results = {name: evaluate(rows, counts, other, other_counts, VARIANTS[name]) for name in names}
    keys = list(results["shipped"])
    print(f"{'':28}" + "".join(f"{n:>12}" for n in names))
    for k in keys:
        print(f"{k:28}" + "".join(f"{results[n].get(k, float('nan')):12.3f}" for n in names))
    base = results["shipped"]
    figures = {
        "f1_cv": base["f1"],
        "news_f1": base["news_f1"],
        "news_auc": base["news_auc"],
        "reviews_f1": base["reviews_f1"],
        "news_native_flagged": base["news_native_en_flagged"],
        "news_mt_de_flagged": base["news_mt_de_flagged"],
        "wmt22_f1": base["wmt22_f1"],
        **{f"{n}_news_f1": results[n]["news_f1"] for n in names if n != "shipped"},
        **{f"{n}_wmt22_f1": results[n]["wmt22_f1"] for n in names if n != "shipped"},
        "seconds": time.time() - t0,
    }
    print("RESULT " + " ".join(f"{k}={v:.4f}" if k != "seconds" else f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
