"""The output directory: its file names, the one-writer lock, and ``rejected.jsonl``.

The corpus files themselves are written by the sinks (:mod:`babelmill.io.sinks`); this module
holds what the runner owns around them.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import stat
from pathlib import Path

from babelmill.errors import RunError
from babelmill.io.files import create_new, open_regular
from babelmill.io.layout import CORPUS, OUTPUT_NAMES, remove_outputs, swap_dir
from babelmill.io.read import input_key
from babelmill.translate.cache import CACHE_FILE

REJECTED = "rejected.jsonl"
MANIFEST = "manifest.json"
#: one line per run: when it ran, how long each stage took, what it did (the manifest has no times)
RUNS = "runs.jsonl"
STATE_DIR = "state"
LOCK = ".babelmill.lock"


# names (or name prefixes) of what babelmill writes directly in the output folder
_OWN_PREFIXES = ("corpus", "parallel", "rejected", "manifest", "runs", ".corpus-", ".parallel-", ".babelmill")


def _describe(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "not a regular file"


#: folders a run writes into: its state, and the shard folders of the corpus and parallel.jsonl
# folders: the run state, the shard folders, the shards waiting to be swapped in (io/shards.py)
_OWN_DIRS = (STATE_DIR, *OUTPUT_NAMES, *(swap_dir(Path(), name).name for name in OUTPUT_NAMES))


def check_output_folder(out: Path) -> None:
    """Refuse an output folder where a run would write through a planted link or block on a FIFO.

    Every file babelmill writes in ``out`` (corpus and parallel files, shards, staging and
    temporary files, ``rejected.jsonl``, the manifest, the lock, the write test) and everything
    in ``out/state``, ``out/corpus``, ``out/parallel`` and their ``.corpus-swap``/``.parallel-swap``
    must be a regular file when it exists, and those real folders:
    a symbolic link there would make the run overwrite (or, for SQLite, turn into a database)
    whatever it points at, and a FIFO would hang it. Nothing is opened here (``lstat`` only).
    Raises :class:`RunError` naming the entry.
    """
    try:
        st = out.stat() if out.exists() else None
    except OSError as exc:
        raise RunError(f"{out}: output directory cannot be read: {exc.strerror or exc}") from None
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        raise RunError(f"{out}: the output must be a folder, and this is {_describe(st.st_mode)}")
    try:
        entries = [e for e in os.scandir(out) if e.name.startswith(_OWN_PREFIXES) or e.name in _OWN_DIRS]
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            want_dir = entry.name in _OWN_DIRS
            if stat.S_ISLNK(mode) or (stat.S_ISDIR(mode) != want_dir) or not (want_dir or stat.S_ISREG(mode)):
                kind = "folder" if want_dir else "regular file"
                raise RunError(
                    f"{out / entry.name}: refusing to write: it is {_describe(mode)}, not a {kind} "
                    "(remove it, or choose another -o directory)"
                )
            if want_dir:
                for sub in os.scandir(entry.path):
                    sub_mode = sub.stat(follow_symlinks=False).st_mode
                    if not stat.S_ISREG(sub_mode):
                        what = "use the run state" if entry.name == STATE_DIR else "write the shards"
                        raise RunError(
                            f"{out / entry.name / sub.name}: refusing to {what}: it is "
                            f"{_describe(sub_mode)}, not a regular file (remove it, or rerun elsewhere)"
                        )
    except OSError as exc:
        raise RunError(f"{out}: output directory cannot be read: {exc.strerror or exc}") from None


def check_separate(out: Path, inputs: list[str]) -> None:
    """Refuse an output folder that is an input folder, lies inside one, or holds an input.

    A run would read its own outputs back as articles on the next run (``run d -o d``).
    Globs are expanded; inputs that do not exist are left to the read stage.
    """
    out_real = Path(os.path.realpath(out))
    for pattern in inputs:
        candidates = glob.glob(pattern, recursive=True) if glob.has_magic(pattern) else [pattern]
        for cand in candidates:
            if not os.path.exists(cand):
                continue
            real = Path(os.path.realpath(cand))
            if real == out_real or (os.path.isdir(real) and real in out_real.parents):
                raise RunError(
                    f"{out}: the output folder is, or lies inside, the input {cand}; "
                    "its outputs would be read back as articles: choose an -o folder outside the inputs"
                )
            if out_real in real.parents:
                raise RunError(f"{cand}: an input inside the output folder {out}; move it out, or choose another -o")


def check_writable(out: Path) -> None:
    """Create ``out`` and prove a file can be written there, or raise :class:`RunError`."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".babelmill.write-test"
        with create_new(probe):
            pass
        probe.unlink()
    except OSError as exc:
        raise RunError(f"{out}: output directory is not writable: {exc.strerror or exc}") from None


