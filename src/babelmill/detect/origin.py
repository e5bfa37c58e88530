"""Document-level decision: was this English text machine-translated from Chinese?

Two kinds of evidence are added up in log-odds, so each one's contribution is visible:

* explicit signals (:mod:`babelmill.detect.markers`): translation disclaimers, Chinese
  outlets in bylines, platforms that publish machine translations, a Chinese block next to its
  English rendering, a Chinese ``original_title``;
* a statistical signal from the text itself (:mod:`babelmill.detect.mtmodel`), which works with
  no marker at all: the mean logit over ~80-word chunks of the document's English prose,
  calibrated (Platt, fitted on grouped out-of-fold scores) to P(mt_zh), and counted as its
  log-odds distance from the model's learned document threshold, so the classifier alone flags a
  document exactly where its validation put the cut (native-English documents under 2% flagged).

``mt_score`` is the logistic of the sum; the document is flagged at ``threshold``. The
classifier's calibrated probability is also kept as ``mt_probability`` (``None`` when the
classifier did not vote) and stated in the evidence with its calibration and threshold. Only
documents that are mostly English are judged: a German article quoting an English tweet is not
a translation. A disclaimer alone marks a document machine-translated even when nothing points
at Chinese; ``machine_translated_from`` is then ``None``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelmill.detect.markers import MarkerHit, MarkerRules, reads_as_label
from babelmill.detect.mtmodel import MTClassifier

if TYPE_CHECKING:
    from babelmill.detect.mtscore import StackedClassifier


@dataclass(slots=True)
class OriginSettings:
    bias: float = 0.0
    classifier_weight: float = 1.0
    threshold: float = 0.5
    min_english_share: float = 0.5
    chunk_words: int = 80
    min_prose_words: int = 8  # blocks shorter than this are headings/UI, not prose for the model
    pair_window: int = 2
    pair_ratio: tuple[float, float] = (1.2, 8.0)  # English chars per Chinese char of a rendering
    title_zone: int = 5  # blocks at the top where a Chinese line without names may pair
    classifier_full_words: int = 150  # below this many words of prose the classifier counts less
    # below this many words the classifier does not vote: it was trained on 3-6 sentence chunks,
    # and per-token rates of one short sentence are extreme (", and" in 11 words reads as 0.98)
    classifier_min_words: int = 40


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_ANCHOR = re.compile(r"[A-Za-z]{2,}|\d+")


def _is_rendering(zh: str, en: str, zh_index: int, settings: OriginSettings) -> bool:
    """Could ``en`` be the English rendering of ``zh``?

    Length must fit (English needs about 1.2-8 characters per Chinese character) and the
    English must be a phrase, not a name. Names and numbers survive translation, so when the
    Chinese line has any ("OpenAI", "2024") the English must repeat one; a Chinese line without
    such anchors only counts near the top of the document, where titles and their
    translations sit. A tag or category line ("Tags: 18th party congress, Beijing") is no rendering.
    """
    if reads_as_label(en):
        return False
    zh_len = sum(1 for ch in zh if "\u4e00" <= ch <= "\u9fff")
    lo, hi = settings.pair_ratio
    if zh_len < 4 or not lo <= len(en) / zh_len <= hi or len(en.split()) < 3:
        return False
    anchors = {a.lower() for a in _ANCHOR.findall(zh)}
    if anchors:
        return any(a in en.lower() for a in anchors)
    return zh_index < settings.title_zone


def find_zh_pairs(texts: list[str], langs: list[str], settings: OriginSettings) -> list[tuple[int, int]]:
    """(zh index, en index) pairs: a Chinese block with its plausible English rendering nearby."""
    pairs = []
    for i, lang in enumerate(langs):
        if lang != "zh":
            continue
        for d in range(1, settings.pair_window + 1):
            j = next(
                (
                    j
                    for j in (i + d, i - d)
                    if 0 <= j < len(texts) and langs[j] == "en" and _is_rendering(texts[i], texts[j], i, settings)
                ),
                None,
            )
            if j is not None:
                pairs.append((i, j))
                break
    return pairs


def decide_origin(
    texts: list[str],
    langs: list[str],
    removed: list[str],
    rules: MarkerRules,
    classifier: MTClassifier | StackedClassifier | None,
    settings: OriginSettings,
    original_title_lang: str | None = None,
) -> dict:
    """Build the ``doc.origin`` dict (without ``language``/``language_mix``, which the caller adds)."""
    chars = {lang: 0 for lang in set(langs)}
    for t, lang in zip(texts, langs, strict=True):
        chars[lang] += len(t)
    total = sum(chars.values()) or 1
    english_share = chars.get("en", 0) / total
    out = {
        "machine_translated": False,
        "machine_translated_from": None,
        "mt_score": 0.0,
        "mt_probability": None,
        "evidence": [],
    }
    if english_share < settings.min_english_share:
        out["evidence"].append(f"not judged: English is {english_share:.0%} of the text")
        return out

    evidence: list[str] = []
    z = settings.bias
    hits: list[MarkerHit] = rules.scan(texts + removed)
    zh_pointing = False
    disclaimer = False
    for h in hits:
        z += h.weight
        evidence.append(f"{h.group.replace('_', ' ')}: '{h.text}'")
        disclaimer |= h.group == "disclaimer"
        zh_pointing |= h.weight > 0 and h.group != "disclaimer"
    pairs = find_zh_pairs(texts, langs, settings)
    if pairs:
        i, j = pairs[0]
        z += rules.weights.get("zh_pair", 0.0)
        evidence.append(f"Chinese line paired with English rendering: '{_quote(texts[i])}' / '{_quote(texts[j])}'")
        zh_pointing = True
    if original_title_lang == "zh":
        z += rules.weights.get("original_title_zh", 0.0)
        evidence.append("original title in Chinese")
        zh_pointing = True
    if classifier is not None:
        prose = [
            t
            for t, lang in zip(texts, langs, strict=True)
            if lang == "en" and len(t.split()) >= settings.min_prose_words
        ]
        words = sum(len(t.split()) for t in prose)
        logit, n = (
            classifier.document_logit(prose, settings.chunk_words)
            if words >= settings.classifier_min_words
            else (0.0, 0)
        )
        if n:
            # a few sentences say little about style: shrink the vote of short documents
            trust = min(1.0, words / max(settings.classifier_full_words, 1))
            calibrated = classifier.calibrated_logodds(logit)
            vote = calibrated - classifier.threshold_logodds(document=True)
            z += settings.classifier_weight * trust * vote
            probability = _sigmoid(calibrated)
            out["mt_probability"] = round(probability, 4)
            evidence.append(
                f"classifier P(mt_zh)={probability:.2f} over {n} chunks of {words} words "
                f"({classifier.calibration}-calibrated; document threshold {classifier.document_threshold:.2f}"
                + (f"; {classifier.note}" if classifier.note else "")
                + (f", weight {trust:.2f} for a short text)" if trust < 1 else ")")
            )
            zh_pointing |= vote > 0
    score = _sigmoid(z)
    flagged_zh = score >= settings.threshold and zh_pointing
    out["mt_score"] = round(score, 4)
    out["machine_translated"] = bool(flagged_zh or disclaimer)
    out["machine_translated_from"] = "zh" if flagged_zh else None
    out["evidence"] = evidence
    return out
