"""Per-document time budget: a document that keeps a stage busy too long is quarantined.

Every pattern and loop in the strip and translate stages is meant to cost time in proportion
to the text, but one pathological document must never stall a run of thousands even if one
is not. :func:`cpu_budget` bounds the CPU time of the code in its ``with`` block: after
``seconds`` of CPU time :class:`TooSlow` is raised in the block, wherever the Python code is;
the stage catches it and quarantines the document with reason ``too_slow``. CPU time, not wall
time, so a busy machine does not quarantine good documents.

In the main thread the process gets ``SIGPROF`` (``ITIMER_PROF``). Signals reach only the main
thread, so in any other thread (a thread pool, a Ray actor running its calls in threads) a
watchdog thread reads that thread's own CPU clock (``pthread_getcpuclockid``) every few
milliseconds and, once it is over, raises :class:`TooSlow` in it asynchronously
(``PyThreadState_SetAsyncExc``). Both interrupt Python code between two bytecodes: a single
long call into C (one regular expression match, one model call) finishes first, which is why
the patterns themselves are linear (:mod:`babelmill.safe_re`) and decoding is bounded by the
translate stage's ``max_decoding_length``. Where neither mechanism exists (no ``setitimer`` or
no per-thread CPU clock) the block runs to its end and :class:`TooSlow` is raised afterwards
when it went over, so the document is still quarantined. Nested budgets are not supported (the
inner one wins); stages use one per document.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


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


def _over(seconds: float) -> TooSlow:
    return TooSlow(f"still running after {seconds:.1f} s of CPU time (the budget)")


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`TooSlow` in the block once it has used ``seconds`` of CPU time (0: no limit)."""
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _signal_budget(seconds):
            yield
    elif _WATCHDOG.available():
        with _WATCHDOG.budget(seconds):
            yield
    else:
        start = time.process_time()
        yield
        used = time.process_time() - start
        if used > seconds:
            raise TooSlow(f"took {used:.1f} s of CPU time, over the budget of {seconds:.1f} s")


@contextmanager
def _signal_budget(seconds: float) -> Iterator[None]:
    def _expired(signum: int, frame: object) -> None:
        raise _over(seconds)

    previous = signal.signal(signal.SIGPROF, _expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@dataclass
class _Watched:
    ident: int
    clock: int  # the thread's CPU-time clock
    deadline: float  # on that clock
    fired: bool = False


def _raise_in(ident: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``ident`` at its next bytecode (None: withdraw a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)


class _Watchdog:
    """One daemon thread watching the CPU clocks of the threads inside a budget."""

    #: longest sleep between two looks (the overrun past a budget is at most about this)
    POLL = 0.02

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[int, _Watched] = {}
        self._thread: threading.Thread | None = None

    @staticmethod
    def available() -> bool:
        return hasattr(time, "pthread_getcpuclockid") and hasattr(ctypes, "pythonapi")

    @contextmanager
    def budget(self, seconds: float) -> Iterator[None]:
        ident = threading.get_ident()
        clock = time.pthread_getcpuclockid(ident)
        entry = _Watched(ident, clock, time.clock_gettime(clock) + seconds)
        with self._cond:
            self._watched[ident] = entry
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="babelmill-budget", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield
        except TooSlow:
            raise _over(seconds) from None
        finally:
            with self._cond:
                self._watched.pop(ident, None)
                fired = entry.fired
            if fired:
                _raise_in(ident, None)  # fired as the block ended: not delivered yet, withdraw it
        if fired:  # it went over, and the exception was swallowed or not yet delivered
            raise _over(seconds)

    def _run(self) -> None:
        with self._cond:
            while True:
                wait = self.POLL
                for entry in list(self._watched.values()):
                    try:
                        left = entry.deadline - time.clock_gettime(entry.clock)
                    except OSError:  # the thread is gone
                        self._watched.pop(entry.ident, None)
                        continue
                    if left <= 0 and not entry.fired:
                        entry.fired = True
                        _raise_in(entry.ident, TooSlow)
                    elif left > 0:
                        wait = min(wait, left)  # CPU time never runs faster than the wall clock
                self._cond.wait(timeout=max(wait, 0.001) if self._watched else None)


_WATCHDOG = _Watchdog()
