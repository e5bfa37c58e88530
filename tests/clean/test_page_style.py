"""The page style: which training set's kind of page a page is, as features of its lines."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from babelmill.clean.lexicon import line_words
from babelmill.clean.line_model import FEATURE_VERSION, FEATURES, LEX_FEATURES, LineModel
from babelmill.clean.page_style import PageStyle, train_page_style

FORUM = "reply quote posted thread member joined thanks guys lol anyone help please my your forum".split()
WIRE = "ministry said officials reported tuesday government minister according statement percent agency".split()
COMMON = "the a of and to in is that it for on with as was".split()


def _page(rng: random.Random, vocab: list[str], lines: int = 12, site_word: str | None = None) -> list[list[str]]:
    out = []
    for _ in range(lines):
        words = rng.sample(COMMON, 4) + rng.choices(vocab, k=5)
        if site_word:
            words.append(site_word)
        out.append(line_words(" ".join(words)))
    return out


def _training(rng: random.Random, n: int = 30) -> tuple[list, list[str]]:
    pages, labels = [], []
    for k in range(n):
        pages.append(_page(rng, FORUM, site_word=f"forumsite{k % 3}"))
        labels.append("forums")
        pages.append(_page(rng, WIRE, site_word=f"wiresite{k % 3}"))
        labels.append("wires")
    return pages, labels


def test_the_style_tells_kinds_of_pages_apart_on_pages_it_never_saw():
    pytest.importorskip("sklearn")
    pages, labels = _training(random.Random(1))
    style = PageStyle.from_json(train_page_style(pages, labels, min_pages=5, c=3.0))
    assert style.classes == ["forums", "wires"]
    assert style.feature_names == ["style_forums", "style_wires"]
    rng = random.Random(2)
    for vocab, k in ((FORUM, 0), (WIRE, 1)):
        p = style.probabilities(_page(rng, vocab))
        assert p.shape == (2,) and abs(p.sum() - 1) < 1e-9
        assert p[k] > 0.8
    # a page with no known word: the base rates alone, not an error
    assert np.allclose(style.probabilities([["zzz"], []]).sum(), 1.0)
    assert np.allclose(style.probabilities([]).sum(), 1.0)


def test_training_is_deterministic_and_leaves_out_words_of_few_pages():
    pytest.importorskip("sklearn")
    pages, labels = _training(random.Random(1))
    first = train_page_style(pages, labels, min_pages=5)
    assert json.dumps(first) == json.dumps(train_page_style(pages, labels, min_pages=5))
    # each site word is on 10 pages: kept at min_pages 10, not at 11 (a site's own words are not learned)
    assert "forumsite0" in train_page_style(pages, labels, min_pages=10)["words"]
    assert "forumsite0" not in train_page_style(pages, labels, min_pages=11)["words"]
    # three sets: one weight per set for every word
    three = train_page_style(pages + pages[:10], labels + ["blogs"] * 10, min_pages=5)
    assert three["classes"] == ["blogs", "forums", "wires"]
    assert all(len(w) == 3 for w in three["weights"])
    # one set: nothing to tell apart
    assert train_page_style(pages[::2], labels[::2], min_pages=5) is None


def _style_data() -> dict:
    pages, labels = _training(random.Random(1))
    return train_page_style(pages, labels, min_pages=5)


def _model_data(style: dict | None, features: list[str]) -> dict:
    leaf_tree = {"feature": [], "threshold": [], "left": [], "right": [], "leaf": [0.0]}
    return {
        "format": "babelmill-line-model",
        "feature_version": FEATURE_VERSION,
        "features": features,
        "threshold": 0.5,
        "depth": 0,
        "trees": [leaf_tree],
        "stage2": None,
        "lexicon": None,
        "page_style": style,
    }


def test_a_line_model_with_a_style_gives_every_line_the_page_probabilities():
    pytest.importorskip("sklearn")
    from babelmill.clean.line_model import text_columns

    data = _style_data()
    style = PageStyle.from_json(data)
    model = LineModel.from_json(_model_data(data, [*FEATURES, *style.feature_names]))
    assert model.style is not None and model.lexicon is None
    texts = ["Reply Quote posted in the thread", "thanks guys, anyone help please", "my forum member joined"]
    X = np.zeros((3, len(FEATURES)))
    cols = text_columns(X, [line_words(t) for t in texts], None, model.style)
    assert cols.shape == (3, len(FEATURES) + 2)
    expected = style.probabilities([line_words(t) for t in texts])
    assert np.allclose(cols[:, len(FEATURES) :], expected) and expected[0] > 0.5
    assert model.predict(X, texts).shape == (3,)
    with pytest.raises(ValueError, match="needs the lines' texts"):
        model.predict(X)
    # a model file whose feature list does not name the style's columns was made otherwise
    with pytest.raises(ValueError, match="train it again"):
        LineModel.from_json(_model_data(data, list(FEATURES)))
    with pytest.raises(ValueError, match="train it again"):
        LineModel.from_json(_model_data(data, [*FEATURES, *LEX_FEATURES, *style.feature_names]))


def test_models_learned_on_parts_of_a_training_set_give_the_same_columns():
    pytest.importorskip("sklearn")
    pages, labels = _training(random.Random(1))
    classes = ["blogs", "forums", "wires"]
    # a part with no blog page: the blog class is still a column, with probability nil
    part = PageStyle.from_json(train_page_style(pages, labels, min_pages=5, classes=classes))
    assert part.classes == classes
    p = part.probabilities(_page(random.Random(3), FORUM))
    assert p[0] < 1e-9 and p[1] > 0.8
    # a part with one set only: the columns, that set at probability 1, no words learned
    one = train_page_style(pages[::2], labels[::2], min_pages=5, classes=classes)
    assert one["words"] == [] and one["classes"] == classes
    assert np.allclose(PageStyle.from_json(one).probabilities(_page(random.Random(3), WIRE)), [0, 1, 0])
    # pages of a set not asked for are left out
    two = train_page_style(pages + pages[:10], labels + ["blogs"] * 10, min_pages=5, classes=["forums", "wires"])
    assert two["classes"] == ["forums", "wires"]
