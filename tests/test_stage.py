from babelmill.document import QUARANTINED
from babelmill.stage import Stage
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
