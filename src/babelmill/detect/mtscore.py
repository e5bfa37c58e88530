"""Optional feature for the mt_zh classifier: an installed translation model's score of the text.

The hypothesis (not measured here: no real zh↔en model was available when this was written)
is that English produced by a Chinese-to-English decoder is more probable under such a decoder
than English written by people or translated from German. The feature is the mean per-token
log-probability (CTranslate2 ``Translator.score_batch``) of an English chunk as the *target*
of the installed ``zh -> en`` argos package:

* ``roundtrip`` (an ``en -> zh`` package is installed as well): the source is that package's
  greedy Chinese translation of the chunk, so the feature reads how readily the English comes
  back out of Chinese;
* ``prior`` (only ``zh -> en``): an empty source (the end token alone), so the feature reads the decoder's own prior
  over English sentences.

The packaged classifier carries no weight for it. A model file trained with
``benchmarks/train_mtdetect.py --translation-models DIR`` has a ``translation_score`` part: the
mode, the identities (name, version, sha256 of the weights) of the packages it was fitted with,
a stacked logistic regression over the n-gram logit and the standardised feature, and its own
thresholds. :func:`with_translation_score` applies that part only when exactly those packages
are installed; otherwise the n-gram model decides alone and the reason is stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from babelmill.detect.mtmodel import MTClassifier
from babelmill.translate.packages import ArgosPackage, ModelError, find_package

MODES = ("roundtrip", "prior")


class TranslationScorer:
    """Mean per-token log-probability of English text under an installed ``zh -> en`` model."""

    def __init__(
        self, zh_en: ArgosPackage, en_zh: ArgosPackage | None = None, *, device: str = "cpu", threads: int = 1
    ):
        from babelmill.translate.backend import CTranslate2Backend, DecodeOptions

        if (zh_en.from_code, zh_en.to_code) != ("zh", "en"):
            raise ModelError(f"{zh_en.path}: a zh->en package is needed, not {zh_en.pair}")
        if en_zh is not None and (en_zh.from_code, en_zh.to_code) != ("en", "zh"):
            raise ModelError(f"{en_zh.path}: an en->zh package is needed, not {en_zh.pair}")
        self.zh_en, self.en_zh = zh_en, en_zh
        self.scorer = CTranslate2Backend(zh_en, device=device, inter_threads=1, intra_threads=threads)
        self.back = (
            CTranslate2Backend(
                en_zh,
                device=device,
                inter_threads=1,
                intra_threads=threads,
                options=DecodeOptions(beam_size=1, max_decoding_length=256),
            )
            if en_zh is not None
            else None
        )

    @property
    def mode(self) -> str:
        return "roundtrip" if self.back is not None else "prior"

    def identities(self) -> dict[str, str]:
        """Package pair -> identity (name, version, weight digest) of every model the feature reads."""
        out = {self.zh_en.pair: self.zh_en.identity()}
        if self.en_zh is not None:
            out[self.en_zh.pair] = self.en_zh.identity()
        return out

    @classmethod
    def from_installed(cls, models_dir: str | Path | None = None, mode: str | None = None) -> TranslationScorer | None:
        """The scorer the installed packages allow (``mode`` forces one), or ``None`` without zh->en."""
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        zh_en = find_package("zh", "en", models_dir)
        if zh_en is None:
            return None
        en_zh = find_package("en", "zh", models_dir) if mode != "prior" else None
        if mode == "roundtrip" and en_zh is None:
            return None
        return cls(zh_en, en_zh)

    def score(self, texts: list[str]) -> list[float]:
        """Mean log-probability per target token (end token included) of each text; 0.0 for empty."""
        if not texts:
            return []
        if self.back is not None:
            sources = self.scorer.tokenizer.encode_many([zh for zh, _ in self.back.translate(texts)])
        else:
            # a source of zero tokens makes CTranslate2 return all-zero log-probabilities; the
            # end token alone is an empty sentence the model can attend to
            sources = [["</s>"] for _ in texts]
        targets = self.scorer.tokenizer.encode_many(texts)
        prefix = self.zh_en.target_prefix
        offset = 0
        if prefix:  # multilingual packages name the target language first; it is not scored
            targets = [[prefix, *t] for t in targets]
            offset = 1
        # one call per (source length, target length): no batch is padded, so a text's score does
        # not depend on which other texts are scored with it (padding changes float rounding)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (src, tgt) in enumerate(zip(sources, targets, strict=True)):
            groups.setdefault((len(src), len(tgt)), []).append(i)
        out = [0.0] * len(texts)
        for idx in groups.values():
            results = self.scorer.translator.score_batch(
                [sources[i] for i in idx], [targets[i] for i in idx], offset=offset
            )
            for i, res in zip(idx, results, strict=True):
                n = len(res.log_probs)
                out[i] = float(sum(res.log_probs)) / n if n and len(targets[i]) > offset else 0.0
        return out


@dataclass(frozen=True)
class TranslationScorePart:
    """The ``translation_score`` part of a model file (see the module docstring)."""

    mode: str
    packages: dict[str, str]
    weight_ngram: float
    weight_feature: float
    intercept: float
    mean: float
    scale: float
    chunk_threshold: float
    document_threshold: float

    @classmethod
    def from_model(cls, model: dict) -> TranslationScorePart | None:
        part = model.get("translation_score")
        if not part:
            return None
        return cls(
            mode=str(part["mode"]),
            packages=dict(part["packages"]),
            weight_ngram=float(part["coef"][0]),
            weight_feature=float(part["coef"][1]),
            intercept=float(part["intercept"]),
            mean=float(part["mean"]),
            scale=float(part["scale"]) or 1.0,
            chunk_threshold=float(part["chunk_threshold"]),
            document_threshold=float(part["document_threshold"]),
        )

    def combine(self, ngram_logit: float, feature: float) -> float:
        """Calibrated log-odds of the stacked model."""
        standardised = (feature - self.mean) / self.scale
        return self.intercept + self.weight_ngram * ngram_logit + self.weight_feature * standardised


class StackedClassifier:
    """The n-gram classifier plus a translation-model score; the interface ``decide_origin`` uses."""

    calibration = "stacked"

    def __init__(self, base: MTClassifier, scorer: TranslationScorer, part: TranslationScorePart):
        self.base, self.scorer, self.part = base, scorer, part
        self.chunk_threshold = part.chunk_threshold
        self.document_threshold = part.document_threshold
        ids = ", ".join(f"{pair} {ident.split('#')[0]}" for pair, ident in sorted(part.packages.items()))
        self.note = f"with translation-model score ({part.mode}: {ids})"

    def document_logit(self, paragraphs: list[str], chunk_words: int = 80, max_chunks: int = 40) -> tuple[float, int]:
        """Mean stacked log-odds over the chunks (already calibrated: the stacker is the calibration)."""
        chunks = self.base.chunks(paragraphs, chunk_words, max_chunks)
        if not chunks:
            return 0.0, 0
        feats = self.scorer.score(chunks)
        zs = [self.part.combine(self.base.logit(c), f) for c, f in zip(chunks, feats, strict=True)]
        return sum(zs) / len(zs), len(zs)

    def calibrated_logodds(self, logit: float) -> float:
        return logit

    def threshold_logodds(self, document: bool = True) -> float:
        p = min(max(self.document_threshold if document else self.chunk_threshold, 1e-6), 1 - 1e-6)
        return math.log(p / (1 - p))


def with_translation_score(
    classifier: MTClassifier, models_dir: str | Path | None = None, enabled: bool = True
) -> tuple[MTClassifier | StackedClassifier, str | None]:
    """``(classifier to use, note)``: the stacked one when the model file has a translation-score
    part *and* exactly the packages it was fitted with are installed; the n-gram one otherwise.

    ``note`` says why the part is not used (``None`` when the file has no such part or it is used).
    """
    part = TranslationScorePart.from_model(classifier.meta)
    if part is None:
        return classifier, None
    if not enabled:
        return classifier, "translation-model score not used (switched off)"
    try:
        scorer = TranslationScorer.from_installed(models_dir, part.mode)
    except ModelError as exc:
        return classifier, f"translation-model score not used ({exc})"
    if scorer is None:
        pairs = " and ".join(sorted(part.packages))
        return classifier, f"translation-model score not used ({pairs} not installed)"
    installed = scorer.identities()
    if installed != part.packages:
        return classifier, (
            "translation-model score not used (fitted with "
            + ", ".join(part.packages[k] for k in sorted(part.packages))
            + "; installed "
            + ", ".join(installed[k] for k in sorted(installed))
            + ")"
        )
    return StackedClassifier(classifier, scorer, part), None
