"""Benchmark the cleaner's line model with site-grouped cross-validation on the dev pages.

Pages: ``boilerplate2/`` (1,495 pages, 692 sites, with a manifest naming each page's site),
``boilerplate/`` (20) and ``snippets/`` (75, with/without snippets). Every page's site is its
URL's host; the outer folds split sites, never a site's pages, so a page is always scored by a
model that saw no page of its site (snippet and ``boilerplate/`` pages included: they are
training pages of the other folds). In each outer fold the model is trained on the other folds
(LightGBM, as ``babelmill train-cleaner`` does, its threshold tuned by an inner site-grouped
cross-validation of those folds only) and the held-out pages run through the whole cleaner.

Scores, per page then averaged: token precision / recall / F1 of the kept text against the
truth (bag of lower-cased word tokens); lost article = page recall < 0.5; snippets kept /
chrome dropped (NFC and whitespace normalized). Beside the model, in the same run: the
hand-tuned cleaner without the model (``line_model = ""``) and the "keep lines of 8+ words"
baseline. Speed: lines per CPU second of the strip stage with the packaged model on 200 dev pages
(one thread; the best of three passes, each on a fresh stage that has already cleaned one page, so
that loading models and compiling rules is not counted per line), and on generated pages of 50 KB,
200 KB and 1 MB (per-line cost at 1 MB / 50 KB: 1.0 is linear). ``--speed-only`` runs only that
phase (about a minute), for a quiet machine.

    .venv/bin/python benchmarks/clean.py [--dev ../shared/dev] [--quick] [--folds 5] [--show-lost] [--speed-only]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.clean import pages as P  # noqa: E402
from babelmill.clean import train as T  # noqa: E402
from babelmill.clean.cleaner import Cleaner  # noqa: E402
from babelmill.clean.line_model import LineModel  # noqa: E402
from babelmill.document import Document  # noqa: E402
from babelmill.stages.strip import StripConfig, StripStage  # noqa: E402

_TOK = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOK.findall(unicodedata.normalize("NFC", text)))


def prf(pred: str, truth: str) -> tuple[float, float, float]:
    p, t = tokens(pred), tokens(truth)
    overlap = sum((p & t).values())
    prec = overlap / max(1, sum(p.values()))
    rec = overlap / max(1, sum(t.values()))
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def eight_words(text: str) -> str:
    return "\n\n".join(ln.strip() for ln in text.split("\n") if len(ln.split()) >= 8)


def snippet_rates(cleaned: str, spec: dict) -> tuple[float, float]:
    c = norm(cleaned)
    keep = [norm(s) in c for s in spec["with"]]
    drop = [norm(s) not in c for s in spec["without"]]
    return (sum(keep) / len(keep) if keep else 1.0), (sum(drop) / len(drop) if drop else 1.0)


_CHROME = ["Share this story", "Home", "Sports", "Subscribe now", "March 3, 2024", "Teilen", "Newsletter",
           "Advertisement", "Tweet", "Print"]  # fmt: skip
_TAIL = ["Related articles", "Leave a comment", "Most read"]
_STOPS = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "was", "on", "with", "as", "by"]


def generated_page(size: int, seed: int = 0) -> str:
    """A deterministic page of about ``size`` bytes: one long article (prose, headings, share bars
    and ads between paragraphs, some paragraphs repeated as teaser copies) and a chrome tail."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(4, 10))) for _ in range(600)]

    def word() -> str:
        return rng.choice(_STOPS) if rng.random() < 0.45 else rng.choice(vocab)

    def sentence() -> str:
        return " ".join(word() for _ in range(rng.randint(8, 22))).capitalize() + "."

    out: list[str] = []
    n = 0
    while n < size:
        r = rng.random()
        if r < 0.2:
            line = rng.choice(_CHROME)
        elif r < 0.3:
            line = " ".join(word().capitalize() for _ in range(rng.randint(3, 7)))
        elif r < 0.33 and out:
            line = rng.choice(out)
        else:
            line = " ".join(sentence() for _ in range(rng.randint(1, 4)))
        out.append(line)
        n += len(line.encode("utf-8")) + 1
    for heading in _TAIL:
        out += [heading, *(" ".join(word().capitalize() for _ in range(5)) for _ in range(5))]
    return "\n".join(out)


