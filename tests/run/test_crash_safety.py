"""Crash safety and one writer per output, checked on real `babelmill run` processes.

A run killed with SIGKILL at any point and then rerun must leave exactly the corpus an
uninterrupted run writes: no partial line, no record twice, none missing.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from babelmill.io.layout import iter_corpus_records
from babelmill.io.sinks import SingleFileSink
from babelmill.run.state import RunState
from babelmill.testing.inputs import write_inputs

REPO = Path(__file__).resolve().parents[2]
BABELMILL = [sys.executable, "-m", "babelmill.cli"]

MIN_STAGES = '[pipeline]\nstages = ["read", "repair", "normalize", "dedup"]\n'


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cmd(inputs: Path, out: Path, config: Path, *extra: str) -> list[str]:
    return [*BABELMILL, "run", str(inputs), "-o", str(out), "-c", str(config), "-q", "--checkpoint-every", "7", *extra]


def _digest(out: Path) -> tuple[list[str], bytes]:
    ids = [r["id"] for r in iter_corpus_records(out)]
    rejected = (out / "rejected.jsonl").read_bytes() if (out / "rejected.jsonl").exists() else b""
    return ids, hashlib.sha256(rejected).digest()


@pytest.fixture(scope="module")
def workload(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("crash")
    write_inputs(base / "in", n=200)
    config = base / "min.toml"
    config.write_text(MIN_STAGES)
    return base / "in", config


def _kill_after(cmd: list[str], delay: float, out: Path, wait_for_output: bool) -> None:
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        if wait_for_output and any(p.stat().st_size > 0 for p in out.glob("*corpus*") if p.is_file()):
            break  # the run is writing records now: kill it mid-write
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz"])
def test_sigkill_at_any_point_then_rerun_gives_the_uninterrupted_corpus(workload, tmp_path: Path, fmt: str):
    inputs, config = workload
    extra = ("--format", fmt, "--shard-size", "40kB") if fmt != "jsonl" else ()
    reference = tmp_path / "reference"
    start = time.monotonic()
    subprocess.run(_cmd(inputs, reference, config, *extra), env=_env(), check=True, cwd=REPO)
    full = time.monotonic() - start
    expected = _digest(reference)
    assert len(expected[0]) > 150 and expected[1] != hashlib.sha256(b"").digest()

    rng = random.Random(11)
    out = tmp_path / "killed"
    # the same output killed again and again at different points, rerun to completion at the end
    kills = 3 if fmt == "jsonl" else 2
    delays = sorted(rng.uniform(0.3, 1.0) * full for _ in range(kills))
    for i, delay in enumerate(delays):
        _kill_after(_cmd(inputs, out, config, *extra), delay, out, wait_for_output=(i == len(delays) - 1))
    subprocess.run(_cmd(inputs, out, config, *extra), env=_env(), check=True, cwd=REPO)

    got = _digest(out)
    assert len(got[0]) == len(set(got[0])), "a record was written twice"
    assert (out / "rejected.jsonl").read_bytes().endswith(b"\n")
    assert got == expected
    if fmt == "jsonl":
        assert (out / "corpus.jsonl").read_bytes() == (reference / "corpus.jsonl").read_bytes()
    else:
        names = sorted(f"corpus/{p.name}" for p in (out / "corpus").iterdir())
        assert names == sorted(f"corpus/{p.name}" for p in (reference / "corpus").iterdir())
        for name in names:  # shards are deterministic: same bytes whatever the interruptions
            assert (out / name).read_bytes() == (reference / name).read_bytes()
        assert not list(out.glob("**/*.tmp")) and not list(out.glob("**/.*.tmp"))


def test_a_second_run_on_the_same_output_fails_at_once(tmp_path: Path):
    inputs = tmp_path / "in"
    write_inputs(inputs, n=3)
    out = tmp_path / "out"
    out.mkdir()
    config = tmp_path / "min.toml"
    config.write_text(MIN_STAGES)
    holder_code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from babelmill.run.outputs import OutputLock\n"
        "with OutputLock(Path(sys.argv[1])):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code, str(out)], env=_env(), stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run(
            _cmd(inputs, out, config), env=_env(), capture_output=True, text=True, cwd=REPO, timeout=120
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1
    assert "another babelmill run is writing this output" in second.stderr
    assert f"pid {holder.pid}" in second.stderr
    assert not (out / "corpus.jsonl").exists()
    # once the first writer is gone, the output is free again
    subprocess.run(_cmd(inputs, out, config), env=_env(), check=True, cwd=REPO)
    assert len(list(iter_corpus_records(out))) >= 3


class _Died(BaseException):
    """Stands in for the process dying: not an Exception, so no handler in the runner sees it."""


def _run_until(
    inputs: Path, out: Path, config: Path, die_in: tuple[type, str] | None, die_at: int, monkeypatch, **options
) -> int:
    """Run in-process; die (raise _Died) on the ``die_at``-th call of ``die_in`` = (class, method);
    ``options`` go to :class:`RunOptions`. The calls of ``die_in`` made."""
    from babelmill.run import RunOptions, run_pipeline

    calls = {"n": 0}
    if die_in is not None:
        cls, name = die_in
        real = getattr(cls, name)

        def dying(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == die_at:
                raise _Died
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, dying)
    opts = RunOptions(inputs=[str(inputs)], output_dir=out, config_path=config, checkpoint_every=1, **options)
    try:
        run_pipeline(opts, warn=lambda msg: None)
    except _Died:
        pass
    finally:
        monkeypatch.undo()
    gc.collect()  # close what the dead run left open (SQLite connections with their uncommitted rows)
    return calls["n"]


def _near_duplicates_and_a_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Inputs where 01 is a near-duplicate of the longer 02 (kept), 08 a byte-identical copy
    of 01 and 09 one of the empty 07, with others between; and a config with the stages that
    decide them."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    base = " ".join(f"w{(i * 37) % 101} n{i}" for i in range(60))
    (inputs / "01-short-copy.txt").write_text(f"Title\n\n{base}\n")
    (inputs / "02-full.txt").write_text(f"Title\n\n{base} and a closing sentence with more words\n")
    for i in range(3, 7):
        (inputs / f"{i:02d}.txt").write_text(f"Other {i}\n\n" + " ".join(f"x{i}y{k}" for k in range(50)) + "\n")
    (inputs / "07-empty.txt").write_text("")
    (inputs / "08-copy-of-01.txt").write_text(f"Title\n\n{base}\n")
    (inputs / "09-copy-of-07.txt").write_text("")
    config = tmp_path / "min.toml"
    config.write_text(MIN_STAGES)
    return inputs, config


#: what :func:`_rejected` gives for :func:`_near_duplicates_and_a_copy`
REJECTED = {
    "01-short-copy.txt": "02-full.txt",
    "07-empty.txt": "empty: the file is empty (0 bytes)",
    "08-copy-of-01.txt": "02-full.txt",
    "09-copy-of-07.txt": "empty: the same bytes as /in/07-empty.txt",
}


def _rejected(out: Path) -> dict[str, str]:
    """File name of each duplicate -> file name of the corpus record its ``duplicate_of`` names;
    and of each quarantined input -> its reason and message."""
    corpus = {r["id"]: r["source"]["path"].rsplit("/", 1)[-1] for r in iter_corpus_records(out)}
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    return {
        r["source"]["path"].rsplit("/", 1)[-1]: corpus.get(r["duplicate_of"], "(no corpus record)")
        if r["status"] == "duplicate"
        else f"{r['reason']}: {r['message'].replace(str(out.parent), '')}"
        for r in rejected
    }


def test_dying_at_any_checkpoint_then_rerunning_gives_the_uninterrupted_output(tmp_path: Path, monkeypatch):
    """Deterministic companion of the SIGKILL test: die before each commit in turn. The inputs
    include a near-duplicate that comes *before* the copy that is kept (the longer one), so a
    checkpoint between the two must not commit one without the other, and a byte-identical copy
    of that near-duplicate, which must name the kept record too, whatever was committed before."""
    inputs, config = _near_duplicates_and_a_copy(tmp_path)

    reference = tmp_path / "reference"
    _run_until(inputs, reference, config, None, 0, monkeypatch)
    rejected = [json.loads(line) for line in (reference / "rejected.jsonl").read_text().splitlines()]
    assert any(r["status"] == "duplicate" and r["source"]["path"].endswith("01-short-copy.txt") for r in rejected)
    # every duplicate names a record of the corpus, the copy of a near-duplicate included; the
    # copy of a quarantined input is quarantined alike
    assert _rejected(reference) == REJECTED
    # die at the start of each checkpoint (nothing of it done) and just before each state commit
    # (the stages' own state already committed); 10 checkpoints cover every document of this run
    for die_in in ((SingleFileSink, "flush"), (RunState, "commit")):
        for die_at in range(1, 11):
            out = tmp_path / f"died-in-{die_in[1]}-{die_at}"
            _run_until(inputs, out, config, die_in, die_at, monkeypatch)
            _run_until(inputs, out, config, None, 0, monkeypatch)
            for name in ("corpus.jsonl", "rejected.jsonl"):
                assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name}, {die_in[1]} #{die_at}"


def test_a_later_copy_names_a_corpus_record_or_is_quarantined_as_its_original(tmp_path: Path, monkeypatch):
    """The copies come in a later run, when their originals are a duplicate and a quarantined
    input in the run state."""
    inputs, config = _near_duplicates_and_a_copy(tmp_path)
    copies = [inputs / "08-copy-of-01.txt", inputs / "09-copy-of-07.txt"]
    for copy in copies:
        copy.rename(tmp_path / copy.name)
    out = tmp_path / "out"
    _run_until(inputs, out, config, None, 0, monkeypatch)
    for copy in copies:
        (tmp_path / copy.name).rename(copy)
    _run_until(inputs, out, config, None, 0, monkeypatch)
    assert _rejected(out) == REJECTED


def test_inputs_that_trade_contents_keep_every_article_also_after_dying_at_any_checkpoint(tmp_path: Path, monkeypatch):
    """Each input gets the bytes another input had (files renamed in a ring, two swapped, a line
    inserted above the lines of a JSONL file): each new record has the id the other input's old
    record had. The plan took them for copies of those records (``identical_input``) while those
    records went, so the corpus lost every one of them. After a run that died between two of
    them, an edited input's row still named the id that is now another input's record, and the
    rerun removed that record."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    texts = [f"Story {i}\n\n" + " ".join(f"s{i}w{k} t{(i * 7 + k) % 13}" for k in range(60)) + "\n" for i in range(6)]
    for i, text in enumerate(texts):
        (inputs / f"{i:02d}.txt").write_text(text)
    config = tmp_path / "min.toml"
    config.write_text(MIN_STAGES)
    before = tmp_path / "before"
    _run_until(inputs, before, config, None, 0, monkeypatch)
    for i in range(6):  # 00 gets 01's bytes, ..., 05 gets 00's
        (inputs / f"{i:02d}.txt").write_text(texts[(i + 1) % 6])
    reference = tmp_path / "reference"
    _run_until(inputs, reference, config, None, 0, monkeypatch)
    assert len(list(iter_corpus_records(reference))) == 6
    for die_at in range(0, 9):  # 0: the run does not die
        out = tmp_path / f"died-{die_at}"
        shutil.copytree(before, out)
        _run_until(inputs, out, config, (RunState, "commit") if die_at else None, die_at, monkeypatch)
        if die_at:
            _run_until(inputs, out, config, None, 0, monkeypatch)
        for name in ("corpus.jsonl", "rejected.jsonl"):
            assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name}, died at {die_at}"
