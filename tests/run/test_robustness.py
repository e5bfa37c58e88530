"""Bad inputs through the whole command: each gets one clear line, a fate, and the run goes on.

One directory of bad inputs is built and run once through ``babelmill run``; the tests then
check every input's fate and reason in ``manifest.json``/``rejected.jsonl``, the stderr line
that names it, and the invariant ``inputs = kept + duplicates + quarantined``.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.run import RunError, RunOptions, run_pipeline

STAGES_TOML = '[pipeline]\nstages = ["read", "repair", "normalize"]\n'

GERMAN = (
    "Die Größe der neuen Brücke überrascht die Anwohner. Der Bürgermeister sagte, die Straße werde "
    "im Frühjahr geöffnet; die Kosten lägen bei 3 Millionen Euro.\n"
)
CHINESE = (
    "创始团队出走殆尽，公司的高光时刻已经过去。记者在北京采访了多位员工，他们表示对未来感到担忧。\n"
    "据知情人士透露，该公司计划在明年上半年完成新一轮融资。\n"
)
ENGLISH = "The city council approved the new bridge on Tuesday after a long debate about its cost.\n"


@dataclass(frozen=True)
class Case:
    name: str  # file name inside the input directory
    fate: str  # kept / duplicate / quarantined
    reason: str | None  # the quarantine or duplicate reason; None when kept
    fragment: str = ""  # part of the stderr message (quarantined only)


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def build_inputs(d: Path) -> tuple[list[Case], list[str]]:
    """Build every bad input in ``d``; return the cases and the extra command-line inputs."""
    cases: list[Case] = []

    def add(name: str, data: bytes | None, fate: str, reason: str | None = None, fragment: str = "") -> None:
        if data is not None:
            _write(d / name, data)
        cases.append(Case(name, fate, reason, fragment))

    add("empty.txt", b"", "quarantined", "empty", "empty")
    add("whitespace.txt", b" \n\t\n\r\n   ", "quarantined", "no_text", "whitespace")
    add("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "quarantined", "binary", "png")
    # compressed inputs are read through their compression, whatever their name says
    add("archive.txt.gz", gzip.compress(GERMAN.encode() * 3), "kept")
    add("no_suffix_gzip", gzip.compress(ENGLISH.encode() + GERMAN.encode()), "kept")
    add("page.txt.zst", zstandard.ZstdCompressor().compress(CHINESE.encode("gb18030")), "kept")
    add("cut_short.txt.gz", gzip.compress(GERMAN.encode() * 40)[:60], "quarantined", "bad_compression", "cut short")
    add("bomb.txt.gz", gzip.compress(b"a" * (3 * 1024 * 1024)), "quarantined", "too_large", "decompressed")
    add("paper.pdf", b"%PDF-1.5\n%\xb5\xed\xae\xfb\n3 0 obj\n<< /Length 4 >>\nstream\n", "quarantined", "binary", "pdf")
    add("nul_bytes.txt", b"col\x00umn\x00data\x00" * 50, "quarantined", "binary", "control characters")
    add("invalid_utf8.txt", b"Valid start of the line \xff\xfe and \xc3\x28 broken bytes.\n", "kept")
    add("mixed_utf8.txt", GERMAN.encode() + "Straße im Süden\n".encode("cp1252") + GERMAN.encode(), "kept")
    add("utf16_bom.txt", GERMAN.encode("utf-16"), "kept")
    add("utf16le_no_bom.txt", (GERMAN + ENGLISH).encode("utf-16-le"), "kept")
    add("utf16be_no_bom_zh.txt", CHINESE.encode("utf-16-be"), "kept")
    add("gbk_zh.txt", CHINESE.encode("gbk"), "kept")
    add("gb18030_zh.txt", (CHINESE + "第三段：数字 2024 年。\n").encode("gb18030"), "kept")
    add("latin1_de.txt", ("Ärger über die Öffnungszeiten: " + GERMAN).encode("latin-1"), "kept")
    add("cp1252_de.txt", ("„Zitat“ – 5 € – " + GERMAN).encode("cp1252"), "kept")
    add("mojibake.txt", ("Die GrÃ¶ÃŸe der StraÃŸe Ã¼berrascht.\n" + ENGLISH).encode("utf-8"), "kept")
    add("encoded_surrogates.txt", b"Text with an encoded surrogate \xed\xa0\x80 inside.\n", "kept")
    page = (
        "<!DOCTYPE html><html><head><title>Bridge</title><script>track()</script></head>"
        f"<body><p>{ENGLISH.strip()}</p></body></html>"
    )
    add("page_html.txt", page.encode(), "kept")
    add("twin_a.txt", ENGLISH.encode() * 2, "kept")
    add("twin_b.txt", ENGLISH.encode() * 2, "duplicate", "identical_input")
    (d / "broken_link.txt").symlink_to(d / "deleted-target.txt")
    add("broken_link.txt", None, "quarantined", "not_found", "broken symlink")
    (d / "loop_a.txt").symlink_to(d / "loop_b.txt")
    (d / "loop_b.txt").symlink_to(d / "loop_a.txt")
    add("loop_a.txt", None, "quarantined", "symlink_loop", "loop")
    add("loop_b.txt", None, "quarantined", "symlink_loop", "loop")
    os.mkfifo(d / "named_pipe.txt")
    add("named_pipe.txt", None, "quarantined", "not_a_file", "fifo")
    (d / "subdir").mkdir()
    (d / "dir_link.txt").symlink_to(d / "subdir")
    add("dir_link.txt", None, "quarantined", "not_a_file", "directory")
    add(os.fsdecode(b"bad-name-\xff.txt"), GERMAN.encode(), "kept")
    # unreadable: permissions block non-root users; root reads anything, so it gets a file
    # whose read fails with EIO (its own memory image, unmapped at offset 0) instead
    if os.geteuid() != 0:
        _write(d / "unreadable.txt", GERMAN.encode())
        (d / "unreadable.txt").chmod(0)
        add("unreadable.txt", None, "quarantined", "unreadable", "permission denied")
    else:
        (d / "unreadable.txt").symlink_to("/proc/self/mem")
        add("unreadable.txt", None, "quarantined", "unreadable", "input/output error")
    add("missing.txt", None, "quarantined", "not_found", "no such file")
    # a directory walk does not follow symlinked folders (no loops): such a link is an input,
    # and not a file, whether the walk finds it or it is named on the command line
    # gbk_zh.txt and dir_link.txt are each named twice: by the folder and explicitly
    # image.png and paper.pdf are not read from the folder (not a text extension, see
    # test_files_without_a_text_extension_are_skipped_and_counted) but are named explicitly
    extra = [
        str(d / "missing.txt"), str(d / "gbk_zh.txt"), str(d / "dir_link.txt"), str(d / "image.png"),
        str(d / "paper.pdf"),
    ]  # fmt: skip
    _write(d / "sidecar.json", b'{"url": "https://example.com/a"}\n')  # metadata beside the pages: never read
    return cases, extra


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("bad")
    inputs = base / "inputs"
    inputs.mkdir()
    cases, extra = build_inputs(inputs)
    config = base / "stages.toml"
    config.write_text(STAGES_TOML)
    out = base / "out"
    result = CliRunner().invoke(main, ["run", str(inputs), *extra, "-o", str(out), "-c", str(config)])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = {Path(row["path"]).name: row for row in manifest["inputs"]}
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    yield {
        "result": result,
        "cases": {display(c.name): c for c in cases},
        "manifest": manifest,
        "rows": rows,
        "corpus": {Path(r["source"]["path"]).name: r for r in corpus},
        "rejected": {Path(r["source"]["path"]).name: r for r in rejected},
        "inputs": inputs,
    }
    if os.geteuid() != 0 and (inputs / "unreadable.txt").exists():
        (inputs / "unreadable.txt").chmod(0o644)  # let pytest clean up


def display(name: str) -> str:
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def case_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cases, _ = build_inputs(Path(tmp))
        if os.geteuid() != 0:
            (Path(tmp) / "unreadable.txt").chmod(0o644)
    return [display(c.name) for c in cases]


def test_run_completes_with_exit_status_0(bad_run) -> None:
    result = bad_run["result"]
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", case_names())
def test_each_input_has_its_fate(bad_run, name: str) -> None:
    case: Case = bad_run["cases"][name]
    row = bad_run["rows"][name]
    assert (row["fate"], row["reason"]) == (case.fate, case.reason)
    if case.fate == "kept":
        record = bad_run["corpus"][name]
        assert record["text"].strip()
        assert name not in bad_run["rejected"]
    else:
        record = bad_run["rejected"][name]
        assert (record["status"], record["reason"]) == (case.fate, case.reason)
        assert name not in bad_run["corpus"]
    if case.fate == "quarantined":
        assert record["stage"] == "read"
        assert case.fragment in record["message"].lower()
        # exactly one stderr line names the file, the reason and the message
        lines = [
            line
            for line in bad_run["result"].stderr.splitlines()
            if line.startswith(f"babelmill: {bad_run['inputs'] / name}: quarantined ({case.reason}): ")
        ]
        assert len(lines) == 1, bad_run["result"].stderr
        assert case.fragment in lines[0].lower()


def test_manifest_accounts_for_every_input(bad_run) -> None:
    """inputs = kept + duplicates + quarantined, and every built input is listed once."""
    manifest = bad_run["manifest"]
    summary = manifest["summary"]
    fates = [row["fate"] for row in manifest["inputs"]]
    assert len(fates) == summary["inputs"] == len(bad_run["cases"])
    assert summary["inputs"] == summary["kept"] + summary["duplicates"] + summary["quarantined"]
    assert fates.count("kept") == summary["kept"] == len(bad_run["corpus"])
    assert fates.count("duplicate") + fates.count("quarantined") == len(bad_run["rejected"])
    assert set(bad_run["rows"]) == set(bad_run["cases"])
    assert manifest["inputs_by_fate"] == {f: fates.count(f) for f in sorted(set(fates))}


def test_same_file_named_twice_is_read_once_and_reported(bad_run) -> None:
    assert bad_run["manifest"]["summary"]["repeated_paths"] == 2
    assert [p for p in bad_run["manifest"]["inputs"] if p["path"].endswith("gbk_zh.txt")][0]["fate"] == "kept"
    assert f"babelmill: {bad_run['inputs'] / 'gbk_zh.txt'}: named more than once" in bad_run["result"].stderr


def test_files_without_a_text_extension_are_skipped_and_counted(bad_run) -> None:
    """A .json sidecar, an image and a PDF in an input folder are not read (the image and the
    PDF are read when named, see build_inputs); the summary and the manifest say so."""
    manifest = bad_run["manifest"]
    assert "sidecar.json" not in bad_run["rows"]
    assert manifest["summary"]["skipped"] == {"not_text:.json": 1, "not_text:.pdf": 1, "not_text:.png": 1}
    assert (
        "Skipped 3 files in the input folders not read for their extension (.json 1, .pdf 1, .png 1; "
        "--include GLOB reads them)" in bad_run["result"].stdout
    )


def test_compressed_inputs_record_their_compression(bad_run) -> None:
    corpus = bad_run["corpus"]
    assert corpus["archive.txt.gz"]["source"]["compression"] == "gzip"
    assert corpus["no_suffix_gzip"]["source"]["compression"] == "gzip"
    assert corpus["page.txt.zst"]["source"]["compression"] == "zstd"
    assert "compression" not in corpus["gbk_zh.txt"]["source"]


def test_duplicate_content_points_at_the_first_copy(bad_run) -> None:
    assert bad_run["rejected"]["twin_b.txt"]["duplicate_of"] == bad_run["corpus"]["twin_a.txt"]["id"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("utf16_bom.txt", GERMAN),
        ("utf16le_no_bom.txt", GERMAN + ENGLISH),
        ("utf16be_no_bom_zh.txt", CHINESE),
        ("gbk_zh.txt", CHINESE),
        ("latin1_de.txt", "Ärger über die Öffnungszeiten: " + GERMAN),
        ("cp1252_de.txt", "„Zitat“ – 5 € – " + GERMAN),
        ("mixed_utf8.txt", GERMAN + "Straße im Süden\n" + GERMAN),
        ("mojibake.txt", "Die Größe der Straße überrascht.\n" + ENGLISH),
        ("page_html.txt", "Bridge\n" + ENGLISH),
        ("bad-name-\\xff.txt", GERMAN),
        ("archive.txt.gz", GERMAN * 3),
        ("no_suffix_gzip", ENGLISH + GERMAN),
        ("page.txt.zst", CHINESE),
    ],
)
def test_kept_text_is_the_original_text(bad_run, name: str, expected: str) -> None:
    """The corpus text equals the source text (after normalize joins lines of a paragraph)."""
    text = bad_run["corpus"][name]["text"]

    def words(s: str) -> list[str]:
        return s.split()

    assert words(text) == words(expected)


def test_undecodable_bytes_do_not_reach_the_corpus_as_surrogates(bad_run) -> None:
    for name in ("invalid_utf8.txt", "encoded_surrogates.txt"):
        record = bad_run["corpus"][name]
        record["text"].encode("utf-8")
        assert record["text"].startswith(("Valid start of the line", "Text with an encoded surrogate"))


def test_big_file_and_long_line_are_quarantined_by_the_size_limits(tmp_path: Path) -> None:
    """A 200 MB file and a 50 MB single line are never loaded (read.max_bytes); a 1 MB single
    line is under that limit but is not article text (read.max_line_chars)."""
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        fh.write(GERMAN.encode())
        fh.truncate(200 * 1024 * 1024)  # sparse: fast to make, no disk used
    line = tmp_path / "one_line.txt"
    chunk = b"word " * 200_000  # 1 MB
    with open(line, "wb") as fh:
        for _ in range(50):
            fh.write(chunk)
    (tmp_path / "line_1mb.txt").write_bytes(chunk + b"\n" + ENGLISH.encode())
    (tmp_path / "ok.txt").write_text(ENGLISH)
    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    out = tmp_path / "out"
    args = ["run", str(big), str(line), str(tmp_path / "line_1mb.txt"), str(tmp_path / "ok.txt")]
    result = CliRunner().invoke(main, [*args, "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    rows = {Path(r["path"]).name: r for r in json.loads((out / "manifest.json").read_text())["inputs"]}
    assert (rows["huge.txt"]["fate"], rows["huge.txt"]["reason"]) == ("quarantined", "too_large")
    assert rows["huge.txt"]["sha256"] is None  # never read, not even to hash it
    assert (rows["one_line.txt"]["fate"], rows["one_line.txt"]["reason"]) == ("quarantined", "too_large")
    assert (rows["line_1mb.txt"]["fate"], rows["line_1mb.txt"]["reason"]) == ("quarantined", "line_too_long")
    assert rows["ok.txt"]["fate"] == "kept"
    assert (
        f"babelmill: {big}: quarantined (too_large): 209715200 bytes is over the read.max_bytes limit" in result.stderr
    )
    assert f"babelmill: {tmp_path / 'line_1mb.txt'}: quarantined (line_too_long): a 1000000-byte line is over" in (
        result.stderr
    )


def test_directory_of_many_small_files(tmp_path: Path) -> None:
    inputs = tmp_path / "many"
    for i in range(2000):
        sub = inputs / f"d{i % 20:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        data = f"Article number {i}: the council met on day {i % 365} and voted {i * 7 % 13} to 2.\n"
        (sub / f"{i:05d}.txt").write_bytes(b" \n" * (i + 1) if i % 250 == 0 else data.encode())
    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["inputs"] == 2000 == len(manifest["inputs"])
    assert manifest["inputs_by_fate"] == {"kept": 1992, "quarantined": 8}
    assert sum(1 for _ in open(out / "corpus.jsonl", encoding="utf-8")) == 1992
    assert result.stderr.count("quarantined (no_text)") == 8


def test_cli_subprocess_reports_and_goes_on(tmp_path: Path) -> None:
    """The installed command, as a user runs it: a clear line per bad input, exit status 0."""
    (tmp_path / "good.txt").write_text(ENGLISH)
    (tmp_path / "empty.txt").write_bytes(b"")
    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    proc = subprocess.run(
        [sys.executable, "-m", "babelmill.cli", "run", str(tmp_path / "good.txt"), str(tmp_path / "empty.txt"),
         str(tmp_path / "nowhere.txt"), "-o", str(tmp_path / "out"), "-c", str(config)],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"babelmill: {tmp_path / 'empty.txt'}: quarantined (empty): the file is empty" in proc.stderr
    assert f"babelmill: {tmp_path / 'nowhere.txt'}: quarantined (not_found): no such file" in proc.stderr
    assert "1 kept, 0 duplicates, 2 quarantined" in proc.stdout


# -- output errors ------------------------------------------------------------------------------


def test_unwritable_output_fails_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(ENGLISH)
    if os.geteuid() != 0:
        target = tmp_path / "readonly"
        target.mkdir()
        target.chmod(0o555)
        out = target / "out"
    else:  # root writes through permission bits; a path below a regular file cannot be created
        (tmp_path / "plainfile").write_text("x")
        out = tmp_path / "plainfile" / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "good.txt"), "-o", str(out)])
    if os.geteuid() != 0:
        (tmp_path / "readonly").chmod(0o755)
    assert result.exit_code == 1
    assert f"babelmill: error: {out}: output directory is not writable" in result.stderr
    assert not out.exists()


class _FullDisk:
    """A corpus file handle that fails with ENOSPC after ``budget`` writes."""

    def __init__(self, fh, budget: int):
        self._fh, self._budget = fh, budget

    def write(self, data: bytes) -> int:
        if self._budget <= 0:
            half = data[: len(data) // 2]
            self._fh.write(half)  # a torn record, as a real full disk leaves
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._fh.name))
        self._budget -= 1
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._fh.__exit__(*exc)


def _ids(path: Path) -> list[str]:
    """Record ids of a JSONL output; fails on a torn or unparsable line."""
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def _full_disk_open(real_open, name: str, budget: int):
    """``open`` (or ``os.fdopen``: outputs are opened by descriptor, never through a link) that
    hands out a failing handle for appends to the output file ``name``."""

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        path = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else os.fspath(file)
        return _FullDisk(fh, budget) if path.endswith(name) and "a" in mode else fh

    return fake_open


@pytest.mark.parametrize("failing", ["corpus.jsonl", "rejected.jsonl"])
def test_disk_full_mid_run_keeps_the_outputs_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    import builtins

    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    out = tmp_path / "out"
    first = tmp_path / "first"
    first.mkdir()
    for i in range(3):
        (first / f"a{i}.txt").write_text(f"First batch article {i}. {ENGLISH}")
        (first / f"a{i}-blank.txt").write_text(" " * (i + 1))
    run_pipeline(RunOptions(inputs=[str(first)], output_dir=out, config_path=config), warn=lambda m: None)
    before = {name: (out / name).read_bytes() for name in ("corpus.jsonl", "rejected.jsonl")}
    assert len(_ids(out / "corpus.jsonl")) == 3 and len(_ids(out / "rejected.jsonl")) == 3

    second = tmp_path / "second"
    second.mkdir()
    for i in range(10):
        (second / f"b{i:02d}.txt").write_text(f"Second batch article {i}. {ENGLISH}")
        (second / f"b{i:02d}-blank.txt").write_text(" " * (i + 10))
    monkeypatch.setattr(builtins, "open", _full_disk_open(builtins.open, failing, budget=5))
    monkeypatch.setattr(os, "fdopen", _full_disk_open(os.fdopen, failing, budget=5))
    opts = RunOptions(inputs=[str(first), str(second)], output_dir=out, config_path=config, checkpoint_every=2)
    with pytest.raises(RunError, match="No space left on device"):
        run_pipeline(opts, warn=lambda m: None)
    monkeypatch.undo()

    # right after the failure: whole records only, the earlier records untouched at the front
    for name in ("corpus.jsonl", "rejected.jsonl"):
        assert (out / name).read_bytes().startswith(before[name])
        ids = _ids(out / name)
        assert len(ids) == len(set(ids)) and 3 <= len(ids) <= 13

    # a rerun finishes the job: every input exactly once
    opts = RunOptions(inputs=[str(first), str(second)], output_dir=out, config_path=config)
    summary = run_pipeline(opts, warn=lambda m: None)
    corpus, rejected = _ids(out / "corpus.jsonl"), _ids(out / "rejected.jsonl")
    assert len(corpus) == len(set(corpus)) == 13 == summary.corpus_records
    assert len(rejected) == len(set(rejected)) == 13
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs_by_fate"] == {"kept": 13, "quarantined": 13}


def test_disk_full_through_the_cli_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    (tmp_path / "good.txt").write_text(ENGLISH)
    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    out = tmp_path / "out"
    monkeypatch.setattr(builtins, "open", _full_disk_open(builtins.open, "corpus.jsonl", budget=0))
    monkeypatch.setattr(os, "fdopen", _full_disk_open(os.fdopen, "corpus.jsonl", budget=0))
    result = CliRunner().invoke(main, ["run", str(tmp_path / "good.txt"), "-o", str(out), "-c", str(config)])
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "babelmill: error:" in result.stderr and "No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert (out / "corpus.jsonl").read_bytes() == b""


@pytest.mark.slow
def test_default_pipeline_handles_every_bad_input(tmp_path: Path) -> None:
    """With every stage configured (pipeline/default.toml), the same bad inputs end the same way
    in the read stage, and whatever later stages decide, every input is accounted for."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    cases, extra = build_inputs(inputs)
    models = tmp_path / "no-models"
    models.mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inputs), *extra, "-o", str(out), "--models-dir", str(models)])
    if os.geteuid() != 0:
        (inputs / "unreadable.txt").chmod(0o644)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = {Path(row["path"]).name: row for row in manifest["inputs"]}
    assert set(rows) == {display(c.name) for c in cases}
    summary = manifest["summary"]
    assert summary["inputs"] == len(cases) == summary["kept"] + summary["duplicates"] + summary["quarantined"]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rejected) == summary["duplicates"] + summary["quarantined"]
    for case in cases:
        row = rows[display(case.name)]
        if case.fate == "quarantined":  # a read-stage decision: identical whatever follows
            assert (row["fate"], row["reason"]) == (case.fate, case.reason), case.name
        else:
            assert row["fate"] in ("kept", "duplicate", "quarantined") and (row["fate"] == "kept" or row["reason"])
    for record in rejected:
        if record["status"] == "quarantined":
            path = record["source"]["path"]
            assert f"babelmill: {path}: quarantined ({record['reason']}): " in result.stderr


