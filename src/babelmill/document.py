"""The record that flows through the pipeline.

A :class:`Document` starts as the raw text of one input file. The ``strip`` stage splits
the body into :class:`Block` objects (paragraphs, list items, quotes); later stages work
on blocks and ``normalize`` joins them back into ``text``. Every stage appends a
:class:`Change` to ``history`` so a record says what was done to it and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Document.status values
OK = "ok"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"

# Block.translation values
NATIVE = "native"  # already English, nothing to do
TRANSLATED = "translated"
PENDING = "pending"  # no model yet; kept in the source language, translated on a later run


@dataclass(slots=True)
class Change:
    """One thing a stage did to a document: ``stage`` key, ``action`` verb, ``reason`` code."""

    stage: str
    action: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stage": self.stage, "action": self.action, "reason": self.reason}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class SentencePair:
    """One translated sentence of a block: a line of ``parallel.jsonl`` (see ``io/write.py``).

    ``sentence`` is its position in the block's sentence split; ``source`` the exact source
    text (protected spans as written); ``target`` the model's English; ``score`` the mean
    log-probability per token; ``from_cache`` whether the translation was made for another
    document (reused from the translation cache or an earlier document of the batch).
    """

    sentence: int
    source: str
    target: str
    score: float
    from_cache: bool = False


@dataclass(slots=True)
class Block:
    """A paragraph-sized unit of the article body.

    ``kind`` is ``paragraph``, ``heading``, ``list_item`` or ``quote``. ``lang`` is set by the
    detect stage (``de``, ``en``, ``zh`` or ``other``). When a block is translated, ``original``
    keeps the source text and ``text`` holds the English.
    """

    text: str
    kind: str = "paragraph"
    line: int = 0  # 1-based line in the input where the block starts
    lang: str | None = None
    lang_confidence: float = 0.0
    translation: str = NATIVE
    original: str | None = None
    note: str | None = None  # e.g. the install hint of a pending block
    meta: dict[str, Any] = field(default_factory=dict)  # quote author/date, quality flags, ...
    #: the sentence pairs of a translated block, for ``parallel.jsonl``; not in the corpus record
    pairs: list[SentencePair] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "line": self.line,
            "lang": self.lang,
            "lang_confidence": round(self.lang_confidence, 4),
            "translation": self.translation,
            "text": self.text,
        }
        if self.original is not None:
            out["original"] = self.original
        if self.note:
            out["note"] = self.note
        if self.meta:
            out["meta"] = self.meta
        return out


@dataclass(slots=True)
class Document:
    """One article. ``id`` is content-derived and stable; ``source`` is provenance.

    ``metadata`` holds extracted facts (title, original_title, subtitle, author, site, published,
    attribution); ``removed`` lists every line the cleaner took out with its rule name;
    ``origin`` holds the source language and the machine-translation decision.
    """

    id: str
    text: str
    source: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)
    origin: dict[str, Any] = field(default_factory=dict)
    translation: dict[str, Any] = field(default_factory=dict)
    dedup: dict[str, Any] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)
    status: str = OK
    status_reason: str | None = None
    status_detail: dict[str, Any] = field(default_factory=dict)

    def record(self, stage: str, action: str, reason: str, **detail: Any) -> None:
        """Append a :class:`Change` to the history."""
        self.history.append(Change(stage, action, reason, dict(detail)))

    def reject(self, status: str, reason: str, stage: str, **detail: Any) -> None:
        """Mark the document as duplicate or quarantined; the runner routes it to rejected.jsonl."""
        self.status = status
        self.status_reason = reason
        self.status_detail = dict(detail)
        self.record(stage, status, reason, **detail)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def body_text(self) -> str:
        """The blocks joined as paragraphs (the text before normalize has run)."""
        if not self.blocks:
            return self.text
        return "\n\n".join(b.text for b in self.blocks)
