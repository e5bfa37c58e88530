"""Shingling by language, shingle sets per paragraph, and the decision rule on verified pairs."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import babelmill.dedup.text
import babelmill.dedup.verify
from babelmill.dedup import Rule, Shingles, block_shingles, compare, shingle_hashes
from babelmill.dedup.text import is_character_text


def test_doctests():
    result = doctest.testmod(babelmill.dedup.verify)
    assert result.attempted > 0 and result.failed == 0


def sets(*paragraphs: str, size: int = 5) -> Shingles:
    return Shingles.of([shingle_hashes(block_shingles(p, None, size, 5)) for p in paragraphs])


@pytest.mark.parametrize(
    ("text", "lang", "by_characters"),
    [
        ("北京 今天 宣布 新 政策", "zh", True),
        ("東京 で 会議 が 開かれた", "ja", True),
        ("die regierung hat heute beschlossen", "de", False),
        ("the government said today", "en", False),
        ("北京今天宣布新政策", None, True),  # no detected language: by script
        ("the talks in 北京 resumed today after a pause", None, False),
        ("北京今天宣布新政策", "de", False),  # the detected language decides
    ],
)
def test_shingles_follow_the_blocks_language(text, lang, by_characters):
    assert is_character_text(text, lang) is by_characters
    grams = block_shingles(text, lang, word_size=5, char_size=3)
    if by_characters:
        assert all(len(g.split()) == 3 for g in grams)
    else:
        assert max(len(g.split()) for g in grams) <= 5


def test_chinese_gets_useful_character_shingles():
    """Without spaces a Chinese paragraph is one 'word'; by characters it has one shingle per position."""
    text = "一九三七年全球灰鲸仅余一千只左右为了防止绝种保护灰鲸运动于焉展开"
    grams = block_shingles(text, "zh", 5, 5)
    assert len(grams) == len(text) - 4
    edited = text.replace("一千", "两千")
    a, b = Shingles.of([shingle_hashes(grams)]), Shingles.of([shingle_hashes(block_shingles(edited, "zh", 5, 5))])
    assert 0.5 < compare(a, b).jaccard < 1.0


def test_pack_round_trip_keeps_paragraphs_and_set():
    s = sets("one two three four five six seven", "eight nine ten eleven twelve thirteen")
    t = Shingles.unpack(s.pack())
    assert [p.tolist() for p in t.paragraphs] == [p.tolist() for p in s.paragraphs]
    assert t.all.tolist() == s.all.tolist()
    assert len(Shingles.unpack(None)) == 0 and Shingles.unpack(Shingles.of([]).pack()).paragraphs == []


def test_anchors_are_a_content_sample_shared_by_an_excerpt():
    words = [f"w{i}" for i in range(600)]
    whole = sets(" ".join(words))
    part = sets(" ".join(words[100:400]))
    anchors_whole, anchors_part = set(whole.anchors(16)), set(part.anchors(16))
    assert anchors_part and anchors_part <= anchors_whole
    assert 0.02 < len(anchors_whole) / len(whole) < 0.15


def test_compare_measures_the_smaller_document():
    words = [f"w{i}" for i in range(300)]
    kept = sets(" ".join(words[:150]), " ".join(words[150:]))
    excerpt = sets(" ".join(words[150:]))
    c = compare(excerpt, kept)
    assert c.smaller_is_new and c.containment == 1.0 and c.own == 0 and 0.4 < c.jaccard < 0.6
    page = sets(" ".join(words[:150]), " ".join(words[150:]), " ".join(f"x{i}" for i in range(300)))
    c = compare(page, kept)
    assert not c.smaller_is_new and c.containment == 1.0 and c.own == 0


def test_rule_needs_no_own_paragraphs_in_the_smaller_document():
    """Two articles of one site under one long passage: mostly shared, but each has its own text."""
    passage = " ".join(f"p{i}" for i in range(200))
    a = sets(" ".join(f"a{i}" for i in range(40)), passage)
    b = sets(" ".join(f"b{i}" for i in range(40)), passage)
    c = compare(a, b)
    assert c.containment >= 0.8 and c.own > 0.1 * c.smaller
    assert Rule().method(c) is None
    assert Rule(own_min=10**9).method(c) is not None  # the guard is what keeps them apart


@pytest.mark.parametrize(
    ("jaccard", "containment", "smaller", "own", "method"),
    [
        (0.65, 0.7, 300, 0, "jaccard"),
        (0.3, 0.8, 300, 10, "containment"),
        (0.3, 0.7, 300, 0, None),
        (0.3, 0.9, 10, 0, None),  # too small for containment
        (0.9, 0.95, 300, 40, None),  # own paragraphs
    ],
)
def test_rule_table(jaccard, containment, smaller, own, method):
    c = babelmill.dedup.verify.Comparison(jaccard, containment, True, smaller, own)
    assert Rule(threshold=0.6, containment=0.75).method(c) == method


def test_shingle_hashes_are_stable():
    """Part of the index format: a change here needs a rebuild (and the format version bumped)."""
    assert shingle_hashes(["the talks resumed on monday"]).tolist() == [
        babelmill.dedup.text.zlib.crc32(b"the talks resumed on monday")
    ]
    assert shingle_hashes([]).dtype == np.uint32
