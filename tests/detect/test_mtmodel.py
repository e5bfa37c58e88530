"""The machine-translated-from-Chinese classifier: features, packaged model, training, documents."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from babelmill.detect.mtfeatures import featurize, hashed_counts, shape_sequence, word_sequence
from babelmill.detect.mtmodel import DEFAULT_MODEL, MTClassifier, read_model, write_model
from babelmill.stages.detect import DetectStage
from tests.conftest import REPO, SHARED_DEV, make_doc

LARGE_TSV = SHARED_DEV / "mtdetect-large.tsv"
needs_dev = pytest.mark.skipif(not LARGE_TSV.exists(), reason="../shared/dev is not beside this checkout")


def trainer():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import train_mtdetect

    return train_mtdetect


# -- features ---------------------------------------------------------------------------------


def test_style_profile_ignores_length():
    text = "The role of red dates: taste sweet, and return to the spleen. It is good for the stomach, too."
    once, twice = featurize(text), featurize(text + " " + text)
    for name in ("fw:the", "punct:comma", "punct:colon", "fw_share"):
        assert once[name] == pytest.approx(twice[name], rel=0.05)


def test_topic_words_are_masked_and_shapes_carry_no_content_words():
    text = "China's Xinhua reported that Beijing and Shanghai expanded the pilot programme."
    words = word_sequence(text)
    assert "beijing" not in words and "shanghai" not in words and words.count("_topic_") >= 3
    assert "pilot" in words  # only the topic list is masked
    shapes = shape_sequence(text)
    assert not {"beijing", "pilot", "programme", "reported"} & set(shapes)
    assert shapes[-3:] == ["w", "w", "."] and "the" in shapes
    # a text about China and the same text about Germany look the same to the word block
    assert word_sequence("Beijing said on Monday") == word_sequence("Shanghai said on Monday")


def test_word_grams_with_a_china_topic_word_are_left_out():
    from babelmill.detect.mtfeatures import TOPIC_MASK, bucket

    dim = 1 << 20
    words = hashed_counts("The talks in Beijing ended.", dim)["w"]
    # the, talks, in, ended and the bigrams "the talks", "talks in": nothing with the topic word
    assert sum(words.values()) == 6
    for gram in (TOPIC_MASK, f"in {TOPIC_MASK}", f"{TOPIC_MASK} ended", "in ended"):
        assert bucket("w", gram, dim) not in words
    assert bucket("w", "talks in", dim) in words
    # provinces, the Party and administrative words count as topic too, so a chunk about Sichuan's
    # provincial Party committee and one about Beijing's municipal Party committee look the same
    a = hashed_counts("Sichuan's provincial Party committee met.", dim)
    b = hashed_counts("Beijing's municipal Party committee met.", dim)
    assert a["w"] == b["w"] and a == b
    model = MTClassifier.load()
    text = "Officials in {} said on Monday that the new rules will take effect next month, and {} firms agreed."
    pairs = [("Beijing", "Chinese"), ("Yunnan", "Huawei"), ("Taipei", "Xiaomi")]
    same = {model.logit(text.format(p, q)) for p, q in pairs}
    assert len(same) == 1
    assert model.logit(text.format("Berlin", "German")) not in same  # ordinary words still count


def test_hashed_counts_are_stable_buckets():
    a = hashed_counts("At the same time, it is reported that the relevant work was carried out.", 1 << 20)
    b = hashed_counts("At the same time, it is reported that the relevant work was carried out.", 1 << 20)
    assert a == b and set(a) == {"w", "s", "p"}
    assert all(0 <= k < (1 << 20) for block in a.values() for k in block)


# -- the packaged model -----------------------------------------------------------------------


def test_packaged_model_loads_fast_and_scores_calibrated_probabilities():
    start = time.perf_counter()
    model = MTClassifier(read_model(DEFAULT_MODEL))
    assert time.perf_counter() - start < 0.5  # milliseconds in practice; generous for a busy CI box
    assert DEFAULT_MODEL.stat().st_size < 2_000_000
    assert 0.0 < model.chunk_threshold < 1.0 and 0.0 < model.document_threshold < 1.0
    assert model.calibration == "platt" and model.cal_a > 0
    p = model.probability("The weather was nice, and we went for a walk along the river after lunch.")
    assert 0.0 <= p <= 1.0
    assert model.probability("The same text twice.") == model.probability("The same text twice.")
    assert model.document_logit([]) == (0.0, 0)
    assert "grouped_cv" in model.meta["validation"] and "other_year" in model.meta["validation"]


def test_model_file_bytes_are_deterministic(tmp_path):
    model = read_model(DEFAULT_MODEL)
    write_model(model, tmp_path / "a.json.gz")
    write_model(read_model(tmp_path / "a.json.gz"), tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    with pytest.raises(ValueError, match="format"):
        MTClassifier({"format": "something else"})


def test_packaged_model_adds_the_nb_learner_and_files_without_it_still_score():
    raw = read_model(DEFAULT_MODEL)
    full = MTClassifier(raw)
    assert set(full.nb_blocks) == {"w", "s", "p"}
    for name, (buckets, _, _) in full.blocks.items():
        ratio, nb_weights = full.nb_blocks[name]
        assert len(ratio) == len(nb_weights) == len(buckets)
        assert (ratio > 0).any() and (ratio < 0).any()  # words of both classes
    blocks = {name: {k: v for k, v in b.items() if not k.startswith("nb_")} for name, b in raw["blocks"].items()}
    plain = {k: v for k, v in raw.items() if k != "nb_bias"} | {"blocks": blocks}
    alone = MTClassifier(plain)
    assert not alone.nb_blocks
    texts = [
        "At the same time, relevant departments will further strengthen supervision and actively promote the work.",
        "I bought this for my daughter and she loves it, though the strap broke after a week.",
        "The council voted 7-2 on Tuesday to delay the vote until the spring, officials said.",
        "The product is very good, the logistics is very fast, the customer service attitude is also very good.",
    ]
    both = np.array([full.logit(t) for t in texts])
    one = np.array([alone.logit(t) for t in texts])
    assert not np.allclose(both, one)  # the second learner is used
    assert np.corrcoef(both, one)[0, 1] > 0.5  # and agrees with the first on what looks translated


def test_document_logit_averages_chunks_of_the_training_size():
    model = MTClassifier.load()
    para = "The committee met on Monday. It discussed the budget for next year. " * 20
    chunks = model.chunks([para], chunk_words=80)
    assert len(chunks) >= 3 and all(60 <= len(c.split()) <= 100 for c in chunks)
    mean, n = model.document_logit([para])
    assert n == len(chunks)
    assert mean == pytest.approx(sum(model.logit(c) for c in chunks) / n)


# -- training ---------------------------------------------------------------------------------


@needs_dev
def test_training_is_reproducible_and_separates_held_out_documents():
    """Fit on most source documents twice (same bytes), score the documents it never saw."""
    t = trainer()
    rows = t.load_rows(LARGE_TSV)
    groups = sorted({r.group for r in rows})
    held = set(groups[::5])
    train = [r for r in rows if r.group not in held][::2]  # half, to keep the test quick
    test = [r for r in rows if r.group in held]
    counts = t.featurize_all(train)
    y = np.array([r.positive for r in train])
    clf, model = t.fit(counts, y, weights=t.row_weights(train))
    _, again = t.fit(counts, y, weights=t.row_weights(train))
    assert model == again
    scores = np.array([clf.logit(r.text) for r in test])
    yt = np.array([r.positive for r in test])
    assert yt.any() and (~yt).any()
    assert t.auc(scores[yt], scores[~yt]) > 0.85


@needs_dev
def test_trainer_fits_other_blocks_that_the_classifier_scores_from_given_counts():
    """What the round benchmarks rely on: a variant with a block of its own (here one gram that
    names the label) or without a shipped block trains, loads and scores like the shipped recipe."""
    from collections import Counter

    from babelmill.detect.mtfeatures import bucket

    t = trainer()
    rows = t.load_rows(LARGE_TSV)[::8]
    y = np.array([r.positive for r in rows])
    counts = t.featurize_all(rows)
    for cnt, label in zip(counts, y, strict=True):
        cnt["x"] = Counter({bucket("x", "zh" if label else "other", t.DIM): 1})
    clf, model = t.fit(counts, y, weights=t.row_weights(rows), blocks=("w", "s", "p", "x"), scale={"x": 2.0})
    assert list(clf.blocks) == ["w", "s", "p", "x"] and model["blocks"]["x"]["scale"] == 2.0
    z = t.scores(clf, counts)
    assert z[y].min() > z[~y].max()  # the block that names the label is used
    clf2, model2 = t.fit(counts, y, weights=t.row_weights(rows), blocks=("w", "p"))
    assert set(model2["blocks"]) == {"w", "p"} and model2["blocks"]["p"]["scale"] == t.BLOCK_SCALE["p"]
    text = rows[0].text
    assert clf2.logit(text) == pytest.approx(clf2.logit_counts(hashed_counts(text, t.DIM)))
    _, default = t.fit(counts, y, weights=t.row_weights(rows))
    _, explicit = t.fit(counts, y, weights=t.row_weights(rows), blocks=t.BLOCKS, scale=t.BLOCK_SCALE)
    assert default == explicit and set(default["blocks"]) == {"w", "s", "p"}


@needs_dev
def test_german_origin_mt_and_native_english_documents_are_not_flagged():
    t = trainer()
    rows = t.load_rows(LARGE_TSV)
    stage = DetectStage()
    for label in ("mt_de", "native_en"):
        # a document of several chunks, as the stage sees an article
        by_doc: dict[str, list[str]] = {}
        for r in rows:
            if r.label == label and r.system in ("source", "ONLINE-B"):
                by_doc.setdefault(r.group, []).append(r.text)
        doc_id = max(sorted(by_doc), key=lambda g: len(by_doc[g]))
        (out,) = stage.process(make_doc(blocks=by_doc[doc_id][:4]))
        assert out.origin["language"] == "en"
        assert out.origin["machine_translated"] is False, (label, out.origin)


@needs_dev
def test_chinese_origin_document_is_flagged_with_classifier_probability():
    t = trainer()
    rows = t.load_rows(LARGE_TSV)
    by_doc: dict[str, list[str]] = {}
    for r in rows:
        if r.label == "mt_zh" and r.system == "ONLINE-B" and r.domain == "news":
            by_doc.setdefault(r.group, []).append(r.text)
    model = MTClassifier.load()
    # the model saw these chunks in training: this checks the plumbing, not the accuracy
    doc_id = max(sorted(by_doc), key=lambda g: (len(by_doc[g]), model.document_logit(by_doc[g])[0]))
    (out,) = DetectStage().process(make_doc(blocks=by_doc[doc_id]))
    o = out.origin
    assert o["machine_translated"] is True and o["machine_translated_from"] == "zh"
    assert o["mt_probability"] >= model.document_threshold
    (ev,) = [e for e in o["evidence"] if e.startswith("classifier P(mt_zh)=")]
    assert "platt-calibrated" in ev and f"document threshold {model.document_threshold:.2f}" in ev


def test_one_short_sentence_gets_no_classifier_vote():
    # per-token rates of a dozen words are far outside the training chunks: no vote at all
    (out,) = DetectStage().process(make_doc(blocks=["The shop is small, and it is clean, we will come again!"]))
    assert out.origin["machine_translated"] is False
    assert out.origin["mt_probability"] is None
    assert not any(e.startswith("classifier") for e in out.origin["evidence"])


# -- markers need context ---------------------------------------------------------------------

ARTICLE = [
    "The city council voted on Tuesday night to expand the bike lane network downtown, after a "
    "long debate about parking and the cost of the project for local businesses.",
    "Residents had complained for years about the lack of safe routes to school, and several "
    "parents spoke at the meeting about near misses at the busiest junctions.",
    "We're thrilled, said one parent, who'd waited a long time for this. The work starts in spring.",
]
NAVIGATION = ["Home", "Tech", "Machine Translation", "Category: Machine Translation", "Tags: AI, Machine translation"]


def test_navigation_label_machine_translation_does_not_flag_the_page():
    (out,) = DetectStage().process(make_doc(blocks=[*NAVIGATION[:3], *ARTICLE, *NAVIGATION[3:]]))
    assert out.origin["machine_translated"] is False
    assert not any(e.startswith("disclaimer") for e in out.origin["evidence"])


def test_sentence_about_machine_translation_is_not_a_disclaimer():
    text = "Machine translation has improved a lot in recent years, researchers at the university say."
    (out,) = DetectStage().process(make_doc(blocks=[*ARTICLE, text]))
    assert out.origin["machine_translated"] is False


@pytest.mark.parametrize(
    "line",
    [
        "This article was machine-translated from Chinese.",
        "Machine translated by Google",
        "The content above is machine-translated and for reference only.",
    ],
)
def test_disclaimer_statement_about_this_text_flags_the_page(line):
    (out,) = DetectStage().process(make_doc(blocks=[*NAVIGATION[:3], *ARTICLE, line]))
    assert out.origin["machine_translated"] is True
    assert any(e.startswith("disclaimer") for e in out.origin["evidence"])


def test_tag_line_is_not_the_english_rendering_of_a_chinese_line():
    from babelmill.detect.origin import OriginSettings, find_zh_pairs

    texts = ["City Lady: 国民女婿你家有吗", "Tags: 18th party congress, Beijing, City Lady, marriage"]
    assert find_zh_pairs(texts, ["zh", "en"], OriginSettings()) == []
    texts[1] = "City Lady: does your family have a national son-in-law?"
    assert find_zh_pairs(texts, ["zh", "en"], OriginSettings()) == [(0, 1)]
