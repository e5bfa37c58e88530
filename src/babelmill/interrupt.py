"""Stopping a run cleanly on SIGINT / SIGTERM.

While :func:`signals_stop_run` is active, the first SIGINT or SIGTERM only records the signal;
the run stops at the next clean point: :func:`check` (called by the stages between documents
and by the translate stage between its translation batches) and the corpus writer (between two
records) raise :class:`Interrupted`. The writer then commits every document it has written
(the usual checkpoint) and the command exits with 128 + the signal number (130 for SIGINT, 143
for SIGTERM). A second signal while stopping stops at once (KeyboardInterrupt / SystemExit);
the outputs are then cut back to the last checkpoint by the next run, as after a crash.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

_requested: int | None = None


class Interrupted(BaseException):  # noqa: N818 - a stop request, like KeyboardInterrupt
    """The run was asked to stop by a signal; ``signum`` says which. A BaseException so that the
    stages' per-document error guards (``except Exception``) do not quarantine a document for it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def requested() -> int | None:
    """The signal received since :func:`signals_stop_run` began (None: none)."""
    return _requested


def check() -> None:
    """Raise :class:`Interrupted` when a stop was requested (call only at a clean point)."""
    if _requested is not None:
        raise Interrupted(_requested)


def _handler(signum: int, frame: Any) -> None:
    global _requested
    if _requested is not None:  # the second signal: stop now
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
    _requested = signum


@contextlib.contextmanager
def signals_stop_run() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into a stop request for the block (main thread only; elsewhere,
    e.g. a run started from a worker thread, the handlers stay as they are)."""
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested = None
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _requested = None


__all__ = ["Interrupted", "check", "requested", "signals_stop_run"]
