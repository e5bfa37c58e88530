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
from tests.fixtures.fake_engine import ReverseEngine

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


def test_budget_outside_the_main_thread_reports_after_the_block():
    seen = []

    def work():
        try:
            with cpu_budget(0.01):
                end = time.process_time() + 0.05
                while time.process_time() < end:
                    pass
        except TooSlow as exc:
            seen.append(str(exc))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen and "over the budget" in seen[0]


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
    stage = TranslateStage(TranslateConfig(max_seconds=0.2, max_seconds_per_mb=0), {}, engines={"de": ReverseEngine()})
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
