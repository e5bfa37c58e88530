"""Sentence splitting and span protection used by the translate stage."""

from __future__ import annotations

import doctest
import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelmill.translate.protect import has_translatable_text, protect, restore
from babelmill.translate.sentences import chunk_long, split_sentences, split_with_separators


@pytest.mark.parametrize("module", ["sentences", "protect", "quality", "packages", "backend"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(f"babelmill.translate.{module}"))
    if module in ("packages", "backend"):
        assert result.failed == 0
        return
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        # German abbreviations do not end sentences
        (
            "Das gilt z.B. für Dr. Meier, Nr. 5 bzw. Prof. Kim usw. und ca. 30 weitere. Dann endet es.",
            ["Das gilt z.B. für Dr. Meier, Nr. 5 bzw. Prof. Kim usw. und ca. 30 weitere.", "Dann endet es."],
        ),
        ("Äpfel, Birnen etc. Alles war teuer.", ["Äpfel, Birnen etc. Alles war teuer."]),
        # ordinal dots
        ("Am 17. November kam er. Im 19. Jahrhundert nicht.", ["Am 17. November kam er.", "Im 19. Jahrhundert nicht."]),
        # a year (4 digits) at the end of a sentence is a boundary
        ("Er kam im Jahr 2023. Danach ging er.", ["Er kam im Jahr 2023.", "Danach ging er."]),
        # decimals and times
        (
            "Der Kurs lag bei 3.5 Prozent. Um 10.30 Uhr fiel er.",
            ["Der Kurs lag bei 3.5 Prozent.", "Um 10.30 Uhr fiel er."],
        ),
        # quotes close the sentence they end
        ("Sie sagte: „Wir gehen.“ Dann ging sie.", ["Sie sagte: „Wir gehen.“", "Dann ging sie."]),
        ("»Nein!« Er lachte.", ["»Nein!«", "Er lachte."]),
        # a quotation of several sentences stays one unit
        (
            "Unter dem Slogan „10 minutes a day. 31 days. A better you.“ gibt es Tipps. Tag 1 folgt.",
            ["Unter dem Slogan „10 minutes a day. 31 days. A better you.“ gibt es Tipps.", "Tag 1 folgt."],
        ),
        # an unbalanced quote mark does not switch splitting off
        ("„Das ist falsch. Er ging. Sie kam.", ["„Das ist falsch.", "Er ging.", "Sie kam."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        # a lower-case continuation is never a boundary
        ("Das ist gut. aber nicht ganz.", ["Das ist gut. aber nicht ganz."]),
        # initials
        ("A. Merkel sprach. J. R. R. Tolkien schrieb.", ["A. Merkel sprach.", "J. R. R. Tolkien schrieb."]),
        # Chinese punctuation needs no space
        ("他说：“好。”然后走了！为什么？因为；没有……", ["他说：“好。”", "然后走了！", "为什么？", "因为；", "没有……"]),
        ("", []),
        ("Line one\nLine two.", ["Line one", "Line two."]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_split_with_separators_keeps_line_breaks():
    assert split_with_separators("Eins. Zwei\nDrei.") == [("Eins.", " "), ("Zwei", "\n"), ("Drei.", "")]


def test_chunk_long_cuts_at_punctuation_and_keeps_every_word():
    sentence = ", ".join(f"Wort{i} und noch mehr Text" for i in range(40))
    parts = chunk_long(sentence, 100)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == sentence.split()


@pytest.mark.parametrize(
    "span, kind",
    [
        ("https://www.example.com/path?a=1&b=2", "url"),
        ("www.tagesschau.de", "url"),
        ("presse@example.org", "email"),
        ("@sama", "handle"),
        ("$NVDA", "ticker"),
        ("#OpenAI", "hashtag"),
        ("$10", "amount"),
        ("€ 4,99", "amount"),
        ("40 km", "quantity"),
        ("3,5 %", "quantity"),
        ("12 GB", "quantity"),
        ("`pip install babelmill`", "code"),
        ("🚀", "emoji"),
        ("👍🏽", "emoji"),
        ("🇩🇪", "emoji"),
    ],
)
def test_protect_finds_each_kind(span, kind):
    masked = protect(f"Siehe {span} jetzt")
    assert masked.spans == (span,)
    assert masked.kinds == (kind,)
    assert masked.text == "Siehe ZQX0 jetzt"


def test_protect_leaves_plain_text_and_plain_numbers_alone():
    text = "Über 700 der 750 Mitarbeiter schrieben am 17. November an den Vorstand."
    assert protect(text).spans == ()


def test_url_does_not_swallow_closing_punctuation():
    masked = protect("Mehr auf https://example.com/a.")
    assert masked.spans == ("https://example.com/a",)
    assert masked.text == "Mehr auf ZQX0."


def test_restore_tolerates_spaced_placeholders_and_flags_losses():
    masked = protect("Kontakt: presse@example.org oder @handle")
    text, flags = restore("Contact: ZQX 0 or", masked.spans)
    assert text == "Contact: presse@example.org or @handle"
    assert flags == ["placeholder_dropped"]
    text, flags = restore("ZQX0 ZQX0 ZQX1 ZQX7", masked.spans)
    assert text == "presse@example.org @handle"
    assert flags == ["placeholder_extra"]


def test_sentence_of_only_protected_spans_is_not_sent_for_translation():
    assert not has_translatable_text(protect("https://example.com 🚀 #AI").text)
    assert has_translatable_text(protect("Siehe https://example.com").text)


_alphabet = st.sampled_from(
    list("abcXYZ zq019 .,:;!?-/@#$€%`'\"\n") + ["ZQX", "ZQX1", "https://", "www.", "km", "🚀", "👍🏽", "中", "ä"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_protect_restore_round_trip(text):
    """Whatever the input, an unchanged translation restores it exactly with no flags."""
    masked = protect(text)
    restored, flags = restore(masked.text, masked.spans)
    assert restored == text
    assert flags == []
    # and the model never sees a URL, e-mail or emoji
    rest = re.sub(r"ZQX\d+", " ", masked.text)
    for span, kind in zip(masked.spans, masked.kinds, strict=True):
        if kind in ("url", "email", "emoji"):
            assert span not in rest


@settings(max_examples=200, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_dropped_placeholders_are_all_restored(text):
    masked = protect(text)
    restored, flags = restore("", masked.spans)
    for span in masked.spans:
        assert span in restored
    assert (flags == ["placeholder_dropped"]) == bool(masked.spans)
