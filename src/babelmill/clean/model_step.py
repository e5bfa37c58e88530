"""The cleaner's line-model step: a feature row per line from what the rules, metadata and
structure steps decided, and the model's keep-or-remove decision for the lines they left open
(the model itself is :mod:`babelmill.clean.line_model`)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from babelmill.clean.decide import fill_gaps
from babelmill.clean.line_model import BASE, HARD_KINDS, LineModel, comment_marks, page_matrix
from babelmill.clean.lines import Line
from babelmill.clean.structure import NUMBERED, SENTENCE_END, STATEMENT_END, block_kind


def line_features(
    lines: list[Line],
    classes: list[str],
    step: dict[int, str],
    quote_of: dict[int, int],
    keep: dict[int, str],
    lo: int,
    hi: int,
) -> np.ndarray:
    """The line model's feature rows (see :mod:`babelmill.clean.line_model`)."""
    longs = sorted(ln.stop_density() for ln in lines if ln.n_words >= 12 and ln.cjk < 10)
    median = longs[len(longs) // 2] if longs else 0.0
    uses_stop = median >= 0.1
    counts = Counter(ln.key for ln in lines)
    cls_code = {"short": 0.0, "medium": 1.0, "good": 2.0}
    # topic: content words the line shares with the prose the structure step kept
    stems = [ln.stems if i not in step else set() for i, ln in enumerate(lines)]
    ref = [i for i in keep if classes[i] == "good"] or [i for i, c in enumerate(classes) if c == "good"]
    in_ref = set(ref)
    pool: Counter[str] = Counter()
    for i in ref:
        pool.update(stems[i])
    # one-hot of the step that removed a line (none: all zero)
    no_step = (0.0,) * len(HARD_KINDS)
    step_code = {k: tuple(float(k == h) for h in HARD_KINDS) for k in HARD_KINDS}
    rows: list[tuple] = []
    for i, ln in enumerate(lines):
        t = ln.text
        end = t[-1:]
        n_chars = len(t)
        alpha = ln.alpha
        digits = sum(map(str.isdigit, t))
        stop = ln.stop_density()
        kind = step.get(i)
        nw = ln.n_words
        own = stems[i]
        if own:
            mine = 1 if i in in_ref else 0
            cohesion = sum(1 for st in own if pool[st] > mine) / len(own)
        else:
            cohesion = 0.0
        rows.append(
            (
                math.log1p(ln.weq),
                min(nw, 200),
                math.log1p(n_chars),
                ln.cjk / max(1, alpha),
                stop,
                min(stop / median, 3.0) if uses_stop else 1.0,
                float(t.endswith(SENTENCE_END)),
                float(t.endswith(STATEMENT_END)),
                float(end in (":", "：")),
                float(end in ("?", "？")),
                ln.title_share,
                alpha / max(1, n_chars - t.count(" ")),
                digits / max(1, n_chars),
                ln.url_share,
                float(ln.bullet or NUMBERED.match(t) is not None),
                (t.count(",") + t.count("，") + t.count("、")) / max(1.0, ln.weq),
                t.count("|") + t.count("·") + t.count("•") + t.count("»") + t.count("›") + t.count("/"),
                float(t[:1].isupper()),
                (sum(map(len, ln.words)) / nw) if nw else 0.0,
                cls_code[classes[i]],
                *step_code.get(kind, no_step),
                float(i in quote_of),
                float(i in keep),
                float(lo <= i <= hi),
                math.log(counts[ln.key]),
                cohesion,
            )
        )
    base = np.array(rows, dtype=np.float64).reshape(len(lines), len(BASE))
    return page_matrix(base, (lo, hi), median, uses_stop, comment_marks([ln.text for ln in lines]))


def apply_line_model(
    model: LineModel,
    lines: list[Line],
    classes: list[str],
    X: np.ndarray,
    hard: dict[int, str],
    decided: dict[int, str],
    keep: dict[int, str],
    quote_of: dict[int, int],
) -> dict[int, float]:
    """Decide every line the rules, metadata and embed steps left open by the line model.

    A line stays when the model's rule keeps it (:meth:`LineModel.decide`: the page's expected
    F cut or a fixed threshold), or when it belongs to a prose run (consecutive lines that are
    neither short nor removed by a rule) of at least ``prose_words`` words whose mean probability
    reaches ``prose_keep``: unsure long prose is kept rather than risk losing the article; a
    sentence between two kept lines with only rule-removed chrome around it stays too
    (:func:`fill_gaps`). Others go as ``line_model``.
    """
    m = model
    p = m.predict(X, [ln.text for ln in lines])
    n = len(lines)
    hard_mask = np.array([i in hard for i in range(n)], dtype=bool)
    short = np.array([c == "short" for c in classes], dtype=bool)
    weq = np.array([ln.weq for ln in lines])
    stays = m.decide(p, hard_mask, short, weq)
    ends = [ln.text.endswith(SENTENCE_END) for ln in lines]
    sentences = np.array([c != "short" and e for c, e in zip(classes, ends, strict=True)], dtype=bool)
    stays = fill_gaps(stays, hard_mask, sentences)
    probs: dict[int, float] = {}
    for i in range(n):
        if i in hard:
            continue
        probs[i] = float(p[i])
        if stays[i]:
            decided.pop(i, None)
            if i not in keep:
                keep[i] = block_kind(lines[i], classes[i], i in quote_of)
        else:
            keep.pop(i, None)
            decided[i] = "line_model"
    return probs
