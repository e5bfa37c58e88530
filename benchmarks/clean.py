"""Benchmark the strip stage against hand-labelled dev pages.

* ``boilerplate/``: token-level precision, recall and F1 (bag of lower-cased word tokens) of
  the cleaned text against ``NNN.truth.txt``, averaged over pages;
* ``snippets/``: mean keep-rate of ``with`` snippets and drop-rate of ``without`` snippets
  (after NFC and whitespace normalization), overall and per language.

Side by side: keeping everything, and keeping lines of 8 or more words. The strip scores are
also reported on even and odd page ids apart (tune on one half, check on the other: the final
evaluation uses pages never seen).

Scaling: generated pages of 50 KB, 200 KB and 1 MB (seeded prose with topic vocabulary, menus,
share bars, section walls and repeated paragraphs) through the stage; lines per second at each
size and ``scaling_1mb_vs_50kb`` = per-line cost at 1 MB / per-line cost at 50 KB (1.0: linear).

    .venv/bin/python benchmarks/clean.py [--dev ../shared/dev] [--quick] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.document import Document  # noqa: E402
from babelmill.stages.repair import RepairConfig, repair_text  # noqa: E402
from babelmill.stages.strip import StripStage  # noqa: E402

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


def keep_all(text: str) -> str:
    return text


def eight_words(text: str) -> str:
    return "\n\n".join(ln.strip() for ln in text.split("\n") if len(ln.split()) >= 8)


_CHROME = ["Share this story", "Home", "Sports", "Subscribe now", "March 3, 2024", "Teilen", "Newsletter",
           "Advertisement", "Tweet", "Print"]  # fmt: skip
_TAIL = ["Related articles", "Leave a comment", "Most read"]
_STOPS = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "was", "on", "with", "as", "by"]


def generated_page(size: int, seed: int = 0) -> str:
    """A deterministic page of about ``size`` bytes: one long article (prose, headings, share bars
    and ads between paragraphs, some paragraphs repeated as teaser copies) and a chrome tail, so
    every step, the repeat search over the whole article included, has work to do."""
    rng = random.Random(seed)
    # one topic's vocabulary: content words recur in hundreds of sentences, as in a long report,
    # which is what makes an all-pairs repeat search blow up
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


def scaling(sizes: tuple[int, ...], repeat: int) -> dict[int, float]:
    """Seconds per line of the strip stage on generated pages of each size (best of ``repeat``)."""
    out = {}
    for size in sizes:
        text = generated_page(size)
        n_lines = sum(1 for ln in text.split("\n") if ln.strip())
        best = float("inf")
        for _ in range(repeat):
            stage = StripStage()
            t0 = time.perf_counter()
            list(stage.process(Document(id=f"gen-{size}", text=text)))
            best = min(best, time.perf_counter() - t0)
        out[size] = best / n_lines
        print(f"scaling: {size // 1000:5d} KB {n_lines:6d} lines {best:6.2f}s {n_lines / best:8.0f} lines/s")
    return out


def make_stripper():
    stage = StripStage()

    counter = iter(range(1 << 30))

    def strip(text: str) -> str:
        doc = Document(id=f"bench-{next(counter)}", text=text)
        out = list(stage.process(doc))[0]
        return out.body_text() if out.blocks else ""

    return strip


def load_text(path: Path) -> str:
    """The page as the repair stage hands it to strip (typographic quotes kept)."""
    cfg = RepairConfig()
    return "\n".join(repair_text(line, cfg)[0] for line in path.read_text(encoding="utf-8").split("\n"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", type=Path, default=None, help="dev data folder (default: ../shared/dev)")
    ap.add_argument("--quick", action="store_true", help="a subset of pages (under a minute)")
    ap.add_argument("--show-misses", action="store_true", help="print snippets the cleaner got wrong")
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

    systems = {"strip": make_stripper(), "keep_all": keep_all, "eight_words": eight_words}
    bp_pages = sorted((dev / "boilerplate").glob("[0-9][0-9][0-9].txt"))
    sn_pages = sorted((dev / "snippets").glob("[0-9][0-9][0-9].txt"))
    if args.quick:
        bp_pages, sn_pages = bp_pages[::3], sn_pages[::3]

    t0 = time.perf_counter()
    bp: dict[str, list[tuple[float, float, float]]] = {k: [] for k in systems}
    halves: dict[str, dict[str, list[float]]] = {"even": {}, "odd": {}}  # strip only, by page id
    for page in bp_pages:
        text = load_text(page)
        truth = page.with_suffix(".truth.txt").read_text(encoding="utf-8")
        for name, fn in systems.items():
            bp[name].append(prf(fn(text), truth))
        half = halves["even" if int(page.stem) % 2 == 0 else "odd"]
        half.setdefault("f1", []).append(bp["strip"][-1][2])

    sn: dict[str, dict[str, list[tuple[float, float]]]] = {k: {} for k in systems}
    for page in sn_pages:
        spec = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        text = load_text(page)
        for name, fn in systems.items():
            cleaned = norm(fn(text))
            keep = [norm(s) in cleaned for s in spec["with"]]
            drop = [norm(s) not in cleaned for s in spec["without"]]
            kr = sum(keep) / len(keep) if keep else 1.0
            dr = sum(drop) / len(drop) if drop else 1.0
            sn[name].setdefault(spec["lang"], []).append((kr, dr))
            if name == "strip":
                half = halves["even" if int(page.stem) % 2 == 0 else "odd"]
                half.setdefault("keep", []).append(kr)
                half.setdefault("drop", []).append(dr)
            if args.show_misses and name == "strip":
                for s, ok in zip(spec["with"], keep, strict=True):
                    if not ok:
                        print(f"  LOST {page.name}: {s!r}")
                for s, ok in zip(spec["without"], drop, strict=True):
                    if not ok:
                        print(f"  KEPT {page.name}: {s!r}")
    seconds = time.perf_counter() - t0

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    print(f"dev: {dev}  boilerplate pages: {len(bp_pages)}  snippet pages: {len(sn_pages)}  ({seconds:.1f}s)")
    print(
        f"{'system':12s} {'bp_P':>6s} {'bp_R':>6s} {'bp_F1':>6s} | {'keep':>6s} {'drop':>6s} | per language keep/drop"
    )
    summary = {}
    for name in systems:
        p = mean([x[0] for x in bp[name]])
        r = mean([x[1] for x in bp[name]])
        f = mean([x[2] for x in bp[name]])
        allv = [v for vs in sn[name].values() for v in vs]
        k, d = mean([v[0] for v in allv]), mean([v[1] for v in allv])
        per = "  ".join(
            f"{lang}:{mean([v[0] for v in vs]):.3f}/{mean([v[1] for v in vs]):.3f}"
            for lang, vs in sorted(sn[name].items())
        )
        print(f"{name:12s} {p:6.3f} {r:6.3f} {f:6.3f} | {k:6.3f} {d:6.3f} | {per}")
        summary[name] = (p, r, f, k, d)
    for half, vals in halves.items():
        print(
            f"strip on {half:4s} page ids: bp_F1 {mean(vals.get('f1', [])):.3f} ({len(vals.get('f1', []))} pages)  "
            f"keep {mean(vals.get('keep', [])):.3f} drop {mean(vals.get('drop', [])):.3f} "
            f"({len(vals.get('keep', []))} pages)"
        )
    per_line = scaling((50_000, 200_000, 1_000_000), repeat=1 if args.quick else 2)
    ratio = per_line[1_000_000] / per_line[50_000]
    print(f"scaling: per-line cost 1 MB / 50 KB = {ratio:.2f} (1.0: linear)")
    # headlines: the learned title model by site-grouped CV on the l3s-gn1 pages (benchmarks/train_title.py)
    from train_title import title_benchmark

    tb = title_benchmark(dev, quick=args.quick)
    print(
        f"title (l3s-gn1, {tb['pages']} pages, {tb['sites']} sites, site-grouped CV): accuracy {tb['title_acc']:.3f} "
        f"(precision {tb['title_precision']:.3f}, coverage {tb['title_coverage']:.3f}); baselines: rule-based "
        f"extractor {tb['title_rule_acc']:.3f}, nearest heading above the body {tb['title_simple_acc']:.3f}"
    )
    p, r, f, k, d = summary["strip"]
    print(
        f"RESULT boilerplate_f1={f:.4f} boilerplate_precision={p:.4f} boilerplate_recall={r:.4f} "
        f"snippet_keep={k:.4f} snippet_drop={d:.4f} baseline_f1={summary['eight_words'][2]:.4f} "
        f"scaling_1mb_vs_50kb={ratio:.2f} "
        f"title_acc={tb['title_acc']:.4f} title_baseline_acc={tb['title_simple_acc']:.4f} "
        f"title_rule_acc={tb['title_rule_acc']:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
