"""A block as translation sees it: sentences with placeholders in, English block out.

:func:`split_block` cuts a block into sentences (long ones at , ; : or spaces) and masks URLs,
handles, amounts and the like with placeholders (:mod:`babelmill.translate.protect`);
:func:`join_block` restores the placeholders in the translated sentences, joins them with the
separators the source had, and returns the aligned sentence pairs and the mean confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from babelmill.document import SentencePair
from babelmill.translate.protect import has_translatable_text, protect, restore
from babelmill.translate.sentences import chunk_long, split_with_separators


@dataclass
class Piece:
    """One sentence of a block: its placeholder text, spans, what follows it, and its source."""

    masked: str
    spans: tuple[str, ...]
    sep: str
    translate: bool
    source: str = ""


@dataclass
class Joined:
    """A translated block: its English text, placeholder flags, sentence pairs, and the mean
    score of its translated sentences weighted by length (None when none was translated)."""

    text: str
    flags: list[str]
    pairs: list[SentencePair]
    confidence: float | None


def split_block(text: str, max_sentence_chars: int, mask: bool = True) -> list[Piece]:
    """The block's sentences in order; ``mask`` replaces protected spans with placeholders."""
    pieces: list[Piece] = []
    for sentence, sep in split_with_separators(text):
        parts = chunk_long(sentence, max_sentence_chars)
        for i, part in enumerate(parts):
            masked = protect(part) if mask else None
            mtext = masked.text if masked else part
            spans = masked.spans if masked else ()
            last = i == len(parts) - 1
            pieces.append(Piece(mtext, spans, sep if last else " ", has_translatable_text(mtext), part))
    return pieces


def join_block(pieces: list[Piece], outs: list[tuple[str, float] | None], reused: list[bool] | None = None) -> Joined:
    """Put a block back together from its pieces and their translations (``None``: kept
    verbatim); ``reused`` marks translations that came from the cache or another document."""
    texts: list[str] = []
    flags: list[str] = []
    pairs: list[SentencePair] = []
    weighted, weight = 0.0, 0
    reused = reused or [False] * len(pieces)
    for index, (piece, out, from_cache) in enumerate(zip(pieces, outs, reused, strict=True)):
        if out is None:  # nothing to translate: keep verbatim
            text, piece_flags = restore(piece.masked, piece.spans)
        else:
            text, piece_flags = restore(out[0], piece.spans)
            weighted += out[1] * len(piece.masked)
            weight += len(piece.masked)
            pairs.append(SentencePair(index, piece.source, text.strip(), float(out[1]), bool(from_cache)))
        texts.append(text + piece.sep)
        flags.extend(f for f in piece_flags if f not in flags)
    return Joined("".join(texts).strip(), flags, pairs, weighted / weight if weight else None)
