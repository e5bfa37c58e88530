"""The statistical machine-translated-from-Chinese signal: a tiny logistic regression in JSON.

``src/babelmill/data/mtdetect.json`` is written by ``benchmarks/train_mtdetect.py`` (see there
for data, features and cross-validated metrics). Scoring is plain numpy: standardise the
:func:`~babelmill.detect.mtfeatures.featurize` vector, dot with the weights, add the bias.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from babelmill.detect.mtfeatures import featurize

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "data" / "mtdetect.json"
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")


class MTClassifier:
    """P(English text is machine-translated from Chinese) from style features."""

    def __init__(self, model: dict):
        self.features: list[str] = list(model["features"])
        self.mean = np.asarray(model["mean"], dtype=float)
        self.scale = np.asarray(model["scale"], dtype=float)
        self.weights = np.asarray(model["weights"], dtype=float)
        self.bias = float(model["bias"])
        self.cv: dict = dict(model.get("cv", {}))

    @classmethod
    def load(cls, path: str | Path | None = None) -> MTClassifier:
        return _load(str(path or DEFAULT_MODEL))

    def logit(self, text: str) -> float:
        f = featurize(text)
        x = np.array([f.get(n, 0.0) for n in self.features])
        return float(((x - self.mean) / self.scale) @ self.weights + self.bias)

    def probability(self, text: str) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(text)))

    def document_logit(self, paragraphs: list[str], chunk_words: int = 80, max_chunks: int = 40) -> tuple[float, int]:
        """Mean logit over chunks of about ``chunk_words`` words (the training chunk size).

        Paragraphs are split into sentences and packed into chunks so a long article is judged
        on the same unit the model was trained on; averaging over chunks is what makes the
        document decision steadier than any one chunk. Returns ``(mean_logit, n_chunks)``.
        """
        chunks: list[str] = []
        cur: list[str] = []
        words = 0
        for para in paragraphs:
            for sent in _SENT_SPLIT.split(para.strip()):
                if not sent:
                    continue
                cur.append(sent)
                words += len(sent.split())
                if words >= chunk_words:
                    chunks.append(" ".join(cur))
                    cur, words = [], 0
        if cur and (words >= chunk_words // 2 or not chunks):
            chunks.append(" ".join(cur))
        chunks = chunks[:max_chunks]
        if not chunks:
            return 0.0, 0
        logits = [self.logit(c) for c in chunks]
        return sum(logits) / len(logits), len(chunks)


@lru_cache(maxsize=4)
def _load(path: str) -> MTClassifier:
    return MTClassifier(json.loads(Path(path).read_text(encoding="utf-8")))