def _timed_strip(stage: StripStage, docs: list[Document]) -> float:
    t0 = time.process_time()
    for doc in docs:
        list(stage.process(doc))
    return time.process_time() - t0


def _warm_stage() -> StripStage:
    """A strip stage that has already cleaned one page, so that loading the packaged models and
    compiling the rules (once per process) is not counted as per-line cost."""
    stage = StripStage()
    list(stage.process(Document(id="warm-up", text=generated_page(5_000, seed=1))))
    return stage


def stage_speed(texts: list[str], repeats: int = 3) -> float:
    """Lines per CPU second of the strip stage (packaged model, site counts in memory) over
    ``texts``: the stage runs on one thread, and CPU time stays meaningful on a shared machine.
    The best of ``repeats`` passes, each on a fresh warmed stage (other processes on the machine
    only ever make a pass slower)."""
    n = sum(1 for t in texts for ln in t.split("\n") if ln.strip())
    best = min(
        _timed_strip(_warm_stage(), [Document(id=f"speed-{k}", text=t) for k, t in enumerate(texts)])
        for _ in range(repeats)
    )
    return n / best


def scaling(sizes: tuple[int, ...], repeats: int = 2) -> dict[int, float]:
    """CPU seconds per line of one generated page of each size (best of ``repeats``, warmed stage)."""
    out = {}
    for size in sizes:
        text = generated_page(size)
        n_lines = sum(1 for ln in text.split("\n") if ln.strip())
        sec = min(_timed_strip(_warm_stage(), [Document(id=f"gen-{size}", text=text)]) for _ in range(repeats))
        out[size] = sec / n_lines
        print(f"scaling: {size // 1000:5d} KB {n_lines:6d} lines {sec:6.2f}s {n_lines / sec:8.0f} lines/s")
    return out


