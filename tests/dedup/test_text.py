"""Dedup keys and shingles (babelmill.dedup.text): golden values of the stored key format
(tests/cases/dedup_golden.json) and the folding rules keys rely on."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from babelmill.dedup.minhash import MinHasher, band_keys
from babelmill.dedup.text import (
    _FoldTable,
    block_shingles,
    exact_key,
    is_character_text,
    jaccard,
    normalize_key_text,
    paragraph_hash,
    shingles,
    split_paragraphs,
    tokens,
)
from babelmill.document import Document
from babelmill.stages.dedup import DedupConfig, DedupStage

GOLDEN = json.loads((Path(__file__).parents[1] / "cases" / "dedup_golden.json").read_text(encoding="utf-8"))
REBUILD = (
    "the dedup key format changed: documents already in an index would no longer match. If this is "
    "deliberate, update tests/cases/dedup_golden.json and say in the change that existing outputs need --rebuild"
)


# -- golden values: the format stored in OUTPUT/state/dedup.sqlite ---------------------------------


def test_golden_config_is_the_default():
    cfg = DedupConfig()
    assert GOLDEN["config"] == {k: getattr(cfg, k) for k in GOLDEN["config"]}, REBUILD


def test_golden_normalized_text_and_exact_key():
    text = GOLDEN["text"]
    assert normalize_key_text(text) == GOLDEN["normalized"], REBUILD
    key = exact_key(text)
    assert isinstance(key, bytes) and len(key) == 16
    assert key.hex() == GOLDEN["exact_key"], REBUILD


def test_golden_paragraph_hashes():
    assert [paragraph_hash(p) for p in split_paragraphs(GOLDEN["text"])] == GOLDEN["paragraph_hashes"], REBUILD
    for text, value in GOLDEN["paragraph_hash_cases"].items():
        assert paragraph_hash(text) == value, REBUILD
        assert paragraph_hash(normalize_key_text(text), normalized=True) == value
    # the normalized flag skips normalization: raw text with case or punctuation hashes differently
    assert paragraph_hash("Berlin!", normalized=True) != paragraph_hash("Berlin!")


def test_golden_minhash_signature_and_band_keys():
    """What the stage stores: shingles per paragraph (the last one, mostly Chinese, by characters)."""
    cfg = DedupConfig()
    grams, sets = DedupStage(cfg).shingles_of(Document(id="golden", text=GOLDEN["text"]))
    assert len(grams) == GOLDEN["shingles"], REBUILD
    assert grams[:3] == GOLDEN["first_shingles"], REBUILD
    assert grams[-2:] == GOLDEN["last_shingles"], REBUILD
    assert hashlib.sha256(sets.pack()).hexdigest() == GOLDEN["shingle_sets_sha256"], REBUILD
    assert sets.anchors(cfg.anchor_every) == GOLDEN["anchors"], REBUILD
    sig = MinHasher(cfg.num_perm, cfg.seed, cfg.backend).signature(grams)
    assert [int(x) for x in sig[:8]] == GOLDEN["signature_first"], REBUILD
    assert hashlib.sha256(sig.astype("<u4").tobytes()).hexdigest() == GOLDEN["signature_sha256"], REBUILD
    keys = band_keys(sig, cfg.bands, cfg.rows)
    assert [int(k) for k in keys[:4]] == GOLDEN["band_keys_first"], REBUILD
    digest = hashlib.sha256(np.asarray(keys, dtype="<i8").tobytes()).hexdigest()
    assert digest == GOLDEN["band_keys_sha256"], REBUILD


# -- folding rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("  The  U.S.-China   talks\u00a0resumed!\n\n", "the u s china talks resumed"),
        ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),  # NFKC
        ("Straße", "strasse"),  # case folding, not lower()
        ("“quotes” «and» 'more'", "quotes and more"),  # punctuation (P*) -> space
        ("a+b=c $5 © ©", "a b c 5"),  # symbols (S*) -> space
        ("tab\tline\nbreak\u2028sep\u3000ideo", "tab line break sep ideo"),  # separators (Z*), controls (C*)
        ("zero\u200bwidth", "zero width"),  # format characters (Cf) -> space
        ("İstanbul ılık", "istanbul ilik"),  # Turkish dotted / dotless i
        ("I\u0307", "i"),  # combining dot above is dropped
        ("café", "café"),  # letters and marks that are not the Turkish dot stay
        ("北京，上海。", "北京 上海"),
        ("...!!!", ""),
        ("", ""),
        ("x1_2", "x1 2"),  # connector punctuation separates too
    ],
)
def test_normalize_key_text(text, expected):
    assert normalize_key_text(text) == expected


@pytest.mark.parametrize(
    "char, folded",
    [
        (",", " "),  # Po
        ("-", " "),  # Pd
        ("«", " "),  # Pi
        ("_", " "),  # Pc
        ("$", " "),  # Sc
        ("+", " "),  # Sm
        ("©", " "),  # So
        ("^", " "),  # Sk
        ("\u3000", " "),  # Zs
        ("\u2028", " "),  # Zl
        ("\t", " "),  # Cc
        ("\u200b", " "),  # Cf
        ("a", "a"),  # Ll
        ("Z", "Z"),  # Lu
        ("5", "5"),  # Nd
        ("½", "½"),  # No
        ("\u0301", "\u0301"),  # Mn
        ("北", "北"),  # Lo
    ],
)
def test_fold_table_maps_punctuation_symbols_separators_controls_to_space(char, folded):
    # a fresh table: the module's own caches every answer, so only a new one runs the rule
    table = _FoldTable()
    assert char.translate(table) == folded
    assert table[ord(char)] == ord(folded)  # remembered


@pytest.mark.parametrize(
    "a, b",
    [
        ("HAKLARI İSTANBUL", "hakları istanbul"),
        ("Hello, world!", "hello   world"),
        ("U.S.-China", "U.S. China"),
        ("\u201cquoted\u201d", '"quoted"'),
    ],
)
def test_same_key_up_to_form(a, b):
    assert exact_key(a) == exact_key(b)


@pytest.mark.parametrize("a, b", [("Hello, world!", "Hello, word!"), ("5 km", "50 km"), ("a b", "ab")])
def test_different_text_different_key(a, b):
    assert exact_key(a) != exact_key(b)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("breaking news 北京 today", ["breaking", "news", "北", "京", "today"]),
        ("ひらがな カタカナ", ["ひ", "ら", "が", "な", "カ", "タ", "カ", "ナ"]),
        ("\u3400\u4dbf\uf900\ufaff", ["\u3400", "\u4dbf", "\uf900", "\ufaff"]),  # ext. A, compatibility
        ("abc北def", ["abc", "北", "def"]),
        ("한국어 text", ["한국어", "text"]),  # Hangul is written with spaces: one token per word
        ("", []),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


@pytest.mark.parametrize(
    "words, size, expected",
    [
        (["a", "b", "c", "a", "b", "c"], 3, ["a b c", "b c a", "c a b"]),
        (["a", "b", "c"], 3, ["a b c"]),  # exactly size: one shingle
        (["a", "b", "c", "d"], 3, ["a b c", "b c d"]),
        (["a", "b"], 1, ["a", "b"]),
        (["a", "a", "a"], 1, ["a"]),
        (["short"], 5, ["short"]),
        ([], 5, []),
    ],
)
def test_shingles(words, size, expected):
    assert shingles(words, size) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One.\n\n  \nTwo\nlines.\n\n", ["One.", "Two\nlines."]),
        ("A\n\t\nB\n \r\nC\r\n\r\nD", ["A", "B", "C", "D"]),  # tabs, spaces, CRLF blank lines
        ("A\n\u00a0\nB", ["A\n\u00a0\nB"]),  # a no-break space is text, not a blank line
        ("  only  ", ["only"]),
        ("\n\n\n", []),
        ("", []),
    ],
)
def test_split_paragraphs(text, expected):
    assert split_paragraphs(text) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (["a", "b", "c"], ["b", "c", "d"], 0.5),
        (["a", "a"], ["a"], 1.0),
        ([], [], 1.0),
        (["a"], [], 0.0),
        (["a"], ["b"], 0.0),
        (["a", "b", "c", "d"], ["a"], 0.25),
    ],
)
def test_jaccard(a, b, expected):
    assert jaccard(a, b) == expected


@pytest.mark.parametrize(
    "text, lang, by_characters",
    [
        ("hello world", "zh", True),  # the detected language decides
        ("hello world", "ja", True),
        ("北京 大学", "de", False),
        ("北京大学", "und", True),  # undetermined: the script decides
        ("hello", "und", False),
        ("北京大学", "other", True),
        ("hello", "other", False),
        ("北 ab", None, True),  # half the tokens are CJK: by characters
        ("北 ab cd", None, False),  # a third: by words
        ("", None, False),
    ],
)
def test_is_character_text(text, lang, by_characters):
    assert is_character_text(text, lang) is by_characters


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("北京大学", "zh", ["北 京", "京 大", "大 学"]),
        ("北京大学", "de", ["北 京 大", "京 大 学"]),  # detected as German: word size
        ("北京大学", None, ["北 京", "京 大", "大 学"]),  # no language: CJK script, character size
        ("a b c d", None, ["a b c", "b c d"]),
    ],
)
def test_block_shingles_size_follows_language_then_script(text, lang, expected):
    assert block_shingles(text, lang, word_size=3, char_size=2) == expected
