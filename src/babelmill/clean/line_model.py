"""The learned line classifier: per-line features of a page dump and a tree ensemble over them.

The cleaner's rules, metadata and structure steps run first (:mod:`babelmill.clean.cleaner`);
their verdicts become features here, next to what the line itself looks like (length, CJK
word-equivalent length, punctuation, function-word density against the page, capitalisation,
URL and digit share), where it sits (position, share of the page's prose before it) and what
surrounds it (the same measures averaged over windows of 1, 2, 5 and 15 lines on each side,
the prose run it belongs to against the page's longest one, repetition in the page and across
the site). A gradient-boosted tree ensemble, trained by :mod:`babelmill.clean.train` and stored
as JSON, turns each line's feature row into the probability that it is article text.

Inference needs only numpy: the trees are stored as flat arrays and evaluated level by level
for all lines of a page and all trees at once (:mod:`babelmill.clean.forest`), so the cost per
line does not grow with the page; which lines stay is :mod:`babelmill.clean.decide`'s rule. The
model file names its features; a file made with another feature list is refused.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from babelmill.clean.decide import decide_lines, expected_f_keep
from babelmill.clean.forest import Forest
from babelmill.clean.lexicon import Lexicon, line_words
from babelmill.clean.page_style import PageStyle

#: bump when a feature's definition changes (a model made with other features is refused)
FEATURE_VERSION = "lines-3"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "data" / "cleaner_model.json"

# hard verdicts of the earlier steps (a line's removal reason family), one indicator each
HARD_KINDS = ("rule", "wall", "metadata", "dateline", "site", "embed")

# per-line measures; the window features below average some of them over neighbourhoods
BASE = (
    "log_weq",
    "n_words",
    "log_chars",
    "cjk_share",
    "stop",
    "stop_rel",
    "sent_end",
    "statement_end",
    "colon_end",
    "question_end",
    "title_share",
    "alpha_share",
    "digit_share",
    "url_share",
    "listy",
    "commas",
    "separators",
    "upper_start",
    "mean_word_len",
    "cls",
    *(f"hard_{k}" for k in HARD_KINDS),
    "quote",
    "legacy_keep",
    "legacy_region",
    "page_repeat",
    "cohesion",
)
# measures averaged over windows around the line
WINDOWED = ("log_weq", "stop_rel", "sent_end", "cls", "legacy_keep", "hard_any", "good", "short", "cohesion",
            "stamp", "reply")  # fmt: skip
# marks of user comments and feeds, read from the line's text (see :func:`comment_marks`)
MARKS = ("stamp", "reply")
WINDOWS = (1, 2, 5, 15)
PAGE = (
    "pos",
    "pos_mass",
    "log_lines",
    "run_mass_rel",
    "run_len",
    "log_run_mass",
    "dist_good_before",
    "dist_good_after",
    "dist_region",
    "page_stop_median",
    "page_uses_stop",
    "prev_log_weq",
    "next_log_weq",
    "prev_sent_end",
    "next_sent_end",
    "prev_legacy_keep",
    "next_legacy_keep",
    "dist_wall_before",
    "dist_wall_after",
    "walls_to_main",
    "stamps_before",
    "stamps_after",
    "replies_before",
    "page_stamps",
)

# a clock time or a relative age ("at 10:31 pm", "21:57 Uhr", "6 hours ago", "vor 3 Stunden"):
# comment headers, tweets and live feeds carry one per entry; article text rarely does
_STAMP = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\b|uhr\b|h\b)?|\b\d{1,3}\s+(?:sec|min|minute|hour|hr|day|week|month)s?\s+ago\b"
    r"|\bvor\s+\d{1,3}\s+(?:sekunden|minuten|stunden|tagen|wochen|monaten)\b|\d{1,2}時\d{1,2}分",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# the words around a user comment: "X says:", "Reply", "Permalink", "Report abuse", "Antworten"
_REPLY = re.compile(
    r"(?:\bsays|\bsaid|\bwrote|\bschrieb|\bmeint):?\s*$|^(?:reply|antworten|quote|zitieren|melden|flag)\b"
    r"|\b(?:reply|antworten)$|\bpermalink\b|\breport abuse\b|\bin reply to\b|\bcomments?\s*\(?\d+"
    r"|\b\d{1,6}\s+comments?\b"
    r"|\bkommentare?\b|\blog in to reply\b|\bthumbs? up\b",
    re.IGNORECASE,
)


def comment_marks(texts: list[str]) -> np.ndarray:
    """Per line, whether it carries a time stamp and whether it has the words of a comment
    thread's chrome (columns in :data:`MARKS` order). Only a line's first 200 characters are read
    (the marks are short; the cost stays flat in the line's length)."""
    out = np.zeros((len(texts), len(MARKS)))
    for i, t in enumerate(texts):
        head = t[:200]
        if _DIGIT.search(head) and _STAMP.search(head):  # every form of a stamp has a digit
            out[i, 0] = 1.0
        if _REPLY.search(head):
            out[i, 1] = 1.0
    return out


def feature_names() -> list[str]:
    names = list(BASE) + ["hard_any", "good", "short"]
    for w in WINDOWS:
        names += [f"before{w}_{m}" for m in WINDOWED]
        names += [f"after{w}_{m}" for m in WINDOWED]
    names += list(PAGE)
    return names


FEATURES = tuple(feature_names())

# the lexicon's columns, after FEATURES in a model that has a lexicon (:mod:`babelmill.clean.lexicon`):
# the line's score, the score less the page's median, and its means over the lines around it
LEX_WINDOWS = (1, 2, 5)
LEX_FEATURES = ("lex", "lex_rel", *(f"{side}{w}_lex" for w in LEX_WINDOWS for side in ("before", "after")))


def _window_means(col: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``col`` over the ``w`` lines before and the ``w`` lines after each line
    (fewer at the page's edges; 0 where there are none), from a cumulative sum."""
    n = len(col)
    c = np.concatenate([[0.0], np.cumsum(col)])
    idx = np.arange(n)
    lo = np.maximum(idx - w, 0)
    before = (c[idx] - c[lo]) / np.maximum(idx - lo, 1)
    hi = np.minimum(idx + 1 + w, n)
    after = (c[hi] - c[idx + 1]) / np.maximum(hi - idx - 1, 1)
    return before, after


def _dist_to(mask: np.ndarray, forward: bool) -> np.ndarray:
    """Lines to the nearest line where ``mask`` holds, before (or after) each line; n when none."""
    n = len(mask)
    idx = np.arange(n)
    if not forward:
        last = np.where(mask, idx, -1)
        last = np.maximum.accumulate(np.concatenate([[-1], last[:-1]]))
        return np.where(last >= 0, idx - last, n).astype(float)
    nxt = np.where(mask, idx, n)
    nxt = np.minimum.accumulate(np.concatenate([nxt[1:], [n]])[::-1])[::-1]
    return np.where(nxt < n, nxt - idx, n).astype(float)


def lexical_columns(scores: np.ndarray) -> np.ndarray:
    """The :data:`LEX_FEATURES` columns of one page from its lines' lexicon scores."""
    if not len(scores):
        return np.zeros((0, len(LEX_FEATURES)))
    cols = [scores, scores - np.median(scores)]
    for w in LEX_WINDOWS:
        cols += list(_window_means(scores, w))
    return np.column_stack(cols)


def page_matrix(
    base: np.ndarray, region: tuple[int, int], stop_median: float, uses_stop: bool, marks: np.ndarray | None = None
) -> np.ndarray:
    """All features from the per-line ``base`` columns (in :data:`BASE` order) of one page and
    its :func:`comment_marks` (``marks``).

    ``region`` is the structural step's article stretch (``hi < lo``: none); ``stop_median``
    the median function-word density of the page's long lines."""
    n = base.shape[0]
    col = {name: base[:, k] for k, name in enumerate(BASE)}
    if marks is None:
        marks = np.zeros((n, len(MARKS)))
    for k, name in enumerate(MARKS):
        col[name] = marks[:, k]
    hard_any = np.clip(sum(col[f"hard_{k}"] for k in HARD_KINDS), 0, 1)
    good = (col["cls"] == 2).astype(float)
    short = (col["cls"] == 0).astype(float)
    col["hard_any"], col["good"], col["short"] = hard_any, good, short
    parts = [base, hard_any[:, None], good[:, None], short[:, None]]
    for w in WINDOWS:
        bs, as_ = [], []
        for m in WINDOWED:
            b, a = _window_means(col[m], w)
            bs.append(b)
            as_.append(a)
        parts.append(np.stack(bs, axis=1))
        parts.append(np.stack(as_, axis=1))
    idx = np.arange(n, dtype=float)
    weq = np.expm1(col["log_weq"])
    mass = weq * good
    cum = np.cumsum(mass) - mass
    total = mass.sum()
    # prose runs: maximal stretches of lines that are not short and not removed by a hard rule
    prose = (short == 0) & (hard_any == 0)
    starts = np.concatenate([[True], prose[1:] != prose[:-1]])
    run_id = np.cumsum(starts) - 1
    run_mass = np.bincount(run_id, weights=weq * prose)
    run_len = np.bincount(run_id)
    line_run_mass = run_mass[run_id] * prose
    lo, hi = region
    if hi >= lo:
        dist_region = np.where(idx < lo, lo - idx, np.where(idx > hi, idx - hi, 0.0))
    else:
        dist_region = np.full(n, float(n))
    prev = np.concatenate([[0.0], col["log_weq"][:-1]])
    nxt = np.concatenate([col["log_weq"][1:], [0.0]])
    wall = col["hard_wall"] > 0
    # walls ("Related", "Comments" openers) between the line and the middle of the longest prose run
    main = int(np.argmax(line_run_mass)) if n else 0
    walls_cum = np.cumsum(wall)
    walls_to_main = np.abs(walls_cum - walls_cum[main]) - np.where(idx > main, wall, 0)
    page = np.stack(
        [
            idx / max(1, n - 1),
            cum / total if total > 0 else np.zeros(n),
            np.full(n, math.log1p(n)),
            line_run_mass / max(run_mass.max(initial=0.0), 1.0),
            run_len[run_id] * prose,
            np.log1p(line_run_mass),
            np.log1p(_dist_to(good > 0, forward=False)),
            np.log1p(_dist_to(good > 0, forward=True)),
            np.log1p(dist_region),
            np.full(n, stop_median),
            np.full(n, float(uses_stop)),
            prev,
            nxt,
            np.concatenate([[0.0], col["sent_end"][:-1]]),
            np.concatenate([col["sent_end"][1:], [0.0]]),
            np.concatenate([[0.0], col["legacy_keep"][:-1]]),
            np.concatenate([col["legacy_keep"][1:], [0.0]]),
            np.log1p(_dist_to(wall, forward=False)),
            np.log1p(_dist_to(wall, forward=True)),
            np.log1p(np.maximum(walls_to_main, 0)),
            # comment threads and feeds come after the article: their stamps pile up above a line
            np.log1p(np.cumsum(col["stamp"]) - col["stamp"]),
            np.log1p(col["stamp"].sum() - np.cumsum(col["stamp"])),
            np.log1p(np.cumsum(col["reply"]) - col["reply"]),
            np.full(n, col["stamp"].mean() if n else 0.0),
        ],
        axis=1,
    )
    parts.append(page)
    return np.concatenate(parts, axis=1)


# the line's own measures that the second stage sees beside the first stage's probabilities
STACK_KEEP = ("log_weq", "cls", "hard_any", "sent_end", "legacy_keep", "stop_rel", "pos", "run_mass_rel")
STACK_WINDOWS = (1, 2, 5, 15)


def stack_features(p: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The second stage's rows: the first stage's probability of the line, its means over the
    lines before and after, over the line's prose run and over the page, and a few of the line's
    own measures (the sequence step: a line's verdict depends on its neighbours' verdicts)."""
    n = len(p)
    col = {name: X[:, k] for k, name in enumerate(FEATURES)}
    cols = [p, np.log(np.clip(p, 1e-6, 1.0) / np.clip(1.0 - p, 1e-6, 1.0))]
    for w in STACK_WINDOWS:
        b, a = _window_means(p, w)
        cols += [b, a]
    prose = (col["hard_any"] == 0) & (col["short"] == 0)
    starts = np.concatenate([[True], prose[1:] != prose[:-1]]) if n else np.zeros(0, dtype=bool)
    run = np.cumsum(starts) - 1
    psum = np.bincount(run, weights=p * prose)
    size = np.bincount(run, weights=prose.astype(float))
    cols.append((psum / np.maximum(size, 1.0))[run] * prose)
    cols += [np.full(n, p.mean()), np.full(n, (p > 0.5).mean()), np.full(n, np.quantile(p, 0.9))]
    cols += [col[name] for name in STACK_KEEP]
    return np.column_stack(cols)


@dataclass
class LineModel:
    """The first stage over :data:`FEATURES` (and :data:`LEX_FEATURES` with a lexicon), an optional
    second stage over :func:`stack_features`, and the decision rule's numbers."""

    first: Forest
    second: Forest | None
    threshold_keep: float  # keep a line at or above this probability
    prose_keep: float  # keep a prose-run line at or above this probability (unsure long prose stays)
    prose_words: float  # ...when its run has at least this many words
    meta: dict
    # > 0: besides the lines at or above ``threshold_keep``, keep the page's most probable lines
    # up to the cut that maximizes the page's expected F-beta with this beta squared
    # (:func:`decide_lines`)
    fbeta: float = 0.0
    lexicon: Lexicon | None = None
    style: PageStyle | None = None  # its class probabilities are columns of every line (text_columns)

    @classmethod
    def from_json(cls, data: dict) -> LineModel:
        lexicon = Lexicon.from_json(data["lexicon"]) if data.get("lexicon") else None
        style = PageStyle.from_json(data["page_style"]) if data.get("page_style") else None
        expected = list(FEATURES) + (list(LEX_FEATURES) if lexicon else []) + (style.feature_names if style else [])
        if data.get("features") != expected or data.get("feature_version") != FEATURE_VERSION:
            raise ValueError(
                "line model was made with other features "
                f"({data.get('feature_version')!r}, this version {FEATURE_VERSION!r}): train it again"
            )
        second = None
        if data.get("stage2"):
            second = Forest.from_json(data["stage2"]["trees"], data["stage2"]["depth"])
        return cls(
            first=Forest.from_json(data["trees"], data["depth"]),
            second=second,
            threshold_keep=float(data["threshold"]),
            prose_keep=float(data.get("prose_keep", 2.0)),
            prose_words=float(data.get("prose_words", 1e9)),
            meta={k: v for k, v in data.items() if k not in ("trees", "stage2", "lexicon", "page_style")},
            fbeta=float(data.get("fbeta", 0.0)),
            lexicon=lexicon,
            style=style,
        )

    def decide(self, p: np.ndarray, hard: np.ndarray, short: np.ndarray, weq: np.ndarray) -> np.ndarray:
        """Which lines stay, by this model's decision rule (:func:`decide_lines`)."""
        return decide_lines(p, hard, short, weq, self.threshold_keep, self.prose_keep, self.prose_words, self.fbeta)

    @classmethod
    def load(cls, path: str | Path) -> LineModel:
        return _load(str(Path(path).resolve()), Path(path).stat().st_mtime)

    def predict(self, X: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """Probability of article text for each row of ``X`` (lines x :data:`FEATURES`); a model
        with a lexicon or page style also reads the lines' ``texts``."""
        if self.lexicon is not None or self.style is not None:
            if texts is None or len(texts) != len(X):
                raise ValueError("this line model reads words: predict() needs the lines' texts")
            X = text_columns(X, [line_words(t) for t in texts], self.lexicon, self.style)
        p = self.first.predict(X)
        if self.second is not None and len(p):
            p = self.second.predict(stack_features(p, X))
        return p


def text_columns(X: np.ndarray, words: list[list[str]], lexicon: Lexicon | None, style: PageStyle | None) -> np.ndarray:
    """``X`` and the columns of the lines' words: the lexicon's, then the page style's (every line)."""
    cols = [X]
    if lexicon is not None:
        cols.append(lexical_columns(lexicon.score_words(words)))
    if style is not None:
        cols.append(np.tile(style.probabilities(words), (len(X), 1)))
    return np.hstack(cols)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> LineModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return LineModel.from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a usable line model: {exc}") from None


def load_line_model(spec: str | None, base: Path | None = None) -> LineModel | None:
    """``"builtin"`` (the packaged model), a path (relative to ``base``), or ``""``/None (no model)."""
    if not spec:
        return None
    if spec == "builtin":
        return LineModel.load(DEFAULT_MODEL)
    path = Path(spec).expanduser()
    if not path.is_absolute() and base is not None and (base / path).is_file():
        path = base / path
    if not path.is_file():
        raise ValueError(f"line model {spec!r} not found")
    return LineModel.load(path)


__all__ = [
    "BASE", "DEFAULT_MODEL", "FEATURES", "FEATURE_VERSION", "HARD_KINDS", "LEX_FEATURES", "MARKS", "Forest",
    "LineModel", "comment_marks", "decide_lines", "expected_f_keep", "lexical_columns", "load_line_model",
    "page_matrix", "stack_features", "text_columns",
]  # fmt: skip
