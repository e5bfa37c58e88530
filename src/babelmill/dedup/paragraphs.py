"""A document's paragraphs as deduplication sees them.

Paragraphs are the blocks (with the language ``detect`` gave them; a translated block is English
now), else ``doc.text`` split on blank lines (language from the script). Each is normalized once
(:func:`~babelmill.dedup.text.normalize_key_text`); the document's key text is its paragraphs' key
texts joined. From them come the shingles the stage compares documents on and the hashes of the
paragraphs long enough to track.
"""

from __future__ import annotations

from babelmill.dedup.text import block_shingles, normalize_key_text, paragraph_hash, shingle_hashes, split_paragraphs
from babelmill.dedup.verify import Shingles
from babelmill.document import TRANSLATED, Document, Removal


def doc_paragraphs(doc: Document) -> list[str]:
    """The blocks' texts, else ``doc.text`` split on blank lines."""
    if doc.blocks:
        return [b.text for b in doc.blocks]
    return split_paragraphs(doc.text)


def normalize_document(doc: Document) -> tuple[str, list[str], list[str | None]]:
    """Normalized text of the document, and of each paragraph with its shingling language.

    Normalizing folds the blank lines between paragraphs to one space, so the document's key
    text is its paragraphs' key texts joined: each paragraph is normalized only once.
    """
    text = doc.text or doc.body_text()
    keys = [normalize_key_text(p) for p in doc_paragraphs(doc)]
    if doc.blocks:
        langs = [("en" if b.translation == TRANSLATED else b.lang) for b in doc.blocks]
    else:
        langs = [None] * len(keys)
    if doc.blocks and doc.body_text() != text:
        return normalize_key_text(text), keys, langs
    return " ".join(k for k in keys if k), keys, langs


def paragraph_hashes(doc: Document, min_chars: int, keys: list[str] | None = None) -> list[tuple[int, int]]:
    """(hash, paragraph index) of the paragraphs of at least ``min_chars`` normalized characters
    (the ones tracked, and the ones that name candidates); ``keys`` are the normalized paragraphs
    when already known."""
    out = []
    if keys is None:
        keys = [normalize_key_text(p) for p in doc_paragraphs(doc)]
    for i, key in enumerate(keys):
        if len(key) >= min_chars:
            out.append((paragraph_hash(key, normalized=True), i))
    return out


def paragraph_shingles(
    paragraphs: list[str], langs: list[str | None], word_size: int, char_size: int
) -> tuple[list[str], Shingles]:
    """Shingles of normalized paragraphs (by words, or by characters for Chinese and Japanese):
    the list a MinHash signature is computed from, and the hashes per paragraph candidates are
    verified on."""
    grams: list[str] = []
    per_paragraph = []
    for text, lang in zip(paragraphs, langs, strict=True):
        block = block_shingles(text, lang, word_size, char_size)
        per_paragraph.append(shingle_hashes(block))
        grams += block
    return grams, Shingles.of(per_paragraph)


def drop_paragraphs(doc: Document, drop: set[int], rule: str) -> bool:
    """Remove paragraphs ``drop`` (indices) from the blocks and the text, each recorded in
    ``doc.removed`` with ``rule`` and its block's input line (0 without blocks: not known).
    Never empties a document: returns False and changes nothing when all would go."""
    paragraphs = doc_paragraphs(doc)
    if not drop or len(drop) >= len(paragraphs):
        return False
    dropped_keys = {normalize_key_text(paragraphs[i]) for i in drop}
    lines = [b.line for b in doc.blocks] if doc.blocks else [0] * len(paragraphs)
    for i in sorted(drop):
        doc.removed.append(Removal(lines[i], paragraphs[i], rule))
    if doc.blocks:
        doc.blocks = [b for i, b in enumerate(doc.blocks) if i not in drop]
    kept_text = [p for p in split_paragraphs(doc.text) if normalize_key_text(p) not in dropped_keys]
    doc.text = "\n\n".join(kept_text)
    return True
