"""Stopping `babelmill run` with a real SIGINT / SIGTERM: a quick stop at a clean point, the
finished documents committed, one line saying how to go on, 130 / 143, and a rerun that ends
with the corpus an uninterrupted run writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from babelmill.run.state import KEPT, RunState
from babelmill.testing.inputs import write_inputs

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT = "7"


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cmd(inputs: Path, out: Path, models: Path) -> list[str]:
    # no translation model: blocks stay pending, the run is the same on every machine
    return [sys.executable, "-m", "babelmill", "run", str(inputs), "-o", str(out), "--models-dir", str(models),
            "--checkpoint-every", CHECKPOINT]  # fmt: skip


def _committed_lines(out: Path) -> list[str]:
    return (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def _stop(cmd: list[str], out: Path, sig: int, after_lines: int, wait: float) -> tuple[int, str, float]:
    """Start the run, send ``sig`` once the corpus holds more than ``after_lines`` committed
    records (plus ``wait`` seconds: mid-window), return (status, stderr, seconds to stop)."""
    proc = subprocess.Popen(cmd, env=_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    corpus = out / "corpus.jsonl"
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if corpus.exists() and corpus.read_bytes().count(b"\n") > after_lines:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be stopped"
    time.sleep(wait)
    proc.send_signal(sig)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err, time.monotonic() - sent


@pytest.mark.slow
def test_sigint_and_sigterm_stop_cleanly_and_the_rerun_gives_the_uninterrupted_corpus(tmp_path: Path):
    inputs = tmp_path / "in"
    write_inputs(inputs, n=200)
    for seed in sorted((REPO / "seeds").iterdir()):
        shutil.copy(seed, inputs / seed.name)
    models = tmp_path / "no-models"
    models.mkdir()
    reference = tmp_path / "reference"
    subprocess.run(_cmd(inputs, reference, models), env=_env(), cwd=REPO, check=True, capture_output=True)

    out = tmp_path / "out"
    cmd = _cmd(inputs, out, models)
    seen = 0
    for sig, status, wait in ((signal.SIGINT, 130, 0.0), (signal.SIGTERM, 143, 0.4)):
        code, err, seconds = _stop(cmd, out, sig, seen, wait)
        assert code == status, err
        name = signal.Signals(sig).name
        lines = [line for line in err.splitlines() if "stopped by" in line]
        assert len(lines) == 1 and name in lines[0] and "rerun the same command" in lines[0], err
        assert "Traceback" not in err and "Aborted" not in err
        # a generous bound for a shared machine; the README promises about two seconds
        assert seconds < 15, f"{name} took {seconds:.1f} s to stop"
        # whole records only, and exactly the committed ones: every line is a complete record
        # and the run state counts as kept exactly the records in the file
        records = _committed_lines(out)
        assert records and all(line.endswith("\n") for line in records)
        ids = [json.loads(line)["id"] for line in records]
        assert len(set(ids)) == len(ids)
        state = RunState(out / "state")
        try:
            assert state.fate_counts().get(KEPT, 0) == len(records)
        finally:
            state.close()
        assert len(records) > seen  # the stopped run committed what it had finished
        assert not (out / ".babelmill.lock").exists()
        seen = len(records)

    subprocess.run(cmd, env=_env(), cwd=REPO, check=True, capture_output=True)
    assert (out / "corpus.jsonl").read_bytes() == (reference / "corpus.jsonl").read_bytes()
    assert (out / "rejected.jsonl").read_bytes() == (reference / "rejected.jsonl").read_bytes()

    # the run history keeps the stopped runs, with what they did, and the report says so
    history = [json.loads(line) for line in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    # a stopped run keeps its number: the rerun goes on with it (records carry it, as uninterrupted)
    assert [(h["run"], h.get("stopped")) for h in history] == [(1, "SIGINT"), (1, "SIGTERM"), (1, None)]
    assert all(h["summary"]["kept"] > 0 and h["stages"]["read"]["documents_in"] > 0 for h in history)
    assert sum(h["summary"]["kept"] for h in history) == len(_committed_lines(out))
    report = subprocess.run([sys.executable, "-m", "babelmill", "report", str(out), "--json"], env=_env(), cwd=REPO,
                            check=True, capture_output=True, text=True)  # fmt: skip
    runs = json.loads(report.stdout)["history"]
    assert [r["stopped"] for r in runs] == ["SIGINT", "SIGTERM", None]


WARM_UP_STOPPED = r"""
import os, subprocess, sys
from babelmill import interrupt
from babelmill.detect.langid import LanguageIdentifier

identifier = LanguageIdentifier()
calls = []


def between():
    calls.append(1)
    if len(calls) == 2:  # one language loaded: a real SIGINT lands while lingua loads the next
        subprocess.Popen(["sh", "-c", f"sleep 0.02; kill -INT {os.getpid()}"])
    interrupt.check()


with interrupt.signals_stop_run():
    try:
        identifier.warm_up(between)
    except interrupt.Interrupted as stop:
        print("stopped", stop.name, len(calls), len(identifier.languages))
        sys.exit(0)
print("not stopped", len(calls), len(identifier.languages))
"""


def test_a_stop_during_the_language_model_load_waits_for_one_language_only():
    """lingua holds the GIL while it loads its models, so a signal is handled only when a load
    returns: the warm-up loads one language at a time and checks for a stop in between, so a
    Ctrl-C at the start of detection waits for one language's models, not for all fifteen."""
    pytest.importorskip("lingua")
    done = subprocess.run([sys.executable, "-c", WARM_UP_STOPPED], env=_env(), cwd=REPO, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    word, name, calls, languages = done.stdout.split()
    assert (word, name) == ("stopped", "SIGINT")
    # the signal arrived during the second language's load and was acted on right after it
    assert 3 <= int(calls) <= 4 < int(languages), done.stdout
