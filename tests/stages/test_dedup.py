"""Dedup stage: exact keys, near-duplicates, kept-member rule, persistence, paragraphs."""

from __future__ import annotations

import doctest
import random
import sqlite3

import jsonschema
import pytest

import babelmill.dedup.index
import babelmill.dedup.minhash
import babelmill.dedup.text
import babelmill.stages.dedup
from babelmill.config import ConfigError, build_stage_config
from babelmill.dedup import DedupIndex, DedupStateError, IndexParams, exact_key, normalize_key_text
from babelmill.document import PENDING, Block, Document, Removal
from babelmill.io.write import corpus_record, load_schema, rejected_record
from babelmill.stages.dedup import DedupConfig, DedupStage

WORDS = (
    "government minister said on tuesday that the new policy would affect thousands of workers in "
    "the region while critics argued the plan lacked funding and detail officials from several "
    "ministries met in the capital to discuss trade tariffs energy prices inflation and the "
    "budget deficit analysts expect growth to slow next year as exports decline and consumers "
    "spend less on housing cars travel food schools hospitals police courts elections parliament "
    "opposition party leader campaign voters survey results rose fell sharply slightly percent"
).split()


def article(seed: int, n_words: int = 240, paragraphs: int = 4) -> str:
    """A synthetic article: random words from a small news vocabulary, in paragraphs."""
    rng = random.Random(seed)
    words = [f"{rng.choice(WORDS)}{rng.randint(0, 9) if rng.random() < 0.3 else ''}" for _ in range(n_words)]
    step = n_words // paragraphs
    return "\n\n".join(" ".join(words[i : i + step]).capitalize() + "." for i in range(0, n_words, step))


def edit_words(text: str, share: float, seed: int) -> str:
    rng = random.Random(seed)
    words = text.split(" ")
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = "edited"
    return " ".join(words)


def doc(doc_id: str, text: str, **origin) -> Document:
    return Document(id=doc_id, text=text, origin=dict(origin))


def finish(stage: DedupStage) -> None:
    """What the runner does at the end: close, write the corpus, commit."""
    stage.close()
    stage.commit()


def run(stage: DedupStage, docs: list[Document]) -> dict[str, Document]:
    out = list(stage.run(docs))
    assert [d.id for d in out] == [d.id for d in docs], "documents come out in the order received"
    return {d.id: d for d in out}


@pytest.mark.parametrize("module", [babelmill.dedup.text, babelmill.dedup.minhash, babelmill.stages.dedup])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_exact_key_folds_form_but_not_content():
    assert normalize_key_text("Ｔｈｅ  “Quick”\tBROWN fox—jumps.") == "the quick brown fox jumps"
    assert exact_key("Café au lait!") == exact_key("CAFÉ   au lait")
    assert exact_key("NFKC: ﬁne") == exact_key("nfkc fine")  # ligature folded by NFKC
    assert exact_key("the fox jumps") != exact_key("the fox jumped")


def test_exact_duplicate_keeps_emitted_text_form():
    text = article(1)
    copy = "  " + text.upper().replace(".", "!") + "\n"
    out = run(DedupStage(), [doc("a", text), doc("b", copy)])
    assert out["a"].ok and out["b"].text == copy
    assert out["b"].status == "duplicate" and out["b"].status_reason == "exact_duplicate"
    assert out["b"].status_detail == {"duplicate_of": "a", "similarity": 1.0, "containment": 1.0}
    assert out["b"].dedup == {
        "cluster": "cluster:a",
        "duplicate_of": "a",
        "similarity": 1.0,
        "containment": 1.0,
        "method": "exact",
    }
    assert out["a"].dedup == {"cluster": "cluster:a", "duplicate_of": None}


