"""Per-document CPU budget: a document that keeps strip or translate busy is quarantined too_slow."""

from __future__ import annotations

import threading
import time

import pytest

from babelmill.budget import TooSlow, cpu_budget
from babelmill.document import Block, Document
from babelmill.stages.read import ReadConfig, ReadStage
from babelmill.stages.strip import StripConfig, StripStage
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate import pieces as translate_pieces
from tests.fixtures.fake_backend import ReverseBackend

ART = "The city council approved the new budget on Tuesday after a debate that lasted six hours.\n" * 3


def _spin(*_args, **_kwargs):
    while True:  # pure Python: the budget's signal lands here
        pass


def test_budget_interrupts_pure_python_work():
    start = time.perf_counter()
    with pytest.raises(TooSlow, match="budget"), cpu_budget(0.2):
        _spin()
    assert time.perf_counter() - start < 5
    with cpu_budget(0.5):
        sum(range(1000))  # within the budget: nothing happens, the timer is off afterwards
    time.sleep(0.01)


def _in_thread(fn):
    """Run ``fn`` in a worker thread; what it returned or raised."""
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the budget did not stop the worker thread"
    return result


def test_budget_interrupts_pure_python_work_in_a_worker_thread():
    # signals reach only the main thread: a watchdog reads the thread's CPU clock instead
    def work():
        with cpu_budget(0.2):
            _spin()

    start = time.perf_counter()
    result = _in_thread(work)
    assert isinstance(result.get("error"), TooSlow) and "budget" in str(result["error"])
    assert time.perf_counter() - start < 10


def test_a_worker_threads_budget_leaves_nothing_behind():
    def work():
        for _ in range(20):
            with cpu_budget(0.05):
                sum(range(1000))
        end = time.process_time() + 0.3  # well past every budget above, outside them
        while time.process_time() < end:
            pass
        return "done"

    assert _in_thread(work) == {"value": "done"}


def test_a_swallowed_budget_exception_still_marks_the_block_over():
    def work():
        with cpu_budget(0.1):
            try:
                _spin()
            except Exception:  # noqa: BLE001 - code in the block that swallows everything
                pass

    assert isinstance(_in_thread(work).get("error"), TooSlow)


def test_strip_in_a_worker_thread_quarantines_a_document_over_its_budget(monkeypatch):
    stage = StripStage(StripConfig(max_seconds=0.2, max_seconds_per_mb=0), {})
    monkeypatch.setattr(stage.cleaner, "clean", _spin)
    slow = Document(id="slow", text=ART, source={"path": "slow.txt"})
    (out,) = _in_thread(lambda: list(stage.run([slow])))["value"]
    assert not out.ok and out.status_reason == "too_slow"


def test_strip_quarantines_a_document_over_its_budget(monkeypatch):
    stage = StripStage(StripConfig(max_seconds=0.2, max_seconds_per_mb=0), {})
    monkeypatch.setattr(stage.cleaner, "clean", _spin)
    slow = Document(id="slow", text=ART, source={"path": "slow.txt"})
    (out,) = list(stage.run([slow]))
    assert not out.ok and out.status_reason == "too_slow"
    assert "CPU time" in out.status_detail["message"]
    # the next document is cleaned as usual
    monkeypatch.undo()
    (good,) = list(stage.run([Document(id="good", text=ART, source={"path": "good.txt"})]))
    assert good.ok and good.blocks


def test_translate_quarantines_a_document_over_its_budget(monkeypatch):
    monkeypatch.setattr(translate_pieces, "split_with_separators", _spin)
    stage = TranslateStage(
        TranslateConfig(max_seconds=0.2, max_seconds_per_mb=0), {}, backends={"de": ReverseBackend()}
    )
    d = Document(id="d", text="x", blocks=[Block(text="Ein Satz hier.", lang="de", line=1)])
    (out,) = list(stage.run([d]))
    assert not out.ok and out.status_reason == "too_slow"


def test_many_short_lines_are_quarantined_before_they_cost_memory(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("a\n" * 1_000_000)  # 2 MB, under read.max_bytes
    stage = ReadStage(ReadConfig(), {})
    start = time.perf_counter()
    (out,) = list(stage.run([Document(id="l", text="", source={"path": str(path)})]))
    assert out.status_reason == "too_many_lines" and "read.max_lines=20000" in out.status_detail["message"]
    assert time.perf_counter() - start < 5


def _read(path):
    (out,) = list(ReadStage(ReadConfig(), {}).run([Document(id="l", text="", source={"path": str(path)})]))
    return out


def test_a_flood_of_short_lines_is_quarantined_by_its_density(tmp_path):
    # under read.max_lines, but the strip stage's cost is per line: 20,000 one-letter lines
    # (40 KB) would cost it ~45 s per MB
    flood = tmp_path / "flood.txt"
    flood.write_text("".join(f"{chr(97 + i % 26)}\n" for i in range(20_000)))
    out = _read(flood)
    assert out.status_reason == "too_many_lines"
    assert "2.0 bytes on average" in out.status_detail["message"]
    assert "read.min_bytes_per_line=14" in out.status_detail["message"]
    # a long page of short lines (menus, tables) stays: 2,000 one-letter lines, or 3,000 of 16 bytes
    few = tmp_path / "few.txt"
    few.write_text("a\n" * 2000)
    page = tmp_path / "page.txt"
    page.write_text("Home | News | Me\n" * 3000)
    assert _read(few).ok and _read(page).ok
    # 0 switches the check off
    (out,) = list(
        ReadStage(ReadConfig(min_bytes_per_line=0), {}).run([Document(id="f", text="", source={"path": str(flood)})])
    )
    assert out.ok
