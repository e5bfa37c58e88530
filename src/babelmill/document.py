"""The record that flows through the pipeline.

A :class:`Document` starts as the raw text of one input file. The ``strip`` stage splits
the body into :class:`Block` objects (paragraphs, list items, quotes); later stages work
on blocks and ``normalize`` joins them back into ``text``. Every stage appends a
:class:`Change` to ``history`` so a record says what was done to it and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, SupportsIndex

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


class RecordPart:
    """Base of the typed record parts (:class:`Removal`, :class:`Origin`, :class:`TranslationInfo`,
    :class:`DedupInfo`): declared fields, ``extra`` for keys a stage adds beyond them, ``to_json``
    for the record, and read/write access by key (``part["language"]``, ``part.get(...)``) so
    code that treats a part as a mapping keeps working.

    A part is falsy while every field still holds its default (nothing was set).
    """

    __slots__ = ()
    #: fields always listed as keys (the others only when not None)
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of(cls, value: Any) -> Any:
        """``value`` as this part: a part is returned as it is, a mapping is converted."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise TypeError(f"{cls.__name__} from {type(value).__name__}: expected a mapping")
        names = cls._names()
        part = cls(**{k: v for k, v in value.items() if k in names})
        part.extra.update({k: v for k, v in value.items() if k not in names})
        return part

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "extra")

    def keys(self) -> list[str]:
        declared = [n for n in self._names() if n in self.REQUIRED or getattr(self, n) is not None]
        return declared + list(self.extra)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __bool__(self) -> bool:
        return self != type(self)()

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self.keys()]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.items())

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __getitem__(self, key: str) -> Any:
        if key in self._names():
            return getattr(self, key)
        return self.extra[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self._names():
            setattr(self, key, value)
        else:
            self.extra[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = self[key]
        except KeyError:
            return default
        return default if value is None and key not in self.REQUIRED else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, other: Mapping[str, Any]) -> None:
        for key, value in other.items():
            self[key] = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordPart):
            return type(self) is type(other) and self.as_dict() == other.as_dict()
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True, eq=False)
class Removal(RecordPart):
    """One line a stage removed: its 1-based input ``line`` (0 when unknown), ``text`` and ``rule``."""

    line: int = 0
    text: str = ""
    rule: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    REQUIRED: ClassVar[tuple[str, ...]] = ("line", "text", "rule")

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "rule": self.rule, **self.extra}


@dataclass(slots=True, eq=False)
class Origin(RecordPart):
    """Where the document's English came from (set by the detect stage)."""

    language: str | None = None
    language_mix: dict[str, float] = field(default_factory=dict)
    machine_translated: bool = False
    machine_translated_from: str | None = None
    #: the combined decision score of markers and classifier (``score`` in the record)
    mt_score: float | None = None
    #: the classifier's calibrated P(machine-translated from Chinese) of the English prose; None
    #: when it did not vote (the record states it in ``evidence``, with calibration and threshold)
    mt_probability: float | None = None
    evidence: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    REQUIRED: ClassVar[tuple[str, ...]] = (
        "language",
        "language_mix",
        "machine_translated",
        "machine_translated_from",
        "mt_score",
        "mt_probability",
        "evidence",
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_mix": self.language_mix,
            "machine_translated": bool(self.machine_translated),
            "machine_translated_from": self.machine_translated_from,
            "score": self.mt_score,
            "evidence": list(self.evidence),
        }


@dataclass(slots=True, eq=False)
class TranslationInfo(RecordPart):
    """What the translate stage did to the document: model, counts, quality flags."""

    engine: str | None = None
    model: str | None = None
    model_version: str | None = None
    blocks_translated: int = 0
    blocks_pending: int = 0
    #: translated blocks that the quality checks flagged
    flagged: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    REQUIRED: ClassVar[tuple[str, ...]] = ("engine", "model", "model_version", "blocks_translated", "blocks_pending")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.REQUIRED}
        rest = dict(self.extra)
        if self.flagged is not None:
            rest["flagged"] = self.flagged
        out.update(sorted(rest.items()))
        return out


@dataclass(slots=True, eq=False)
class DedupInfo(RecordPart):
    """The dedup decision: the cluster, and for a duplicate what it duplicates and how closely."""

    cluster: str | None = None
    duplicate_of: str | None = None
    #: Jaccard of the shingle sets (1.0 for an exact copy)
    similarity: float | None = None
    #: share of the smaller document's shingles found in the other (1.0 for an exact copy)
    containment: float | None = None
    #: ``exact``, ``jaccard`` or ``containment``
    method: str | None = None
    error: str | None = None
    #: for documents without blocks: ``[{"paragraph": i, "also_in": [ids]}]``
    recurring_paragraphs: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    REQUIRED: ClassVar[tuple[str, ...]] = ("cluster", "duplicate_of")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cluster": self.cluster, "duplicate_of": self.duplicate_of}
        out.update(sorted((k, v) for k, v in self.items() if k not in self.REQUIRED))
        return out


class Removals(list):
    """``doc.removed``: a list that turns each entry into a :class:`Removal` as it is added."""

    def __init__(self, items: Iterable[Any] = ()):
        super().__init__(Removal.of(x) for x in items)

    def append(self, item: Any) -> None:
        super().append(Removal.of(item))

    def extend(self, items: Iterable[Any]) -> None:
        super().extend(Removal.of(x) for x in items)

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, Removal.of(item))

    def __iadd__(self, items: Iterable[Any]) -> Removals:  # type: ignore[override]
        self.extend(items)
        return self

    def __setitem__(self, index: Any, item: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [Removal.of(x) for x in item])
        else:
            super().__setitem__(index, Removal.of(item))


_PARTS: dict[str, Any] = {
    "origin": Origin.of,
    "translation": TranslationInfo.of,
    "dedup": DedupInfo.of,
    "removed": lambda v: v if isinstance(v, Removals) else Removals(v or ()),
}


@dataclass(slots=True)
class Document:
    """One article. ``id`` is content-derived and stable; ``source`` is provenance.

    ``metadata`` holds extracted facts (title, original_title, subtitle, author, site, published,
    attribution); ``removed`` lists every line a stage took out (:class:`Removal`); ``origin``
    holds the source language and the machine-translation decision (:class:`Origin`);
    ``translation`` and ``dedup`` what those stages decided (:class:`TranslationInfo`,
    :class:`DedupInfo`). Assigning a mapping to one of these makes it the typed part.
    """

    id: str
    text: str
    source: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    removed: Removals = field(default_factory=Removals)
    # what the strip stage measured: kept_share (share of the page's words kept), warnings
    cleaning: dict[str, Any] = field(default_factory=dict)
    origin: Origin = field(default_factory=Origin)
    translation: TranslationInfo = field(default_factory=TranslationInfo)
    dedup: DedupInfo = field(default_factory=DedupInfo)
    history: list[Change] = field(default_factory=list)
    status: str = OK
    status_reason: str | None = None
    status_detail: dict[str, Any] = field(default_factory=dict)
    #: what one part of a split stage hands to its other part (see ``Stage.split``); never written
    handover: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        # record parts assigned as mappings (``doc.origin = {...}``) become their typed part
        convert = _PARTS.get(name)
        object.__setattr__(self, name, convert(value) if convert is not None else value)

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
