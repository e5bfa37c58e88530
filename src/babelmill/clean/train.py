"""Train the line model of the cleaner from labelled pages (``babelmill train-cleaner``).

The pages, their labels and weights and the site of each are :mod:`babelmill.clean.pages`.
Training is gradient boosting (LightGBM, an optional dependency only needed here) with one
thread, fixed seeds and deterministic mode, over the lines' features and the scores of a
lexicon and a page style learned first (scikit-learn, seeded or deterministic;
:mod:`babelmill.clean.lexicon`, :mod:`babelmill.clean.page_style`), so the same pages give the
same model file byte for byte. The decision threshold and the prose-run rule are tuned
on out-of-fold predictions of a site-grouped inner cross-validation of the training pages, never
on the pages scored.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

import numpy as np

from babelmill.clean.lexicon import Lexicon, line_words, train_lexicon
from babelmill.clean.line_model import (
    FEATURE_VERSION,
    FEATURES,
    HARD_KINDS,
    LEX_FEATURES,
    stack_features,
    text_columns,
)
from babelmill.clean.page_style import PageStyle, train_page_style
from babelmill.clean.pages import Page, PageData, label_lines, read_page, site_repeats, tokens
from babelmill.clean.tuning import tune, tuning_key

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


def featurize(pages: Sequence[Page], cleaner, progress=None, site_counts: bool = True) -> list[PageData]:
    """Run the cleaner's steps on every page and collect feature rows, labels and weights.

    ``site_counts``: clean each page as a run that has seen its site's pages (the lines the site
    repeats removed as template, :func:`site_repeats`); False: as a run that knows no sites."""
    from babelmill.clean.line_model import BASE

    for p in pages:
        if not p.text:
            p.text = read_page(p.path)
    repeats = site_repeats(pages) if site_counts else {}
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
                site_counted=site_counts,
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


# the lexicon (:mod:`babelmill.clean.lexicon`): n-grams seen on at least this many training sites,
# L2 strength of its logistic regression (chosen in site-grouped CV, see MODEL.md)
LEX_MIN_SITES = 3
LEX_ALPHA = 1e-5


def fit_lexicon(pages: Sequence[PageData]) -> dict:
    """The lexicon's stored form learned from the pages' lines (lines that a rule removed, and
    lines without a label, left out; of a page featurized both ways, the copy that knew its site)."""
    pages = [pd for pd in pages if pd.site_counted] or list(pages)
    return train_lexicon(
        [pd.texts for pd in pages],
        [pd.y for pd in pages],
        [np.where(pd.hard, 0.0, pd.w) for pd in pages],
        [pd.page.site for pd in pages],
        LEX_MIN_SITES,
        LEX_ALPHA,
    )


# the page style (:mod:`babelmill.clean.page_style`): learned from the pages of the sets that have
# at least this many pages with a full truth (each set's notion of main text), nearly all in one
# language; words on at least this many pages, L2 strength (chosen in site-grouped CV, MODEL.md)
STYLE_MIN_SET_PAGES = 30
STYLE_ONE_LANGUAGE = 0.9
STYLE_MIN_PAGES = 20
STYLE_C = 3.0


def page_words(pd: PageData) -> list[list[str]]:
    return [line_words(t) for t in pd.texts]


def style_classes(pages: Sequence[PageData]) -> list[str]:
    """The sets the page style tells apart: those with at least :data:`STYLE_MIN_SET_PAGES`
    pages with a full truth (each set's own notion of main text; snippet pages have none), in
    one language for at least :data:`STYLE_ONE_LANGUAGE` of them: where one set is a language's
    only one, the style would learn the language, and every page in it would get that set's
    convention."""
    truth = [pd for pd in pages if pd.page.truth is not None and pd.site_counted]
    langs: dict[str, Counter] = {}
    for pd in truth:
        langs.setdefault(pd.page.dataset, Counter())[pd.page.lang] += 1
    return sorted(
        s
        for s, c in langs.items()
        if c.total() >= STYLE_MIN_SET_PAGES and c.most_common(1)[0][1] >= STYLE_ONE_LANGUAGE * c.total()
    )


def fit_style(pages: Sequence[PageData], classes: Sequence[str] | None = None) -> dict | None:
    """The page style's stored form learned from the pages with a full truth of the
    :func:`style_classes` sets (or of ``classes``; of a page featurized both ways, the copy
    that knew its site); None with fewer than two such sets."""
    classes = style_classes(pages) if classes is None else list(classes)
    used = [pd for pd in pages if pd.page.truth is not None and pd.site_counted]
    return train_page_style(
        [page_words(pd) for pd in used], [pd.page.dataset for pd in used], STYLE_MIN_PAGES, STYLE_C, classes
    )


def site_text_models(
    pages: Sequence[PageData], k: int, seed: int = 13, styled: bool = True
) -> dict[str, tuple[Lexicon, PageStyle | None]]:
    """Each site's lexicon (:func:`fit_lexicon`) and page style (:func:`fit_style`), learned on the
    pages of the other site-grouped folds (:func:`site_folds`), so that a page is read by models
    that never saw its site, as a new site's are."""
    folds = site_folds(pages, k, seed)
    classes = style_classes(pages)  # every fold's style gives the same columns
    out: dict[str, tuple[Lexicon, PageStyle | None]] = {}
    for f in range(k):
        rest = [pd for pd, g in zip(pages, folds, strict=True) if g != f]
        lexicon = Lexicon.from_json(fit_lexicon(rest))
        style_data = fit_style(rest, classes) if styled else None
        style = PageStyle.from_json(style_data) if style_data else None
        out.update({pd.page.site: (lexicon, style) for pd, g in zip(pages, folds, strict=True) if g == f})
    return out


def oof_text_rows(pages: Sequence[PageData], k: int, seed: int = 13, styled: bool = True) -> list[np.ndarray]:
    """Every page's feature rows with the columns its site's lexicon and page style of
    :func:`site_text_models` give it (the first stage learns how far to trust them from scores
    it has not seen the labels of, as on new pages)."""
    models = site_text_models(pages, k, seed, styled)
    return [text_columns(pd.X, page_words(pd), *models[pd.page.site]) for pd in pages]


def train_model(
    pages: Sequence[PageData],
    inner_folds: int = 3,
    rounds: int = ROUNDS,
    progress=None,
    stacked: bool | None = None,
    lexical: bool = True,
    styled: bool = True,
) -> dict:
    """The model file's content: trees trained on all ``pages``, decision rule tuned on an inner
    site-grouped cross-validation of the same pages.

    ``stacked``: add the second stage (:func:`stack_features`: a small forest over the first
    stage's probabilities of the neighbouring lines); None: only when its tuned rule ranks
    above the first stage's alone on the inner folds (:func:`tuning_key`). ``lexical``: learn
    a lexicon (:func:`fit_lexicon`) and give the first stage its scores; ``styled`` (with
    ``lexical``): also a page style (:func:`fit_style`), whose class probabilities it sees."""
    lex_rows = oof_text_rows(pages, inner_folds, styled=styled) if lexical else None
    lexicon = fit_lexicon(pages) if lexical else None
    page_style = fit_style(pages) if lexical and styled else None
    probs = oof_predict(pages, inner_folds, rounds, rows=lex_rows)
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
    booster = fit_trees(pages, rounds, rows=lex_rows)
    trees, depth = export_trees(booster)
    return {
        "format": "babelmill-line-model",
        "feature_version": FEATURE_VERSION,
        "features": list(FEATURES)
        + (list(LEX_FEATURES) if lexicon else [])
        + (PageStyle.from_json(page_style).feature_names if page_style else []),
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
        "lexicon": lexicon,
        **({"page_style": page_style} if page_style else {}),
    }


def dump_model(model: dict) -> str:
    """Compact, stable JSON (floats in shortest round-trip form, keys in fixed order)."""
    return json.dumps(model, separators=(",", ":"), sort_keys=False, ensure_ascii=True) + "\n"
