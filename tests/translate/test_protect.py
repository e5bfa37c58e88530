"""Span protection as data: tests/cases/protect.json (every span kind, negatives, what restore
makes of invented, dropped, reordered and repeated placeholders), plus linear-time checks."""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelmill.translate.protect import PATTERNS, has_translatable_text, protect, restore

CASES = json.loads((Path(__file__).parents[1] / "cases" / "protect.json").read_text(encoding="utf-8"))


def _ids(group: str) -> list[str]:
    return [c["name"] for c in CASES[group]]


@pytest.mark.parametrize("case", CASES["protect"], ids=_ids("protect"))
def test_protect(case):
    masked = protect(case["text"])
    assert masked.text == case["masked"]
    assert list(masked.spans) == case["spans"]
    assert list(masked.kinds) == case["kinds"]
    # an unchanged translation gives back the input, with no flags
    assert restore(masked.text, masked.spans) == (case["text"], [])


def test_every_span_kind_has_a_case():
    kinds = {k for case in CASES["protect"] for k in case["kinds"]}
    assert kinds == {name for name, _ in PATTERNS}


@pytest.mark.parametrize("case", CASES["unprotected"], ids=_ids("unprotected"))
def test_unprotected_text_is_left_alone(case):
    masked = protect(case["text"])
    assert (masked.text, masked.spans, masked.kinds) == (case["text"], (), ())


@pytest.mark.parametrize("case", CASES["restore"], ids=_ids("restore"))
def test_restore(case):
    spans = protect(case["source"]).spans
    assert restore(case["translated"], spans) == (case["expected"], case["flags"])
    # a list of spans works the same as the tuple protect returns
    assert restore(case["translated"], list(spans)) == (case["expected"], case["flags"])


@pytest.mark.parametrize(
    "masked, expected",
    [
        ("ZQX0 ZQX1 — 12.", False),
        ("zqx0 Z Q X1 !", False),
        ("", False),
        ("ZQX0 ist da", True),
        ("ZQX0 中", True),
        ("Straße", True),
    ],
)
def test_has_translatable_text(masked, expected):
    assert has_translatable_text(masked) is expected


# A line of 100k characters costs well under a second when every pattern is linear; the
# quadratic e-mail and number patterns this replaced needed minutes. CPU time, so a busy machine
# does not fail the test.
LINEAR_BUDGET_S = 3.0


@pytest.mark.parametrize("case", CASES["linear"], ids=_ids("linear"))
def test_hostile_line_is_protected_in_linear_time(case):
    line = case.get("prefix", "") + case["unit"] * case["repeat"] + case.get("suffix", "")
    assert len(line) >= 100_000
    start = time.process_time()
    masked = protect(line)
    restored = restore(masked.text, masked.spans)
    spent = time.process_time() - start
    assert spent < LINEAR_BUDGET_S, f"{case['name']}: {spent:.1f} s for {len(line)} characters"
    assert restored == (line, [])


@pytest.mark.parametrize("unit", CASES["units"])
def test_every_unit_after_a_number_is_protected(unit):
    for number in ("5 ", "1.234,5", "1 000 "):
        masked = protect(f"Es sind {number}{unit} hier")
        assert (masked.text, masked.spans, masked.kinds) == ("Es sind ZQX0 hier", (f"{number}{unit}",), ("quantity",))
    # a unit glued to a following word is not taken with it
    assert "5 " + unit + "x" not in protect(f"Es sind 5 {unit}x hier").spans


@pytest.mark.parametrize("symbol", CASES["amount_symbols"])
def test_every_currency_symbol_before_a_number_is_protected(symbol):
    for amount in (f"{symbol}5", f"{symbol} 4,99", f"{symbol}1,000.50"):
        masked = protect(f"Preis {amount} heute")
        assert (masked.text, masked.spans, masked.kinds) == ("Preis ZQX0 heute", (amount,), ("amount",))
    for suffix in CASES["amount_suffixes"]:
        for amount in (f"{symbol}3{suffix}", f"{symbol}3 {suffix}"):
            assert protect(f"Preis {amount} heute").spans == (amount,)


# text built from the characters the span patterns turn on, so that the skipped patterns matter
_PIECES = [
    *"aZqQxX zq09 .,:/@#$€£¥`%-+_wht",
    *["://", "www.", "🚀", "☀️", "🇩🇪", "km", "EUR", " Mio.", "ZQX1", "zq x7"],
    *["a@b.de", "@name", "$AAPL", "#tag", "€ 5", "5 km", "3,5 %", "`x`", "https://a.b/c", "www.a.de", "12.000"],
]
_SPANNY = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(_SPANNY)
def test_skipping_patterns_that_cannot_match_changes_nothing(text):
    """protect() tries only the patterns whose trigger characters occur in the text; the result
    must equal trying every pattern everywhere."""
    module = importlib.import_module("babelmill.translate.protect")  # the package re-exports protect()

    fast = protect(text)
    saved = module._POSSIBLE
    module._POSSIBLE = {name: (lambda t: True) for name in saved}
    try:
        assert protect(text) == fast
    finally:
        module._POSSIBLE = saved
