"""Train the headline model and write ``src/babelmill/data/title.json``; report site-grouped CV.

Usage::

    .venv/bin/python benchmarks/train_title.py [--dev ../shared/dev] [--out PATH] [--quick] [--check]
        [--show-misses] [--skip-cv] [--counts site|run|cli|both] [--site-seen]
        [--test-counts SETTING[,SETTING]] [--lexicon oof|packaged]

Data: the ``l3s-gn1`` pages of ``boilerplate2/`` (2008 Google News articles; the first line of each
truth file is the human-annotated headline). Each page goes through the strip stage (its site's
pages in one batch unless ``--counts`` says otherwise, see :data:`COUNTS`) with the learned
title off; the candidate lines of :mod:`babelmill.clean.title` are labelled by the headline
match below, and an L2-regularised conditional logit (numpy Newton steps, standardised features) scores them.

Match (also the benchmark's): both sides' encoding repaired as the pages' is (the truth files are
raw), then NFKC, case-folding and squeezing punctuation; the two are equal, or one contains the
other and is at least 80% of its length.

The model is a conditional logit: a softmax over the page's candidates and a "no title" option
whose score is learned from the pages where no line matches the headline; the title is null when
that option holds half the page's probability or more. Validation: 5 folds grouped by site (every page of a site
in one fold); inside each training part, 4 inner site-grouped folds choose the L2 strength, so
the reported figures are held-out. Baselines
in the same run: the rule-based extractor's pick (``learned_title = false``) and "the nearest
heading-shaped line above the first kept block".

``--counts both`` trains on every page twice, once cleaned on each setting of :data:`BOTH`, each
copy weighing half (the two copies of a page, like all pages of its site, always in the same
outer and inner fold), and scores the held-out folds on each setting. ``--site-seen`` adds the
site-count features (the share of the site's other pages that print a line, and around it;
measured, not shipped: TITLE.md) and reports the model without them in the same run;
``--test-counts`` scores the held-out folds on counts formed otherwise (a comma-separated list:
each reported). Every run prints the inner figures (right over the inner folds of the 5 training
parts, per L2 and scored setting), which decide a change. Only the shipped setup (``--counts``
:data:`SHIPPED_COUNTS`, no ``--site-seen``) writes the model file.

The line model's lexicon learned on every dev page would be in-sample here: each page is cleaned
with the packaged trees and decision rule holding a lexicon learned without its site (5 seeded
site folds of ``train-cleaner``'s pages, :func:`dev_lexicons`), as the trees were trained and as
an unseen site is cleaned; ``--lexicon packaged`` measures the in-sample setup (nothing written).

``--check`` retrains and fails unless the written model is byte-identical (reproducibility).
Deterministic: fixed fold assignment by site, deterministic solver, the lexicons' SGD seeded.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.clean.lexicon import Lexicon  # noqa: E402
from babelmill.clean.page_style import PageStyle  # noqa: E402
from babelmill.clean.title import TitleModel, page_lines, pooled_choice, verdicts_of  # noqa: E402
from babelmill.clean.title_candidates import _shaped, candidates, probs_of  # noqa: E402
from babelmill.document import Document  # noqa: E402
from babelmill.stages.repair import RepairConfig, repair_text  # noqa: E402
from babelmill.stages.strip import StripConfig, StripStage  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "babelmill" / "data" / "title.json"
#: the features read from the site counts beyond the template (the baseline in the same run drops them)
SEEN_FEATURES = ("seen_above", "seen_below", "site_seen_share")
L2_GRID = (1.0, 3.0, 10.0)
FOLDS = 5
_REPAIR = RepairConfig()


def find_dev(arg: Path | None) -> Path | None:
    """The dev folder: ``arg`` when given (None when it is not a folder: a mistyped ``--dev``
    never falls back to another folder), else ``../shared/dev`` beside the repository."""
    if arg is not None:
        return arg if arg.is_dir() else None
    for cand in (ROOT.parent / "shared" / "dev", ROOT.parents[1] / "shared" / "dev"):
        if cand.is_dir():
            return cand
    return None


def dev_or_exit(arg: Path | None) -> Path:
    """:func:`find_dev`, or exit with status 2 and a one-line message when there is none."""
    dev = find_dev(arg)
    if dev is None:
        print("dev data not found; pass --dev", file=sys.stderr)
        raise SystemExit(2)
    return dev


#: the folders ``train-cleaner`` learns the shipped line model from (MODEL.md), and the site folds
#: of the held-out lexicons (:func:`dev_lexicons`)
LINE_MODEL_FOLDERS = ("boilerplate2", "boilerplate", "snippets")
LEXICON_FOLDS = 5
#: ``--lexicon``: the line model's lexicon as packaged (learned on every dev page, so in-sample on
#: them), or for each page one learned on the other site folds (``oof``, the shipped models)
LEXICONS = ("oof", "packaged")


def dev_lexicons(dev: Path, data: list | None = None) -> dict[str, tuple[Lexicon, PageStyle | None]]:
    """Each site's lexicon and page style learned without it: the pages ``train-cleaner`` trains
    the line model on, featurized as it does (or ``data``, those pages already featurized so), in
    :data:`LEXICON_FOLDS` seeded site folds (:func:`babelmill.clean.train.site_text_models`).
    Seeded and deterministic."""
    from babelmill.clean.train import site_text_models

    if data is None:
        from babelmill.clean.cleaner import Cleaner
        from babelmill.clean.pages import load_pages
        from babelmill.clean.train import featurize
        from babelmill.config import pipeline_dir

        cfg = StripConfig(line_model="")  # the features are the rules' verdicts: no model, as train-cleaner
        cleaner = Cleaner(cfg.ruleset(pipeline_dir()), cfg.thresholds(), keep_features=True)
        data = featurize(load_pages([dev / f for f in LINE_MODEL_FOLDERS]), cleaner)
    return site_text_models(data, LEXICON_FOLDS)


def use_held_out_lexicons(
    stage: StripStage, lexicons: dict[str, tuple[Lexicon, PageStyle | None]], site_of: dict[str, str]
) -> None:
    """Make ``stage`` clean each document (``site_of``: document id -> site) with its packaged
    line model (trees and decision rule) holding the site's lexicon and page style of
    :func:`dev_lexicons`: the scores the trees were trained on were out of fold, as a new site's
    are. A site with no featurized page keeps the packaged ones, which never saw its lines either."""
    packaged = stage.cleaner.model
    assert packaged is not None and packaged.lexicon is not None, "the line model has no lexicon"
    models = {
        id(lx): dataclasses.replace(packaged, lexicon=lx, style=style if packaged.style else None)
        for lx, style in lexicons.values()
    }
    process_one = stage._process_one

    def with_site_lexicon(doc: Document, repeats: set[str]) -> Document:
        held_out = lexicons.get(site_of[doc.id])
        stage.cleaner.model = packaged if held_out is None else models[id(held_out[0])]
        return process_one(doc, repeats)

    stage._process_one = with_site_lexicon


# a curly quote or dash (UTF-8 E2 80 xx) read as Windows-1252 with its undecodable bytes turned
# into "?" ("Watersâ??"): the lossy mojibake ftfy cannot undo; it stands for one punctuation mark
_LOSSY_PUNCT = re.compile("\u00e2[\u0080-\u00bf\u20ac\u201a-\u201e\u2122\u0153?]?\\?")


def norm(text: str) -> str:
    """Both sides of a match: encoding repaired (as the pages are), NFKC, case-folded,
    punctuation and spaces squeezed."""
    t = _LOSSY_PUNCT.sub(" ", repair_text(text, _REPAIR)[0])
    t = unicodedata.normalize("NFKC", t).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", t).split())


def title_match(pred: str | None, truth: str | None) -> bool:
    """Normalized exact match, or one containing the other at >= 80% of its length."""
    a, b = norm(pred or ""), norm(truth or "")
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return short in long and len(short) >= 0.8 * len(long)


class _Capture(StripStage):
    """The strip stage with the learned title off, keeping each page's verdicts, its site's
    template lines and (for ``--site-seen``) the share of the site's other pages printing each of
    its lines, from the counts the stage decides the template by."""

    def __init__(self) -> None:
        super().__init__(StripConfig(learned_title=False, persist_site_counts=False))
        self.pages: dict[str, tuple[Document, set[str], dict[int, float], dict[str, float]]] = {}
        self._seen: dict[str, float] = {}
        self._last = None
        clean = self.cleaner.clean

        def keep_last(text, repeats=None):  # the clean result, for the line model's probabilities
            self._last = clean(text, repeats)
            return self._last

        self.cleaner.clean = keep_last

    def _site_repeats(self, keys, hashes, counts, n_docs):  # called for each page just before it is cleaned
        self._seen = site_seen(keys, {k: counts.get(h, 0) for k, h in hashes.items()}, n_docs)
        return super()._site_repeats(keys, hashes, counts, n_docs)

    def _process_one(self, doc: Document, repeats: set[str]) -> Document:
        out = super()._process_one(doc, repeats)
        self.pages[doc.id] = (out, set(repeats), probs_of(self._last), self._seen)
        return out


def site_seen(keys: dict[str, int], counts: dict[str, int], n_docs: int) -> dict[str, float]:
    """``line key -> share of the site's other pages that hold it``, for the page's lines found
    on at least one other page: ``counts`` are the site's page counts of each key (this page
    included), ``n_docs`` its pages (this one included). A share, not a count, so that it means
    the same on a site of 3 pages as on one of 3,000.

    >>> site_seen({"send me a copy": 4, "our headline": 2}, {"send me a copy": 3, "our headline": 1}, 3)
    {'send me a copy': 1.0}
    """
    if n_docs < 2:
        return {}
    return {k: min(1.0, (c - 1) / (n_docs - 1)) for k in keys if (c := counts.get(k, 0)) >= 2}


def add_seen_features(cands: list, lines: list, seen: dict[str, float]) -> None:
    """The site-count features (not shipped, see TITLE.md): the share of the site's other pages
    that print the line (furniture, another story's teaser; the story's own text is on no other
    page), and its mean over the three lines below and above."""
    at = [seen.get(ln.key, 0.0) for ln in lines]
    for c in cands:
        i = c.index
        c.features["site_seen_share"] = at[i]
        c.features["seen_below"] = sum(at[i + 1 : i + 4]) / max(1, len(at[i + 1 : i + 4]))
        c.features["seen_above"] = sum(at[max(0, i - 3) : i]) / max(1, len(at[max(0, i - 3) : i]))


#: how the strip stage's site counts (template lines; with ``--site-seen`` the share of the site's
#: other pages that print a line) are formed: ``site`` idealized, every page of a site in one
#: batch (each page sees all its site's pages; the shipped model); ``run`` as in a run that knows
#: each page's site (``source.site`` or a URL): pages in input order (file names), in the stage's
#: batches of 64, a page seeing the pages of its batch and of the batches before; ``cli`` the same
#: with no site known, which is what ``babelmill run`` does for inputs that name none (no JSONL
#: url/site field, no host-named folder: ``babelmill.sites``): every page in one bucket, ``*``
COUNTS = ("site", "run", "cli")
#: ``--counts both``: every page once cleaned on each of these settings (a run that knows the sites
#: comes near ``site``; a folder of plain page dumps is ``cli``)
BOTH = ("site", "cli")
#: how the pages the shipped model learns from are cleaned (a :data:`COUNTS` setting or ``both``)
SHIPPED_COUNTS = "both"


def collect(
    dev: Path,
    quick: bool = False,
    datasets: tuple[str, ...] = ("l3s-gn1",),
    counts: str = "site",
    with_seen: bool = False,
    lexicons: dict[str, tuple[Lexicon, PageStyle | None]] | None = None,
) -> list[dict]:
    """One entry per page of ``datasets`` (the l3s-gn1 pages unless told): site, the truth's first
    line (the headline on l3s-gn1), the rule-based title, the candidates labelled by that line.
    ``counts``: how the site counts are formed (:data:`COUNTS`; the shipped model: ``site``);
    ``with_seen``: add the site-count features of :func:`add_seen_features` (not shipped);
    ``lexicons``: each site's held-out lexicon and page style (:func:`dev_lexicons`; None: the packaged one).
    ``counts="both"``: the pages of each :data:`BOTH` setting in turn, every page twice, each copy
    weighing ``1 / len(BOTH)`` in the fit (``weight``), so that a page counts once and the L2
    strengths mean what they mean on one setting."""
    if counts == "both":
        pages = [p for c in BOTH for p in collect(dev, quick, datasets, c, with_seen, lexicons)]
        for p in pages:
            p["weight"] = 1 / len(BOTH)
        return pages
    folder = dev / "boilerplate2"
    rows = [ln.split("\t") for ln in (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    rows = sorted((r for r in rows if r[1] in datasets), key=lambda r: r[0])
    if quick:
        rows = rows[::3]
    stage = _Capture()
    if lexicons is not None:
        use_held_out_lexicons(stage, lexicons, {r[0]: r[4] for r in rows})
    repair = RepairConfig()
    texts: dict[str, str] = {}

    def document(r: list[str]) -> Document:
        texts[r[0]] = repair_text((folder / f"{r[0]}.txt").read_text(encoding="utf-8"), repair)[0]
        return Document(id=r[0], text=texts[r[0]], source={"site": r[4]} if counts != "cli" else {})

    if counts == "site":
        by_site: dict[str, list[list[str]]] = defaultdict(list)
        for r in rows:
            by_site[r[4]].append(r)
        batches = [by_site[site] for site in sorted(by_site)]
    elif counts in ("run", "cli"):
        size = StripStage.batch_size
        batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    else:
        raise ValueError(f"counts: one of {COUNTS}, not {counts!r}")
    for batch in batches:  # the in-memory counts are committed after each batch, as in a run
        for _ in stage.process_batch([document(r) for r in batch]):
            pass
    pages = []
    for r in rows:
        doc, repeats, probs, seen = stage.pages[r[0]]
        truth = (folder / f"{r[0]}.truth.txt").read_text(encoding="utf-8").split("\n")[0].strip()
        lines = page_lines(texts[r[0]])
        verdicts = verdicts_of(doc.blocks, doc.removed)
        cands = candidates(lines, verdicts, repeats, probs)
        if with_seen:
            add_seen_features(cands, lines, seen)
        pages.append(
            {
                "id": r[0],
                "site": r[4],
                "counts": counts,
                "dataset": r[1],
                "url": r[3],
                "truth": truth,
                "rule_title": doc.metadata.get("title"),
                "simple_title": simple_baseline(lines, verdicts),
                "texts": [c.line.text for c in cands],
                "index": [c.index for c in cands],
                "feats": [c.features for c in cands],
                "labels": [title_match(c.line.text, truth) for c in cands],
            }
        )
    return pages


def collect_scored(dev: Path, counts: str, score: list[str], **kw: Any) -> tuple[list[dict], dict[str, list[dict]]]:
    """The training pages of ``counts`` (:func:`collect`, its other options in ``kw``) and, for each
    :data:`COUNTS` setting in ``score``, the pages to score held out: those of the training pages
    cleaned so, else collected so (each page cleaned once per setting)."""
    pages = collect(dev, counts=counts, **kw)
    scored = {}
    for c in score:
        scored[c] = [p for p in pages if p["counts"] == c] or collect(dev, counts=c, **kw)
    return pages, scored


def simple_baseline(lines, verdicts) -> str | None:
    """The nearest heading-shaped line above the first kept block."""
    kept = [i for i, ln in enumerate(lines) if verdicts.get(ln.n, (None, None))[1] is not None]
    if not kept:
        return None
    for i in range(kept[0] - 1, -1, -1):
        if _shaped(lines[i]):
            return lines[i].text
    return None


def site_folds(pages: list[dict], k: int) -> list[int]:
    """Fold of each page: sites, largest first, go to the fold with the fewest pages so far."""
    sizes: dict[str, int] = defaultdict(int)
    for p in pages:
        sizes[p["site"]] += 1
    load = [0] * k
    fold_of: dict[str, int] = {}
    for site in sorted(sizes, key=lambda s: (-sizes[s], s)):
        f = min(range(k), key=lambda j: (load[j], j))
        fold_of[site] = f
        load[f] += sizes[site]
    return [fold_of[p["site"]] for p in pages]


def matrices(pages: list[dict], names: list[str]) -> None:
    """Each page's candidate feature matrix (``X``) and labels (``y``), in ``names`` order."""
    for p in pages:
        p["X"] = np.array([[f[n] for n in names] for f in p["feats"]], dtype=float).reshape(len(p["feats"]), len(names))
        p["y"] = np.array(p["labels"], dtype=bool)