class OutputLock:
    """One writer per output directory: a second run fails at once with a clear message."""

    def __init__(self, output_dir: Path):
        self.path = output_dir / LOCK
        self.fh = None

    def __enter__(self) -> OutputLock:
        try:
            # never through a link planted under the lock's name, never blocking on a FIFO
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot open the lock file: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise RunError(f"{self.path}: refusing to use the lock: it is not a regular file")
        self.fh = os.fdopen(fd, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise RunError(
                f"{self.path.parent}: another babelmill run is writing this output ({holder}); "
                "wait for it to finish or choose another -o directory"
            ) from None
        try:
            same = os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the run that held it removed the file between our open and our lock
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None
            return self.__enter__()
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh:
            # removed while still held: a run waiting on this file sees it gone and retries on a
            # fresh one (see __enter__), so no lock file is left behind in the output folder
            with contextlib.suppress(OSError):
                if os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(self.fh.fileno()).st_ino:
                    os.unlink(self.path)
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


#: state files a rebuild keeps: the translation cache is keyed by model identity and sentence,
#: so reusing it can never serve a stale translation, and it saves the slowest work of a rebuild
KEPT_ON_REBUILD = frozenset({CACHE_FILE, CACHE_FILE + "-wal", CACHE_FILE + "-shm"})


def clear_for_rebuild(out: Path) -> None:
    """``--rebuild``: delete the state (except the translation cache), the corpus files,
    ``rejected.jsonl`` and the manifest.

    A ``state`` that is a link is refused (:func:`check_output_folder` runs first; checked
    again here): emptying the corpus while a linked state kept listing every input as done
    would lose them all."""
    state = out / STATE_DIR
    if state.is_symlink() or (state.exists() and not state.is_dir()):
        raise RunError(f"{state}: refusing --rebuild: the run state is not a real folder (a link?)")
    if state.is_dir():
        for p in state.iterdir():
            if p.name in KEPT_ON_REBUILD and p.is_file() and not p.is_symlink():
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        if any(p.name not in KEPT_ON_REBUILD for p in state.iterdir()):
            raise RunError(f"{state}: --rebuild could not delete the run state; remove it by hand")
    remove_outputs(out)
    for name in (REJECTED, MANIFEST):
        (out / name).unlink(missing_ok=True)


def rewrite_without(path: Path, drop: set[tuple[str, str]]) -> int:
    """Rewrite a JSONL file without the records whose ``(id, input key)`` is in ``drop`` (the key:
    ``source.path``, or ``PATH:LINE`` for a document of a JSONL input).

    Returns the new length. Identical files share an id, so the path tells them apart.
    """
    if not path.exists() or not drop:
        return path.stat().st_size if path.exists() else 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open_regular(path, "rb") as src, create_new(tmp) as dst:
        for line in src:
            record = json.loads(line)
            source = record.get("source") or {}
            if (record.get("id"), input_key(source) if "path" in source else None) not in drop:
                dst.write(line)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return path.stat().st_size


__all__ = ["CORPUS", "LOCK", "MANIFEST", "REJECTED", "STATE_DIR", "OutputLock", "check_writable", "rewrite_without"]
