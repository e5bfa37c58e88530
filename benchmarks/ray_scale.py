"""Local engine vs Ray engine on the same generated inputs, side by side in one run.

Runs the pipeline (default: read, repair, strip, detect, normalize, dedup; no models) over
generated article dumps with ``--engine local`` and with ``--engine ray`` on a local Ray instance
using every CPU, checks that both corpora are byte-identical, and prints wall times and the
ratio. Ray's start-up (``ray.init``) is measured apart; the first dataset's actor start-up is part
of the Ray time, as it would be in a real run.

    .venv/bin/python benchmarks/ray_scale.py --quick      # < 1 minute
    .venv/bin/python benchmarks/ray_scale.py --docs 5000 --stages read,repair,strip,normalize
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from babelmill.run import RunOptions, run_pipeline  # noqa: E402
from babelmill.testing.inputs import write_inputs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few documents, cheap stages (under a minute)")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--stages", default="read,repair,strip,detect,normalize,dedup")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if args.quick:
        args.docs, args.stages = 200, "read,repair,strip,normalize,dedup"

    import ray

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        write_inputs(base / "in", n=args.docs)
        models = base / "no-models"
        models.mkdir()
        config = base / "pipeline.toml"
        config.write_text("[pipeline]\nstages = [" + ", ".join(f'"{s}"' for s in args.stages.split(",")) + "]\n")

        t = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - t

        seconds = {}
        for engine in ("local", "ray"):
            opts = RunOptions(
                inputs=[str(base / "in")],
                output_dir=base / engine,
                config_path=config,
                models_dir=str(models),
                engine=engine,
            )
            t = time.perf_counter()
            summary = run_pipeline(opts, warn=lambda msg: None)
            seconds[engine] = time.perf_counter() - t
            print(f"{engine:>5}: {seconds[engine]:.2f}s for {summary.processed} inputs ({summary.kept} kept)")
        ray.shutdown()
        identical = (base / "local" / "corpus.jsonl").read_bytes() == (base / "ray" / "corpus.jsonl").read_bytes()

    speedup = seconds["local"] / seconds["ray"] if seconds["ray"] else 0.0
    print(f"ray.init: {init_s:.2f}s; Ray/local speed ratio {speedup:.2f}x on {args.cpus} CPUs; identical={identical}")
    print(
        f"RESULT docs={args.docs} cpus={args.cpus} local_s={seconds['local']:.2f} ray_s={seconds['ray']:.2f} "
        f"ray_init_s={init_s:.2f} speedup={speedup:.2f} identical={int(identical)}"
    )


if __name__ == "__main__":
    main()
