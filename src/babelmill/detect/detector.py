"""Run the whole detection over one document's blocks: per-block languages, then origin.

Kept apart from the stage so the CLI, the benchmark and the stage share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babelmill.detect.context import Decision, resolve
from babelmill.detect.langid import DEFAULT_LANGUAGES, LanguageIdentifier
from babelmill.detect.markers import MarkerRules
from babelmill.detect.mtmodel import MTClassifier
from babelmill.detect.mtscore import with_translation_score
from babelmill.detect.origin import OriginSettings, decide_origin


@dataclass
class DetectConfig:
    """Options of the ``detect`` stage.

    Args:
        languages: ISO 639-1 codes the statistical detectors choose among (de, en, zh are always
            added). Distractors that look like German/English (nl, sv, da) must be in the set
            so that a Dutch line is called "other" instead of German.
        use_lingua: use lingua (models ship inside its wheel; offline) blended with langdetect;
            off = seeded langdetect alone (faster to load, worse on short text).
        langdetect_weight: langdetect's share of the blended probabilities when lingua runs.
        lingua_low_accuracy: lingua's trigram-only mode for every block, for memory-bound
            workers: ~80 MB instead of ~350 MB per process, ~0.1 s instead of ~2 s to load and
            ~1.8x the blocks/s, with the same page languages, article-line languages and seed
            decisions on the dev pages (context decides short blocks), but context-free
            accuracy on dev langid 0.924 instead of 0.958 (single words 0.83 vs 0.89).
        min_letters: a block with fewer letters is "short" and decided by context unless very
            confident (names, dates, button labels fool every detector).
        min_confidence: a block whose own guess is less confident is decided by context.
        context_prior: prior probability that a short/ambiguous block is in its context's
            language (neighbours and document); its own detector probabilities must beat it.
        context_window: blocks looked at on each side for a confident neighbour.
        default_language: the language of a document with no usable text.
        markers: machine-translation marker rules, relative to the pipeline config's folder.
        mt_model: classifier JSON, relative to the pipeline config's folder; empty = the packaged
            ``babelmill/data/mtdetect.json.gz`` (written by ``benchmarks/train_mtdetect.py``;
            model card ``babelmill/data/mtdetect.md``).
        mt_bias: log-odds before any evidence. 0: the classifier alone flags a document where its
            calibrated probability reaches the model's learned document threshold; negative
            values ask for more.
        mt_classifier_weight: multiplier of the classifier's mean chunk log-odds.
        mt_threshold: ``mt_score`` at or above which a document is flagged.
        mt_min_english_share: documents with less English (by characters) are not judged.
        mt_chunk_words: words per chunk the classifier scores (the training chunk size).
        mt_translation_score: when the classifier file has a translation-model-score part
            (``benchmarks/train_mtdetect.py --translation-models``; the packaged model has none),
            use it if exactly the zh->en (and en->zh) packages it was fitted with are installed
            (``babelmill/detect/mtscore.py``); off = the n-gram model alone.
    """

    languages: list[str] = field(default_factory=lambda: list(DEFAULT_LANGUAGES))
    use_lingua: bool = True
    langdetect_weight: float = 0.1
    lingua_low_accuracy: bool = False
    min_letters: int = 20
    min_confidence: float = 0.7
    context_prior: float = 0.6
    context_window: int = 3
    default_language: str = "en"
    markers: str = "rules/mt_markers.toml"
    mt_model: str = ""
    mt_bias: float = 0.0
    mt_classifier_weight: float = 1.0
    mt_threshold: float = 0.5
    mt_min_english_share: float = 0.5
    mt_chunk_words: int = 80
    mt_translation_score: bool = True

    def __post_init__(self) -> None:
        # fail at config load, not on the first document
        bad = [c for c in self.languages if not (isinstance(c, str) and len(c) == 2 and c.isalpha() and c.islower())]
        if bad:
            raise ValueError(f"languages: {bad!r} are not ISO 639-1 codes (two lower-case letters)")
        if self.use_lingua:
            try:
                from lingua import IsoCode639_1
            except ImportError:
                pass
            else:
                unknown = [c for c in self.languages if not hasattr(IsoCode639_1, c.upper())]
                if unknown:
                    raise ValueError(f"languages: lingua has no model for {unknown!r}")
        for name in ("langdetect_weight", "min_confidence", "context_prior", "mt_threshold", "mt_min_english_share"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {v!r}")
        if self.default_language not in ("de", "en", "zh", "other"):
            raise ValueError(f"default_language must be de, en, zh or other, got {self.default_language!r}")


@dataclass
class DocumentResult:
    decisions: list[Decision]
    origin: dict
    original_title_lang: str | None = None
    original_title_code: str | None = None


def resolve_path(rel: str, base_dir: Path | None) -> Path:
    """A rules path from the config: absolute, or relative to the config's folder."""
    from babelmill.config import resolve_rule_path

    return resolve_rule_path(rel, base_dir)


