"""Sentence splitting and chunking as data: tests/cases/sentences.json (negatives included),
plus linear-time checks on hostile lines."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from babelmill.translate.sentences import chunk_long, split_sentences, split_with_separators

CASES = json.loads((Path(__file__).parents[1] / "cases" / "sentences.json").read_text(encoding="utf-8"))


def _ids(group: str) -> list[str]:
    return [c["name"] for c in CASES[group]]


@pytest.mark.parametrize("case", CASES["split"], ids=_ids("split"))
def test_split(case):
    assert split_sentences(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["one_sentence"], ids=_ids("one_sentence"))
def test_one_sentence_stays_whole(case):
    assert split_sentences(case["text"]) == [case["text"]]
    assert split_with_separators(case["text"]) == [(case["text"], "")]


@pytest.mark.parametrize("case", CASES["split"], ids=_ids("split"))
def test_separators_agree_with_split(case):
    pairs = split_with_separators(case["text"])
    assert [s for s, _ in pairs] == case["expected"]
    assert all(sep in (" ", "") or set(sep) == {"\n"} for _, sep in pairs)
    if pairs:
        assert pairs[-1][1] in ("", "\n") or case["text"].endswith("\n")


@pytest.mark.parametrize("case", CASES["separators"], ids=_ids("separators"))
def test_separators(case):
    assert split_with_separators(case["text"]) == [tuple(p) for p in case["expected"]]


@pytest.mark.parametrize("case", CASES["chunk"], ids=_ids("chunk"))
def test_chunk(case):
    parts = chunk_long(case["text"], case["max_chars"])
    assert parts == case["expected"]
    assert all(0 < len(p) <= case["max_chars"] for p in parts)
    assert "".join(parts).replace(" ", "") == case["text"].replace(" ", "")


def test_chunk_rejects_a_limit_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        chunk_long("abc", 0)


# A line of a few hundred KB costs well under a second when splitting is linear; the quadratic
# splitter this replaced spent 98 s on 190 KB of "Der Rat sagte z. B. ". CPU time, so a busy
# machine does not fail the test.
LINEAR_BUDGET_S = 3.0


@pytest.mark.parametrize("case", CASES["linear"], ids=_ids("linear"))
def test_hostile_line_is_split_in_linear_time(case):
    line = case.get("prefix", "") + case["unit"] * case["repeat"] + case.get("suffix", "")
    assert len(line) >= 100_000
    start = time.process_time()
    pairs = split_with_separators(line)
    chunks = [c for s, _ in pairs for c in chunk_long(s, 400)]
    spent = time.process_time() - start
    assert spent < LINEAR_BUDGET_S, f"{case['name']}: {spent:.1f} s for {len(line)} characters"
    # nothing lost: every non-space character comes back, in order
    assert "".join(chunks).replace(" ", "") == "".join(line.split())
