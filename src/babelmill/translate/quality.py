"""Per-block quality signals for machine translation output.

Nothing is dropped here: the stage writes ``block.meta["quality"] = {"confidence", "flags"}``
and keeps the block, so a reviewer (or a later filter) can decide.

Flags:

* ``low_confidence`` - mean per-token probability of the model's output below a threshold;
* ``source_language_left`` - the output still looks like the source language (Han characters
  for Chinese, German function words for German): the model copied instead of translating;
* ``length_ratio`` - output much shorter or longer than the source (dropped or hallucinated text);
* ``repetition`` - a repeated n-gram loop, the classic NMT failure;
* ``placeholder_dropped`` / ``placeholder_extra`` - see :mod:`babelmill.translate.protect`.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from babelmill.translate.protect import protect

#: each flag in a sentence a reviewer can act on (the report shows these beside the counts)
FLAG_EXPLANATIONS = {
    "low_confidence": "the model was unsure: its mean per-token probability is under min_confidence; "
    "read the translation against the original",
    "source_language_left": "the English still reads like the source language (Han characters, German "
    "function words): the model copied instead of translating",
    "length_ratio": "the English is much shorter or longer than the source (outside length_ratio_min/max): "
    "text was dropped or invented",
    "repetition": "a word or phrase repeats in a loop, the classic failure of translation models",
    "placeholder_dropped": "the model lost a protected span (URL, number, handle, emoji); it was appended "
    "at the end of the block, maybe out of place",
    "placeholder_extra": "the model made up or repeated a placeholder; it was removed",
}
_PLACEHOLDER = re.compile(r"ZQX\d+")
# a 2-10 character unit repeated 6+ times in a row ("sagsagsag...", "!?!?!?...")
_CHAR_LOOP = re.compile(r"(\S{2,10}?)\1{5,}")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# frequent German function words that are not also English words
GERMAN_STOPWORDS = frozenset(
    "der die das und ist nicht ein eine einen einem einer des dem den zu mit sich auf für von "
    "auch wird werden wurde sind dass oder aber wie bei nach noch nur über aus vom zum zur "
    "ich wir sie ihr er es kein keine schon sehr hat haben hatte wenn weil durch gegen ohne "
    "unter zwischen diese dieser dieses jetzt heute mehr wieder".split()
)


def without_protected(text: str) -> str:
    """``text`` minus the spans :func:`~babelmill.translate.protect.protect` would keep verbatim.

    >>> without_protected("Siehe https://example.com/a jetzt 🚀")
    'Siehe   jetzt  '
    """
    return _PLACEHOLDER.sub(" ", protect(text).text)


def source_units(text: str) -> float:
    """Length of a source text in roughly word-sized units: words, with each Han character
    counted as 0.6 of a word (a Chinese character carries about that much English)."""
    han = len(_HAN.findall(text))
    words = len(_WORD.findall(_HAN.sub(" ", text)))
    return words + 0.6 * han


def target_units(text: str) -> float:
    return float(len(_WORD.findall(text)))


def source_language_left(text: str, source_lang: str) -> bool:
    """True when English output still reads like the source language.

    >>> source_language_left("Die Regierung hat das Gesetz nicht beschlossen.", "de")
    True
    >>> source_language_left("The government did not pass the law.", "de")
    False
    >>> source_language_left("The 中国经济 grew.", "zh")
    True
    """
    if source_lang == "zh":
        han = len(_HAN.findall(text))
        return han > 0 and han / max(1, len(text.replace(" ", ""))) > 0.1
    if source_lang == "de":
        words = [w.lower() for w in _WORD.findall(text)]
        if len(words) < 4:
            return False
        german = sum(w in GERMAN_STOPWORDS for w in words)
        return german / len(words) >= 0.2
    return False


def has_repetition(text: str, n: int = 3, max_repeats: int = 3) -> bool:
    """A word n-gram occurring ``max_repeats`` times or more, or one word 4 times in a row.

    >>> has_repetition("the the the the end")
    True
    >>> has_repetition("in the city of the city of the city of Berlin")
    True
    >>> has_repetition("A normal sentence about the city and the people of the city.")
    False
    >>> has_repetition("Result: sagsagsagsagsagsag")  # a loop inside one token
    True
    """
    if _CHAR_LOOP.search(text):
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    run = 1
    for a, b in zip(words, words[1:], strict=False):
        run = run + 1 if a == b else 1
        if run >= 4:
            return True
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return any(c >= max_repeats for c in grams.values())


def assess(
    source: str,
    target: str,
    source_lang: str,
    mean_logprob: float | None,
    *,
    min_confidence: float = 0.3,
    length_ratio_min: float = 0.4,
    length_ratio_max: float = 2.5,
) -> dict:
    """Quality of one translated block: ``{"confidence": 0..1, "flags": [...]}``.

    ``confidence`` is ``exp(mean per-token log-prob)`` of the model (1.0 when nothing was
    decoded, e.g. a sentence of only protected spans).
    """
    # URLs, handles, amounts ... are copied verbatim; they say nothing about the language
    source, target = without_protected(source), without_protected(target)
    confidence = 1.0 if mean_logprob is None else math.exp(min(0.0, mean_logprob))
    flags: list[str] = []
    if confidence < min_confidence:
        flags.append("low_confidence")
    if source_language_left(target, source_lang):
        flags.append("source_language_left")
    src_len = source_units(source)
    if src_len >= 4:
        ratio = target_units(target) / src_len
        if not (length_ratio_min <= ratio <= length_ratio_max):
            flags.append("length_ratio")
    if has_repetition(target):
        flags.append("repetition")
    return {"confidence": round(confidence, 4), "flags": flags}
