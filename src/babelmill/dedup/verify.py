"""Verification of LSH and paragraph candidates on the documents' actual shingle sets.

A document's shingles are kept per paragraph (:class:`Shingles`), because one measure needs them:
whether the smaller document of a pair has *its own paragraphs*, ones the other document does not
share. Two articles of one site that both carry a long bio or disclaimer can have most of their
shingles in common (a short article under a long passage), yet each has paragraphs of its own; a
copy or an excerpt has none (its differences are substituted words spread over shared paragraphs,
and a line or two of chrome).

The decision rule (:class:`Rule`), for a new document and one candidate:

* ``jaccard`` = |A ∩ B| / |A ∪ B| of the two shingle sets;
* ``containment`` = |A ∩ B| / |S|, S the smaller set (the share of the smaller document found in
  the other);
* ``own`` = shingles of S in paragraphs of which less than half occur in the other document;
* duplicate when ``own < max(own_min, own_share * |S|)`` and either ``jaccard >= threshold``, or
  ``containment >= containment`` with ``|S| >= min_shingles``.

``benchmarks/DEDUP.md`` has the measured precision/recall curve these defaults were chosen on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EMPTY = np.zeros(0, dtype=np.uint32)


@dataclass
class Shingles:
    """Shingle hashes of a document, per paragraph (each sorted, distinct), and of the whole."""

    paragraphs: list[np.ndarray]
    all: np.ndarray

    @classmethod
    def of(cls, paragraphs: list[np.ndarray]) -> Shingles:
        kept = [p for p in paragraphs if len(p)]
        whole = np.unique(np.concatenate(kept)) if kept else EMPTY
        return cls(kept, whole)

    def __len__(self) -> int:
        return len(self.all)

    def anchors(self, every: int) -> list[int]:
        """The shingle hashes divisible by ``every``: a sample chosen by content, so a document
        contained in another has its anchors there too (candidates for containment that LSH,
        which looks for similar *whole* sets, cannot find).

        >>> Shingles.of([np.array([16, 17, 32, 40], dtype=np.uint32)]).anchors(16)
        [16, 32]
        """
        return self.all[self.all % every == 0].tolist()

    def pack(self) -> bytes:
        """``uint32``: paragraph count, each paragraph's length, then the paragraphs' hashes.

        >>> s = Shingles.of([np.array([3, 5], dtype=np.uint32), np.array([1], dtype=np.uint32)])
        >>> t = Shingles.unpack(s.pack())
        >>> [p.tolist() for p in t.paragraphs], t.all.tolist()
        ([[3, 5], [1]], [1, 3, 5])
        """
        head = np.array([len(self.paragraphs), *map(len, self.paragraphs)], dtype=np.uint32)
        return b"".join([head.tobytes(), *(p.astype(np.uint32).tobytes() for p in self.paragraphs)])

    @classmethod
    def unpack(cls, blob: bytes | None) -> Shingles:
        if not blob:
            return cls([], EMPTY)
        data = np.frombuffer(blob, dtype=np.uint32)
        n = int(data[0])
        lengths = data[1 : n + 1].astype(np.int64)
        ends = np.cumsum(lengths) + n + 1
        starts = ends - lengths
        return cls.of([data[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)])


@dataclass(frozen=True)
class Comparison:
    jaccard: float
    containment: float  # share of the smaller document found in the other
    smaller_is_new: bool  # the new document is the smaller one (it is contained, not containing)
    smaller: int  # shingles of the smaller document
    own: int  # shingles of the smaller document in paragraphs the other does not share


def compare(new: Shingles, old: Shingles) -> Comparison:
    """Measure a pair on its shingle sets (``new`` is the document being decided).

    >>> a = Shingles.of([np.arange(0, 40, dtype=np.uint32)])
    >>> b = Shingles.of([np.arange(0, 40, dtype=np.uint32), np.arange(100, 110, dtype=np.uint32)])
    >>> compare(a, b)
    Comparison(jaccard=0.8, containment=1.0, smaller_is_new=True, smaller=40, own=0)
    """
    if not len(new) or not len(old):
        return Comparison(0.0, 0.0, len(new) <= len(old), min(len(new), len(old)), 0)
    common = len(np.intersect1d(new.all, old.all, assume_unique=True))
    smaller_is_new = len(new) <= len(old)
    small, large = (new, old) if smaller_is_new else (old, new)
    own = 0
    for p in small.paragraphs:
        if 2 * np.count_nonzero(np.isin(p, large.all, assume_unique=True)) < len(p):
            own += len(p)
    return Comparison(
        jaccard=round(common / (len(new) + len(old) - common), 4),
        containment=round(common / len(small), 4),
        smaller_is_new=smaller_is_new,
        smaller=len(small),
        own=own,
    )


@dataclass(frozen=True)
class Rule:
    """When a verified pair is a near-duplicate (see the module docstring)."""

    threshold: float = 0.7
    containment: float = 0.8
    min_shingles: int = 25
    own_min: int = 20
    own_share: float = 0.1

    def method(self, c: Comparison) -> str | None:
        """``"jaccard"``, ``"containment"`` or ``None`` (not a duplicate).

        >>> Rule().method(Comparison(0.75, 0.9, True, 300, 0)), Rule().method(Comparison(0.5, 0.85, True, 300, 10))
        ('jaccard', 'containment')
        >>> Rule().method(Comparison(0.5, 0.85, True, 300, 45))  # its own paragraphs: another article
        """
        if c.own >= max(self.own_min, self.own_share * c.smaller):
            return None
        if c.jaccard >= self.threshold:
            return "jaccard"
        if c.containment >= self.containment and c.smaller >= self.min_shingles:
            return "containment"
        return None
