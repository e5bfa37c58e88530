"""Train the line model of the cleaner from labelled pages (``babelmill train-cleaner``).

The pages, their labels and weights and the site of each are :mod:`babelmill.clean.pages`.
Training is gradient boosting (LightGBM, an optional dependency only needed here) with one
thread, fixed seeds and deterministic mode, so the same pages give the same model file byte for
byte. The decision threshold and the prose-run rule are tuned on out-of-fold predictions of a
site-grouped inner cross-validation of the training pages, never on the pages scored.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from babelmill.clean.decide import fill_gaps
from babelmill.clean.line_model import FEATURE_VERSION, FEATURES, HARD_KINDS, decide_lines, stack_features
from babelmill.clean.pages import Page, _norm, label_lines, read_page, site_repeats, tokens

PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "max_depth": 8,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 13,
}
ROUNDS = 200


@dataclass
class PageData:
    page: Page
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    hard: np.ndarray  # bool per line: removed by a rule / metadata / embed step
    short: np.ndarray
    weq: np.ndarray
    ntok: np.ndarray  # word tokens per line
    truth_tokens: int
    texts: list[str] = field(default_factory=list)
    # the exact bag-of-tokens overlap (as the benchmark scores pages): every token of the page's
    # lines as an id into the page's vocabulary, the line it is on, the truth's count of each id
    tok_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    tok_line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    truth_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))


def token_index(toks: Sequence[Sequence[str]], truth: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(ids, line, truth_counts, truth_tokens)``: each token of the lines as an id into the
    page's vocabulary, the line it is on, and how often each id occurs in the truth."""
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for tk in toks for t in tk]
    line = [i for i, tk in enumerate(toks) for _ in tk]
    truth_c = Counter(tokens(truth)) if truth is not None else Counter()
    counts = np.zeros(len(vocab))
    for t, c in truth_c.items():
        if t in vocab:
            counts[vocab[t]] = c
    return (
        np.array(ids, dtype=np.intp),
        np.array(line, dtype=np.intp),
        counts,
        sum(truth_c.values()),
    )


def featurize(pages: Sequence[Page], cleaner, progress=None) -> list[PageData]:
    """Run the cleaner's steps on every page and collect feature rows, labels and weights."""
    from babelmill.clean.line_model import BASE

    for p in pages:
        if not p.text:
            p.text = read_page(p.path)
    repeats = site_repeats(pages)
    out = []
    hard_cols = [BASE.index(f"hard_{k}") for k in HARD_KINDS]
    weq_col, cls_col = BASE.index("log_weq"), BASE.index("cls")
    for k, p in enumerate(pages):
        res = cleaner.clean(p.text, repeats.get(p.id) or None)
        X = res.features
        if X is None or len(X) == 0:
            continue
        texts = [ln.strip() for ln in p.text.split("\n") if ln.strip()]
        assert len(texts) == len(X), p.id
        y, w = label_lines(texts, p)
        toks = [tokens(t) for t in texts]
        ids, line, counts, n_truth = token_index(toks, p.truth)
        out.append(
            PageData(
                page=p,
                X=X,
                y=y,
                w=w,
                hard=X[:, hard_cols].sum(axis=1) > 0,
                short=X[:, cls_col] == 0,
                weq=np.expm1(X[:, weq_col]),
                ntok=np.array([len(tk) for tk in toks], dtype=float),
                truth_tokens=n_truth,
                texts=texts,
                tok_ids=ids,
                tok_line=line,
                truth_counts=counts,
            )
        )
        if progress and (k + 1) % 100 == 0:
            progress(f"featurized {k + 1}/{len(pages)} pages")
    return out


def site_folds(pages: Sequence[PageData], k: int, seed: int = 13) -> list[int]:
    """Fold of each page: sites in a seeded order, each to the fold with the fewest pages so far."""
    sizes: Counter[str] = Counter(pd.page.site for pd in pages)
    order = sorted(sizes, key=lambda s: (-sizes[s], hashlib.sha1(f"{seed}:{s}".encode()).hexdigest()))
    fold_of: dict[str, int] = {}
    load = [0] * k
    for s in order:
        f = min(range(k), key=lambda j: (load[j], j))
        fold_of[s] = f
        load[f] += sizes[s]
    return [fold_of[pd.page.site] for pd in pages]


