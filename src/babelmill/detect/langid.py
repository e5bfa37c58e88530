"""Per-text language identification: script rules, then statistical detectors.

Order of evidence:

1. Script (:mod:`babelmill.detect.script`): Han -> ``zh``, kana -> ``other``/``ja``, Hangul ->
   ``other``/``ko``. Exact, so confidence is high.
2. Lingua (``lingua-language-detector``, models shipped inside the wheel, offline) over a fixed
   language set: the best short-text detector we measured (benchmarks/detect.py).
3. langdetect with its *own* factory instance seeded to 0, blended in with a small weight; it
   is the fallback when lingua is not installed. Using our own factory keeps us deterministic
   without touching (or depending on) the global ``DetectorFactory.seed``.
4. A de/en function-word prior for very short texts ("und", "der" vs. "the", "and"): single
   words are where n-gram models confuse German with Dutch or Danish.

Targets are ``de``, ``en`` and ``zh``; everything else is ``other`` with its ISO code kept.
Texts without letters (timestamps, emoji) get ``None`` and are left to context.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from babelmill.detect.script import profile, script_language

TARGETS = ("de", "en", "zh")

DEFAULT_LANGUAGES = ("de", "en", "zh", "nl", "sv", "da", "nb", "fr", "es", "it", "pt", "pl", "tr", "ja", "ko", "ru")

# Very frequent closed-class words; a hit is strong evidence in a 1-4 word text.
DE_FUNCTION_WORDS = frozenset(
    "der die das und ist nicht ein eine einen einem einer mit von zu für auf den dem des sich auch "
    "im ich wir sie es aber oder wird werden wurde hat haben sind war noch nur schon dass wie bei "
    "über nach aus vom zum zur durch gegen ohne unter zwischen sowie jetzt hier dort heute".split()
)
EN_FUNCTION_WORDS = frozenset(
    "the and is are was were of to in for on with by from at this that these those it its be been "
    "has have had will would can could should not no or but which who what when where how why "
    "we you they he she our your their my a an as about after into than then there here".split()
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


def group_of(code: str) -> str:
    """ISO code -> ``de``/``en``/``zh``/``other`` (``zh-cn`` and ``zh-tw`` are ``zh``)."""
    base = code.split("-")[0].lower()
    return base if base in TARGETS else "other"


@dataclass(slots=True)
class Guess:
    """A detector's answer for one text.

    ``lang`` is the group (``de``/``en``/``zh``/``other``) or ``None`` when the text has no
    letters; ``code`` is the ISO code behind it; ``scores`` are per-ISO-code probabilities
    (summing to about 1); ``by`` says which evidence decided (``script``, ``model``, ``none``).
    """

    lang: str | None
    code: str | None
    confidence: float
    letters: int
    by: str
    scores: dict[str, float] = field(default_factory=dict)

    def score_of(self, group: str) -> float:
        """Probability of a group: its code's, and for ``other`` the best non-target code's.

        ``other`` is not one language: summing a dozen small probabilities would make it win
        on every name or timestamp, where each language gets a little.
        """
        if self.by == "script":
            return self.confidence if self.lang == group else 0.0
        return max((v for k, v in self.scores.items() if group_of(k) == group), default=0.0)


class _LangdetectModel:
    """langdetect with a private, seeded factory (profiles load once, lazily)."""

    _lock = threading.Lock()
    _factory = None

    @classmethod
    def factory(cls):
        with cls._lock:
            if cls._factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                f = DetectorFactory()
                f.load_profile(PROFILES_DIRECTORY)
                f.seed = 0  # read by each Detector; makes the random n-gram sampling repeatable
                cls._factory = f
            return cls._factory

    @classmethod
    def probabilities(cls, text: str) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        try:
            det = cls.factory().create()
            det.append(text)
            return {p.lang.split("-")[0]: float(p.prob) for p in det.get_probabilities()}
        except LangDetectException:
            return {}


class _LinguaModel:
    """lingua restricted to a language set; ``None`` when the package is not installed."""

    _lock = threading.Lock()
    _detectors: dict[tuple[str, ...], object] = {}

    @classmethod
    def detector(cls, languages: tuple[str, ...]):
        with cls._lock:
            if languages not in cls._detectors:
                try:
                    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
                except ImportError:
                    cls._detectors[languages] = None
                else:
                    langs = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in languages]
                    cls._detectors[languages] = LanguageDetectorBuilder.from_languages(*langs).build()
            return cls._detectors[languages]

    @classmethod
    def probabilities(cls, text: str, languages: tuple[str, ...]) -> dict[str, float] | None:
        det = cls.detector(languages)
        if det is None:
            return None
        return {
            r.language.iso_code_639_1.name.lower(): float(r.value) for r in det.compute_language_confidence_values(text)
        }


def lingua_available() -> bool:
    """Whether the optional lingua detector can be used."""
    return _LinguaModel.detector(("de", "en")) is not None


class LanguageIdentifier:
    """Deterministic language guess for one text, without context.

    Args:
        languages: ISO 639-1 codes the statistical detectors choose among. Keeping the set
            small and relevant (targets plus likely distractors) is what makes short texts
            work: a word can then only be mistaken for a language that is in the set.
        use_lingua: use lingua when installed (else langdetect alone).
        langdetect_weight: share of langdetect in the blended probabilities when lingua runs.
        prior_weight: probability mass the de/en function-word prior moves on texts of at most
            ``prior_max_words`` words.
        max_chars: only the first this many characters go to the statistical detectors.
    """

    def __init__(
        self,
        languages: tuple[str, ...] | list[str] = DEFAULT_LANGUAGES,
        use_lingua: bool = True,
        langdetect_weight: float = 0.1,
        prior_weight: float = 0.3,
        prior_max_words: int = 4,
        max_chars: int = 3000,
    ):
        self.languages = tuple(sorted(set(languages) | set(TARGETS)))
        self.use_lingua = use_lingua and lingua_available()
        self.langdetect_weight = langdetect_weight
        self.prior_weight = prior_weight
        self.prior_max_words = prior_max_words
        self.max_chars = max_chars

    @property
    def name(self) -> str:
        return "script+lingua+langdetect" if self.use_lingua else "script+langdetect"

    def scores(self, text: str) -> dict[str, float]:
        """Blended per-ISO-code probabilities from the statistical detectors (no script rule)."""
        li = _LinguaModel.probabilities(text, self.languages) if self.use_lingua else None
        if li is not None and self.langdetect_weight < 0.44 and max(li.values(), default=0.0) >= 0.9:
            # langdetect's share (< 0.44) cannot change a winner at >= 0.9: skip it (the slow part)
            ld: dict[str, float] = {}
        else:
            # only the configured languages: langdetect knows 55 and calls a timestamp Slovak
            ld = {k: v for k, v in _LangdetectModel.probabilities(text).items() if k in self.languages}
        if li is None:
            blended = dict(ld)
        else:
            w = self.langdetect_weight
            w = w if ld else 0.0
            blended = {k: (1 - w) * v for k, v in li.items()}
            for k, v in ld.items():
                blended[k] = blended.get(k, 0.0) + w * v
        words = [m.group(0).lower() for m in _WORD_RE.finditer(text)]
        if words and len(words) <= self.prior_max_words and self.prior_weight > 0:
            de = sum(word in DE_FUNCTION_WORDS for word in words)
            en = sum(word in EN_FUNCTION_WORDS for word in words)
            if de != en:
                winner = "de" if de > en else "en"
                blended = {k: v * (1 - self.prior_weight) for k, v in blended.items()}
                blended[winner] = blended.get(winner, 0.0) + self.prior_weight
        total = sum(blended.values())
        if total <= 0:
            return {}
        return {k: v / total for k, v in sorted(blended.items())}

    def identify(self, text: str) -> Guess:
        """Script first, then the blended detectors; ``lang`` is ``None`` for letterless text."""
        letters = profile(text).letters
        if letters == 0:
            return Guess(None, None, 0.0, 0, "none")
        by_script = script_language(text)
        if by_script is not None:
            group, code = by_script
            # one or two CJK characters are still unambiguous as to script, less as to language
            conf = 0.99 if letters >= 4 else 0.9
            return Guess(group, code, conf, letters, "script", {code: conf})
        # a few thousand characters decide any language; the cap bounds the time per block
        scores = self.scores(text[: self.max_chars])
        if not scores:
            return Guess(None, None, 0.0, letters, "none")
        # ties broken by code so the answer never depends on dict order
        code = max(sorted(scores), key=lambda k: scores[k])
        return Guess(group_of(code), code, scores[code], letters, "model", scores)
