"""Fuzz the read -> repair -> strip -> normalize path with arbitrary bytes (not run in CI).

Two fuzzers run side by side over the same seed corpus (``seeds/*.txt`` heads plus crafted
samples in UTF-16, GBK, Windows-1252, HTML, mojibake, NUL-laden text):

* baseline: seeded random mutation (byte flips, inserts, deletes, splices), no feedback;
* atheris (libFuzzer, coverage-guided, babelmill + ftfy + charset-normalizer instrumented).

Each input is written to a file and read by the read stage, then repaired, stripped (when the
strip stage exists) and normalized, and the record the runner would write is built. A crash is
any exception, a document that is neither kept nor quarantined, or kept text that is not valid
UTF-8. Crash inputs are saved under ``--artifacts``; turn each into a regression test.

    .venv/bin/python benchmarks/fuzz_read.py             # 60 s
    .venv/bin/python benchmarks/fuzz_read.py --quick     # 20 s
    .venv/bin/python benchmarks/fuzz_read.py --seconds 600 --artifacts fuzz-out/

Without atheris (``pip install atheris``), the random fuzzer runs for the whole time.
Ends with ``RESULT seconds=.. atheris_runs=.. atheris_cov=.. random_runs=.. crashes=..``.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
# every input is written to a file: keep that file in memory when the system allows
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


# -- the target ----------------------------------------------------------------------------------


class Target:
    """read -> repair -> strip -> normalize -> record, over bytes written to a scratch file."""

    def __init__(self, scratch: Path):
        from babelmill.stages.normalize import NormalizeStage
        from babelmill.stages.read import ReadConfig, ReadStage
        from babelmill.stages.repair import RepairStage

        self.path = scratch / "fuzz-input.txt"
        self.stages = [ReadStage(ReadConfig(max_line_chars=20_000)), RepairStage()]
        try:
            from babelmill.stages.strip import StripStage

            self.stages.append(StripStage(context={"state_dir": scratch}))
            self.has_strip = True
        except ImportError:
            self.has_strip = False
        self.stages.append(NormalizeStage())

    def __call__(self, data: bytes) -> None:
        from babelmill.document import OK, QUARANTINED
        from babelmill.io.read import decode_bytes, new_input_document
        from babelmill.io.write import corpus_record, dumps, rejected_record

        text, _ = decode_bytes(data)
        text.encode("utf-8")  # no lone surrogates
        self.path.write_bytes(data)
        docs = [new_input_document(str(self.path))]
        for stage in self.stages:
            docs = list(stage.run(docs))
        if len(docs) != 1:
            raise AssertionError(f"{len(docs)} documents out of one input")
        doc = docs[0]
        if doc.status == OK:
            dumps(corpus_record(doc, {"version": "fuzz"})).encode("utf-8")
        elif doc.status == QUARANTINED:
            dumps(rejected_record(doc, {"version": "fuzz"})).encode("utf-8")
            if not doc.status_reason:
                raise AssertionError("quarantined without a reason")
        else:
            raise AssertionError(f"unexpected status {doc.status!r}")


# -- seeds ----------------------------------------------------------------------------------------


def build_seeds(directory: Path) -> list[bytes]:
    german = "Die Größe der Straße überrascht: „Äpfel“ kosten 3 € mehr.\n"
    chinese = "创始团队出走殆尽，公司的高光时刻已经过去。\n"
    seeds = [
        german.encode(),
        german.encode("cp1252"),
        german.encode("utf-16"),
        german.encode("utf-16-le"),
        chinese.encode("gbk"),
        chinese.encode("utf-16-be"),
        codecs.BOM_UTF8 + chinese.encode(),
        "Die GrÃ¶ÃŸe der StraÃŸe\n".encode(),
        b"<!DOCTYPE html><html><body><p>Hello <b>there</b></p><script>x()</script></body></html>",
        b"text\x00with\x00nul\n",
        b"Share this\nRead more\nAdvertisement\n\nThe council met on Tuesday.\n",
        b"abc \xff\xfe \xed\xa0\x80 def\n",
    ]
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        seeds.append(path.read_bytes()[:1024])  # short inputs: more runs per second
    directory.mkdir(parents=True, exist_ok=True)
    for data in seeds:
        (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return seeds


# -- baseline: random mutation --------------------------------------------------------------------

INTERESTING = [b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc3", b"\r", b"\n", b"<", b"&"]


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = rng.choice(INTERESTING)
        elif op == 2 and buf:
            del buf[pos : pos + rng.randint(1, 16)]
        elif op == 3:
            other = rng.choice(seeds)
            start = rng.randrange(len(other) + 1)
            buf[pos:pos] = other[start : start + rng.randint(1, 64)]
        else:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(buf[:2048])


def random_fuzz(target: Target, seeds: list[bytes], seconds: float, artifacts: Path) -> tuple[int, list[Path]]:
    rng = random.Random(20240611)
    deadline = time.monotonic() + seconds
    runs = 0
    crashes: list[Path] = []
    while time.monotonic() < deadline:
        data = mutate(rng, rng.choice(seeds), seeds)
        runs += 1
        try:
            target(data)
        except Exception as exc:  # a finding: keep the input, go on
            path = artifacts / f"random-crash-{hashlib.sha1(data).hexdigest()[:16]}"
            path.write_bytes(data)
            crashes.append(path)
            print(f"random: {type(exc).__name__}: {exc} -> {path}", file=sys.stderr)
    return runs, crashes


# -- atheris ---------------------------------------------------------------------------------------


def atheris_worker(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["babelmill", "ftfy", "charset_normalizer"]):
        import babelmill.stages.normalize  # noqa: F401
        import babelmill.stages.read  # noqa: F401
        import babelmill.stages.repair  # noqa: F401

        try:
            import babelmill.stages.strip  # noqa: F401
        except ImportError:
            pass
    scratch = Path(tempfile.mkdtemp(prefix="babelmill-fuzz-", dir=SCRATCH))
    target = Target(scratch)
    atheris.Setup(argv, target)
    atheris.Fuzz()


def run_atheris(seconds: int, corpus: Path, artifacts: Path) -> tuple[int, int, list[Path], str]:
    cmd = [
        sys.executable, __file__, "--worker", "--",
        f"-max_total_time={seconds}", "-max_len=2048", "-timeout=20", "-rss_limit_mb=3072",
        f"-artifact_prefix={artifacts}/", "-print_final_stats=1", str(corpus),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 300)
    log = proc.stderr + proc.stdout
    runs = int(m.group(1)) if (m := re.search(r"Done (\d+) runs", log)) else 0
    if not runs and (m := re.findall(r"#(\d+)\s", log)):
        runs = int(m[-1])
    covs = re.findall(r"cov: (\d+)", log)
    cov = int(covs[-1]) if covs else 0
    crashes = [p for p in artifacts.glob("*") if p.name.startswith(("crash-", "timeout-", "oom-", "leak-"))]
    return runs, cov, crashes, log


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        atheris_worker([sys.argv[0], *sys.argv[3:]])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60, help="total fuzzing time (default 60)")
    ap.add_argument("--quick", action="store_true", help="20 seconds")
    ap.add_argument("--artifacts", type=Path, default=None, help="where crash inputs go (default: a temp dir)")
    args = ap.parse_args()
    seconds = 20 if args.quick else args.seconds
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="babelmill-fuzz-artifacts-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="babelmill-fuzz-", dir=SCRATCH))
    seeds = build_seeds(work / "corpus")

    try:
        import atheris  # noqa: F401

        have_atheris = True
    except ImportError:
        have_atheris = False
        print("atheris is not installed (pip install atheris): random mutation only", file=sys.stderr)

    random_seconds = max(2, seconds // 5) if have_atheris else seconds
    target = Target(work)
    print(f"seed inputs: {len(seeds)}; strip stage fuzzed: {target.has_strip}")
    start = time.monotonic()
    random_runs, random_crashes = random_fuzz(target, seeds, random_seconds, artifacts)
    random_elapsed = time.monotonic() - start

    ath_runs, ath_cov, ath_crashes, ath_seconds = 0, 0, [], 0.0
    if have_atheris:
        start = time.monotonic()
        ath_runs, ath_cov, ath_crashes, log = run_atheris(seconds - random_seconds, work / "corpus", artifacts)
        ath_seconds = time.monotonic() - start
        if ath_crashes:
            print(log[-4000:], file=sys.stderr)

    print(f"{'fuzzer':<10} {'seconds':>8} {'runs':>9} {'runs/s':>8} {'coverage':>9} {'crashes':>8}")
    print(
        f"{'random':<10} {random_elapsed:8.1f} {random_runs:9d} {random_runs / max(random_elapsed, 1e-9):8.0f}"
        f" {'-':>9} {len(random_crashes):8d}"
    )
    if have_atheris:
        print(
            f"{'atheris':<10} {ath_seconds:8.1f} {ath_runs:9d} {ath_runs / max(ath_seconds, 1e-9):8.0f}"
            f" {ath_cov:9d} {len(ath_crashes):8d}"
        )
    crashes = random_crashes + ath_crashes
    for path in crashes:
        print(f"crash input: {path}")
    print(
        f"RESULT seconds={seconds} atheris_runs={ath_runs} atheris_cov={ath_cov} random_runs={random_runs} "
        f"crashes={len(crashes)}"
    )


if __name__ == "__main__":
    main()
