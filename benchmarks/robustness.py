"""Every bad input through ``babelmill run``: its fate, time and peak memory; nothing lost.

Builds each bad-input case in a temp folder (empty, whitespace, PNG/gzip/PDF, invalid UTF-8,
UTF-16 with and without BOM, GBK/GB18030, Latin-1/Windows-1252, mojibake, NUL bytes, HTML saved
as .txt, a non-UTF-8 file name, broken symlink, symlink loop, missing path, FIFO, unreadable
file, the same file named twice, identical content, a 200 MB file, a 50 MB single line, a
1 MB single line (under read.max_bytes, over read.max_line_chars), a folder of 10,000 small
files), runs the CLI once per case in a child process, and checks the
outcome against the expected fate and reason in ``manifest.json``. Peak RSS is the child's
``ru_maxrss``; the baseline is the same command over one small good file, so ``rss_x`` shows
that a 200 MB input costs no more memory than a 1 KB one.

Finally all cases run together through the default pipeline (every stage), and each input
must appear in the manifest with a fate: ``lost`` counts the inputs that do not.

    .venv/bin/python benchmarks/robustness.py            # full (about 2-4 minutes)
    .venv/bin/python benchmarks/robustness.py --quick    # 1,000 small files, light pipeline only

Ends with ``RESULT cases=<n> handled=<n> lost=<n>``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHT = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'

GERMAN = (
    "Die Größe der neuen Brücke überrascht die Anwohner. Der Bürgermeister sagte, die Straße werde "
    "im Frühjahr geöffnet; die Kosten lägen bei 3 Millionen Euro.\n"
)
CHINESE = (
    "创始团队出走殆尽，公司的高光时刻已经过去。记者在北京采访了多位员工，他们表示对未来感到担忧。\n"
    "据知情人士透露，该公司计划在明年上半年完成新一轮融资。\n"
)
ENGLISH = "The city council approved the new bridge on Tuesday after a long debate about its cost.\n"


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]  # makes the inputs in a folder, returns the CLI arguments
    expect: dict[str, tuple[str, str | None]]  # input file name -> (fate, reason); "*" = all inputs
    text_check: tuple[str, str] | None = None  # (file name, words the kept text must equal)
    note: str = ""
    stderr_check: str = ""  # text the run's stderr must hold
    result: dict = field(default_factory=dict)


def _file(name: str, data: bytes) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        (d / name).write_bytes(data)
        return [str(d / name)]

    return build


def _symlink(name: str, target: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        (d / name).symlink_to(target if target.startswith("/") else d / target)
        return [str(d / name)]

    return build


def _loop(d: Path) -> list[str]:
    (d / "loop_a.txt").symlink_to(d / "loop_b.txt")
    (d / "loop_b.txt").symlink_to(d / "loop_a.txt")
    return [str(d / "loop_a.txt"), str(d / "loop_b.txt")]


def _fifo(d: Path) -> list[str]:
    os.mkfifo(d / "pipe.txt")
    return [str(d / "pipe.txt")]


def _dir_link(d: Path) -> list[str]:
    (d / "folder").mkdir()
    (d / "folder_link.txt").symlink_to(d / "folder")
    return [str(d / "folder_link.txt")]


def _unreadable(d: Path) -> list[str]:
    if os.geteuid() != 0:
        (d / "locked.txt").write_text(ENGLISH)
        (d / "locked.txt").chmod(0)
    else:  # root reads through permission bits: a file whose read fails (EIO) stands in
        (d / "locked.txt").symlink_to("/proc/self/mem")
    return [str(d / "locked.txt")]


def _missing(d: Path) -> list[str]:
    return [str(d / "does-not-exist.txt")]


def _twice(d: Path) -> list[str]:
    (d / "twice.txt").write_text(ENGLISH)
    return [str(d / "twice.txt"), str(d / "." / "twice.txt")]


def _twins(d: Path) -> list[str]:
    (d / "twin_a.txt").write_text(ENGLISH * 2)
    (d / "twin_b.txt").write_text(ENGLISH * 2)
    return [str(d / "twin_a.txt"), str(d / "twin_b.txt")]


def _bad_name(d: Path) -> list[str]:
    name = os.fsdecode(b"bericht-\xff.txt")
    (d / name).write_text(GERMAN)
    return [str(d / name)]


def _big(size: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        with open(d / "huge.txt", "wb") as fh:
            fh.write(GERMAN.encode())
            fh.truncate(size)  # sparse: quick to make, no disk
        return [str(d / "huge.txt")]

    return build


def _long_line(size: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        chunk = b"word " * 200_000
        with open(d / "one_line.txt", "wb") as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
        return [str(d / "one_line.txt")]

    return build


def _many(n: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        root = d / "many"
        for i in range(n):
            sub = root / f"d{i % 100:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            text = f"Article {i}: the council met on day {i % 365} and voted {i * 7 % 13} to {i % 5}.\n"
            # every 250th is whitespace only (its own length, so not a duplicate of another)
            (sub / f"{i:05d}.txt").write_bytes(b" \n" * (i + 1) if i % 250 == 0 else text.encode())
        return [str(root)]

    return build


def cases(quick: bool) -> list[Case]:
    many = 1_000 if quick else 10_000
    html = (
        "<!DOCTYPE html><html><head><title>Bridge</title><script>track()</script></head>"
        f"<body><p>{ENGLISH.strip()}</p></body></html>"
    )
    kept = ("kept", None)
    return [
        Case("empty file", _file("empty.txt", b""), {"*": ("quarantined", "empty")}),
        Case("whitespace only", _file("ws.txt", b" \n\t\r\n  "), {"*": ("quarantined", "no_text")}),
        Case(
            "PNG",
            _file("img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)),
            {"*": ("quarantined", "binary")},
        ),  # fmt: skip
        Case("gzip", _file("a.gz", gzip.compress(GERMAN.encode() * 5)), {"*": ("quarantined", "binary")}),
        Case("PDF", _file("p.pdf", b"%PDF-1.5\n%\xb5\xed\xae\xfb\n1 0 obj\n"), {"*": ("quarantined", "binary")}),
        Case("NUL bytes", _file("nul.txt", b"col\x00umn\x00" * 100), {"*": ("quarantined", "binary")}),
        Case("invalid UTF-8", _file("bad.txt", b"Valid text \xff\xfe and \xc3\x28 broken bytes.\n"), {"*": kept}),
        Case(
            "UTF-8 + one cp1252 line",
            _file("mixed.txt", GERMAN.encode() + "Straße im Süden\n".encode("cp1252")),
            {"*": kept},
            ("mixed.txt", GERMAN + "Straße im Süden"),
        ),
        Case("UTF-16 BOM", _file("u16.txt", GERMAN.encode("utf-16")), {"*": kept}, ("u16.txt", GERMAN)),
        Case("UTF-16LE no BOM", _file("u16le.txt", GERMAN.encode("utf-16-le")), {"*": kept}, ("u16le.txt", GERMAN)),
        Case(
            "UTF-16BE no BOM zh", _file("u16be.txt", CHINESE.encode("utf-16-be")), {"*": kept}, ("u16be.txt", CHINESE)
        ),  # fmt: skip
        Case("GBK zh", _file("gbk.txt", CHINESE.encode("gbk")), {"*": kept}, ("gbk.txt", CHINESE)),
        Case("GB18030 zh", _file("gb.txt", CHINESE.encode("gb18030")), {"*": kept}, ("gb.txt", CHINESE)),
        Case(
            "Latin-1 de",
            _file("l1.txt", ("Ärger: " + GERMAN).encode("latin-1")),
            {"*": kept},
            ("l1.txt", "Ärger: " + GERMAN),
        ),  # fmt: skip
        Case(
            "cp1252 de",
            _file("w.txt", ("„Zitat“ 5 € " + GERMAN).encode("cp1252")),
            {"*": kept},
            ("w.txt", "„Zitat“ 5 € " + GERMAN),
        ),  # fmt: skip
        Case(
            "mojibake (UTF-8 twice)",
            _file("moji.txt", "Die GrÃ¶ÃŸe der StraÃŸe Ã¼berrascht.\n".encode()),
            {"*": kept},
            ("moji.txt", "Die Größe der Straße überrascht."),
        ),
        Case("encoded surrogate", _file("surr.txt", b"Text \xed\xa0\x80 with a surrogate.\n"), {"*": kept}),
        Case("HTML saved as .txt", _file("page.txt", html.encode()), {"*": kept}, ("page.txt", "Bridge " + ENGLISH)),
        Case("non-UTF-8 file name", _bad_name, {"*": kept}, ("bericht-\\xff.txt", GERMAN)),
        Case("broken symlink", _symlink("broken.txt", "gone.txt"), {"*": ("quarantined", "not_found")}),
        Case("symlink loop", _loop, {"*": ("quarantined", "symlink_loop")}),
        Case("missing path", _missing, {"*": ("quarantined", "not_found")}),
        Case("FIFO", _fifo, {"*": ("quarantined", "not_a_file")}),
        Case("symlink to a folder", _dir_link, {"*": ("quarantined", "not_a_file")}),
        Case(
            "unreadable file",
            _unreadable,
            {"*": ("quarantined", "unreadable")},
            note="chmod 000" if os.geteuid() != 0 else "root: EIO file",
        ),
        Case("same file named twice", _twice, {"*": kept}, stderr_check="twice.txt: named more than once"),
        Case("identical content", _twins, {"twin_a.txt": kept, "twin_b.txt": ("duplicate", "identical_input")}),
        Case("200 MB file", _big(200 * 1024 * 1024), {"*": ("quarantined", "too_large")}, note="sparse"),
        Case("50 MB single line", _long_line(50 * 1024 * 1024), {"*": ("quarantined", "too_large")}),
        Case("1 MB single line", _long_line(1_000_000), {"*": ("quarantined", "line_too_long")}),
        Case(
            f"{many:,} small files",
            _many(many),
            {"*": kept, "every 250th": ("quarantined", "no_text")},
            note="quick: 1,000" if quick else "",
        ),
    ]


# -- running ---------------------------------------------------------------------------------------


def run_cli(args: list[str], out: Path, config: Path | None) -> dict:
    """One ``babelmill run`` in a child process: exit status, seconds, peak RSS, stderr."""
    cmd = [sys.executable, "-m", "babelmill.cli", "run", *args, "-o", str(out)]
    if config:
        cmd += ["-c", str(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    return {"rc": proc.returncode, "seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "stderr": stderr}


def manifest_rows(out: Path) -> dict[str, dict]:
    path = out / "manifest.json"
    if not path.exists():
        return {}
    return {Path(row["path"]).name: row for row in json.loads(path.read_text(encoding="utf-8"))["inputs"]}


def corpus_texts(out: Path) -> dict[str, str]:
    path = out / "corpus.jsonl"
    if not path.exists():
        return {}
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return {Path(r["source"]["path"]).name: r["text"] for r in records}


def expected_names(args: list[str]) -> set[str]:
    """File names the run must account for (a folder stands for its files)."""
    names: set[str] = set()
    for arg in args:
        p = Path(arg)
        if p.is_dir() and not p.is_symlink():
            names.update(f.name for f in p.rglob("*") if not f.is_dir())
        else:
            names.add(os.fsencode(p.name).decode("utf-8", errors="backslashreplace"))
    return names


def judge(case: Case, args: list[str], out: Path, res: dict) -> dict:
    rows = manifest_rows(out)
    names = expected_names(args)
    lost = sorted(names - set(rows))
    fates = Counter((r["fate"], r["reason"]) for r in rows.values())
    wrong: list[str] = []
    for name, row in rows.items():
        key = name if name in case.expect else "*"
        want = case.expect.get(key)
        got = (row["fate"], row["reason"])
        if "every 250th" in case.expect and got == case.expect["every 250th"]:
            continue
        if want and got != want:
            wrong.append(f"{name}: {got} != {want}")
    if case.text_check:
        name, words = case.text_check
        text = corpus_texts(out).get(name, "")
        if text.split() != words.split():
            wrong.append(f"{name}: text {text[:60]!r}")
    if case.stderr_check and case.stderr_check not in res["stderr"]:
        wrong.append(f"stderr lacks {case.stderr_check!r}")
    for row in rows.values():  # each quarantined input has its one line on stderr
        if row["fate"] == "quarantined" and f": quarantined ({row['reason']}): " not in res["stderr"]:
            wrong.append(f"{row['path']}: no stderr line")
    outcome = ", ".join(f"{fate}/{reason}" if reason else fate for (fate, reason), _n in sorted(fates.items()))
    if len(rows) > 1:
        outcome = ", ".join(
            f"{fate}{'/' + reason if reason else ''}={n}" for (fate, reason), n in sorted(fates.items())
        )
    handled = res["rc"] == 0 and not lost and not wrong
    return {**res, "inputs": len(names), "lost": len(lost), "wrong": wrong, "outcome": outcome, "handled": handled}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 small files instead of 10,000; no default-pipeline run")
    ap.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="babelmill-robustness-"))
    base.mkdir(parents=True, exist_ok=True)
    light = base / "light.toml"
    light.write_text(LIGHT)
    try:
        # baseline: the same command over one small good file
        (base / "baseline").mkdir(exist_ok=True)
        (base / "baseline" / "good.txt").write_text(ENGLISH)
        baseline = run_cli([str(base / "baseline" / "good.txt")], base / "baseline-out", light)
        all_cases = cases(args.quick)
        all_args: list[str] = []
        for n, case in enumerate(all_cases):
            d = base / f"case{n:02d}"
            d.mkdir()
            build_start = time.perf_counter()
            case_args = case.build(d)
            build_s = time.perf_counter() - build_start
            all_args += case_args
            res = run_cli(case_args, d / "out", light)
            case.result = {**judge(case, case_args, d / "out", res), "build_s": build_s}

        w = max(len(c.name) for c in all_cases)
        print(f"pipeline: read, repair, normalize; baseline (1 good file): {baseline['seconds']:.2f}s, "
              f"{baseline['rss_mb']:.0f} MB peak RSS")  # fmt: skip
        print(f"{'case':<{w}}  {'inputs':>6}  {'outcome':<46} {'seconds':>7} {'rss MB':>7} {'rss_x':>5}  note")
        for case in all_cases:
            r = case.result
            flag = "" if r["handled"] else "  FAILED: " + "; ".join(r["wrong"][:3] or [f"rc={r['rc']}"])
            print(
                f"{case.name:<{w}}  {r['inputs']:>6}  {r['outcome'][:46]:<46} {r['seconds']:7.2f} "
                f"{r['rss_mb']:7.0f} {r['rss_mb'] / baseline['rss_mb']:5.2f}  {case.note}{flag}"
            )
        handled = sum(1 for c in all_cases if c.result["handled"])
        lost = sum(c.result["lost"] for c in all_cases)

        # every case at once through the default pipeline (all stages): nothing may be lost
        if not args.quick:
            models = base / "no-models"
            models.mkdir(exist_ok=True)
            together = run_cli([*all_args, "--models-dir", str(models)], base / "together-out", None)
            rows = manifest_rows(base / "together-out")
            names = expected_names(all_args)
            missing = sorted(names - set(rows))
            fates = Counter(r["fate"] for r in rows.values())
            m = json.loads((base / "together-out" / "manifest.json").read_text()) if rows else {"summary": {}}
            s = m["summary"]
            balanced = s.get("inputs") == s.get("kept", -1) + s.get("duplicates", 0) + s.get("quarantined", 0)
            print(
                f"default pipeline, all cases in one run: rc={together['rc']} inputs={len(names)} "
                f"manifest={len(rows)} {dict(sorted(fates.items()))} lost={len(missing)} "
                f"invariant={'ok' if balanced else 'BROKEN'} {together['seconds']:.1f}s "
                f"{together['rss_mb']:.0f} MB"
            )
            lost += len(missing)
            if together["rc"] != 0 or not balanced:
                handled -= 1
        else:
            print("default pipeline, all cases in one run: skipped (--quick)")
        print(f"RESULT cases={len(all_cases)} handled={handled} lost={lost}")
    finally:
        for p in base.rglob("locked.txt"):
            if not p.is_symlink():
                p.chmod(0o644)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
