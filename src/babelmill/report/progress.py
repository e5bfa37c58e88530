"""Run progress: a rich display per stage on a terminal, plain log lines elsewhere.

* ``bar``: one row per stage (documents out, rate) plus the written count, drawn on stderr and
  removed when the run ends.
* ``lines``: without a terminal (CI logs, ``nohup``), one line every ``interval`` seconds (10)
  with the written count, the rate and each stage's count. A line is due on any progress of any
  stage, not only on a written document, and a heartbeat thread checks once a second, so a long
  translation batch that hands nothing on still gets its lines.
* ``verbose``: a line per checkpoint and per-stage counts and timings at the end.

Nothing is shown with all three off (``--quiet``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from babelmill.document import Document


class RunProgress:
    #: seconds between plain progress lines
    INTERVAL = 10.0

    def __init__(
        self,
        total: int,
        bar: bool = False,
        lines: bool = False,
        verbose: bool = False,
        log: Callable[[str], None] | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float | None = 1.0,
    ):
        self.total = total
        self.bar_enabled = bar and total > 0
        self.lines = lines
        self.verbose = verbose
        self.log = log or (lambda msg: None)
        self.interval = self.INTERVAL if interval is None else interval
        self.clock = clock  # seconds; a test passes a fake one
        self.heartbeat = heartbeat  # seconds between the heartbeat thread's checks (None: no thread)
        self.counts: dict[str, int] = {}
        self.done = 0
        self.checkpoints = 0
        self.started = self.clock()
        self._last_line = self.started
        self._bar = None
        self._tasks: dict[str, Any] = {}
        self._line_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- context -----------------------------------------------------------------------------
    def __enter__(self) -> RunProgress:
        self.started = self._last_line = self.clock()
        if self.lines and self.heartbeat:
            self._stop.clear()
            self._thread = threading.Thread(target=self._beat, name="babelmill-progress", daemon=True)
            self._thread.start()
        if self.bar_enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description:>12}[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            for key in list(self.counts):
                self._add_task(key)
            self._add_task("written")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def _add_task(self, key: str) -> None:
        if self._bar is not None and key not in self._tasks:
            self._tasks[key] = self._bar.add_task(key, total=self.total, rate="")

    # -- counting ----------------------------------------------------------------------------
    def track(self, key: str, docs: Iterable[Document]) -> Iterator[Document]:
        """Count the documents a stage (or an engine's group of stages) hands on."""
        self.counts.setdefault(key, 0)  # registered now, so rows keep the pipeline order
        self._add_task(key)
        return self._counted(key, docs)

    def register(self, key: str) -> None:
        """A row for a stage counted with :meth:`add` (an engine's remote stages)."""
        self.counts.setdefault(key, 0)
        self._add_task(key)

    def add(self, key: str, n: int) -> None:
        self.register(key)
        self.counts[key] += n
        if self._bar is not None:
            self._bar.update(self._tasks[key], completed=self.counts[key], rate=self._rate(self.counts[key]))
        self.tick()

    def _counted(self, key: str, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            self.counts[key] += 1
            if self._bar is not None:
                self._bar.update(self._tasks[key], completed=self.counts[key], rate=self._rate(self.counts[key]))
            self.tick()
            yield doc

    def written(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._add_task("written")
            self._bar.update(self._tasks["written"], completed=self.done, rate=self._rate(self.done))
        self.tick()

    def tick(self) -> None:
        """Log a plain progress line when ``interval`` seconds have passed since the last one."""
        if not self.lines:
            return
        with self._line_lock:
            now = self.clock()
            if now - self._last_line < self.interval:
                return
            self._last_line = now
            line = self.status_line()
        self.log(line)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a progress line is never worth a traceback
                pass

    def checkpoint(self) -> None:
        self.checkpoints += 1
        if self.verbose:
            self.log(f"babelmill: checkpoint {self.checkpoints}: {self.done}/{self.total} documents committed")

    # -- text --------------------------------------------------------------------------------
    def _rate(self, n: int) -> str:
        seconds = self.clock() - self.started
        return f"{n / seconds:.1f} docs/s" if seconds > 0 else ""

    def status_line(self) -> str:
        stages = ", ".join(f"{k} {v}" for k, v in list(self.counts.items()))
        return f"babelmill: {self.done}/{self.total} documents written ({self._rate(self.done)}); stages: {stages}"

    def report_stages(self, stages: Iterable[Any]) -> None:
        """Per-stage documents and seconds at the end of a verbose run."""
        if not self.verbose:
            return
        for stage in stages:
            stats = stage.stats()
            seconds = stats.pop("seconds", 0.0)
            counters = ", ".join(f"{k}={v}" for k, v in stats.items())
            self.log(f"babelmill: stage {stage.key}: {seconds:.2f}s {counters}")