@pytest.mark.parametrize("backend", ["rensa", "datasketch"])
def test_near_duplicate_found_and_distinct_article_kept(backend):
    base = article(2)
    near = edit_words(base, 0.02, seed=3) + "\n\nShare this article on social media."
    other = article(4)  # same vocabulary and topic, different article
    docs = [doc("near", near, machine_translated=True), doc("base", base), doc("other", other)]
    out = run(DedupStage(DedupConfig(backend=backend)), docs)
    assert out["near"].status_reason == "near_duplicate"
    assert out["near"].dedup["duplicate_of"] == "base" and out["near"].dedup["method"] == "jaccard"
    assert 0.7 <= out["near"].dedup["similarity"] < 1.0
    assert out["other"].ok and out["other"].dedup == {"cluster": None, "duplicate_of": None}


def test_heavily_edited_copy_is_not_a_near_duplicate():
    base = article(5)
    far = edit_words(base, 0.4, seed=6)
    out = run(DedupStage(), [doc("base", base), doc("far", far)])
    assert out["far"].ok


def test_kept_member_rule_ignores_input_order():
    base = article(7)
    members = [
        doc("m1", base + " Extra closing words here.", machine_translated=True),  # longest, but MT
        Document(id="m2", text=base, blocks=[Block(text=base, translation=PENDING)]),  # pending block
        doc("m3", edit_words(base, 0.01, seed=8)),  # native, nothing pending, as long as m4
        doc("m4", edit_words(base, 0.01, seed=9)),
        doc("solo", article(10)),
    ]
    # m3 and m4 tie on everything but the id: the smallest id wins
    results = set()
    for seed in range(6):
        shuffled = [Document(id=d.id, text=d.text, blocks=list(d.blocks), origin=dict(d.origin)) for d in members]
        random.Random(seed).shuffle(shuffled)
        out = run(DedupStage(), shuffled)
        kept = sorted(i for i, d in out.items() if d.ok)
        results.add((tuple(kept), tuple(sorted((i, str(d.dedup.get("cluster"))) for i, d in out.items()))))
    assert len(results) == 1, "same decisions and cluster ids whatever the input order"
    ((kept, clusters),) = results
    assert kept == ("m3", "solo")
    assert dict(clusters) == {
        "m1": "cluster:m3",
        "m2": "cluster:m3",
        "m3": "cluster:m3",
        "m4": "cluster:m3",
        "solo": "None",
    }


def test_persistence_across_runs(tmp_path):
    ctx = {"state_dir": tmp_path}
    first = DedupStage(context=dict(ctx))
    old = article(11)
    run(first, [doc("old", old), doc("old2", article(12))])
    finish(first)

    second = DedupStage(context=dict(ctx))
    # the new copy is the duplicate even though it would rank higher (longer)
    new_copy = old + "\n\nThis longer copy was scraped again from another site today."
    out = run(second, [doc("old", old), doc("new", new_copy), doc("fresh", article(13))])
    finish(second)
    assert out["old"].ok and out["old"].dedup == {"cluster": "cluster:old", "duplicate_of": None}, "not its own copy"
    assert out["new"].dedup["duplicate_of"] == "old" and out["new"].status_reason == "near_duplicate"
    assert out["fresh"].ok

    third = DedupStage(context=dict(ctx))
    out = run(third, [doc("old", old), doc("fresh", article(13))])
    finish(third)
    assert out["old"].ok and out["old"].dedup["cluster"] == "cluster:old", "the stored cluster is remembered"
    assert out["fresh"].ok
    assert len(DedupIndex(tmp_path / "dedup.sqlite")) == 3


def test_close_commits_only_when_asked(tmp_path):
    for commit_on_close, copy_is_duplicate in ((False, False), (True, True)):
        state = tmp_path / str(commit_on_close)
        stage = DedupStage(context={"state_dir": state, "commit_on_close": commit_on_close})
        run(stage, [doc("a", article(60))])
        stage.close()
        if stage._index is not None:  # not committed: the process ends here
            stage._index.close()
        out = run(DedupStage(context={"state_dir": state}), [doc("b", article(60))])
        assert (out["b"].status_reason == "exact_duplicate") is copy_is_duplicate


def test_same_id_twice_in_one_run_is_a_duplicate():
    text = article(14)
    out = list(DedupStage().run([doc("x", text), doc("x", text)]))
    assert out[0].ok and out[1].status_reason == "exact_duplicate" and out[1].dedup["duplicate_of"] == "x"


