"""Train the lost-article warning (``src/babelmill/data/lost_warning.json``); report held-out figures.

Usage::

    .venv/bin/python benchmarks/train_lost_warning.py [--dev ../shared/dev] [--quick] [--check]
        [--lexicon oof|packaged]

Data: the ``boilerplate2/`` pages with a truth (1,495 pages, 692 sites). Each page goes through the
strip stage twice: with the shipped line model (what a run does; its lexicon swapped for one
learned without the page's site, ``train_title.dev_lexicons``, as for an unseen site;
``--lexicon packaged``: the packaged one, in-sample here, nothing written) and with the hand-tuned steps
only (``line_model = ""``: a cleaner no dev page was fitted to, whose losses are those an unseen
site may see). A page counts as **lost** when less than half of the truth's word tokens are in
the kept text (token recall < 0.5, as ``benchmarks/clean.py`` counts lost pages). The features
are :func:`babelmill.clean.coverage.lost_features` of the cleaned page.

Model: L2 logistic regression on standardised features (numpy Newton steps, deterministic). The
warning fires when its probability reaches the threshold, or when the old rule does (kept text
< half the longest prose run of 80+ words: rare and always right on these pages, and the shape
of a plain loss, a teaser kept and the article removed, that the data holds too few of for the
model to learn). The L2 strength and the threshold (the one that maximises the warning's F1)
are chosen by inner site-grouped CV; the reported precision and recall are those of 5 outer folds grouped by site
(both cleaner outputs of a site's pages always in the same fold). The rule the model replaces
(kept text < half the longest prose run of 80+ words) is scored on the same pages.

``--check`` retrains and fails unless the written model is byte-identical.
"""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from train_title import (  # noqa: E402  (the same folds: sites, largest first)
    Lexicon,
    PageStyle,
    dev_lexicons,
    dev_or_exit,
    site_folds,
    trainer_parser,
    use_held_out_lexicons,
    write_or_check,
)

from babelmill.clean.coverage import ARTICLE_MAY_BE_LOST, cleaning_report, lost_features  # noqa: E402
from babelmill.clean.lines import make_line  # noqa: E402
from babelmill.document import Document  # noqa: E402
from babelmill.stages.repair import RepairConfig, repair_text  # noqa: E402
from babelmill.stages.strip import StripConfig, StripStage  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "babelmill" / "data" / "lost_warning.json"
L2_GRID = (0.3, 1.0, 3.0, 10.0)
FOLDS = 5
_TOK = re.compile(r"\w+", re.UNICODE)


def recall(kept: str, truth: str) -> float:
    def toks(t: str) -> Counter[str]:
        return Counter(w.lower() for w in _TOK.findall(unicodedata.normalize("NFC", t)))

    k, t = toks(kept), toks(truth)
    return sum((k & t).values()) / max(1, sum(t.values()))


