"""Train the headline model and write ``src/babelmill/data/title.json``; report site-grouped CV.

Usage::

    .venv/bin/python benchmarks/train_title.py [--dev ../shared/dev] [--out PATH] [--quick] [--check]
        [--show-misses]

Data: the ``l3s-gn1`` pages of ``boilerplate2/`` (2008 Google News articles; the first line of each
truth file is the human-annotated headline). Each page goes through the strip stage (its site's
pages in one batch, so the site-repetition counts are those a run would have) with the learned
title off; the candidate lines of :mod:`babelmill.clean.title` are labelled by the headline
match below, and an L2-regularised conditional logit (numpy Newton steps, standardised features) scores them.

Match (also the benchmark's): both sides' encoding repaired as the pages' is (the truth files are
raw), then NFKC, case-folding and squeezing punctuation; the two are equal, or one contains the
other and is at least 80% of its length.

The model is a conditional logit: a softmax over the page's candidates and a "no title" option
whose score is learned from the pages where no line matches the headline; the title is null when
that option outscores every candidate. Validation: 5 folds grouped by site (every page of a site
in one fold); inside each training part, 4 inner site-grouped folds choose the L2 strength, so
the reported figures are held-out. Baselines
in the same run: the rule-based extractor's pick (``learned_title = false``) and "the nearest
heading-shaped line above the first kept block".

``--check`` retrains and fails unless the written model is byte-identical (reproducibility).
Deterministic: fixed fold assignment by site, deterministic solver, no randomness.
"""

from __future__ import annotations

import argparse
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

from babelmill.clean.title import TitleModel, page_lines, pooled_choice, verdicts_of  # noqa: E402
from babelmill.clean.title_candidates import _shaped, candidates, probs_of  # noqa: E402
from babelmill.document import Document  # noqa: E402
from babelmill.stages.repair import RepairConfig, repair_text  # noqa: E402
from babelmill.stages.strip import StripConfig, StripStage  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "babelmill" / "data" / "title.json"
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
    """The strip stage with the learned title off, keeping each page's verdicts and site repeats."""

    def __init__(self) -> None:
        super().__init__(StripConfig(learned_title=False, persist_site_counts=False))
        self.pages: dict[str, tuple[Document, set[str], dict[int, float]]] = {}
        self._last = None
        clean = self.cleaner.clean

        def keep_last(text, repeats=None):  # the clean result, for the line model's probabilities
            self._last = clean(text, repeats)
            return self._last

        self.cleaner.clean = keep_last

    def _process_one(self, doc: Document, repeats: set[str]) -> Document:
        out = super()._process_one(doc, repeats)
        self.pages[doc.id] = (out, set(repeats), probs_of(self._last))
        return out


