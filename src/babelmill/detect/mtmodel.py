"""The statistical machine-translated-from-Chinese signal: a linear model over hashed n-grams.

``src/babelmill/data/mtdetect.json.gz`` is written by ``benchmarks/train_mtdetect.py`` (data,
features, validation and weak spots: ``src/babelmill/data/mtdetect.md``). Scoring is numpy
only: :func:`~babelmill.detect.mtfeatures.hashed_counts` per block, sub-linear tf times idf,
L2-normalised per block (what scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` does), dot
with the exported weights, plus the bias. Only buckets seen in enough training chunks are in the
file; others are ignored, as an unknown word is by a vocabulary. A second learner over the same
buckets may be stored with them (``nb_ratio``/``nb_weights`` per block, ``nb_bias``): NB-LR, a
logistic regression over the buckets present, each weighted by its log-count ratio between the
classes (:func:`nb_vector`); its logit is added to the first one's. Files without it score as
before.

Three numbers come with the weights, all fitted on out-of-fold scores of the grouped
cross-validation (never on the chunks being scored):

* ``calibration`` ``(a, b)``: P(mt_zh) = sigmoid(a * logit + b) (Platt scaling);
* ``chunk_threshold``: the calibrated probability at which one chunk counts as mt_zh;
* ``document_threshold``: the same for the mean logit of a document's chunks, chosen so that
  native-English pseudo-documents stay under the false-positive budget.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from babelmill.detect.mtfeatures import BLOCKS, hashed_counts

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "data" / "mtdetect.json.gz"
FORMAT = "babelmill-mtdetect/2"
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")


def encode_array(a: np.ndarray) -> str:
    """Little-endian bytes of ``a`` as base64 (int32 or float32)."""
    return base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).decode("ascii")


def decode_array(s: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)


def block_vector(counts: dict[int, int], buckets: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions into ``buckets``, L2-normalised tf-idf values) of one block's counts.

    Shared by training and inference so both see exactly the same numbers.
    """
    if not counts or not len(buckets):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    vals = np.fromiter(counts.values(), dtype=float, count=len(counts))
    pos = np.minimum(np.searchsorted(buckets, keys), len(buckets) - 1)
    hit = buckets[pos] == keys
    pos, vals = pos[hit], vals[hit]
    order = np.argsort(pos, kind="stable")
    pos, vals = pos[order], vals[order]
    v = (1.0 + np.log(vals)) * idf[pos]
    norm = float(np.sqrt(v @ v))
    return pos, (v / norm if norm > 0 else v)


def nb_vector(pos: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """L2-normalised log-count ratios of the buckets present (``pos``): the NB-weighted binary
    features of the second learner (Wang & Manning 2012, NB-LR). Shared by training and inference."""
    v = ratio[pos]
    norm = float(np.sqrt(v @ v))
    return v / norm if norm > 0 else v


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


class MTClassifier:
    """P(English text is machine-translated from Chinese) from hashed word and shape n-grams."""

    def __init__(self, model: dict):
        if model.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model (format={model.get('format')!r})")
        self.dim = int(model["dim"])
        self.blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.nb_blocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # the shipped blocks in their order, then any other block the file holds (a benchmark's
        # variant; its counts must then come from the caller, through :meth:`logit_counts`)
        names = [n for n in BLOCKS if n in model["blocks"]] + sorted(set(model["blocks"]) - set(BLOCKS))
        for name in names:
            b = model["blocks"][name]
            buckets = decode_array(b["buckets"], "int32").astype(np.int64)
            # the block's scale is folded into its weights: scale * (x . w) == x . (scale * w)
            weights = decode_array(b["weights"], "float32").astype(float) * float(b.get("scale", 1.0))
            self.blocks[name] = (buckets, decode_array(b["idf"], "float32"), weights)
            if "nb_ratio" in b:  # the NB-weighted second learner over the same buckets (optional)
                nb_weights = decode_array(b["nb_weights"], "float32").astype(float) * float(b.get("scale", 1.0))
                self.nb_blocks[name] = (decode_array(b["nb_ratio"], "float32").astype(float), nb_weights)
        self.bias = float(model["bias"]) + float(model.get("nb_bias", 0.0))
        cal = model["calibration"]
        self.cal_a, self.cal_b = float(cal["a"]), float(cal["b"])
        self.calibration = str(cal.get("method", "platt"))
        self.note = ""  # what the evidence line adds after the calibration (a stacked model says which)
        self.chunk_threshold = float(model["chunk_threshold"])
        self.document_threshold = float(model["document_threshold"])
        self.meta = {k: v for k, v in model.items() if k not in ("blocks",)}

    @classmethod
    def load(cls, path: str | Path | None = None) -> MTClassifier:
        return _load(str(path or DEFAULT_MODEL))

    def logit(self, text: str) -> float:
        """Raw decision value of one chunk (not calibrated)."""
        return self.logit_counts(hashed_counts(text, self.dim))

    def logit_counts(self, counts: dict) -> float:
        """:meth:`logit` of precomputed :func:`~babelmill.detect.mtfeatures.hashed_counts`."""
        z = self.bias
        for name, (buckets, idf, weights) in self.blocks.items():
            pos, vals = block_vector(counts[name], buckets, idf)
            z += float(vals @ weights[pos])
            if name in self.nb_blocks:
                ratio, nb_weights = self.nb_blocks[name]
                z += float(nb_vector(pos, ratio) @ nb_weights[pos])
        return z

    def calibrated_logodds(self, logit: float) -> float:
        return self.cal_a * logit + self.cal_b

    def probability(self, text: str) -> float:
        """Calibrated P(mt_zh) of one chunk (3-6 sentences is what it was trained on)."""
        return _sigmoid(self.calibrated_logodds(self.logit(text)))

    def threshold_logodds(self, document: bool = True) -> float:
        return _logit(self.document_threshold if document else self.chunk_threshold)

    @staticmethod
    def chunks(paragraphs: list[str], chunk_words: int = 80, max_chunks: int = 40) -> list[str]:
        """Sentences of ``paragraphs`` packed into chunks of about ``chunk_words`` words."""
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
        return chunks[:max_chunks]

    def document_logit(self, paragraphs: list[str], chunk_words: int = 80, max_chunks: int = 40) -> tuple[float, int]:
        """Mean raw logit over chunks of about ``chunk_words`` words (the training chunk size).

        A long article is judged on the unit the model was trained on; averaging over chunks
        makes the document decision steadier than any one chunk. Returns ``(mean_logit, n)``.
        """
        chunks = self.chunks(paragraphs, chunk_words, max_chunks)
        if not chunks:
            return 0.0, 0
        return sum(self.logit(c) for c in chunks) / len(chunks), len(chunks)


def read_model(path: str | Path) -> dict:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


def write_model(model: dict, path: str | Path) -> None:
    """Deterministic bytes: sorted keys, gzip without a timestamp or file name."""
    raw = json.dumps(model, sort_keys=True, indent=0).encode("utf-8")
    Path(path).write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


@lru_cache(maxsize=4)
def _load(path: str) -> MTClassifier:
    return MTClassifier(read_model(path))
