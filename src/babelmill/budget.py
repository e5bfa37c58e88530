"""Per-document time budget: a document that keeps a stage busy too long is quarantined.

Every pattern and loop in the strip and translate stages is meant to cost time in proportion
to the text, but one pathological document must never stall a run of thousands even if one
is not. :func:`cpu_budget` bounds the CPU time of the code in its ``with`` block: after
``seconds`` of CPU time the process gets ``SIGPROF`` and :class:`TooSlow` is raised in the
block, wherever the Python code is; the stage catches it and quarantines the document with
reason ``too_slow``. CPU time, not wall time, so a busy machine does not quarantine good
documents.

Signals reach only the main thread: elsewhere (a Ray worker thread, a thread pool) the block
runs to its end and :class:`TooSlow` is raised afterwards when it went over, so the document
is still quarantined, but the stall is not cut short. Nested budgets are not supported (the
inner one wins); stages use one per document.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TooSlow(Exception):
    """The block ran out of its CPU-time budget."""


def document_budget(text: str | None, max_seconds: float, per_mb: float) -> float:
    """CPU seconds a stage may spend on a document of ``text``: a base plus a share per MB.

    >>> document_budget("x" * 500_000, 10.0, 10.0)
    15.0
    >>> document_budget("x", 0, 10.0)  # 0 switches the budget off
    0.0
    """
    if max_seconds <= 0:
        return 0.0
    return max_seconds + per_mb * len(text or "") / 1_000_000


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`TooSlow` in the block once it has used ``seconds`` of CPU time (0: no limit)."""
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        start = time.process_time()
        yield
        used = time.process_time() - start
        if used > seconds:
            raise TooSlow(f"took {used:.1f} s of CPU time, over the budget of {seconds:.1f} s")
        return

    def _expired(signum: int, frame: object) -> None:
        raise TooSlow(f"still running after {seconds:.1f} s of CPU time (the budget)")

    previous = signal.signal(signal.SIGPROF, _expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
