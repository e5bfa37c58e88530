"""Options of deduplication (the ``[stages.dedup]`` table) and what they set: the verification
:class:`~babelmill.dedup.verify.Rule` and the index's :class:`~babelmill.dedup.index.IndexParams`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from babelmill.dedup.index import IndexParams
from babelmill.dedup.minhash import BACKENDS
from babelmill.dedup.verify import Rule


@dataclass
class DedupConfig:
    """Options of the dedup stage.

    Changing ``backend``, ``num_perm``, ``seed``, ``shingle_size``, ``bands`` or ``rows`` makes
    stored signatures incomparable: the stage then refuses the old state until a rebuild.
    """

    #: reject documents whose normalized text equals a kept document's
    exact: bool = True
    #: reject near-duplicates found by MinHash + LSH
    near: bool = True
    #: words per shingle; 5 keeps unrelated articles on the same topic apart (few shared 5-grams)
    shingle_size: int = 5
    #: characters per shingle in Chinese and Japanese blocks (by detected language, else by script)
    char_shingle_size: int = 5
    #: MinHash permutations (signature length); 128 gives a similarity error of about +-0.04
    num_perm: int = 128
    #: LSH bands x rows (<= num_perm). 25 x 5 makes a pair with Jaccard 0.7 a candidate with
    #: probability 0.99 and one with 0.3 with probability 0.06 (only candidates are compared)
    bands: int = 42
    rows: int = 3
    #: Jaccard of the shingle sets (verified on the stored sets) at or above which a document is
    #: a near-duplicate
    threshold: float = 0.6
    #: share of the smaller document's shingles found in the other at or above which one is a
    #: near-duplicate of the other (an excerpt, or a story embedded in a longer page)
    containment: float = 0.75
    #: containment only counts when the smaller document has at least this many shingles
    containment_min_shingles: int = 25
    #: never a duplicate when the smaller document has at least max(own_min, own_share x its
    #: shingles) in paragraphs of its own (mostly absent from the other): another article that
    #: shares a long passage, not a copy
    own_min: int = 20
    own_share: float = 0.1
    #: one shingle in this many (by hash value) is an anchor: documents sharing anchors are
    #: candidates for containment (an excerpt has too low a Jaccard for LSH)
    anchor_every: int = 16
    #: at most this many candidates from the bands, and as many from the anchors (most shared
    #: first), are verified per document
    max_candidates: int = 50
    #: a paragraph or anchor held by more than this many documents is boilerplate-like or a stock
    #: phrase: it names no candidates
    paragraph_candidate_limit: int = 10
    #: seed of the MinHash permutations
    seed: int = 1
    #: MinHash backend: ``rensa`` (Rust, ~75x faster) or ``datasketch`` (pure numpy reference)
    backend: str = "rensa"
    #: annotate paragraphs that recur in other documents with ``meta["also_in"]``
    paragraphs: bool = True
    #: paragraphs shorter than this (normalized characters) are not tracked: "Share", "Photo: AP"
    paragraph_min_chars: int = 40
    #: at most this many ids in ``also_in``
    max_also_in: int = 10
    #: remove paragraphs found in at least ``recurring_min_docs`` other documents (off: annotate only)
    drop_recurring_paragraphs: bool = False
    recurring_min_docs: int = 2
    #: index file name inside the state dir
    state_file: str = "dedup.sqlite"

    #: keys of earlier versions still read from a pipeline file (with a warning): old -> new
    renamed_keys: ClassVar[dict[str, str]] = {"engine": "backend"}

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.shingle_size < 1 or self.num_perm < 1 or self.bands < 1 or self.rows < 1:
            raise ValueError("shingle_size, num_perm, bands and rows must be positive")
        if self.rows > 256:
            raise ValueError(f"rows must be at most 256, got {self.rows}")
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if not 0.0 < self.containment <= 1.0:
            raise ValueError(f"containment must be in (0, 1], got {self.containment}")
        if min(self.char_shingle_size, self.anchor_every, self.max_candidates, self.paragraph_candidate_limit) < 1:
            raise ValueError(
                "char_shingle_size, anchor_every, max_candidates and paragraph_candidate_limit must be positive"
            )
        if self.max_also_in < 1 or self.recurring_min_docs < 1:
            raise ValueError("max_also_in and recurring_min_docs must be at least 1")

    def rule(self) -> Rule:
        return Rule(self.threshold, self.containment, self.containment_min_shingles, self.own_min, self.own_share)

    def index_params(self) -> IndexParams:
        return IndexParams(
            backend=self.backend,
            num_perm=self.num_perm,
            seed=self.seed,
            shingle_size=self.shingle_size,
            char_shingle_size=self.char_shingle_size,
            bands=self.bands,
            rows=self.rows,
            anchor_every=self.anchor_every,
        )
