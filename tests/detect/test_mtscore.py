"""The optional translation-model score of the mt_zh classifier: plumbing only.

The packages here have RANDOM weights (``babelmill.testing.argos``): these tests show that the
feature is computed, trained into a model file, and used only with the packages it was fitted
with. They say nothing about whether a real model's score helps.
"""

from __future__ import annotations

import math
import shutil
import sys

import numpy as np
import pytest

from babelmill.detect.detector import DetectConfig, DocumentDetector
from babelmill.detect.mtmodel import MTClassifier, write_model
from babelmill.detect.mtscore import StackedClassifier, TranslationScorer, with_translation_score
from babelmill.testing.argos import GERMAN_CORPUS, build_package
from babelmill.translate.packages import read_package
from tests.conftest import REPO, SHARED_DEV

pytestmark = pytest.mark.slow

LARGE_TSV = SHARED_DEV / "mtdetect-large.tsv"
needs_dev = pytest.mark.skipif(not LARGE_TSV.exists(), reason="../shared/dev is not beside this checkout")

ENGLISH = [
    "At the same time, relevant departments will further strengthen supervision of the market.",
    "The delivery speed is quite fast and I am really satisfied with this purchase.",
    "He said on Friday that the company would cut 500 jobs in its German plants.",
    "Police asked the public for photos and videos of the incident.",
]
CHINESE_DOC = [
    "At the same time, relevant departments will further strengthen the supervision and management of "
    "food safety, and comprehensively promote the high-quality development of the industry. "
    "It is reported that the city has carried out a series of special actions this year. "
    "In the next step, we will continue to deepen reform and effectively solve the problems of the masses.",
    "According to the relevant person in charge, the project has achieved remarkable results in terms of "
    "technological innovation, and the output value increased by 12.5% year-on-year.",
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Folders of installed-style random packages: both directions, zh->en only, another zh->en."""
    corpus = ENGLISH + GERMAN_CORPUS
    root = tmp_path_factory.mktemp("mtscore")
    both, only, other = root / "both", root / "zh_en_only", root / "other_weights"
    build_package(both, "zh", "en", corpus=corpus, archive=False, seed=0)
    build_package(both, "en", "zh", corpus=corpus, archive=False, seed=1)
    shutil.copytree(both / "translate-zh_en-random", only / "translate-zh_en-random")
    build_package(other, "zh", "en", corpus=corpus, archive=False, seed=2)
    build_package(other, "en", "zh", corpus=corpus, archive=False, seed=1)
    return {"both": both, "only": only, "other": other, "none": root / "empty"}


def test_scorer_mode_follows_the_installed_packages(models):
    assert TranslationScorer.from_installed(models["none"]) is None
    prior = TranslationScorer.from_installed(models["only"])
    assert prior.mode == "prior" and set(prior.identities()) == {"zh->en"}
    roundtrip = TranslationScorer.from_installed(models["both"])
    assert roundtrip.mode == "roundtrip" and set(roundtrip.identities()) == {"zh->en", "en->zh"}
    assert TranslationScorer.from_installed(models["both"], mode="prior").mode == "prior"
    assert TranslationScorer.from_installed(models["only"], mode="roundtrip") is None


@pytest.mark.parametrize("mode", ["prior", "roundtrip"])
def test_score_is_a_deterministic_per_token_log_probability(models, mode):
    scorer = TranslationScorer.from_installed(models["both"], mode=mode)
    a = scorer.score(ENGLISH)
    assert a == scorer.score(ENGLISH)
    # a text's score does not depend on the other texts scored with it
    assert scorer.score(ENGLISH[1:2]) == a[1:2]
    assert scorer.score([ENGLISH[2], *ENGLISH])[1:] == a
    assert len(a) == len(ENGLISH) and all(math.isfinite(v) and v < 0 for v in a)
    assert len(set(a)) == len(a)  # the text matters, not only its length
    # per token: the same sentence twice is about as probable per token as once
    twice = scorer.score([ENGLISH[0] + " " + ENGLISH[0]])[0]
    assert abs(twice - a[0]) < 0.5 * abs(a[0])
    assert scorer.score([]) == []


def test_wrong_direction_is_refused(models):
    from babelmill.translate.packages import ModelError

    en_zh = read_package(models["both"] / "translate-en_zh-random")
    with pytest.raises(ModelError, match="zh->en package is needed"):
        TranslationScorer(en_zh)


def test_packaged_model_has_no_translation_part_and_ignores_installed_packages(models):
    clf = MTClassifier.load()
    used, note = with_translation_score(clf, models["both"])
    assert used is clf and note is None


def trainer():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import train_mtdetect

    return train_mtdetect


@pytest.fixture(scope="module")
def stacked_model(models, tmp_path_factory):
    """A model file whose translation-score part was fitted with the ``both`` packages."""
    t = trainer()
    rows = t.load_rows(LARGE_TSV)[::8]  # 200 chunks: plumbing, not quality
    scorer = TranslationScorer.from_installed(models["both"])
    model, val = t.train_and_validate(rows, 0, True, None, scorer)
    path = tmp_path_factory.mktemp("stacked") / "mtdetect.json.gz"
    write_model(model, path)
    return path, model, val


@needs_dev
def test_training_stores_the_part_with_the_package_identities(models, stacked_model):
    _, model, val = stacked_model
    part = model["translation_score"]
    scorer = TranslationScorer.from_installed(models["both"])
    assert part["mode"] == "roundtrip" and part["packages"] == scorer.identities()
    assert 0 < part["chunk_threshold"] < 1 and 0 < part["document_threshold"] < 1
    assert set(val["translation_score_oof_chunk"]) >= {"f1", "auc"}
    # the stacked log-odds are what the detector computes from the same numbers
    t = trainer()
    z = t.stacked(part, np.array([1.0, -1.0]), np.array([-6.0, -5.0]))
    c = part["coef"]
    assert z[0] == pytest.approx(part["intercept"] + c[0] + c[1] * (-6.0 - part["mean"]) / part["scale"])


def _detector(path, models_dir, **kw):
    return DocumentDetector(DetectConfig(mt_model=str(path), use_lingua=False, **kw), None, models_dir)


@needs_dev
def test_detector_uses_the_part_only_with_the_packages_it_was_fitted_with(models, stacked_model):
    path, model, _ = stacked_model
    used = _detector(path, models["both"])
    assert isinstance(used.classifier, StackedClassifier) and used.classifier_note is None
    origin = used.detect(CHINESE_DOC).origin
    line = next(e for e in origin["evidence"] if e.startswith("classifier P(mt_zh)"))
    assert "stacked-calibrated" in line and "with translation-model score (roundtrip:" in line
    # the probability is the stacked model's, from the base logit and the feature of each chunk
    base = MTClassifier.load(path)
    chunks = base.chunks(CHINESE_DOC)
    feats = TranslationScorer.from_installed(models["both"]).score(chunks)
    part = model["translation_score"]
    zs = [
        part["intercept"] + part["coef"][0] * base.logit(c) + part["coef"][1] * (f - part["mean"]) / part["scale"]
        for c, f in zip(chunks, feats, strict=True)
    ]
    assert origin["mt_probability"] == pytest.approx(1 / (1 + math.exp(-sum(zs) / len(zs))), abs=1e-4)

    # without the packages, with other weights, or switched off: the n-gram model alone, and why
    plain_p = 1 / (1 + math.exp(-base.calibrated_logodds(base.document_logit(CHINESE_DOC)[0])))
    for models_dir, why, kw in (
        (models["none"], "en->zh and zh->en not installed", {}),
        (models["other"], "fitted with translate-en_zh-random@0.0#", {}),
        (models["both"], "switched off", {"mt_translation_score": False}),
    ):
        det = _detector(path, models_dir, **kw)
        assert isinstance(det.classifier, MTClassifier)
        origin = det.detect(CHINESE_DOC).origin
        assert origin["mt_probability"] == pytest.approx(plain_p, abs=1e-4)
        assert any(e.startswith("translation-model score not used") and why in e for e in origin["evidence"])