def test_uncommitted_run_leaves_index_unchanged(tmp_path):
    ctx = {"state_dir": tmp_path}
    stage = DedupStage(context=dict(ctx))
    run(stage, [doc("a", article(15))])
    stage.close()  # the runner would call commit() after writing the corpus; it crashed instead
    stage.index.db.close()
    later = DedupStage(context={"state_dir": tmp_path})
    out = run(later, [doc("b", article(15))])
    finish(later)
    assert out["b"].ok, "a document that was never committed is not in the corpus"

    stage = DedupStage(context=dict(ctx))
    run(stage, [doc("c", article(16))])
    stage.close()
    stage.commit()
    out = run(DedupStage(context={"state_dir": tmp_path}), [doc("d", article(16))])
    assert out["d"].dedup["duplicate_of"] == "c", "committed after the corpus was written"


def test_forget_removes_document_from_index(tmp_path):
    stage = DedupStage(context={"state_dir": tmp_path})
    text = "Shared opening paragraph that appears in two different articles today.\n\n" + article(17)
    run(stage, [doc("a", text)])
    finish(stage)

    index = DedupIndex(tmp_path / "dedup.sqlite")
    assert index.forget("a") is True and index.forget("a") is False
    assert len(index) == 0
    db = sqlite3.connect(tmp_path / "dedup.sqlite")
    assert [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("exact", "bands", "paras")] == [0, 0, 0]
    index.db.close()

    out = run(DedupStage(context={"state_dir": tmp_path}), [doc("b", text)])
    assert out["b"].ok


def test_paragraph_annotation_and_optional_removal():
    shared = "Subscribe to our newsletter to get the latest news from the region every morning."
    body = [article(20 + i, n_words=60, paragraphs=1) for i in range(3)]
    docs = [
        Document(id="a", text="", blocks=[Block(text=body[0]), Block(text=shared)]),
        Document(id="b", text="", blocks=[Block(text=shared.upper()), Block(text=body[1])]),
        doc("c", f"{body[2]}\n\n{shared}"),
    ]
    for d in docs[:2]:
        d.text = d.body_text()
    out = run(DedupStage(), docs)
    assert out["a"].blocks[1].meta["also_in"] == ["b", "c"]
    assert out["b"].blocks[0].meta["also_in"] == ["a", "c"]
    assert "also_in" not in out["a"].blocks[0].meta
    assert out["c"].dedup["recurring_paragraphs"] == [{"paragraph": 1, "also_in": ["a", "b"]}]
    assert all(d.ok for d in out.values()) and shared in out["c"].text, "annotation only by default"

    docs = [
        Document(id=d.id, text=d.text, blocks=[Block(text=b.text, line=3 * n + 1) for n, b in enumerate(d.blocks)])
        for d in docs
    ]
    out = run(DedupStage(DedupConfig(drop_recurring_paragraphs=True)), docs)
    assert [b.text for b in out["a"].blocks] == [body[0]] and out["a"].text == body[0]
    assert out["c"].text == body[2]
    # removals have the shape every other removal has (the record schema's line, text, rule)
    assert out["a"].removed == [Removal(line=4, text=shared, rule="recurring_paragraph")]
    assert out["c"].removed == [Removal(line=0, text=shared, rule="recurring_paragraph")]
    schema = load_schema("corpus-record")["properties"]["cleaning"]
    for d in out.values():
        jsonschema.validate(corpus_record(d, {})["cleaning"], schema)


def test_empty_state_dir_and_changed_parameters(tmp_path):
    stage = DedupStage(context={"state_dir": tmp_path, "rebuild": True})
    out = run(stage, [doc("a", article(30)), doc("b", article(30))])
    finish(stage)
    assert out["b"].dedup["duplicate_of"] == "a"
    with pytest.raises(DedupStateError, match="rebuild"):
        DedupIndex(tmp_path / "dedup.sqlite", IndexParams(shingle_size=3))
    changed = DedupStage(DedupConfig(num_perm=64, bands=16, rows=4), context={"state_dir": tmp_path})
    with pytest.raises(DedupStateError, match="num_perm stored=128 configured=64"):
        run(changed, [doc("c", article(30))])