def collect(dev: Path, quick: bool = False, datasets: tuple[str, ...] = ("l3s-gn1",)) -> list[dict]:
    """One entry per page of ``datasets`` (the l3s-gn1 pages unless told): site, the truth's first
    line (the headline on l3s-gn1), the rule-based title, the candidates labelled by that line."""
    folder = dev / "boilerplate2"
    rows = [ln.split("\t") for ln in (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    rows = [r for r in rows if r[1] in datasets]
    if quick:
        rows = rows[::3]
    by_site: dict[str, list[list[str]]] = defaultdict(list)
    for r in rows:
        by_site[r[4]].append(r)
    stage = _Capture()
    repair = RepairConfig()
    texts: dict[str, str] = {}
    for site in sorted(by_site):
        docs = []
        for r in by_site[site]:
            text = repair_text((folder / f"{r[0]}.txt").read_text(encoding="utf-8"), repair)[0]
            texts[r[0]] = text
            docs.append(Document(id=r[0], text=text, source={"site": site}))
        for _ in stage.process_batch(docs):
            pass
    pages = []
    for r in rows:
        doc, repeats, probs = stage.pages[r[0]]
        truth = (folder / f"{r[0]}.truth.txt").read_text(encoding="utf-8").split("\n")[0].strip()
        lines = page_lines(texts[r[0]])
        verdicts = verdicts_of(doc.blocks, doc.removed)
        cands = candidates(lines, verdicts, repeats, probs)
        pages.append(
            {
                "id": r[0],
                "site": r[4],
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


def choose_l2(pages: list[dict], names: list[str], k: int = 4) -> float:
    """Inner site-grouped CV on ``pages``: the L2 strength with the best accuracy (ties: the first)."""
    folds = site_folds(pages, k)
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
        if right > best[0]:
            best = (right, l2)
    return best[1]


def cross_validate(
    pages: list[dict], show_misses: bool = False, l2: float | None = None, fixed: list[str] | None = None
) -> dict[str, Any]:
    """Held-out figures of the learned model (site-grouped CV; the L2 strength chosen by inner
    CV on each training part unless ``l2`` is given; the features of the shipped model when
    ``fixed`` names them) and of the baselines."""
    names = feature_names(pages)
    folds = site_folds(pages, FOLDS)
    right = emitted = 0
    chosen = []
    subset = fixed or names
    matrices(pages, subset)
    for f in range(FOLDS):
        train_pages = [p for p, g in zip(pages, folds, strict=True) if g != f]
        # (choose_l2 rebuilds its pages' matrices with the same features: they stay as built here)
        strength = l2 if l2 is not None else choose_l2(train_pages, subset)
        chosen.append((len(subset), strength))
        model = train(train_pages, subset, strength)
        for p, g in zip(pages, folds, strict=True):
            if g != f:
                continue
            text, prob, ok, emit = predict(model, p)
            if emit:
                emitted += 1
                right += ok
                if show_misses and not ok:
                    print(f"  WRONG {p['id']} ({p['site']}) p={prob:.2f}: {text!r} | truth {p['truth']!r}")
            elif show_misses:
                print(f"  NULL  {p['id']} ({p['site']}) p={prob:.2f}: best {text!r} | truth {p['truth']!r}")
    n = len(pages)
    return {
        "title_acc": right / max(1, n),
        "title_precision": right / max(1, emitted),
        "title_coverage": emitted / max(1, n),
        "title_oracle": sum(any(p["labels"]) for p in pages) / max(1, n),
        "title_rule_acc": sum(title_match(p["rule_title"], p["truth"]) for p in pages) / max(1, n),
        "title_simple_acc": sum(title_match(p["simple_title"], p["truth"]) for p in pages) / max(1, n),
        "pages": n,
        "chosen": chosen,
        "sites": len({p["site"] for p in pages}),
    }


def title_benchmark(dev: Path, quick: bool = False) -> dict[str, float]:
    """The figures ``benchmarks/clean.py`` reports: nested CV on all l3s-gn1 pages, or with
    ``quick`` a third of them with the shipped model's L2 strength (no inner CV)."""
    pages = collect(dev, quick=quick)
    l2, fixed = None, None
    if quick and DEFAULT_OUT.is_file():
        shipped = json.loads(DEFAULT_OUT.read_text(encoding="utf-8"))
        l2, fixed = float(shipped["l2"]), list(shipped["features"])
    return cross_validate(pages, l2=l2, fixed=fixed)


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
    return ap


def main() -> int:
    ap = trainer_parser(__doc__, DEFAULT_OUT, quick="a third of the pages, CV only, nothing written")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--skip-cv", action="store_true", help="only train and write (or --check) the model")
    args = ap.parse_args()
    dev = dev_or_exit(args.dev)
    t0 = time.perf_counter()
    pages = collect(dev, quick=args.quick)
    if args.skip_cv:
        return write_or_check(args.out, final_model(pages), args.check)
    cv = cross_validate(pages, show_misses=args.show_misses)
    print(f"l3s-gn1: {cv['pages']} pages, {cv['sites']} sites; site-grouped {FOLDS}-fold CV (nested for L2)")
    print(
        f"  learned model: accuracy {cv['title_acc']:.3f}  precision {cv['title_precision']:.3f}  "
        f"coverage {cv['title_coverage']:.3f}  (a candidate matches the headline: {cv['title_oracle']:.3f})"
    )
    print(f"  per outer fold, inner CV chose (features, L2): {cv['chosen']}")
    print(f"  rule-based extractor: {cv['title_rule_acc']:.3f}   nearest heading above the body: "
          f"{cv['title_simple_acc']:.3f}")  # fmt: skip
    status = 0 if args.quick else write_or_check(args.out, final_model(pages), args.check)
    print(
        f"RESULT title_acc={cv['title_acc']:.4f} title_precision={cv['title_precision']:.4f} "
        f"title_coverage={cv['title_coverage']:.4f} title_rule_acc={cv['title_rule_acc']:.4f} "
        f"title_simple_acc={cv['title_simple_acc']:.4f} seconds={time.perf_counter() - t0:.1f}"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
