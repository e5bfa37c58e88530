"""Document-level decision: was this English text machine-translated from Chinese?

Two kinds of evidence are added up in log-odds, so each one's contribution is visible:

* explicit signals (:mod:`babelmill.detect.markers`): translation disclaimers, Chinese
  outlets in bylines, platforms that publish machine translations, a Chinese block next to its
  English rendering, a Chinese ``original_title``;
* a statistical signal from the text itself (:mod:`babelmill.detect.mtmodel`), which works with
  no marker at all, averaged over ~80-word chunks of the document's English prose.

``mt_score`` is the logistic of the sum; the document is flagged at ``threshold``. Only
documents that are mostly English are judged: a German article quoting an English tweet is not
a translation. A disclaimer alone marks a document machine-translated even when nothing points
at Chinese; ``machine_translated_from`` is then ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from babelmill.detect.markers import MarkerHit, MarkerRules
from babelmill.detect.mtmodel import MTClassifier


@dataclass(slots=True)
class OriginSettings:
    bias: float = -0.25
    classifier_weight: float = 1.0
    threshold: float = 0.5
    min_english_share: float = 0.5
    chunk_words: int = 80
    min_prose_words: int = 8  # blocks shorter than this are headings/UI, not prose for the model
    pair_window: int = 2
    pair_ratio: tuple[float, float] = (1.2, 8.0)  # English chars per Chinese char of a rendering


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def find_zh_pairs(texts: list[str], langs: list[str], settings: OriginSettings) -> list[tuple[int, int]]:
    """(zh index, en index) pairs: a Chinese block with an English block of plausible length nearby."""
    pairs = []
    for i, lang in enumerate(langs):
        if lang != "zh":
            continue
        zh_len = sum(1 for ch in texts[i] if "\u4e00" <= ch <= "\u9fff")
        if zh_len < 4:
            continue
        lo, hi = settings.pair_ratio
        for d in range(1, settings.pair_window + 1):
            for j in (i + d, i - d):
                if 0 <= j < len(texts) and langs[j] == "en" and lo <= len(texts[j]) / zh_len <= hi:
                    pairs.append((i, j))
                    break
            else:
                continue
            break
    return pairs


def decide_origin(
    texts: list[str],
    langs: list[str],
    removed: list[str],
    rules: MarkerRules,
    classifier: MTClassifier | None,
    settings: OriginSettings,
    original_title_lang: str | None = None,
) -> dict:
    """Build the ``doc.origin`` dict (without ``language``/``language_mix``, which the caller adds)."""
    chars = {lang: 0 for lang in set(langs)}
    for t, lang in zip(texts, langs, strict=True):
        chars[lang] += len(t)
    total = sum(chars.values()) or 1
    english_share = chars.get("en", 0) / total
    out = {"machine_translated": False, "machine_translated_from": None, "mt_score": 0.0, "evidence": []}
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
        logit, n = classifier.document_logit(prose, settings.chunk_words)
        if n:
            z += settings.classifier_weight * logit
            evidence.append(f"classifier score {_sigmoid(logit):.2f} over {n} chunks")
            zh_pointing |= logit > 0
    score = _sigmoid(z)
    flagged_zh = score >= settings.threshold and zh_pointing
    out["mt_score"] = round(score, 4)
    out["machine_translated"] = bool(flagged_zh or disclaimer)
    out["machine_translated_from"] = "zh" if flagged_zh else None
    out["evidence"] = evidence
    return out
