"""Scale-out at an equal CPU budget: the local engine on one CPU vs Ray on two vs local on two.

The workload is one where the work dominates: at least 1,000 documents built from the dev pages
(``../shared/dev``: boilerplate2, boilerplate and snippet pages, German ones among them), the whole
default pipeline, and the German blocks translated by a random-weight package of Argos size (6+6
layers, d512, 32k vocabulary; ``--quick``: a small one), so translation is part of the cost. Three
runs, each in a fresh process on a fresh output folder:

1. ``local1``: the local engine pinned to one CPU (``os.sched_setaffinity``); translation's
   automatic threading then runs one translator on one thread;
2. ``ray2``: ``--engine ray`` on a local Ray instance with two CPUs; each translation actor owns
   one CPU, so it runs one translator on one thread;
3. ``local2``: the local engine on both CPUs (two single-threaded translators).

All three use the same configuration, and their corpora must be byte-identical (threading and
engine never change which sentences share a CTranslate2 batch). Reported per run: wall seconds and each stage's
seconds (summed over workers for Ray: CPU-seconds of work, not wall), the writer's own seconds,
and for ``ray2`` the share of the wall time spent in driver-side serial work: what runs once per
corpus on the driver (strip's site counts, dedup; ``engine.driver_seconds`` in ``runs.jsonl``) and
the writer. From the per-document serial and parallel costs it projects, by Amdahl's law, the
wall time of 1M and 100M documents on 1, 8 and 64 nodes (``benchmarks/SCALE.md`` discusses it).

Random weights translate nothing meaningful: only time is measured.

    .venv/bin/python benchmarks/ray_scale.py                        # 1,000 pages, argos-size model (hours on 2 CPUs)
    .venv/bin/python benchmarks/ray_scale.py --quick --docs 1000    # 1,000 pages, small model (~20 min on 2 CPUs)
    .venv/bin/python benchmarks/ray_scale.py --quick                # 40 pages, small model (~40 s quiet)

Last line: ``RESULT ray2_vs_local1=… local2_vs_local1=… ray2_vs_local2=… serial_share=… identical=…``
(ratios are speed ratios: > 1 means the first is faster).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from babelmill.testing.argos import build_package  # noqa: E402
from babelmill.translate.install import install_archive  # noqa: E402

DEV = REPO.parent / "shared" / "dev"
QUICK_DOCS = 40

# the child process: one run, its wall time, the stages' seconds and the writer's own seconds
CHILD = r"""
import json, os, sys, time
spec = json.loads(sys.argv[1])
if spec["engine"] == "local":
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: spec["cpus"]]))
from babelmill.run import RunOptions, run_pipeline
from babelmill.run import writer as writer_module
spent = {"writer": 0.0}
def timed(fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent["writer"] += time.perf_counter() - t
    return wrapper
writer_module.CorpusWriter.write = timed(writer_module.CorpusWriter.write)
writer_module.CorpusWriter.checkpoint = timed(writer_module.CorpusWriter.checkpoint)
ray_init = 0.0
if spec["engine"] == "ray":
    import logging, ray
    t = time.perf_counter()
    ray.init(num_cpus=spec["cpus"], address="local", include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)
    ray_init = time.perf_counter() - t
t = time.perf_counter()
summary = run_pipeline(RunOptions(inputs=[spec["inputs"]], output_dir=__import__("pathlib").Path(spec["out"]),
                                  config_path=spec["config"], models_dir=spec["models"], engine=spec["engine"]),
                       warn=lambda m: None)
wall = time.perf_counter() - t
manifest = json.load(open(os.path.join(spec["out"], "manifest.json")))
run_log = json.loads(open(os.path.join(spec["out"], "runs.jsonl")).read().splitlines()[-1])
print("CHILD " + json.dumps({"wall": wall, "ray_init": ray_init, "writer": spent["writer"], "kept": summary.kept,
      "stages": {k: v.get("seconds", 0.0) for k, v in run_log["stages"].items()},
      "driver": run_log.get("engine", {}).get("driver_seconds", {}),
      "translated": manifest["stages"].get("translate", {}).get("sentences_unique", 0)}))
"""


def build_inputs(folder: Path, n: int) -> dict[str, int]:
    """``n`` page dumps from the dev folders, every German page among them (they carry the
    translation work); returns counts by language."""
    folder.mkdir(parents=True)
    pages: list[tuple[Path, str]] = []
    for meta in sorted((DEV / "snippets").glob("*.json")):
        pages.append((meta.with_suffix(".txt"), json.loads(meta.read_text(encoding="utf-8")).get("lang", "?")))
    with open(DEV / "boilerplate2" / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    german = [r for r in rows if r["lang"] == "de"]
    other = [r for r in rows if r["lang"] != "de"]
    for r in german + other:
        pages.append((DEV / "boilerplate2" / f"{r['id']}.txt", r["lang"]))
    pages += [(p, "en") for p in sorted((DEV / "boilerplate").glob("[0-9]*.txt")) if ".truth" not in p.name]
    chosen = [p for p in pages if p[1] == "de"][: max(1, n // 8)]  # German: about 1 page in 8
    chosen += [p for p in pages if p[1] != "de"][: n - len(chosen)]
    counts: dict[str, int] = {}
    for i, (path, lang) in enumerate(sorted(chosen, key=lambda p: str(p[0]))):
        (folder / f"{i:05d}_{lang}.txt").write_bytes(path.read_bytes())
        counts[lang] = counts.get(lang, 0) + 1
    return counts


def build_models(folder: Path, quick: bool) -> Path:
    """A random-weight de->en package, argos-size unless ``quick``, trained on German dev text."""
    corpus: list[str] = []
    for meta in sorted((DEV / "snippets").glob("*.json")):
        if json.loads(meta.read_text(encoding="utf-8")).get("lang") == "de":
            corpus += [ln.strip() for ln in meta.with_suffix(".txt").read_text(encoding="utf-8").splitlines()]
    corpus = [ln for ln in dict.fromkeys(corpus) if len(ln.split()) >= 4]
    size = (
        {"layers": 2, "d_model": 256, "heads": 4, "ffn": 1024, "vocab": 8000}
        if quick
        else {"layers": 6, "d_model": 512, "heads": 8, "ffn": 2048, "vocab": 32000}
    )
    archive = build_package(folder / "build", "de", "en", corpus=corpus, **size)
    models = folder / "models"
    install_archive(archive, models)
    return models


def run_one(spec: dict) -> dict:
    # Ray starts its workers at niceness 15; the local engine runs at 0. Equal priority, so that a
    # busy machine's other jobs slow every run alike
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               RAY_worker_niceness="0")  # fmt: skip
    env.pop("OMP_NUM_THREADS", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)], env=env, capture_output=True, text=True, check=False
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("CHILD ")]
    if done.returncode or not lines:
        raise SystemExit(f"{spec['name']} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][6:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_DOCS} documents, a small model (under a minute)")
    ap.add_argument("--docs", type=int, default=1000, help=f"documents (default 1000; --quick: {QUICK_DOCS})")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the Ray run and the second local run (default 2)")
    ap.add_argument("--cores-per-node", type=int, default=16, help="for the projection (default 16)")
    ap.add_argument("--keep", type=Path, help="keep inputs, model and outputs in this (new) folder")
    args = ap.parse_args()
    if args.quick and "--docs" not in sys.argv:
        args.docs = QUICK_DOCS
    if not DEV.is_dir():
        raise SystemExit(f"needs the dev pages in {DEV}")
    n = args.cpus
    if n < 2 or len(os.sched_getaffinity(0)) < n:
        raise SystemExit(f"--cpus {n}: needs at least 2, and this process may use {len(os.sched_getaffinity(0))}")
    ray_name, many = f"ray{n}", f"local{n}"

    with tempfile.TemporaryDirectory(prefix="bm-scale-") as tmp:
        base = args.keep or Path(tmp)
        counts = build_inputs(base / "in", args.docs)
        t = time.perf_counter()
        models = build_models(base, args.quick)
        print(f"inputs: {sum(counts.values())} pages {counts}; model built in {time.perf_counter() - t:.1f}s")
        config = str(REPO / "pipeline" / "default.toml")
        runs = {
            "local1": {"engine": "local", "cpus": 1, "config": config},
            ray_name: {"engine": "ray", "cpus": n, "config": config},
            many: {"engine": "local", "cpus": n, "config": config},
        }
        results, corpora = {}, {}
        for name, spec in runs.items():
            out = base / name
            spec = dict(spec, name=name, inputs=str(base / "in"), out=str(out), models=str(models))
            results[name] = run_one(spec)
            corpora[name] = (out / "corpus.jsonl").read_bytes()
            r = results[name]
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            init = f" (+ray.init {r['ray_init']:.1f}s, not counted)" if r.get("ray_init") else ""
            print(
                f"{name:>7}: {r['wall']:7.1f}s wall{init}, {r['kept']} kept, writer {r['writer']:.1f}s; "
                f"stage s: {stages}"
            )

    identical = int(corpora[ray_name] == corpora["local1"] == corpora[many])
    ray, one = results[ray_name], results["local1"]
    docs = sum(counts.values())
    driver = ray["driver"]  # seconds the serial stages (or their in-order parts) spent on the driver
    serial = sum(driver.values()) + ray["writer"]
    serial_share = serial / ray["wall"]
    speed = {name: 1.0 / r["wall"] for name, r in results.items()}
    print(
        f"unique sentences translated: {one['translated']}; driver-side serial work in {ray_name}: {serial:.1f}s of "
        f"{ray['wall']:.1f}s wall ("
        + ", ".join(f"{k} {v:.1f}" for k, v in driver.items())
        + f", writer {ray['writer']:.1f})"
    )
    # Amdahl, per document: s = serial seconds (driver), p = the rest of the one-CPU run's work
    s = serial / docs
    p = max(0.0, (sum(one["stages"].values()) + one["writer"]) / docs - s)
    print(f"per document: serial {s * 1000:.1f} ms on the driver, parallel {p * 1000:.1f} ms of CPU")
    print(f"projected wall time ({args.cores_per_node} CPUs per node; hours):")
    columns = " ".join(f"{k:>3} node{'s' if k > 1 else ' '}" for k in (1, 8, 64))
    print(f"{'documents':>12} {columns}  serial floor")
    for n_docs in (1_000_000, 100_000_000):
        hours = [n_docs * (s + p / (nodes * args.cores_per_node)) / 3600 for nodes in (1, 8, 64)]
        print(f"{n_docs:>12,} " + " ".join(f"{h:>9.1f}" for h in hours) + f"  {n_docs * s / 3600:>12.1f}")
    print(
        f"RESULT {ray_name}_vs_local1={speed[ray_name] / speed['local1']:.2f} "
        f"{many}_vs_local1={speed[many] / speed['local1']:.2f} "
        f"{ray_name}_vs_{many}={speed[ray_name] / speed[many]:.2f} serial_share={serial_share:.3f} "
        f"identical={identical} docs={docs} cpus={n} local1_s={one['wall']:.1f} {ray_name}_s={ray['wall']:.1f} "
        f"{many}_s={results[many]['wall']:.1f} serial_ms_per_doc={s * 1000:.1f} parallel_ms_per_doc={p * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