def _stack(
    pages: Sequence[PageData], rows: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.concatenate([pd.X for pd in pages] if rows is None else list(rows))
    y = np.concatenate([pd.y for pd in pages])
    w = np.concatenate([pd.w for pd in pages])
    keep = (w > 0) & ~np.concatenate([pd.hard for pd in pages])
    return X[keep], y[keep], w[keep]


def fit_trees(
    pages: Sequence[PageData],
    rounds: int = ROUNDS,
    params: dict | None = None,
    rows: Sequence[np.ndarray] | None = None,
):
    """A LightGBM booster on the pages' feature rows (or on ``rows``, one matrix per page)."""
    import lightgbm as lgb

    X, y, w = _stack(pages, rows)
    names = list(FEATURES) if rows is None else [f"s{k}" for k in range(X.shape[1])]
    ds = lgb.Dataset(X, label=y, weight=w, feature_name=names, free_raw_data=True)
    return lgb.train({**PARAMS, **(params or {})}, ds, num_boost_round=rounds)


def _flatten(root: dict) -> tuple[dict[str, list], int]:
    """One LightGBM tree -> flat arrays (children >= 0: split nodes, < 0: ~leaf index), depth."""
    out: dict[str, list] = {"feature": [], "threshold": [], "left": [], "right": [], "leaf": []}
    depth = 0

    def walk(node: dict, d: int) -> int:
        nonlocal depth
        if "split_feature" not in node:
            out["leaf"].append(float(node.get("leaf_value", 0.0)))
            depth = max(depth, d)
            return ~(len(out["leaf"]) - 1)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError("only numerical splits are supported")
        k = len(out["feature"])
        out["feature"].append(int(node["split_feature"]))
        out["threshold"].append(float(node["threshold"]))
        out["left"].append(0)
        out["right"].append(0)
        out["left"][k] = walk(node["left_child"], d + 1)
        out["right"][k] = walk(node["right_child"], d + 1)
        return k

    walk(root, 0)
    return out, depth


def export_trees(booster) -> tuple[list[dict], int]:
    """LightGBM trees -> flat arrays, and the deepest leaf's depth."""
    trees = []
    depth = 0
    for info in booster.dump_model()["tree_info"]:
        tree, d = _flatten(info["tree_structure"])
        trees.append(tree)
        depth = max(depth, d)
    return trees, depth


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
    truth_pages = [(pd, p) for pd, p in zip(pages, probs, strict=True) if pd.page.truth is not None]
    snippet_pages = [(pd, p) for pd, p in zip(pages, probs, strict=True) if pd.page.snippets is not None]
    best: tuple[float, ...] | None = None
    choice: dict[str, float] = {}
    for rule in _rules():
        thr, fbeta, prose_keep, prose_words = rule
        f1s, recs, lost = [], [], 0
        for pd, p in truth_pages:
            _, r, f = page_scores(pd, kept_lines(pd, p, rule))
            f1s.append(f)
            recs.append(r)
            lost += r < 0.5
        rates = [snippet_rates(pd, kept_lines(pd, p, rule)) for pd, p in snippet_pages]
        f1, rec = float(np.mean(f1s)), float(np.mean(recs))
        snip = float(np.mean([k for k, _ in rates])) if rates else 1.0
        drop = float(np.mean([d for _, d in rates])) if rates else 1.0
        key = (
            rec >= min_recall,
            snip >= min_snippet_keep,
            drop >= min_snippet_drop,
            lost <= max_lost * len(truth_pages),
            f1,
        )
        if best is None or key > best:
            best = key
            choice = {
                "threshold": thr,
                "fbeta": fbeta,
                "prose_keep": prose_keep,
                "prose_words": prose_words,
                "oof_f1": round(f1, 4),
                "oof_recall": round(rec, 4),
                "oof_lost": lost,
                "oof_snippet_keep": round(snip, 4),
                "oof_snippet_drop": round(drop, 4),
                "oof_pages": len(truth_pages),
            }
    return choice


def oof_predict(
    pages: Sequence[PageData],
    k: int,
    rounds: int = ROUNDS,
    seed: int = 13,
    rows: Sequence[np.ndarray] | None = None,
    params: dict | None = None,
) -> list[np.ndarray]:
    """Out-of-fold probabilities of every page's lines, site-grouped ``k``-fold."""
    folds = site_folds(pages, k, seed)
    mats = [pd.X for pd in pages] if rows is None else list(rows)
    out: list[np.ndarray | None] = [None] * len(pages)
    for f in range(k):
        train = [i for i, g in enumerate(folds) if g != f]
        booster = fit_trees(
            [pages[i] for i in train], rounds, params, None if rows is None else [mats[i] for i in train]
        )
        for i, g in enumerate(folds):
            if g == f:
                out[i] = booster.predict(mats[i])
    return [o if o is not None else np.zeros(0) for o in out]


# the second stage sees a few dozen columns: smaller trees, fewer rounds
STACK_PARAMS = {"num_leaves": 15, "min_data_in_leaf": 100}
STACK_ROUNDS = 100


def tuning_key(choice: dict) -> tuple:
    """How :func:`tune` ranks a tuned rule: the constraints it meets (recall, snippets kept,
    snippets dropped, lost pages, in that order), then its mean page F1."""
    return (
        choice["oof_recall"] >= MIN_RECALL,
        choice["oof_snippet_keep"] >= MIN_SNIPPET_KEEP,
        choice["oof_snippet_drop"] >= MIN_SNIPPET_DROP,
        choice["oof_lost"] <= MAX_LOST * choice["oof_pages"],
        choice["oof_f1"],
    )


def train_model(
    pages: Sequence[PageData],
    inner_folds: int = 3,
    rounds: int = ROUNDS,
    progress=None,
    stacked: bool | None = None,
) -> dict:
    """The model file's content: trees trained on all ``pages``, decision rule tuned on an inner
    site-grouped cross-validation of the same pages.

    ``stacked``: add the second stage (:func:`stack_features`: a small forest over the first
    stage's probabilities of the neighbouring lines); None: only when its tuned rule ranks
    above the first stage's alone on the inner folds (:func:`tuning_key`)."""
    probs = oof_predict(pages, inner_folds, rounds)
    stage2 = None
    choice = tune(pages, probs) if stacked is not True else None
    if progress and choice is not None:
        progress(f"first stage alone, tuned on out-of-fold predictions: {choice}")
    if stacked or stacked is None:
        # the second stage learns from out-of-fold first-stage probabilities (as it will see them
        # on new pages); its own out-of-fold probabilities tune the decision rule
        rows = [stack_features(p, pd.X) for pd, p in zip(pages, probs, strict=True)]
        probs2 = oof_predict(pages, inner_folds, STACK_ROUNDS, rows=rows, params=STACK_PARAMS)
        choice2 = tune(pages, probs2)
        if progress:
            progress(f"with the second stage, tuned on out-of-fold predictions: {choice2}")
        if stacked or tuning_key(choice2) > tuning_key(choice):
            choice = choice2
            trees2, depth2 = export_trees(fit_trees(pages, STACK_ROUNDS, STACK_PARAMS, rows=rows))
            stage2 = {"trees": trees2, "depth": depth2, "rounds": STACK_ROUNDS, "params": STACK_PARAMS}
    assert choice is not None
    if progress:
        progress(f"chosen: {'two stages' if stage2 else 'first stage alone'}, {choice}")
    booster = fit_trees(pages, rounds)
    trees, depth = export_trees(booster)
    return {
        "format": "babelmill-line-model",
        "feature_version": FEATURE_VERSION,
        "features": list(FEATURES),
        "threshold": choice["threshold"],
        "fbeta": choice["fbeta"],
        "prose_keep": choice["prose_keep"],
        "prose_words": choice["prose_words"],
        "tuning": choice,
        "training": {
            "pages": len(pages),
            "sites": len({pd.page.site for pd in pages}),
            "lines": int(sum(len(pd.X) for pd in pages)),
            "datasets": dict(sorted(Counter(pd.page.dataset for pd in pages).items())),
            "params": PARAMS,
            "rounds": rounds,
        },
        "depth": depth,
        "trees": trees,
        "stage2": stage2,
    }


def dump_model(model: dict) -> str:
    """Compact, stable JSON (floats in shortest round-trip form, keys in fixed order)."""
    return json.dumps(model, separators=(",", ":"), sort_keys=False, ensure_ascii=True) + "\n"