def fit(
    pages: list[dict], l2: float, page_weights: list[float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Conditional logit over each page's candidates plus a "no title" option.

    A page's likelihood is the softmax share of the candidates that match its headline (of the
    "no title" option, whose score is learned, when none does). L2 on the feature weights;
    Newton steps (the loss is convex). ``page_weights`` weigh each page's log-likelihood (all 1
    unless given: ``benchmarks/title_more_data.py`` weighs weakly labelled pages of other data
    sets). Returns (weights, mean, scale, no-title score), the weights on standardised features.
    """
    x_all = np.vstack([p["X"] for p in pages if len(p["X"])])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale[scale < 1e-9] = 1.0
    d = len(mean) + 1
    blocks, pos, starts = [], [], []
    row = 0
    for p in pages:
        xs = np.hstack([(p["X"] - mean) / scale, np.zeros((len(p["X"]), 1))]) if len(p["X"]) else np.zeros((0, d))
        null = np.zeros((1, d))
        null[0, -1] = 1.0  # the "no title" option: its score is the last weight
        blocks.append(np.vstack([xs, null]))
        pos.append(np.append(p["y"], not p["y"].any()))
        starts.append(row)
        row += len(xs) + 1
    x = np.vstack(blocks)
    pos_mask = np.concatenate(pos)
    starts_arr = np.array(starts)
    seg = np.repeat(np.arange(len(pages)), np.diff(np.append(starts_arr, row)))
    pw = np.ones(len(pages)) if page_weights is None else np.asarray(page_weights, dtype=float)
    rw = pw[seg]  # each row's page weight (1.0 leaves every product below exactly as it was)
    w = np.zeros(d)
    reg = np.full(d, l2)
    reg[-1] = 1e-3

    def shares(s: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        top = np.maximum.reduceat(s, starts_arr)
        e = np.exp(s - top[seg])
        return e / np.add.reduceat(e, starts_arr)[seg]

    for _ in range(100):
        s = x @ w
        pr, q = shares(s, None), shares(s, pos_mask)
        g = x.T @ ((pr - q) * rw) + reg * w
        mp = np.add.reduceat(x * pr[:, None], starts_arr)
        mq = np.add.reduceat(x * q[:, None], starts_arr)
        h = (x.T * (pr * rw)) @ x - (mp.T * pw) @ mp - ((x.T * (q * rw)) @ x - (mq.T * pw) @ mq) + np.diag(reg)
        step = np.linalg.solve(h + 1e-6 * np.eye(d), g)
        # damped: halve the step while the loss does not go down
        loss0 = _loss(x, w, reg, shares, pos_mask, starts_arr, pw)
        t = 1.0
        while t > 1e-4 and _loss(x, w - t * step, reg, shares, pos_mask, starts_arr, pw) > loss0:
            t /= 2
        w = w - t * step
        if np.max(np.abs(t * step)) < 1e-7:
            break
    return w[:-1], mean, scale, float(w[-1])


def _loss(x, w, reg, shares, pos_mask, starts_arr, pw) -> float:
    s = x @ w
    pr = shares(s, None)
    got = np.add.reduceat(np.where(pos_mask, pr, 0.0), starts_arr)
    return float(-(pw * np.log(np.maximum(got, 1e-300))).sum() + 0.5 * (reg * w * w).sum())


def train(pages: list[dict], names: list[str], l2: float, page_weights: list[float] | None = None) -> TitleModel:
    """:func:`fit` on ``pages``; unless ``page_weights`` are given, each page weighs its
    ``weight`` (``--counts both``: each copy of a page half), or 1."""
    if page_weights is None and any("weight" in p for p in pages):
        page_weights = [p.get("weight", 1.0) for p in pages]
    w, mean, scale, null = fit(pages, l2, page_weights)
    return TitleModel(names, mean.tolist(), scale.tolist(), w.tolist(), null)


def predict(model: TitleModel, page: dict) -> tuple[str | None, float, bool, bool]:
    """(best candidate's text, its probability, whether it is the headline, whether it beats
    the "no title" option, i.e. is emitted). Candidates with the same text (a headline printed
    twice) pool their probability, as :func:`babelmill.clean.title.choose_title` does."""
    if not len(page["X"]):
        return None, 0.0, False, False
    mean, scale, w = np.array(model.mean), np.array(model.scale), np.array(model.weights)
    s = ((page["X"] - mean) / scale) @ w
    k, share, emitted = pooled_choice(page["texts"], s.tolist(), model.no_title_score)
    return page["texts"][k], share, bool(page["y"][k]), emitted


def choose_l2(
    pages: list[dict],
    names: list[str],
    k: int = 4,
    scored: dict[str, list[dict]] | None = None,
    tally: dict[tuple[str, float], int] | None = None,
) -> float:
    """Inner site-grouped CV on ``pages``: the L2 strength with the best accuracy (ties: the first).
    ``tally`` (when given) adds up each L2's right pages per scored setting: ``("train", l2)``
    over ``pages`` (what chooses), and ``(name, l2)`` over the pages of ``scored[name]`` whose
    site is in ``pages`` (their matrices built with ``names``), each held out with its site."""
    folds = site_folds(pages, k)
    fold_of = {p["site"]: g for p, g in zip(pages, folds, strict=True)}
    matrices(pages, names)
    best = (-1, L2_GRID[0])
    for l2 in L2_GRID:
        right = 0
        for f in range(k):
            model = train([p for p, g in zip(pages, folds, strict=True) if g != f], names, l2)
            for p, g in zip(pages, folds, strict=True):
                if g == f:
                    _, _, ok, emitted = predict(model, p)
                    right += ok and emitted
            if tally is not None:
                for name, sp in (scored or {}).items():
                    for p in sp:
                        if fold_of.get(p["site"]) == f:
                            _, _, ok, e = predict(model, p)
                            tally[(name, l2)] = tally.get((name, l2), 0) + (ok and e)
        if tally is not None:
            tally[("train", l2)] = tally.get(("train", l2), 0) + right
        if right > best[0]:
            best = (right, l2)
    return best[1]


def cross_validate(
    pages: list[dict],
    show_misses: bool = False,
    l2: float | None = None,
    fixed: list[str] | None = None,
    score_sets: dict[str, list[dict]] | None = None,
) -> dict[str, Any]:
    """Held-out figures of the learned model (site-grouped CV; the L2 strength chosen by inner
    CV on each training part unless ``l2`` is given; the features of the shipped model when
    ``fixed`` names them) and of the baselines. The model is trained on ``pages``; the held-out
    folds are scored on each list of ``score_sets`` by name (default: ``pages`` themselves), each
    holding every page once with features formed some way (site counts of a :data:`COUNTS`
    setting); the first one's figures are the top-level ones, all are under ``by_counts``, and
    ``inner`` holds the inner figures (``{name: {l2: right}}``, name ``train`` for the training
    pages themselves) when L2 is chosen.
    ``pages`` may hold a page more than once (``--counts both``): folds go by site."""
    names = feature_names(pages)
    folds = site_folds(pages, FOLDS)
    fold_of = {p["site"]: g for p, g in zip(pages, folds, strict=True)}
    if score_sets is None:
        score_sets = {"": pages}
    chosen = []
    subset = fixed or names
    matrices(pages, subset)
    for sp in score_sets.values():
        assert len({p["id"] for p in sp}) == len(sp), "a score set holds each page once"
        matrices(sp, subset)
    right = dict.fromkeys(score_sets, 0)
    emitted = dict.fromkeys(score_sets, 0)
    tally: dict[tuple[str, float], int] = {}
    for f in range(FOLDS):
        train_pages = [p for p, g in zip(pages, folds, strict=True) if g != f]
        # (choose_l2 rebuilds its pages' matrices with the same features: they stay as built here)
        if l2 is not None:
            strength = l2
        else:
            strength = choose_l2(train_pages, subset, scored=score_sets, tally=tally)
        chosen.append((len(subset), strength))
        model = train(train_pages, subset, strength)
        for name, sp in score_sets.items():
            for p in sp:
                if fold_of[p["site"]] != f:
                    continue
                text, prob, ok, emit = predict(model, p)
                label = f" [{name}]" if name else ""
                if emit:
                    emitted[name] += 1
                    right[name] += ok
                    if show_misses and not ok:
                        print(f"  WRONG{label} {p['id']} ({p['site']}) p={prob:.2f}: {text!r} | truth {p['truth']!r}")
                elif show_misses:
                    print(f"  NULL{label}  {p['id']} ({p['site']}) p={prob:.2f}: best {text!r} | truth {p['truth']!r}")
    by_counts = {}
    for name, sp in score_sets.items():
        n = len(sp)
        by_counts[name] = {
            "title_acc": right[name] / max(1, n),
            "title_right": right[name],
            "title_precision": right[name] / max(1, emitted[name]),
            "title_coverage": emitted[name] / max(1, n),
            "title_oracle": sum(any(p["labels"]) for p in sp) / max(1, n),
            "title_rule_acc": sum(title_match(p["rule_title"], p["truth"]) for p in sp) / max(1, n),
            "title_simple_acc": sum(title_match(p["simple_title"], p["truth"]) for p in sp) / max(1, n),
            "pages": n,
        }
    inner: dict[str, dict[float, int]] = defaultdict(dict)
    for (name, strength), n_right in sorted(tally.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        inner[name][strength] = n_right
    return {
        **next(iter(by_counts.values())),
        "by_counts": by_counts,
        "inner": dict(inner),
        "chosen": chosen,
        "sites": len({p["site"] for p in pages}),
    }


def title_benchmark(dev: Path, quick: bool = False, data: list | None = None) -> dict[str, Any]:
    """The figures ``benchmarks/clean.py`` reports: nested CV on all l3s-gn1 pages, or with
    ``quick`` a third of them with the shipped model's L2 strength (no inner CV); the pages
    cleaned with held-out lexicons as the shipped model is trained (:func:`dev_lexicons`, from
    ``data`` when the caller has featurized the line model's pages), on its site counts
    (:data:`SHIPPED_COUNTS`). Scored on each :data:`BOTH` setting; the top-level figures are the
    first one's (``site``), ``title_acc_<setting>`` each one's accuracy."""
    lexicons = dev_lexicons(dev, data)
    pages, scored = collect_scored(dev, SHIPPED_COUNTS, list(BOTH), quick=quick, lexicons=lexicons)
    l2, fixed = None, None
    if quick and DEFAULT_OUT.is_file():
        shipped = json.loads(DEFAULT_OUT.read_text(encoding="utf-8"))
        l2, fixed = float(shipped["l2"]), list(shipped["features"])
    cv = cross_validate(pages, l2=l2, fixed=fixed, score_sets=scored)
    return {**cv, **{f"title_acc_{c}": f["title_acc"] for c, f in cv["by_counts"].items()}}


def feature_names(pages: list[dict]) -> list[str]:
    return sorted(next(f for p in pages for f in p["feats"]))


def final_model(pages: list[dict]) -> dict:
    names = feature_names(pages)
    l2 = choose_l2(pages, names, k=FOLDS)
    model = train(pages, names, l2)
    return {
        "kind": "conditional_logit",
        "about": "Headline model of babelmill.clean.title; trained by benchmarks/train_title.py (model card: "
        "benchmarks/TITLE.md).",
        "data": "l3s-gn1 pages of ../shared/dev/boilerplate2 (research use only)",
        "l2": l2,
        "features": names,
        "mean": [round(v, 6) for v in model.mean],
        "scale": [round(v, 6) for v in model.scale],
        "weights": [round(v, 6) for v in model.weights],
        "no_title_score": round(model.no_title_score, 6),
    }


def write_or_check(out: Path, model: dict, check: bool) -> int:
    """Write the model's JSON to ``out``, or with ``check`` compare it byte for byte (1: differs)."""
    text = json.dumps(model, indent=1) + "\n"
    if check:
        same = out.is_file() and out.read_text(encoding="utf-8") == text
        print(f"  shipped model reproduced byte for byte: {same}")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"  wrote {out}")
    return 0


