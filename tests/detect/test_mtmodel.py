"""The machine-translated-from-Chinese classifier: features, packaged model, held-out behaviour."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from babelmill.detect.mtfeatures import featurize
from babelmill.detect.mtmodel import MTClassifier
from babelmill.stages.detect import DetectStage
from tests.conftest import REPO, SHARED_DEV, make_doc

MT_TSV = SHARED_DEV / "mtdetect.tsv"
needs_dev = pytest.mark.skipif(not MT_TSV.exists(), reason="../shared/dev is not beside this checkout")


def dev_rows() -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from train_mtdetect import load_rows

    return load_rows(MT_TSV)


def test_features_ignore_length():
    text = "The role of red dates: taste sweet, and return to the spleen. It is good for the stomach, too."
    once, twice = featurize(text), featurize(text + " " + text)
    for name in ("fw:the", "punct:comma", "punct:colon", "fw_share"):
        assert once[name] == pytest.approx(twice[name], rel=0.05)


def test_features_carry_no_topic_words():
    feats = featurize("China's Xinhua reported that Beijing and Shanghai expanded the pilot programme.")
    assert not [n for n in feats if re.search(r"china|xinhua|beijing|shanghai|pilot|programme", n)]


def test_comma_splices_are_counted_and_separate_sentences_are_not():
    spliced = featurize("The shop is small, it is clean, and the staff are friendly, we will come again.")
    split = featurize("The shop is small. It is clean. The staff are friendly. We will come again.")
    assert spliced["cs:pron"] > 0 and spliced["cs:and"] > 0
    assert "cs:pron" not in split and "cs:and" not in split
    assert spliced["con:it_is"] > 0 and split["con:it_is"] > 0


def test_packaged_model_loads_and_scores_in_range():
    model = MTClassifier.load()
    assert len(model.features) == len(model.weights) == len(model.mean) > 20
    p = model.probability("The weather was nice, and we went for a walk along the river after lunch.")
    assert 0.0 <= p <= 1.0
    assert model.probability("The same text twice.") == model.probability("The same text twice.")
    assert model.document_logit([]) == (0.0, 0)


@needs_dev
def test_classifier_separates_held_out_documents():
    """Train on most source documents, score documents it never saw: better than chance."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from train_mtdetect import train

    rows = dev_rows()
    groups = sorted({g for _, _, g in rows})
    held = set(groups[::4])
    model = MTClassifier(train([r for r in rows if r[2] not in held]))
    test = [r for r in rows if r[2] in held]
    scores = np.array([model.logit(t) for t, _, _ in test])
    y = np.array([lab == "mt_zh" for _, lab, _ in test])
    assert y.any() and (~y).any()
    # AUC: chance of a Chinese-origin chunk scoring above a non-Chinese-origin one
    auc = (scores[y][:, None] > scores[~y][None, :]).mean()
    assert auc > 0.7


@needs_dev
def test_german_origin_mt_and_native_english_are_not_flagged():
    rows = dev_rows()
    stage = DetectStage()
    for label in ("mt_de", "native_en"):
        doc_id = next(g for _, lab, g in rows if lab == label)
        chunks = [t for t, lab, g in rows if lab == label and g == doc_id][:3]
        (out,) = stage.process(make_doc(blocks=chunks))
        assert out.origin["language"] == "en"
        assert out.origin["machine_translated"] is False, (label, out.origin)


def test_one_short_sentence_gets_no_classifier_vote():
    # per-token rates of a dozen words are far outside the training chunks: no vote at all
    (out,) = DetectStage().process(make_doc(blocks=["The shop is small, and it is clean, we will come again!"]))
    assert out.origin["machine_translated"] is False
    assert not any(e.startswith("classifier score") for e in out.origin["evidence"])
