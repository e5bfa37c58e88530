"""What the file-reading commands (``detect``, ``clean``) share: their input names."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def stdin_or_path(name: str) -> Iterator[str]:
    """The path to read for ``name``: the file itself, or for "-" a temporary copy of stdin
    (so that stdin gets the run's read checks: encoding, gzip, HTML, empty, binary, ...)."""
    if name != "-":
        yield name
        return
    with tempfile.TemporaryDirectory(prefix="babelmill-stdin-") as tmp:
        path = Path(tmp) / "stdin"
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        yield str(path)
