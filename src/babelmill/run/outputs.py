"""The output directory: its file names, the one-writer lock, and ``rejected.jsonl``.

The corpus files themselves are written by the sinks (:mod:`babelmill.io.sinks`); this module
holds what the runner owns around them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from babelmill.errors import RunError
from babelmill.io.sinks import CORPUS, remove_outputs
from babelmill.translate.cache import CACHE_FILE

REJECTED = "rejected.jsonl"
MANIFEST = "manifest.json"
STATE_DIR = "state"
LOCK = ".babelmill.lock"


def check_writable(out: Path) -> None:
    """Create ``out`` and prove a file can be written there, or raise :class:`RunError`."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".babelmill.write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"{out}: output directory is not writable: {exc.strerror or exc}") from None


class OutputLock:
    """One writer per output directory: a second run fails at once with a clear message."""

    def __init__(self, output_dir: Path):
        self.path = output_dir / LOCK
        self.fh = None

    def __enter__(self) -> OutputLock:
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the run
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
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


#: state files a rebuild keeps: the translation cache is keyed by model identity and sentence,
#: so reusing it can never serve a stale translation, and it saves the slowest work of a rebuild
KEPT_ON_REBUILD = frozenset({CACHE_FILE, CACHE_FILE + "-wal", CACHE_FILE + "-shm"})


def clear_for_rebuild(out: Path) -> None:
    """``--rebuild``: delete the state (except the translation cache), the corpus files,
    ``rejected.jsonl`` and the manifest."""
    state = out / STATE_DIR
    if state.is_dir():
        for p in state.iterdir():
            if p.name in KEPT_ON_REBUILD and p.is_file():
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
    remove_outputs(out)
    for name in (REJECTED, MANIFEST):
        (out / name).unlink(missing_ok=True)


def rewrite_without(path: Path, drop: set[tuple[str, str]]) -> int:
    """Rewrite a JSONL file without the records whose ``(id, source.path)`` is in ``drop``.

    Returns the new length. Identical files share an id, so the path tells them apart.
    """
    if not path.exists() or not drop:
        return path.stat().st_size if path.exists() else 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        for line in src:
            record = json.loads(line)
            if (record.get("id"), record.get("source", {}).get("path")) not in drop:
                dst.write(line)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return path.stat().st_size


__all__ = ["CORPUS", "LOCK", "MANIFEST", "REJECTED", "STATE_DIR", "OutputLock", "check_writable", "rewrite_without"]
