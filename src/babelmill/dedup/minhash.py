"""MinHash signatures and LSH band keys.

Two backends compute the same kind of signature (``num_perm`` 32-bit minimum hash values):

* ``rensa`` (default): a Rust MinHash; about 75x faster than datasketch per document in
  ``benchmarks/dedup.py`` and deterministic across processes for a given seed.
* ``datasketch``: the pure-numpy reference implementation, kept as a fallback and as the
  baseline the benchmark compares against.

Signatures of different backends (or seeds, or ``num_perm``) are not comparable; the index
records which one built it and refuses to mix them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BACKENDS = ("rensa", "datasketch")


class MinHasher:
    """Turns a list of shingles into a ``uint32`` signature of ``num_perm`` values."""

    def __init__(self, num_perm: int = 128, seed: int = 1, backend: str = "rensa"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown minhash backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self.num_perm = num_perm
        self.seed = seed
        self.backend = backend
        if backend == "rensa":
            from rensa import RMinHash

            self._rensa = RMinHash
        else:
            from datasketch import MinHash

            # datasketch draws its permutations from the seed; build them once, copy per document
            self._template = MinHash(num_perm=num_perm, seed=seed)

    def signature(self, shingles: Sequence[str]) -> np.ndarray:
        if self.backend == "rensa":
            m = self._rensa(self.num_perm, self.seed)
            if shingles:
                m.update(list(shingles))
            return np.asarray(m.digest(), dtype=np.uint32)
        m = self._template.copy()
        if shingles:
            m.update_batch([s.encode("utf-8") for s in shingles])
        # datasketch keeps 64-bit slots holding 32-bit hash values; store them compactly
        return np.asarray(m.hashvalues, dtype=np.uint64).astype(np.uint32)


# fixed odd 64-bit multipliers (from a seeded generator): part of the on-disk format
_MULT = np.random.default_rng(20261123).integers(1, 2**63, size=512, dtype=np.uint64) | np.uint64(1)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: spreads a linear combination over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per LSH band; two documents are candidates if any key is equal.

    Each band's ``rows`` values are combined with per-position multipliers (and the band
    number, so equal values in different bands never meet) and mixed. A rare collision only
    adds a candidate, which the similarity check then rejects.

    >>> sig = np.arange(8, dtype=np.uint32)
    >>> len(band_keys(sig, 4, 2)), band_keys(sig, 4, 2) == band_keys(sig.copy(), 4, 2)
    (4, True)
    >>> band_keys(np.zeros(4, dtype=np.uint32), 2, 2)[0] != band_keys(np.zeros(4, dtype=np.uint32), 2, 2)[1]
    True
    """
    with np.errstate(over="ignore"):
        block = signature[: bands * rows].astype(np.uint64).reshape(bands, rows)
        salt = np.arange(1, bands + 1, dtype=np.uint64) * _MULT[rows]
        combined = (block * _MULT[:rows][None, :]).sum(axis=1, dtype=np.uint64) + salt
        return _mix64(combined).view(np.int64).tolist()


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal signature slots: an unbiased estimate of the shingle sets' Jaccard.

    >>> estimated_jaccard(np.array([1, 2, 3, 4], dtype=np.uint32), np.array([1, 2, 0, 0], dtype=np.uint32))
    0.5
    """
    return float(np.count_nonzero(a == b)) / len(a)


def lsh_threshold(bands: int, rows: int) -> float:
    """Jaccard at which a pair becomes a candidate with probability about 1/2 ((1/b)^(1/r)).

    >>> round(lsh_threshold(25, 5), 3)
    0.525
    """
    return (1.0 / bands) ** (1.0 / rows)


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that a pair with this Jaccard shares at least one band.

    >>> round(candidate_probability(0.7, 25, 5), 4)
    0.9899
    """
    return 1.0 - (1.0 - jaccard**rows) ** bands