def test_bad_input_is_recorded_not_raised():
    bad = Document(id="bad", text=None)  # type: ignore[arg-type]
    out = run(DedupStage(), [bad, doc("good", article(31)), doc("empty", " ... ")])
    assert out["bad"].ok and out["bad"].history[-1].reason == "dedup_error"
    assert out["good"].ok and out["empty"].ok


def test_config_is_validated():
    with pytest.raises(ConfigError, match="exceeds num_perm"):
        build_stage_config(DedupStage, {"bands": 30, "rows": 5}, "test")
    with pytest.raises(ConfigError, match="threshold"):
        build_stage_config(DedupStage, {"threshold": 1.5}, "test")


def test_stage_forget_and_rollback(tmp_path):
    ctx = {"state_dir": tmp_path}
    stage = DedupStage(context=dict(ctx))
    run(stage, [doc("a", article(40)), doc("b", article(41))])
    stage.close()
    stage.commit()

    stage = DedupStage(context=dict(ctx))
    assert stage.forget(["a", "missing"]) == 1  # the input of "a" was deleted
    out = run(stage, [doc("c", article(41)), doc("d", article(42))])
    assert out["c"].dedup["duplicate_of"] == "b"
    stage.close()
    stage.rollback()  # writing the corpus failed: "d" never reached it
    stage.commit()

    out = run(DedupStage(context={"state_dir": tmp_path}), [doc("a2", article(40)), doc("d2", article(42))])
    assert out["a2"].ok, "forgotten outside a run: committed at once"
    assert out["d2"].ok, "rolled back: d is not in the corpus"


def test_commit_mid_stream_covers_only_documents_handed_on(tmp_path):
    stage = DedupStage(context={"state_dir": tmp_path})
    stream = stage.run([doc(f"d{i}", article(50 + i)) for i in range(4)])
    assert [next(stream).id, next(stream).id] == ["d0", "d1"]  # the runner wrote these two ...
    stage.commit()  # ... checkpointed ...
    stage.index.close()  # ... and died before d2 and d3 were written

    out = run(DedupStage(context={"state_dir": tmp_path}), [doc("copy0", article(50)), doc("copy3", article(53))])
    assert out["copy0"].dedup["duplicate_of"] == "d0"
    assert out["copy3"].ok, "d3 never reached the corpus, so it is not in the index"


def test_a_document_that_fails_in_the_stage_is_quarantined_and_the_others_go_on(tmp_path, monkeypatch) -> None:
    """The stage hands documents on one at a time but keeps the base class's quarantine fallback."""
    stage = DedupStage(context={"state_dir": tmp_path})
    real_write = stage._write

    def write(item):
        if item.doc.id == "b":
            raise RuntimeError("index write failed")
        real_write(item)

    monkeypatch.setattr(stage, "_write", write)
    docs = [doc("a", article(1)), doc("b", article(2)), doc("c", article(3))]
    out = run(stage, docs)
    assert out["a"].ok and out["c"].ok
    assert out["b"].status == "quarantined" and out["b"].status_reason == "stage_error"
    assert "index write failed" in out["b"].status_detail["message"]
    assert stage.stats()["documents_out"] == 2


