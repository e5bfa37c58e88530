"""``benchmarks/translate.py`` times babelmill's phases by wrapping functions it names by module
and attribute; when code moves, the benchmark must still find every one of them (it crashed
with a KeyError after the sentence splitting moved to ``babelmill.translate.pieces``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_translate_benchmark():
    spec = importlib.util.spec_from_file_location("translate_benchmark", REPO / "benchmarks" / "translate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_timed_phase_is_found_where_the_benchmark_looks_and_restored_after() -> None:
    bench = load_translate_benchmark()
    originals = {
        (owner, name): owner.__dict__[name] for targets in bench.PhaseTimer.PHASES.values() for owner, name in targets
    }
    with bench.PhaseTimer():
        for owner, name in originals:
            assert owner.__dict__[name] is not originals[(owner, name)], f"{name} is not timed"
    for (owner, name), fn in originals.items():
        assert owner.__dict__[name] is fn, f"{name} was not restored"
