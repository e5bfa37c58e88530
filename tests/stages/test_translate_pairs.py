"""TranslateStage keeps every translated sentence as an aligned pair on its block (for
``parallel.jsonl``), and whether its translation was reused does not depend on batching or on
an earlier run having been killed."""

from __future__ import annotations

import sqlite3

import pytest

from babelmill.document import PENDING, TRANSLATED, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate.cache import TranslationCache
from tests.fixtures.fake_backend import ReverseBackend


def doc(doc_id: str, *texts: str, lang: str = "de") -> Document:
    return Document(id=doc_id, text="", blocks=[Block(text=t, lang=lang, line=i + 1) for i, t in enumerate(texts)])


def translate(docs: list[Document], context: dict | None = None, batch_size: int | None = None, **backends):
    cls = TranslateStage
    if batch_size is not None:
        cls = type("SmallBatches", (TranslateStage,), {"batch_size": batch_size})
    stage = cls(TranslateConfig(), context or {}, backends=backends or {"de": ReverseBackend()})
    out = list(stage.run(docs))
    stage.close()
    return out


def flags_of(docs: list[Document]) -> list[tuple[str, int, int, bool]]:
    return [(d.id, i, p.sentence, p.from_cache) for d in docs for i, b in enumerate(d.blocks) for p in b.pairs]


def test_every_translated_sentence_becomes_a_pair_with_its_exact_source():
    text = "Mehr unter https://example.com/a?b=1 heute. Der Kurs stieg um 3,5 %! 12.000 — https://x.org"
    (d,) = translate([doc("a", text, "Zweiter Absatz hier.")])
    block = d.blocks[0]
    assert block.translation == TRANSLATED
    sources = [p.source for p in block.pairs]
    # the last "sentence" holds nothing to translate (number and URL): copied, no pair
    assert sources == ["Mehr unter https://example.com/a?b=1 heute.", "Der Kurs stieg um 3,5 %!"]
    assert [p.sentence for p in block.pairs] == [0, 1]
    for pair in block.pairs:
        assert pair.source in block.original
        assert pair.score == pytest.approx(-0.1)
    # the target is the backend's output with the protected spans put back ("3,5 %" is one span)
    assert block.pairs[0].target == "HEUTE. https://example.com/a?b=1 UNTER MEHR"
    assert block.pairs[1].target == "3,5 %! UM STIEG KURS DER"
    assert [p.source for p in d.blocks[1].pairs] == ["Zweiter Absatz hier."]


def test_pending_and_english_blocks_have_no_pairs():
    d = Document(id="a", text="", blocks=[Block("Ein Satz.", lang="de"), Block("Hello.", lang="en")])
    (d,) = translate([d], de=None)
    assert d.blocks[0].translation == PENDING
    assert d.blocks[0].pairs == [] and d.blocks[1].pairs == []


def test_from_cache_marks_translations_made_for_another_document():
    docs = [
        doc("a", "Gleicher Satz. Nur im ersten."),
        doc("b", "Nur im zweiten. Gleicher Satz."),
        doc("c", "Gleicher Satz."),
    ]
    out = translate(docs)
    assert flags_of(out) == [
        ("a", 0, 0, False),
        ("a", 0, 1, False),
        ("b", 0, 0, False),
        ("b", 0, 1, True),  # made for a
        ("c", 0, 0, True),
    ]


def test_from_cache_does_not_depend_on_batch_boundaries():
    texts = ["Eins. Zwei.", "Zwei. Drei.", "Drei. Vier.", "Eins. Vier. Fünf."]
    whole = flags_of(translate([doc(f"d{i}", t) for i, t in enumerate(texts)]))
    one_by_one = flags_of(translate([doc(f"d{i}", t) for i, t in enumerate(texts)], batch_size=1))
    assert whole == one_by_one
    assert [f for *_, f in whole] == [False, False, True, False, True, False, True, True, False]


def test_a_killed_run_and_its_rerun_give_the_uninterrupted_flags(tmp_path):
    texts = ["Eins. Zwei.", "Zwei. Drei.", "Drei. Vier."]

    def docs():
        return [doc(f"d{i}", t) for i, t in enumerate(texts)]

    reference = flags_of(translate(docs(), {"state_dir": tmp_path / "ref"}))
    # the first run translated (and cached) d0 and d1, then died before writing them
    translate(docs()[:2], {"state_dir": tmp_path / "killed"})
    rerun = flags_of(translate(docs(), {"state_dir": tmp_path / "killed"}))
    assert rerun == reference
    # a later run over new documents reuses everything
    later = translate([doc("new", "Zwei. Vier.")], {"state_dir": tmp_path / "killed"})
    assert [p.from_cache for p in later[0].blocks[0].pairs] == [True, True]


def test_a_cache_file_from_before_the_document_column_still_works(tmp_path):
    path = tmp_path / "translate_cache.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE translations (model TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,"
        " score REAL NOT NULL, PRIMARY KEY (model, source))"
    )
    db.execute("INSERT INTO translations VALUES ('reverse@1', 'Alter Satz.', 'SATZ. ALTER', -0.2)")
    db.commit()
    db.close()
    backend = ReverseBackend()
    (d,) = translate([doc("a", "Alter Satz. Neuer Satz.")], {"state_dir": tmp_path}, de=backend)
    assert backend.translated == ["Neuer Satz."]
    pairs = d.blocks[0].pairs
    assert [(p.target, p.from_cache) for p in pairs] == [("SATZ. ALTER", True), ("SATZ. NEUER", False)]
    cache = TranslationCache(path)
    assert cache.lookup("reverse@1", ["Neuer Satz."])["Neuer Satz."][2] == "a"
    cache.close()
