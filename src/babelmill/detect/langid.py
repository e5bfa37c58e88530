"""Per-text language identification: script rules, then statistical detectors.

Order of evidence:

1. Script (:mod:`babelmill.detect.script`): Han -> ``zh``, kana -> ``other``/``ja``, Hangul ->
   ``other``/``ko``. Exact, so confidence is high.
2. Lingua (``lingua-language-detector``, models shipped inside the wheel, offline) over a fixed
   language set: the best short-text detector we measured (benchmarks/detect.py).
3. langdetect with its *own* factory instance seeded to 0, blended in with a small weight, and
   only where lingua's margin is small enough for it to matter (it is the slow part); it
   is the fallback when lingua is not installed. Using our own factory keeps us deterministic
   without touching (or depending on) the global ``DetectorFactory.seed``.
4. A de/en function-word prior for very short texts ("und", "der" vs. "the", "and"): single
   words are where n-gram models confuse German with Dutch or Danish.

Targets are ``de``, ``en`` and ``zh``; everything else is ``other`` with its ISO code kept.
Texts without letters (timestamps, emoji) get ``None`` and are left to context.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from babelmill.detect.script import profile, script_language

TARGETS = ("de", "en", "zh")

# Each Latin-script language costs lingua ~25 MB and langdetect a little time per text, so the
# set is the targets plus the languages a German/English line is mistaken for. nb is left out
# (sv/da already call Norwegian "other"); pl and tr stay: without them Polish reads as English
# and Turkish as German. Non-Latin scripts' models load only for text in their script.
DEFAULT_LANGUAGES = ("de", "en", "zh", "nl", "sv", "da", "fr", "es", "it", "pt", "pl", "tr", "ja", "ko", "ru")

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
    """langdetect with private, seeded factories, one per language set (profiles load lazily).

    Only the profiles of the configured languages are loaded: langdetect's time per text
    grows with the number of profiles (it updates every language's probability for each
    sampled n-gram), and its 55 profiles cost ~60 MB. Restricting it also keeps it from
    calling a timestamp Slovak.
    """

    _lock = threading.Lock()
    _factories: dict[tuple[str, ...], object] = {}

    @classmethod
    def factory(cls, languages: tuple[str, ...]):
        with cls._lock:
            if languages not in cls._factories:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                f = DetectorFactory()
                names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if n.split("-")[0] in languages)
                profiles = [Path(PROFILES_DIRECTORY, n).read_text(encoding="utf-8") for n in names]
                if len(profiles) >= 2:
                    f.load_json_profile(profiles)
                else:  # langdetect needs two profiles; fall back to all of them
                    f.load_profile(PROFILES_DIRECTORY)
                f.seed = 0  # read by each Detector; makes the random n-gram sampling repeatable
                cls._factories[languages] = f
            return cls._factories[languages]

    @classmethod
    def probabilities(cls, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        try:
            det = cls.factory(languages).create()
            det.append(text)
            return {p.lang.split("-")[0]: float(p.prob) for p in det.get_probabilities()}
        except LangDetectException:
            return {}


class _LinguaModel:
    """lingua restricted to a language set; ``None`` when the package is not installed.

    One detector per (language set, mode), built on first use: high accuracy (1- to 5-gram
    models, ~20-30 MB and ~0.15 s to load per Latin-script language) or low accuracy (trigram
    models only, a few MB each). lingua loads a language's models only when a text's letters
    fit that language, so Cyrillic, CJK and Hangul models cost nothing on Latin text.
    """

    _lock = threading.Lock()
    _detectors: dict[tuple[tuple[str, ...], bool], object] = {}

    @classmethod
    def detector(cls, languages: tuple[str, ...], low_accuracy: bool = False):
        key = (languages, low_accuracy)
        with cls._lock:
            if key not in cls._detectors:
                try:
                    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
                except ImportError:
                    cls._detectors[key] = None
                else:
                    langs = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in languages]
                    builder = LanguageDetectorBuilder.from_languages(*langs)
                    if low_accuracy:
                        builder = builder.with_low_accuracy_mode()
                    cls._detectors[key] = builder.build()
            return cls._detectors[key]

    @classmethod
    def preload(cls, language: str, low_accuracy: bool = False) -> None:
        """Load one language's models into lingua's process-wide model cache, which every
        detector shares (nothing when lingua is not installed).

        A detector loads the models of every language that fits a text at once (all the
        Latin-script ones for a Latin text: seconds), holding the GIL throughout; loading them a
        language at a time gives the caller a point between languages to act on a stop request.
        """
        try:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
        except ImportError:
            return
        builder = LanguageDetectorBuilder.from_languages(Language.from_iso_code_639_1(IsoCode639_1.from_str(language)))
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        builder.with_preloaded_language_models().build()

    @classmethod
    def probabilities(
        cls, text: str, languages: tuple[str, ...], low_accuracy: bool = False
    ) -> dict[str, float] | None:
        det = cls.detector(languages, low_accuracy)
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
        lingua_low_accuracy: use lingua's low-accuracy mode (trigram models only) for every
            text: a tenth of the memory and a fast load, same answers on sentences in context,
            but worse on a word or two judged alone (see DetectConfig).
    """

    def __init__(
        self,
        languages: tuple[str, ...] | list[str] = DEFAULT_LANGUAGES,
        use_lingua: bool = True,
        langdetect_weight: float = 0.1,
        prior_weight: float = 0.3,
        prior_max_words: int = 4,
        max_chars: int = 3000,
        lingua_low_accuracy: bool = False,
    ):
        self.languages = tuple(sorted(set(languages) | set(TARGETS)))
        self.use_lingua = use_lingua and lingua_available()
        self.langdetect_weight = langdetect_weight
        self.prior_weight = prior_weight
        self.prior_max_words = prior_max_words
        self.max_chars = max_chars
        self.lingua_low_accuracy = lingua_low_accuracy

    def warm_up(self, between: Callable[[], None] | None = None) -> None:
        """Load lingua's models now, one language at a time, rather than at the first text that
        needs each of them (every Latin-script language at once, seconds).

        lingua holds the GIL while it loads, so a signal handler only runs between two
        languages; ``between`` (e.g. the run's stop check) is called there, so a stop request
        waits for one language's models (the largest take a fraction of a second), not all.
        """
        if not self.use_lingua:
            return
        for language in self.languages:
            if between is not None:
                between()
            _LinguaModel.preload(language, self.lingua_low_accuracy)

    @property
    def name(self) -> str:
        if not self.use_lingua:
            return "script+langdetect"
        return "script+lingua(low accuracy)+langdetect" if self.lingua_low_accuracy else "script+lingua+langdetect"

    def _lingua_decides(self, li: dict[str, float]) -> bool:
        """Whether langdetect (the slow part) could not change lingua's winner: skip it then.

        Blended, the runner-up gains at most ``w`` on the winner's ``(1 - w) * margin``, so a
        margin above ``w / (1 - w)`` (0.11 at the default weight) already decides.
        """
        w = self.langdetect_weight
        if w >= 1.0:
            return False
        top = sorted(li.values(), reverse=True)[:2] + [0.0, 0.0]
        return top[0] - top[1] > w / (1 - w)

    def scores(self, text: str) -> dict[str, float]:
        """Blended per-ISO-code probabilities from the statistical detectors (no script rule)."""
        li = _LinguaModel.probabilities(text, self.languages, self.lingua_low_accuracy) if self.use_lingua else None
        if li is not None and self._lingua_decides(li):
            ld: dict[str, float] = {}
        else:
            ld = {k: v for k, v in _LangdetectModel.probabilities(text, self.languages).items() if k in self.languages}
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