def _inputs_with_a_locked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """``inputs/`` holding ``open.txt`` and ``locked/inside.txt``, where ``locked`` cannot be listed
    until ``monkeypatch.undo()`` and ``chmod(0o755)``; returns inputs, locked and a config."""
    inputs = tmp_path / "inputs"
    (inputs / "locked").mkdir(parents=True)
    (inputs / "locked" / "inside.txt").write_text(ENGLISH)
    (inputs / "open.txt").write_text(ENGLISH + "More.\n")
    locked = inputs / "locked"
    if os.geteuid() != 0:
        locked.chmod(0)
    else:  # root lists anything: make listing this one folder fail as permissions would
        real_scandir = os.scandir

        def scandir(path="."):
            if os.fspath(path) == str(locked):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    config = tmp_path / "stages.toml"
    config.write_text(STAGES_TOML)
    return inputs, locked, config


def test_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, locked, config = _inputs_with_a_locked_folder(tmp_path, monkeypatch)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(out), "-c", str(config)])
    monkeypatch.undo()
    locked.chmod(0o755)
    assert result.exit_code == 0, result.output
    rows = {Path(r["path"]).name: r for r in json.loads((out / "manifest.json").read_text())["inputs"]}
    assert (rows["locked"]["fate"], rows["locked"]["reason"]) == ("quarantined", "unreadable")
    assert rows["open.txt"]["fate"] == "kept"
    assert f"babelmill: {locked}: quarantined (unreadable): a folder that cannot be listed: Permission denied" in (
        result.stderr
    )


def test_a_folder_listed_again_is_read_and_its_quarantine_record_goes_as_in_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, locked, config = _inputs_with_a_locked_folder(tmp_path, monkeypatch)
    out, rebuilt = tmp_path / "out", tmp_path / "rebuilt"
    assert CliRunner().invoke(main, ["run", str(inputs), "-o", str(out), "-c", str(config)]).exit_code == 0
    assert b'"reason": "unreadable"' in (out / "rejected.jsonl").read_bytes()
    monkeypatch.undo()
    locked.chmod(0o755)
    for target in (out, rebuilt):
        result = CliRunner().invoke(main, ["run", str(inputs), "-o", str(target), "-c", str(config)])
        assert result.exit_code == 0, result.output
    # the folder's files are the inputs now: its unreadable record is gone, as a rebuild never writes it
    assert (out / "rejected.jsonl").read_bytes() == (rebuilt / "rejected.jsonl").read_bytes() == b""
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(Path(r["path"]).name, r["fate"]) for r in manifest["inputs"]] == [
        ("inside.txt", "kept"),
        ("open.txt", "kept"),
    ]
    assert manifest["summary"]["corpus_records"] == 2