class DocumentDetector:
    """Loads the detectors and rules once; :meth:`detect` is then a pure function of its input."""

    def __init__(
        self, config: DetectConfig | None = None, base_dir: Path | None = None, models_dir: str | Path | None = None
    ):
        self.config = config or DetectConfig()
        c = self.config
        self.identifier = LanguageIdentifier(
            c.languages,
            use_lingua=c.use_lingua,
            langdetect_weight=c.langdetect_weight,
            lingua_low_accuracy=c.lingua_low_accuracy,
        )
        self.rules = MarkerRules.load(resolve_path(c.markers, base_dir))
        classifier = MTClassifier.load(resolve_path(c.mt_model, base_dir) if c.mt_model else None)
        # the translation-model score only where the model file has weights for the installed packages
        self.classifier, self.classifier_note = with_translation_score(classifier, models_dir, c.mt_translation_score)
        self.settings = OriginSettings(
            bias=c.mt_bias,
            classifier_weight=c.mt_classifier_weight,
            threshold=c.mt_threshold,
            min_english_share=c.mt_min_english_share,
            chunk_words=c.mt_chunk_words,
        )

    def languages(self, texts: list[str]) -> tuple[list[Decision], str]:
        """Per-block decisions (context applied) and the dominant language."""
        c = self.config
        guesses = [self.identifier.identify(t) for t in texts]
        return resolve(
            guesses,
            [len(t.strip()) for t in texts],
            min_letters=c.min_letters,
            min_confidence=c.min_confidence,
            context_prior=c.context_prior,
            window=c.context_window,
            default=c.default_language,
        )

    def detect(
        self, texts: list[str], removed: list[str] | None = None, original_title: str | None = None
    ) -> DocumentResult:
        decisions, dominant = self.languages(texts)
        langs = [d.lang for d in decisions]
        chars: dict[str, int] = {}
        for t, lang in zip(texts, langs, strict=True):
            chars[lang] = chars.get(lang, 0) + len(t.strip())
        total = sum(chars.values())
        language = max(sorted(chars), key=lambda k: chars[k]) if total else dominant
        mix = {k: round(v / total, 3) for k, v in sorted(chars.items()) if v} if total else {}
        title_lang = title_code = None
        if original_title and original_title.strip():
            g = self.identifier.identify(original_title)
            title_lang, title_code = g.lang, g.code
        origin = {"language": language, "language_mix": mix}
        origin.update(
            decide_origin(
                [t.strip() for t in texts],
                langs,
                [r.strip() for r in (removed or [])],
                self.rules,
                self.classifier,
                self.settings,
                original_title_lang=title_lang,
            )
        )
        if self.classifier_note and origin.get("mt_probability") is not None:
            origin["evidence"].append(self.classifier_note)
        return DocumentResult(decisions, origin, title_lang, title_code)
