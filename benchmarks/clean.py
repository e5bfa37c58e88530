"""Benchmark the strip stage against hand-labelled dev pages.

* ``boilerplate/``: token-level precision, recall and F1 (bag of lower-cased word tokens) of
  the cleaned text against ``NNN.truth.txt``, averaged over pages;
* ``snippets/``: mean keep-rate of ``with`` snippets and drop-rate of ``without`` snippets
  (after NFC and whitespace normalization), overall and per language.

Side by side: keeping everything, and keeping lines of 8 or more words.

    .venv/bin/python benchmarks/clean.py [--dev ../shared/dev] [--quick] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from babelmill.document import Document  # noqa: E402
from babelmill.stages.artifacts import StripStage  # noqa: E402
from babelmill.stages.encoding import RepairConfig, repair_text  # noqa: E402

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
    for page in bp_pages:
        text = load_text(page)
        truth = page.with_suffix(".truth.txt").read_text(encoding="utf-8")
        for name, fn in systems.items():
            bp[name].append(prf(fn(text), truth))

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
    p, r, f, k, d = summary["strip"]
    print(
        f"RESULT boilerplate_f1={f:.4f} boilerplate_precision={p:.4f} boilerplate_recall={r:.4f} "
        f"snippet_keep={k:.4f} snippet_drop={d:.4f} baseline_f1={summary['eight_words'][2]:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
