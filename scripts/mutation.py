"""Mutation score per module: mutmut against the tests that pin each module.

    python scripts/mutation.py                      # every module in MODULES, one after the other
    python scripts/mutation.py translate/protect.py # one module
    python scripts/mutation.py --list-survivors     # also print each surviving mutant's diff

The diffs of the surviving mutants are written to ``build/mutation/<module>.survivors.diff``.

Each module runs in its own scratch copy of the project (``src/``, ``tests/``, ``pipeline/``,
``pyproject.toml`` with a ``[tool.mutmut]`` table naming that module and its test files), so
the working tree is never touched and runs of different modules cannot mix. The score is
``killed / (killed + survived + no_tests)``; a timeout counts as killed (the mutant made the code
hang), as mutmut's own badge does. Survivors that cannot change behaviour are listed, with the
reason, in ``tests/MUTATION.md``.

Not part of ``make test``: a full run takes tens of minutes on two cores (``make mutation``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_DIR = ROOT / "build" / "mutation"  # one <module>.survivors.diff per run (git-ignored)

# module (under src/babelmill/) -> the test files that pin it
MODULES: dict[str, list[str]] = {
    "translate/protect.py": ["tests/translate/test_protect.py", "tests/translate/test_text.py"],
    "translate/sentences.py": ["tests/translate/test_sentences.py", "tests/translate/test_text.py"],
    "dedup/text.py": ["tests/dedup/test_text.py", "tests/dedup/test_verify.py"],
    "io/sinks.py": ["tests/io/test_sinks_units.py", "tests/io/test_sinks.py"],
}


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def run_module(module: str, tests: list[str], max_children: int, show_survivors: bool) -> dict[str, int]:
    tests = [t for t in tests if (ROOT / t).exists()]
    with tempfile.TemporaryDirectory(prefix="babelmill-mutation-") as tmp:
        work = Path(tmp)
        for name in ("src", "tests", "pipeline"):
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        config += (
            "\n[tool.mutmut]\n"
            f'source_paths = ["src"]\n'
            f'only_mutate = ["src/babelmill/{module}"]\n'
            f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
            "use_git_change_detection = false\n"
        )
        (work / "pyproject.toml").write_text(config, encoding="utf-8")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the mutated copy must be the one imported
        mutmut = [sys.executable, "-m", "mutmut"]
        cmd = mutmut + ["run", "--max-children", str(max_children)]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit(f"mutmut failed on {module} (exit {proc.returncode})")
        subprocess.run(mutmut + ["export-cicd-stats"], cwd=work, env=env, check=True, capture_output=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        results = subprocess.run(mutmut + ["results"], cwd=work, env=env, capture_output=True, text=True).stdout
        survivors = [line.split(":")[0].strip() for line in results.splitlines() if line.strip().endswith("survived")]
        stats["survivors"] = survivors
        diffs = [
            subprocess.run(mutmut + ["show", name], cwd=work, env=env, capture_output=True, text=True).stdout
            for name in survivors
        ]
        report = REPORT_DIR / (module.replace("/", ".") + ".survivors.diff")
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join(diffs), encoding="utf-8")
        stats["report"] = str(report.relative_to(ROOT))
        if show_survivors:
            print("\n".join(diffs))
    return stats


def score(stats: dict) -> float:
    killed = stats["killed"] + stats["timeout"]
    tested = killed + stats["survived"] + stats["no_tests"] + stats["suspicious"] + stats["segfault"]
    return 100.0 * killed / tested if tested else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help=f"modules under src/babelmill/ (default: {' '.join(MODULES)})")
    ap.add_argument("--max-children", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    ap.add_argument("--list-survivors", action="store_true", help="print each surviving mutant's diff")
    ap.add_argument("--tests", nargs="+", help="run these test files instead of the module's own list")
    args = ap.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        raise SystemExit(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    rows = []
    for module in args.modules or list(MODULES):
        stats = run_module(module, args.tests or MODULES[module], args.max_children, args.list_survivors)
        rows.append((module, stats))
        print(
            f"{module}: score {score(stats):.1f}% (killed {stats['killed']}, timeout {stats['timeout']}, "
            f"survived {stats['survived']}, no tests {stats['no_tests']}, total {stats['total']})",
            flush=True,
        )
        if stats["survivors"]:
            print(f"  survivors ({stats['report']}): " + " ".join(stats["survivors"]), flush=True)
    print("RESULT " + " ".join(f"{m.replace('/', '.').removesuffix('.py')}={score(s):.1f}" for m, s in rows))


if __name__ == "__main__":
    main()