def collect(
    dev: Path, quick: bool = False, lexicons: dict[str, tuple[Lexicon, PageStyle | None]] | None = None
) -> list[dict]:
    """One row per (page, cleaner): site, features, lost label, the rule's verdict. ``lexicons``:
    each site's held-out lexicon and page style for the line model (``train_title.dev_lexicons``; None: the
    packaged one, in-sample on these pages)."""
    folder = dev / "boilerplate2"
    rows = [ln.split("\t") for ln in (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    if quick:
        rows = rows[::4]
    by_site: dict[str, list[list[str]]] = defaultdict(list)
    for r in rows:
        by_site[r[4]].append(r)
    repair = RepairConfig()
    out: list[dict] = []
    for cleaner, cfg in (("model", StripConfig(persist_site_counts=False)),
                         ("hand_tuned", StripConfig(line_model="", persist_site_counts=False))):  # fmt: skip
        stage = StripStage(cfg)
        if lexicons is not None and stage.cleaner.model is not None:
            use_held_out_lexicons(stage, lexicons, {r[0]: r[4] for r in rows})
        for site in sorted(by_site):
            docs, truths = [], {}
            for r in by_site[site]:
                text = repair_text((folder / f"{r[0]}.txt").read_text(encoding="utf-8"), repair)[0]
                truths[r[0]] = (folder / f"{r[0]}.truth.txt").read_text(encoding="utf-8")
                docs.append(Document(id=r[0], text=text, source={"site": site}))
            for doc in stage.process_batch(docs):
                text = doc.text or ""
                lines = [make_line(i + 1, raw) for i, raw in enumerate(text.split("\n")) if raw.strip()]
                kept = "\n\n".join(b.text for b in doc.blocks)
                rule = cleaning_report(text, doc.blocks, doc.removed, model=None)
                out.append(
                    {
                        "id": doc.id,
                        "site": site,
                        "cleaner": cleaner,
                        "feats": lost_features(lines, doc.blocks, doc.removed),
                        "lost": recall(kept, truths[doc.id]) < 0.5,
                        "rule": ARTICLE_MAY_BE_LOST in rule["warnings"],
                        "any_rule": bool(rule["warnings"]),
                    }
                )
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """L2 logistic regression on standardised columns by Newton steps: (weights, bias, mean, scale)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 1e-6
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        g = z.T @ (p - y) + reg * w
        h = (z.T * (p * (1 - p))) @ z + np.diag(reg)
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    return w[:-1], float(w[-1]), mean, scale


def prob(x: np.ndarray, model: tuple) -> np.ndarray:
    w, b, mean, scale = model
    return 1 / (1 + np.exp(-np.clip(((x - mean) / scale) @ w + b, -30, 30)))


def prf(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    tp = float((pred & y).sum())
    p = tp / max(1, pred.sum())
    r = tp / max(1, y.sum())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_threshold(p: np.ndarray, y: np.ndarray, rule: np.ndarray) -> float:
    """The probability threshold (from a fixed grid) with the best F1 of the warning (the model
    at that threshold, or the rule); ties: the higher one."""
    best = (-1.0, 0.5)
    for t in np.round(np.arange(0.05, 0.96, 0.05), 2):
        f1 = prf((p >= t) | rule, y)[2]
        if f1 >= best[0]:
            best = (f1, float(t))
    return best[1]


def tune(x: np.ndarray, y: np.ndarray, rows: list[dict], k: int = 4) -> tuple[float, float]:
    """Inner site-grouped CV: the L2 strength and threshold with the best out-of-fold F1."""
    folds = np.array(site_folds(rows, k))
    rule = np.array([r["rule"] for r in rows])
    best = (-1.0, L2_GRID[0], 0.5)
    for l2 in L2_GRID:
        oof = np.zeros(len(y))
        for f in range(k):
            tr, te = folds != f, folds == f
            oof[te] = prob(x[te], fit(x[tr], y[tr], l2))
        t = best_threshold(oof, y, rule)
        f1 = prf((oof >= t) | rule, y)[2]
        if f1 > best[0]:
            best = (f1, l2, t)
    return best[1], best[2]


def cross_validate(rows: list[dict], names: list[str]) -> dict[str, float]:
    x = np.array([[r["feats"][n] for n in names] for r in rows])
    y = np.array([r["lost"] for r in rows])
    folds = np.array(site_folds(rows, FOLDS))
    pred = np.zeros(len(y), dtype=bool)
    for f in range(FOLDS):
        tr, te = folds != f, folds == f
        sub = [r for r, keep in zip(rows, tr, strict=True) if keep]
        l2, t = tune(x[tr], y[tr], sub)
        pred[te] = prob(x[te], fit(x[tr], y[tr], l2)) >= t
    out: dict[str, float] = {"rows": len(rows), "lost": int(y.sum())}
    rule = np.array([r["rule"] for r in rows])
    pred |= rule  # the warning: the model at its threshold, or the rule
    any_rule = np.array([r["any_rule"] for r in rows])
    for name, mask in (("all", np.ones(len(y), bool)),
                       ("model", np.array([r["cleaner"] == "model" for r in rows])),
                       ("hand_tuned", np.array([r["cleaner"] == "hand_tuned" for r in rows]))):  # fmt: skip
        for what, p in (("learned", pred), ("rule", rule), ("any_rule", any_rule)):
            pr, rc, f1 = prf(p[mask], y[mask])
            out[f"{name}_{what}_precision"], out[f"{name}_{what}_recall"], out[f"{name}_{what}_f1"] = pr, rc, f1
        out[f"{name}_lost"] = int(y[mask].sum())
        out[f"{name}_pages"] = int(mask.sum())
    return out


def final_model(rows: list[dict], names: list[str]) -> dict:
    x = np.array([[r["feats"][n] for n in names] for r in rows])
    y = np.array([r["lost"] for r in rows])
    l2, t = tune(x, y, rows, k=FOLDS)
    w, b, mean, scale = fit(x, y, l2)
    return {
        "kind": "logistic",
        "about": "Lost-article warning of babelmill.clean.coverage; trained by benchmarks/train_lost_warning.py "
        "(figures: benchmarks/TITLE.md, section Cleaning warnings).",
        "data": "boilerplate2 pages of ../shared/dev (dragnet AGPLv3, cleaneval, l3s-gn1 research use only, "
        "fundus MIT, cleanportaleval); lost = token recall of the kept text < 0.5",
        "l2": l2,
        "threshold": t,
        "features": names,
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in w],
        "bias": round(b, 6),
    }


def main() -> int:
    ap = trainer_parser(__doc__, DEFAULT_OUT, quick="a quarter of the pages, CV only, nothing written")
    args = ap.parse_args()
    dev = dev_or_exit(args.dev)
    t0 = time.perf_counter()
    rows = collect(dev, quick=args.quick, lexicons=dev_lexicons(dev) if args.lexicon == "oof" else None)
    names = sorted(rows[0]["feats"])
    cv = cross_validate(rows, names)
    print(
        f"boilerplate2: {cv['rows']} cleaned pages ({cv['lost']} lost); site-grouped {FOLDS}-fold CV; "
        f"line model lexicon: {args.lexicon}"
    )
    for name in ("all", "model", "hand_tuned"):
        print(
            f"  {name:10s} ({cv[f'{name}_pages']} pages, {cv[f'{name}_lost']} lost): "
            + "  ".join(
                f"{what} P {cv[f'{name}_{what}_precision']:.3f} R {cv[f'{name}_{what}_recall']:.3f} "
                f"F1 {cv[f'{name}_{what}_f1']:.3f}"
                for what in ("learned", "rule", "any_rule")
            )
        )
    shipped_setup = args.lexicon == "oof" and not args.quick
    status = write_or_check(args.out, final_model(rows, names), args.check) if shipped_setup else 0
    print(
        f"RESULT lost_precision={cv['all_learned_precision']:.4f} lost_recall={cv['all_learned_recall']:.4f} "
        f"lost_f1={cv['all_learned_f1']:.4f} rule_precision={cv['all_rule_precision']:.4f} "
        f"rule_recall={cv['all_rule_recall']:.4f} shipped_cleaner_lost={cv['model_lost']} "
        f"shipped_cleaner_recall={cv['model_learned_recall']:.4f} seconds={time.perf_counter() - t0:.1f}"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
