"""A file that no encoding decodes (random high bytes, an encrypted or unknown binary format
without NULs or a known signature) is quarantined ``binary``, not kept as a record of U+FFFD."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from babelmill.document import OK
from tests.stages.test_read import GERMAN, assert_quarantined, read_bytes


@pytest.mark.parametrize("seed", range(5))
def test_random_high_bytes_are_binary_not_a_record_of_replacement_characters(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    doc = read_bytes(tmp_path, bytes(rng.randrange(128, 256) for _ in range(5000)), name="blob")
    assert_quarantined(doc, "binary", "could not be decoded")


def test_a_text_already_holding_some_replacement_characters_is_kept(tmp_path: Path):
    # a scrape that lost its umlauts before it reached us: damaged, but still an article
    damaged = GERMAN.replace("ö", "\ufffd").replace("ß", "\ufffd").replace("ü", "\ufffd") * 5
    doc = read_bytes(tmp_path, damaged.encode("utf-8"))
    assert doc.status == OK
    assert doc.text.count("\ufffd") == damaged.count("\ufffd")


def test_a_page_with_some_undecodable_bytes_is_kept(tmp_path: Path):
    doc = read_bytes(tmp_path, (GERMAN * 4).encode("utf-8") + bytes(range(0x80, 0xA0)) + b"\n")
    assert doc.status == OK
    assert "Straße" in doc.text
