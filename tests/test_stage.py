import time

import pytest

from babelmill.document import QUARANTINED
from babelmill.errors import StageStateError
from babelmill.stage import RunContext, Stage, StatefulStage
from tests.conftest import make_doc


class ExplodingStage(Stage):
    key = "explode"
    batch_size = 4

    def process(self, doc):
        if "boom" in doc.text:
            raise ValueError("cannot handle this")
        doc.text = doc.text.upper()
        yield doc


def test_a_failing_document_is_quarantined_and_the_others_go_on():
    docs = [make_doc(text=t, id=f"bm-{i:020d}") for i, t in enumerate(["a", "boom", "c", "d", "e"])]
    out = list(ExplodingStage().run(docs))
    assert [d.text for d in out] == ["A", "boom", "C", "D", "E"]
    bad = out[1]
    assert bad.status == QUARANTINED and bad.status_reason == "stage_error"
    assert "ValueError: cannot handle this" in bad.status_detail["message"]


def test_rejected_documents_pass_by_untouched_and_are_counted():
    first, second = make_doc(text="x", id="bm-1"), make_doc(text="y", id="bm-2")
    first.reject(QUARANTINED, "empty", stage="read")
    stage = ExplodingStage()
    out = list(stage.run([first, second]))
    assert [d.text for d in out] == ["x", "Y"]
    assert stage.stats()["documents_in"] == 1 and stage.stats()["documents_out"] == 1


class StreamingStage(Stage):
    """Hands documents on one at a time; fails on the document after "boom" is handed on."""

    key = "stream"
    batch_size = 8
    streams_out = True

    def __init__(self):
        super().__init__()
        self.handed: list[str] = []

    def process_batch(self, docs):
        for doc in docs:
            if doc.text == "boom":
                raise RuntimeError("broken index")
            self.handed.append(doc.text)
            yield doc


def test_a_streaming_stage_quarantines_only_the_failing_document():
    docs = [make_doc(text=t, id=f"bm-{i:020d}") for i, t in enumerate(["a", "b", "boom", "d"])]
    stage = StreamingStage()
    seen = []
    for doc in stage.run(docs):
        seen.append((doc.text, doc.ok, list(stage.handed)))
    # documents came out while the batch was still being processed, each handed on once
    assert seen[0] == ("a", True, ["a"]) and seen[1] == ("b", True, ["a", "b"])
    assert [(t, ok) for t, ok, _ in seen] == [("a", True), ("b", True), ("boom", False), ("d", True)]
    assert stage.handed == ["a", "b", "d"]


def test_a_stage_state_error_ends_the_run_instead_of_quarantining_every_document():
    class Unusable(Stage):
        key = "unusable"

        def process(self, doc):
            raise StageStateError("index built with other parameters; use --rebuild")

    with pytest.raises(StageStateError):
        list(Unusable().run([make_doc(text="a", id="bm-1")]))


def test_the_run_context_is_typed_and_rejects_unknown_keys(tmp_path):
    ctx = RunContext.of({"state_dir": str(tmp_path), "config_dir": str(tmp_path)})
    assert ctx.state_dir == tmp_path and ctx.pipeline_dir == tmp_path
    with pytest.raises(TypeError, match="state_dri"):
        RunContext.of({"state_dri": tmp_path})


def test_engines_read_declared_flags_not_stage_names():
    from babelmill.registry import get_stage_class

    flags = {
        key: (cls.once_per_corpus, cls.needs_device, issubclass(cls, StatefulStage))
        for key in ("read", "repair", "strip", "detect", "translate", "normalize", "dedup")
        for cls in [get_stage_class(key)]
    }
    assert flags["strip"] == (True, False, True) and flags["dedup"] == (True, False, True)
    assert flags["translate"] == (False, True, False)
    assert all(f == (False, False, False) for k, f in flags.items() if k not in ("strip", "dedup", "translate"))


def test_a_batch_stage_that_returns_a_list_is_timed_and_guarded():
    """process_batch may do its work when called (returning a list) instead of as a generator:
    that work counts in the stage's seconds, and a failure quarantines only the bad document."""

    class Eager(Stage):
        key = "eager"
        batch_size = 4

        def process_batch(self, docs):
            time.sleep(0.05)
            if any(d.text == "bad" for d in docs):
                raise ValueError("bad document")
            return list(docs)

    stage = Eager()
    docs = [make_doc(text=t, id=f"bm-{i:020d}") for i, t in enumerate(["a", "bad", "c"])]
    out = list(stage.run(docs))
    assert [d.text for d in out] == ["a", "bad", "c"]
    assert [d.ok for d in out] == [True, False, True]
    assert out[1].status_reason == "stage_error"
    assert stage.seconds >= 0.05
