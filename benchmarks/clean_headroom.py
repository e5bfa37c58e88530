"""How much of the cleaner's error is the decision rule's: held-out line probabilities, decided
three ways, with site-grouped cross-validation on the dev pages.

The line model gives every line a probability of article text; a decision rule turns a page's
probabilities into kept lines. This benchmark separates the two. In each outer site-grouped fold
the first-stage trees are trained on the other folds (as ``babelmill train-cleaner`` trains them)
and the held-out pages get their probabilities; out-of-fold probabilities of a site-grouped
inner cross-validation of the training folds tune the rules. Decided, on the held-out pages:

* ``tuned``: the shipped rule family (:func:`babelmill.clean.tuning.tune`'s candidates: a
  threshold or the page's expected F-beta cut with a floor, and the prose-run rule), tuned on
  the inner folds under the shipped constraints (recall, lost pages, snippets kept and dropped);
* ``otsu``: the same family, where the threshold can also fall to a share of the page's Otsu
  cut (the cut between the page's two word-weighted groups of probabilities): a page-adaptive
  threshold, tuned the same way (a superset of ``tuned``'s candidates);
* ``oracle``: every page at its own best single threshold, read off its truth. Not a system: the
  headroom a page-adaptive rule could reach with these probabilities (upper bound, truth pages only).

Scores as ``benchmarks/clean.py`` (token P / R / F1 per page against the truth, averaged; lost =
page recall < 0.5) over the line model's lines, without the cleaner's later steps (metadata,
final rules), so figures are a little below that benchmark's.

    .venv/bin/python benchmarks/clean_headroom.py [--dev ../shared/dev] [--quick] [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.clean import pages as P  # noqa: E402
from babelmill.clean import train as T  # noqa: E402
from babelmill.clean import tuning as U  # noqa: E402
from babelmill.clean.cleaner import Cleaner  # noqa: E402
from babelmill.stages.strip import StripConfig  # noqa: E402

ORACLE_THRESHOLDS = np.round(np.linspace(0.02, 0.9, 45), 3)
OTSU_SHARES = (0.5,)
SYSTEMS = ("tuned", "otsu", "oracle")


def otsu_cut(p: np.ndarray, w: np.ndarray) -> float:
    """The threshold between the two groups of ``p`` (weighted by ``w``) with the largest
    between-group variance (Otsu's method); 0.5 when there is nothing to split.

    >>> otsu_cut(np.array([0.1, 0.12, 0.9, 0.95]), np.ones(4))
    0.51
    """
    if len(p) < 2 or w.sum() <= 0:
        return 0.5
    order = np.argsort(p, kind="stable")
    ps, ws = p[order], w[order]
    w0 = np.cumsum(ws)[:-1]
    m = np.cumsum(ws * ps)
    w1 = w0[-1] + ws[-1] - w0
    ok = (w0 > 0) & (w1 > 0)
    m0 = m[:-1] / np.maximum(w0, 1e-12)
    m1 = (m[-1] - m[:-1]) / np.maximum(w1, 1e-12)
    between = np.where(ok, w0 * w1 * (m0 - m1) ** 2, -1.0)
    k = int(np.argmax(between))
    return float((ps[k] + ps[k + 1]) / 2)


def keep_otsu(pd: P.PageData, p: np.ndarray, rule: tuple) -> np.ndarray:
    """:func:`babelmill.clean.tuning.kept_lines`, with the threshold lowered to ``share`` times
    the page's Otsu cut where that is lower (``share`` None: no change)."""
    thr, fbeta, prose_keep, prose_words, share = rule
    if share is not None:
        open_ = ~pd.hard
        thr = min(thr, share * otsu_cut(p[open_], pd.weq[open_]))
    return U.kept_lines(pd, p, (thr, fbeta, prose_keep, prose_words))


def oracle_keep(pd: P.PageData, p: np.ndarray) -> np.ndarray:
    """The page's best single threshold by its truth's F1 (a plain threshold: no F-beta cut, no
    prose-run rule)."""
    masks = [U.kept_lines(pd, p, (t, 0.0, 1.01, 30.0)) for t in ORACLE_THRESHOLDS]
    return max(masks, key=lambda k: U.page_scores(pd, k)[2])


def page_result(pd: P.PageData, keep: np.ndarray) -> tuple[float, ...]:
    if pd.page.truth is not None:
        return U.page_scores(pd, keep)
    return U.snippet_rates(pd, keep)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=None, help="dev data folder (default: ../shared/dev)")
    ap.add_argument("--quick", action="store_true", help="a twelfth of the pages, 2 folds, 60 rounds (< 1 min)")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    dev = args.dev or next((c for c in (ROOT.parent / "shared" / "dev", ROOT / "shared" / "dev") if c.is_dir()), None)
    if dev is None or not dev.is_dir():
        print("dev data not found; pass --dev", file=sys.stderr)
        return 2
    pages = P.load_pages([dev / "boilerplate2", dev / "boilerplate", dev / "snippets"])
    folds, rounds = args.folds, T.ROUNDS
    if args.quick:
        pages, folds, rounds = pages[::12], 2, 60
    t0 = time.perf_counter()
    cfg = StripConfig(line_model="")
    data = T.featurize(pages, Cleaner(cfg.ruleset(), cfg.thresholds(), keep_features=True))
    fold_of = T.site_folds(data, folds)
    print(f"{len(data)} pages featurized ({time.perf_counter() - t0:.0f}s)", flush=True)

    results: dict[str, list] = {name: [None] * len(data) for name in SYSTEMS}
    for f in range(folds):
        train = [pd for pd, g in zip(data, fold_of, strict=True) if g != f]
        held = [k for k, g in enumerate(fold_of) if g == f]
        inner = T.oof_predict(train, 2, rounds)
        booster = T.fit_trees(train, rounds)
        outer = {k: booster.predict(data[k].X) for k in held}
        tuned = U.best_rule(train, inner, U._rules(), U.kept_lines)[0]
        # the Otsu-capped variants compete with the tuned rule itself (first: it wins ties)
        otsu_rules = [(*tuned, None)] + [(*r, s) for r in U._rules() for s in OTSU_SHARES]
        otsu = U.best_rule(train, inner, otsu_rules, keep_otsu)[0]
        for family, keep, rule in (("tuned", U.kept_lines, tuned), ("otsu", keep_otsu, otsu)):
            print(f"fold {f + 1}/{folds} {family}: {rule}", flush=True)
            for k in held:
                results[family][k] = page_result(data[k], keep(data[k], outer[k], rule))
        for k in held:
            if data[k].page.truth is not None:
                results["oracle"][k] = U.page_scores(data[k], oracle_keep(data[k], outer[k]))
        print(f"fold {f + 1}/{folds} done ({time.perf_counter() - t0:.0f}s)", flush=True)

    groups: dict[str, list[int]] = defaultdict(list)
    for k, pd in enumerate(data):
        if pd.page.truth is not None and pd.page.dataset != "boilerplate":
            groups["all (boilerplate2)"].append(k)
            groups[pd.page.dataset].append(k)
            if pd.page.lang == "de":
                groups["german (boilerplate2)"].append(k)
    print(f"\n{'pages':24s} {'n':>5s} " + " ".join(f"{s + ' P/R/F1/lost':>29s}" for s in SYSTEMS))
    summary = {}
    for name in sorted(groups, key=lambda g: (not g.startswith("all"), g)):
        idx = groups[name]
        cells = []
        for s in SYSTEMS:
            rows = np.array([results[s][k] for k in idx])
            p, r, f1 = rows.mean(axis=0)
            lost = float((rows[:, 1] < 0.5).mean())
            summary[(name, s)] = (p, r, f1, lost)
            cells.append(f"{p:.3f}/{r:.3f}/{f1:.3f}/{lost:.3f}")
        print(f"{name:24s} {len(idx):5d} " + " ".join(f"{c:>29s}" for c in cells))
    snip = [k for k, pd in enumerate(data) if pd.page.snippets is not None and pd.page.lang == "de"]
    for s in ("tuned", "otsu"):
        if snip:
            kept, dropped = np.array([results[s][k] for k in snip]).mean(axis=0)
            summary[("snippets_de", s)] = (kept, dropped)
            print(f"German snippets {s}: kept {kept:.3f} dropped {dropped:.3f}")
    a = "all (boilerplate2)"
    fig = " ".join(
        f"{s}_f1={summary[(a, s)][2]:.4f} {s}_recall={summary[(a, s)][1]:.4f} {s}_lost_pages={summary[(a, s)][3]:.4f}"
        for s in SYSTEMS
    )
    print(f"RESULT {fig} headroom_f1={summary[(a, 'oracle')][2] - summary[(a, 'tuned')][2]:.4f} "
          f"seconds={time.perf_counter() - t0:.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