def trainer_parser(doc: str, default_out: Path, quick: str) -> argparse.ArgumentParser:
    """The options every dev-data trainer takes: ``--dev``, ``--out``, ``--quick``, ``--check``."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=default_out)
    ap.add_argument("--quick", action="store_true", help=quick)
    ap.add_argument("--check", action="store_true", help="retrain and compare with the written model")
    ap.add_argument(
        "--lexicon", choices=LEXICONS, default="oof",
        help="the line model's lexicon when cleaning the pages: for each page one learned without its site "
        "(default; the shipped models), or the packaged one (in-sample on the dev pages; nothing written)",
    )  # fmt: skip
    return ap


def count_settings(text: str) -> list[str]:
    """``--test-counts``: one or more :data:`COUNTS` settings, comma-separated."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in COUNTS]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"one or more of {', '.join(COUNTS)}, comma-separated, not {text!r}")
    return list(dict.fromkeys(names))


def main() -> int:
    ap = trainer_parser(__doc__, DEFAULT_OUT, quick="a third of the pages, CV only, nothing written")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--skip-cv", action="store_true", help="only train and write (or --check) the model")
    ap.add_argument(
        "--counts", choices=(*COUNTS, "both"), default=SHIPPED_COUNTS,
        help="how the site counts are formed: idealized, each site one batch (site), as in a run that knows the "
        "sites (run: input order, batches of 64), as babelmill run does for plain dumps (cli: no site, one "
        f"bucket), or every page once on each of {' and '.join(BOTH)} (both); default {SHIPPED_COUNTS}, the "
        "shipped model",
    )  # fmt: skip
    ap.add_argument(
        "--site-seen", action="store_true",
        help="add the site-count features (not shipped; TITLE.md) and report the model without them in the same run",
    )  # fmt: skip
    ap.add_argument(
        "--test-counts", type=count_settings, default=None,
        help="score the held-out folds on site counts formed so (comma-separated: each reported; the model still "
        f"trains on --counts; default: --counts, or {','.join(BOTH)} for both); CV only, nothing written",
    )  # fmt: skip
    args = ap.parse_args()
    dev = dev_or_exit(args.dev)
    t0 = time.perf_counter()
    # only the shipped setup writes (or checks) the shipped model file
    shipped_setup = not (args.site_seen or args.counts != SHIPPED_COUNTS or args.test_counts or args.lexicon != "oof")
    if args.skip_cv and not shipped_setup and args.out == DEFAULT_OUT:
        print(
            f"the shipped model is trained with --counts {SHIPPED_COUNTS}, --lexicon oof, without --site-seen: "
            "pass --out",
            file=sys.stderr,
        )
        return 2
    lexicons = dev_lexicons(dev) if args.lexicon == "oof" else None
    trained_on = list(BOTH) if args.counts == "both" else [args.counts]
    score = [] if args.skip_cv else (args.test_counts or trained_on)
    pages, scored = collect_scored(
        dev, args.counts, score, quick=args.quick, with_seen=args.site_seen, lexicons=lexicons
    )
    if args.skip_cv:
        return write_or_check(args.out, final_model(pages), args.check)
    names = feature_names(pages)
    base = None
    if args.site_seen:
        base = cross_validate(pages, fixed=[n for n in names if n not in SEEN_FEATURES], score_sets=scored)
    cv = cross_validate(pages, show_misses=args.show_misses, score_sets=scored)
    n_pages = len(next(iter(scored.values())))
    print(
        f"l3s-gn1: {n_pages} pages, {cv['sites']} sites; site-grouped {FOLDS}-fold CV (nested for L2); "
        f"line model lexicon: {args.lexicon}; trained on site counts formed: {args.counts}"
        + (f" ({len(pages)} pages: each page once per setting)" if len(trained_on) > 1 else "")
    )
    for name, fig in cv["by_counts"].items():
        print(
            f"  scored on counts formed {name}: accuracy {fig['title_acc']:.3f} ({fig['title_right']} right)  "
            f"precision {fig['title_precision']:.3f}  coverage {fig['title_coverage']:.3f}  "
            f"(a candidate matches the headline: {fig['title_oracle']:.3f})"
        )
    print(f"  per outer fold, inner CV chose (features, L2): {cv['chosen']}")
    n_inner = (FOLDS - 1) * n_pages  # each page is in 4 training parts, held out once in each one's inner CV
    for name in [*scored, "train"]:
        per_l2 = cv["inner"].get(name, {})
        what = "the training pages (chooses L2)" if name == "train" else f"scored on {name}"
        print(
            f"  inner figure, {what}: right at L2 "
            + " / ".join(f"{k:g}: {v}" for k, v in per_l2.items())
            + (f" (of {n_inner} predictions)" if name != "train" else "")
        )
    if base is not None:
        for name, fig in base["by_counts"].items():
            print(
                f"  without the site-count features ({', '.join(SEEN_FEATURES)}), scored on {name}: accuracy "
                f"{fig['title_acc']:.3f}  precision {fig['title_precision']:.3f}  "
                f"coverage {fig['title_coverage']:.3f}  "
                f"({fig['title_right']} against {cv['by_counts'][name]['title_right']} pages right)"
            )
    print(f"  rule-based extractor: {cv['title_rule_acc']:.3f}   nearest heading above the body: "
          f"{cv['title_simple_acc']:.3f}")  # fmt: skip
    status = write_or_check(args.out, final_model(pages), args.check) if shipped_setup and not args.quick else 0
    extra = "".join(
        f"title_acc_{name}={fig['title_acc']:.4f} " for name, fig in cv["by_counts"].items() if len(scored) > 1
    )
    print(
        f"RESULT title_acc={cv['title_acc']:.4f} title_precision={cv['title_precision']:.4f} "
        f"title_coverage={cv['title_coverage']:.4f} title_rule_acc={cv['title_rule_acc']:.4f} "
        f"title_simple_acc={cv['title_simple_acc']:.4f} "
        + extra
        + (f"title_noseen_acc={base['title_acc']:.4f} " if base is not None else "")
        + f"seconds={time.perf_counter() - t0:.1f}"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
