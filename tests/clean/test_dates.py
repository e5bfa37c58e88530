"""Date parsing cases kept as data (tests/cases/date_cases.json), negatives included."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from babelmill.clean.dates import parse_date

CASES = json.loads((Path(__file__).parents[1] / "cases" / "date_cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_date_case(case: dict) -> None:
    got = parse_date(case["input"])
    if case["expect"] == "pass":
        assert got == case["expected"]
    else:
        assert got != case["expected"]


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c["expected"], str)], ids=lambda c: c["label"])
def test_full_dates_parse_as_iso(case: dict) -> None:
    """Every string value is ISO 8601 that the standard library reads back."""
    value = parse_date(case["input"])
    assert isinstance(value, str)
    datetime.fromisoformat(value)


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c["expected"], dict)], ids=lambda c: c["label"])
def test_partial_dates_keep_the_raw_text_and_invent_nothing(case: dict) -> None:
    value = parse_date(case["input"])
    assert isinstance(value, dict) and value["raw"] == case["input"]
    assert set(value) == {"year", "month", "day", "time", "raw"}
