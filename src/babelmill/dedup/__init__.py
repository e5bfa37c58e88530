"""Deduplication: exact keys, MinHash near-duplicates, recurring paragraphs, persistent index.

The stage that uses these lives in :mod:`babelmill.stages.dedup`.
"""

from babelmill.dedup.index import Candidate, DedupIndex, DedupStateError, IndexedDoc, IndexParams
from babelmill.dedup.minhash import MinHasher, band_keys, estimated_jaccard
from babelmill.dedup.text import (
    block_shingles,
    exact_key,
    normalize_key_text,
    paragraph_hash,
    shingle_hashes,
    shingles,
    split_paragraphs,
    tokens,
)
from babelmill.dedup.verify import Comparison, Rule, Shingles, compare

__all__ = [
    "Candidate",
    "Comparison",
    "DedupIndex",
    "DedupStateError",
    "IndexParams",
    "IndexedDoc",
    "MinHasher",
    "Rule",
    "Shingles",
    "band_keys",
    "block_shingles",
    "compare",
    "estimated_jaccard",
    "exact_key",
    "normalize_key_text",
    "paragraph_hash",
    "shingle_hashes",
    "shingles",
    "split_paragraphs",
    "tokens",
]
