"""Deduplication: exact keys, MinHash near-duplicates, recurring paragraphs, persistent index.

The stage that uses these lives in :mod:`babelmill.stages.dedup`.
"""

from babelmill.dedup.index import DedupIndex, DedupStateError, IndexedDoc, IndexParams, NearMatch
from babelmill.dedup.minhash import MinHasher, band_keys, estimated_jaccard
from babelmill.dedup.text import exact_key, normalize_key_text, paragraph_hash, shingles, split_paragraphs, tokens

__all__ = [
    "DedupIndex",
    "DedupStateError",
    "IndexParams",
    "IndexedDoc",
    "MinHasher",
    "NearMatch",
    "band_keys",
    "estimated_jaccard",
    "exact_key",
    "normalize_key_text",
    "paragraph_hash",
    "shingles",
    "split_paragraphs",
    "tokens",
]