def speed_phase(texts: list[str]) -> tuple[float, float]:
    """Lines per CPU second on ``texts``, and the per-line cost at 1 MB over 50 KB."""
    lps = stage_speed(texts)
    print(f"speed: strip stage with the packaged model, {len(texts)} dev pages: {lps:.0f} lines per CPU second")
    per_line = scaling((50_000, 200_000, 1_000_000))
    ratio = per_line[1_000_000] / per_line[50_000]
    print(f"scaling: per-line cost 1 MB / 50 KB = {ratio:.2f} (1.0: linear)")
    return lps, ratio


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=None, help="dev data folder (default: ../shared/dev)")
    ap.add_argument("--quick", action="store_true", help="a fifth of the pages, 2 folds, fewer rounds (< 1 min)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner-folds", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=T.ROUNDS)
    ap.add_argument("--show-lost", action="store_true", help="print the pages whose article was lost")
    ap.add_argument(
        "--both-ways",
        action="store_true",
        help="train each fold's model on every page twice, cleaned with and without its site's template "
        "(measured, not what train-cleaner does: MODEL.md)",
    )
    ap.add_argument(
        "--no-page-style",
        dest="page_style",
        action="store_false",
        help="train each fold's model without the page style (train-cleaner --no-page-style: MODEL.md)",
    )
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="only the speed phase (no cross-validation): run it on a quiet machine, it measures CPU time",
    )
    args = ap.parse_args()
    dev = args.dev
    if dev is None:
        for cand in (ROOT.parent / "shared" / "dev", ROOT / "shared" / "dev", Path("/work/shared/dev")):
            if cand.is_dir():
                dev = cand
                break
    if dev is None or not dev.is_dir():
        print("dev data not found; pass --dev", file=sys.stderr)
        return 2
    folds, rounds = args.folds, args.rounds
    pages = P.load_pages([dev / "boilerplate2", dev / "boilerplate", dev / "snippets"])
    if args.speed_only:
        lps, ratio = speed_phase([P.read_page(page.path) for page in pages[:200]])
        print(f"RESULT lines_per_s={lps:.0f} scaling_1mb_vs_50kb={ratio:.2f}")
        return 0
    if args.quick:
        pages = pages[::12]
        folds, rounds = 2, 60
    t0 = time.perf_counter()
    cfg = StripConfig(line_model="")
    rules, thresholds = cfg.ruleset(), cfg.thresholds()
    featurizer = Cleaner(rules, thresholds, keep_features=True)
    data = T.featurize(pages, featurizer)
    # --both-ways: the training pages also as a run that cannot tell their site featurizes them
    unsited = T.featurize(pages, featurizer, site_counts=False) if args.both_ways else []
    repeats = P.site_repeats([pd.page for pd in data])
    print(f"{len(data)} pages, {len({pd.page.site for pd in data})} sites featurized ({time.perf_counter() - t0:.0f}s)")
    fold_of = T.site_folds(data, folds)

    # per page: {system: (p, r, f1)} or {system: (keep, drop)}
    scores: list[dict[str, tuple[float, ...]]] = [{} for _ in data]
    legacy = Cleaner(rules, thresholds)
    for f in range(folds):
        train = [pd for pd, g in zip(data, fold_of, strict=True) if g != f]
        if args.both_ways:
            train += [pd for pd, g in zip(unsited, fold_of, strict=True) if g != f]
        model = LineModel.from_json(
            T.train_model(train, inner_folds=args.inner_folds, rounds=rounds, styled=args.page_style)
        )
        cleaner = Cleaner(rules, thresholds, model=model)
        for k, (pd, g) in enumerate(zip(data, fold_of, strict=True)):
            if g != f:
                continue
            page = pd.page
            outs = {
                "model": cleaner.clean(page.text, repeats.get(page.id) or None).text,
                # as a run that cannot tell the page's site (plain dumps in one folder) cleans it
                "model_no_site": cleaner.clean(page.text).text,
                "hand_tuned": legacy.clean(page.text, repeats.get(page.id) or None).text,
                "eight_words": eight_words(page.text),
            }
            for name, out in outs.items():
                scores[k][name] = prf(out, page.truth) if page.truth is not None else snippet_rates(out, page.snippets)
        print(
            f"fold {f + 1}/{folds}: {len(train)} training pages, {2 if model.second else 1} stage(s), "
            f"threshold {model.threshold_keep}, "
            f"fbeta {model.fbeta}, "
            f"prose run {model.prose_words:g} words at {model.prose_keep} ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
    systems = ("model", "model_no_site", "hand_tuned", "eight_words")

    groups: dict[str, list[int]] = defaultdict(list)
    for k, pd in enumerate(data):
        if pd.page.truth is None:
            continue
        if pd.page.dataset in ("boilerplate",):
            groups["boilerplate (v1)"].append(k)
        else:
            groups["all (boilerplate2)"].append(k)
            groups[pd.page.dataset].append(k)
            if pd.page.lang == "de":
                groups["german (boilerplate2)"].append(k)
    print(f"\n{'pages':24s} {'n':>5s} " + " ".join(f"{s + ' P/R/F1/lost':>29s}" for s in systems))
    summary: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    for name in ["all (boilerplate2)", "german (boilerplate2)", "dragnet", "cleaneval", "l3s-gn1", "fundus",
                 "cleanportaleval", "boilerplate (v1)"]:  # fmt: skip
        idx = groups.get(name, [])
        if not idx:
            continue
        cells = []
        for s in systems:
            p = mean(scores[k][s][0] for k in idx)
            r = mean(scores[k][s][1] for k in idx)
            f1 = mean(scores[k][s][2] for k in idx)
            lost = mean(float(scores[k][s][1] < 0.5) for k in idx)
            summary[(name, s)] = (p, r, f1, lost)
            cells.append(f"{p:.3f}/{r:.3f}/{f1:.3f}/{lost:.3f}")
        print(f"{name:24s} {len(idx):5d} " + " ".join(f"{c:>29s}" for c in cells))
    snip: dict[tuple[str, str], tuple[float, float]] = {}
    for lang in ("de", "en"):
        idx = [k for k, pd in enumerate(data) if pd.page.snippets is not None and pd.page.lang == lang]
        if not idx:
            continue
        for s in systems:
            snip[(lang, s)] = (mean(scores[k][s][0] for k in idx), mean(scores[k][s][1] for k in idx))
        print(f"snippets {lang} ({len(idx)} pages) keep/drop: " + "  ".join(
            f"{s} {snip[(lang, s)][0]:.3f}/{snip[(lang, s)][1]:.3f}" for s in systems))  # fmt: skip
    if args.show_lost:
        for k, pd in enumerate(data):
            if pd.page.truth is not None and scores[k]["model"][1] < 0.5:
                print(f"  lost: {pd.page.id} ({pd.page.dataset}, {pd.page.site}) recall {scores[k]['model'][1]:.2f}")

    lps, ratio = speed_phase([pd.page.text for pd in data][:200])
    # headlines: the learned title model by site-grouped CV on the l3s-gn1 pages (benchmarks/train_title.py)
    from train_title import title_benchmark

    tb = title_benchmark(dev, quick=args.quick, data=data)  # held-out lexicons from the pages featurized above
    print(
        f"title (l3s-gn1, {tb['pages']} pages, {tb['sites']} sites, site-grouped CV): accuracy {tb['title_acc']:.3f} "
        f"(precision {tb['title_precision']:.3f}, coverage {tb['title_coverage']:.3f}; on site counts as a run of "
        f"plain dumps forms them, one bucket: {tb['title_acc_cli']:.3f}); baselines: rule-based "
        f"extractor {tb['title_rule_acc']:.3f}, nearest heading above the body {tb['title_simple_acc']:.3f}"
    )
    allm = summary.get(("all (boilerplate2)", "model"), (0, 0, 0, 0))
    nosite = summary.get(("all (boilerplate2)", "model_no_site"), (0, 0, 0, 0))
    de = summary.get(("german (boilerplate2)", "model"), (0, 0, 0, 0))
    base = summary.get(("all (boilerplate2)", "eight_words"), (0, 0, 0, 0))
    hand = summary.get(("all (boilerplate2)", "hand_tuned"), (0, 0, 0, 0))
    sde = snip.get(("de", "model"), (0, 0))
    sde8 = snip.get(("de", "eight_words"), (0, 0))
    print(
        f"RESULT f1={allm[2]:.4f} recall={allm[1]:.4f} precision={allm[0]:.4f} lost_pages={allm[3]:.4f} "
        f"f1_de={de[2]:.4f} snippet_keep_de={sde[0]:.4f} snippet_drop_de={sde[1]:.4f} lines_per_s={lps:.0f} "
        f"scaling_1mb_vs_50kb={ratio:.2f} f1_no_site={nosite[2]:.4f} recall_no_site={nosite[1]:.4f} "
        f"lost_pages_no_site={nosite[3]:.4f} baseline_f1={base[2]:.4f} baseline_recall={base[1]:.4f} "
        f"baseline_lost_pages={base[3]:.4f} baseline_snippet_keep_de={sde8[0]:.4f} "
        f"baseline_snippet_drop_de={sde8[1]:.4f} hand_tuned_f1={hand[2]:.4f} hand_tuned_lost_pages={hand[3]:.4f} "
        f"title_acc={tb['title_acc']:.4f} title_acc_cli={tb['title_acc_cli']:.4f} "
        f"title_baseline_acc={tb['title_simple_acc']:.4f} "
        f"title_rule_acc={tb['title_rule_acc']:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