# -- realistic copies, containment, languages ----------------------------------------------------
def syndicated(text: str, seed: int) -> str:
    """What syndication does: a paragraph cut, two swapped, one word in 60 changed, chrome above and below."""
    rng = random.Random(seed)
    paras = text.split("\n\n")
    del paras[rng.randrange(len(paras))]
    i, j = rng.sample(range(len(paras)), 2)
    paras[i], paras[j] = paras[j], paras[i]
    words = "\n\n".join(paras).split(" ")
    for k in rng.sample(range(len(words)), len(words) // 60):
        words[k] = rng.choice(["substituted", "changed", "altered"])
    return "Home | World | Business\n\n" + " ".join(words).replace(". ", ".\n") + "\n\nShare this story"


@pytest.mark.parametrize("seed", range(5))
def test_syndicated_copy_is_a_near_duplicate(seed):
    base = article(21 + seed, n_words=480, paragraphs=8)
    copy = syndicated(base, seed=22 + seed)
    other = syndicated(article(40 + seed, n_words=480, paragraphs=8), seed=seed)
    out = run(DedupStage(), [doc("base", base), doc("copy", copy), doc("other", other)])
    assert out["copy"].status_reason == "near_duplicate" and out["copy"].dedup["duplicate_of"] == "base"
    assert out["other"].ok


def test_excerpt_in_a_later_run_is_reported_with_its_containment(tmp_path):
    base = article(31, n_words=600, paragraphs=6)
    first = DedupStage(context={"state_dir": tmp_path})
    run(first, [doc("full", base)])
    finish(first)
    words = base.split(" ")
    part = " ".join(words[150:510])  # 60% of the article, cut mid-paragraph
    later = DedupStage(context={"state_dir": tmp_path})
    out = run(later, [doc("excerpt", "Read more below\n\n" + part)])
    finish(later)
    d = out["excerpt"]
    assert d.status_reason == "near_duplicate" and d.status_detail["duplicate_of"] == "full"
    assert d.status_detail["method"] == "containment" and d.status_detail["contained"] == "duplicate_in_kept"
    assert d.status_detail["containment"] >= 0.9 and d.status_detail["similarity"] < 0.7
    d.source = {"path": "excerpt.txt"}
    record = rejected_record(d, {"version": "test", "config_sha256": "0" * 64})
    assert record["containment"] == d.status_detail["containment"] and "containment" not in record["detail"]
    jsonschema.validate(record, load_schema("rejected-record"))


def test_a_page_containing_a_corpus_document_is_its_duplicate_and_the_longer_is_kept_in_a_batch(tmp_path):
    wire = article(41, n_words=240, paragraphs=4)
    page = article(42, n_words=200, paragraphs=3) + "\n\n" + wire + "\n\n" + article(43, n_words=200, paragraphs=3)
    first = DedupStage(context={"state_dir": tmp_path})
    run(first, [doc("wire", wire)])
    finish(first)
    later = DedupStage(context={"state_dir": tmp_path})
    out = run(later, [doc("page", page)])
    assert out["page"].status_detail["duplicate_of"] == "wire"  # what is in the corpus stays
    assert out["page"].status_detail["contained"] == "kept_in_duplicate"
    assert out["page"].status_detail["containment"] == 1.0
    # decided together, the kept-member rule keeps the longer document
    together = run(DedupStage(), [doc("wire", wire), doc("page", page)])
    assert together["page"].ok and together["wire"].status_detail["duplicate_of"] == "page"
    assert together["wire"].status_detail["contained"] == "duplicate_in_kept"


def test_articles_of_one_site_sharing_a_long_passage_stay_apart():
    passage = article(51, n_words=180, paragraphs=1)  # a long bio or disclaimer under every article
    docs = [doc(f"a{i}", article(60 + i, n_words=50, paragraphs=1) + "\n\n" + passage) for i in range(4)]
    out = run(DedupStage(), docs)
    assert all(d.ok for d in out.values())
    unguarded = run(DedupStage(DedupConfig(own_min=10**9)), [doc(d.id, d.text) for d in docs])
    assert not all(d.ok for d in unguarded.values())  # without the guard they would merge


ZH = (
    "一九三七年，全球灰鲸仅余一千只左右，为了防止绝种，保护灰鲸运动于焉展开。"
    "下午开始的演出，连续六场、各1小时，千人的观众席换场时间只有20分钟。"
    "一直盼望着可以去大陆比全国赛，今年的十二月五日终于成行了。"
    "研究人员表示，新的监测系统能够更准确地记录鲸鱼的迁徙路线和数量变化。"
)


def pending_doc(doc_id: str, paragraphs: list[str], lang: str) -> Document:
    blocks = [Block(text=p, lang=lang, translation=PENDING) for p in paragraphs]
    return Document(id=doc_id, text="\n\n".join(paragraphs), blocks=blocks)


def test_pending_chinese_and_german_documents_are_deduplicated():
    zh = [ZH[i : i + 40] for i in range(0, len(ZH), 40)]
    zh_copy = ["返回首页"] + [p.replace("灰鲸", "灰鯨", 1) for p in zh[:-1]] + ["责任编辑：王"]
    de = [
        "Die Regierung hat am Dienstag ein neues Gesetz zur Förderung erneuerbarer Energien beschlossen.",
        "Kritiker bemängeln, dass die Finanzierung der Maßnahmen noch immer nicht geklärt sei.",
        "Der Minister kündigte an, die Details in den kommenden Wochen im Parlament vorzustellen.",
        "Die Opposition forderte eine breite Debatte über die Kosten für die privaten Haushalte.",
    ]
    de_copy = [p.replace("Dienstag", "Mittwoch") for p in de[:3]] + ["Teilen Sie diesen Artikel"]
    docs = [
        pending_doc("zh", zh, "zh"),
        pending_doc("zh-copy", zh_copy, "zh"),
        pending_doc("de", de, "de"),
        pending_doc("de-copy", de_copy, "de"),
        pending_doc("zh-other", [ZH[::-1][:60], ZH[::-1][60:]], "zh"),
    ]
    out = run(DedupStage(), docs)
    assert out["zh-copy"].status_detail["duplicate_of"] == "zh"
    assert out["de-copy"].status_detail["duplicate_of"] == "de"
    assert out["zh"].ok and out["de"].ok and out["zh-other"].ok
    # the same Chinese text shingled as one whitespace "word" per paragraph would find nothing
    words = DedupStage(DedupConfig(char_shingle_size=5))
    grams, _ = words.shingles_of(docs[0])
    assert len(grams) > 4 * len(zh)


def test_a_document_translated_later_keeps_its_decision_and_is_matched_on_its_english(tmp_path):
    """Run 1: a German original and its copy, both pending; run 2: both translated (the runner
    forgets the kept one and feeds both again); a later English copy meets the English text."""
    german = ["Der erste Absatz des Artikels über die Wahl.", "Der zweite Absatz mit vielen weiteren Details."]
    german = [p + " " + " ".join(f"Wort{i}{j}" for j in range(30)) for i, p in enumerate(german)]
    english = article(71, n_words=160, paragraphs=2).split("\n\n")

    first = DedupStage(context={"state_dir": tmp_path})
    copy = [german[0], german[1].replace(" mit vielen weiteren Details", " mit Details")]
    out1 = run(first, [pending_doc("orig", german, "de"), pending_doc("copy", copy, "de")])
    finish(first)
    assert out1["orig"].ok and out1["copy"].status_detail["duplicate_of"] == "orig"

    def translated(doc_id: str) -> Document:
        pairs = zip(english, german, strict=True)
        blocks = [Block(text=e, lang="de", translation="translated", original=g) for e, g in pairs]
        return Document(id=doc_id, text="\n\n".join(english), blocks=blocks)

    second = DedupStage(context={"state_dir": tmp_path})
    second.forget(["orig"])  # what the runner does for a kept document it processes again
    out2 = run(second, [translated("orig"), translated("copy")])
    finish(second)
    assert out2["orig"].ok and out2["copy"].status_detail["duplicate_of"] == "orig"
    index = DedupIndex(tmp_path / "dedup.sqlite", DedupConfig().index_params())
    assert len(index) == 1 and index.get("orig") is not None
    index.close()

    third = DedupStage(context={"state_dir": tmp_path})
    out3 = run(third, [doc("english", "\n\n".join(english).upper())])
    assert out3["english"].status_detail["duplicate_of"] == "orig"


def test_an_index_of_the_previous_format_asks_for_a_rebuild(tmp_path):
    stage = DedupStage(context={"state_dir": tmp_path})
    run(stage, [doc("a", article(81))])
    finish(stage)
    db = sqlite3.connect(tmp_path / "dedup.sqlite")
    db.execute("DELETE FROM meta WHERE key='format'")  # as format 1 wrote it
    db.commit()
    db.close()
    with pytest.raises(DedupStateError, match=r"format 1.*--rebuild"):
        run(DedupStage(context={"state_dir": tmp_path}), [doc("b", article(82))])
