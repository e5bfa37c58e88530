"""Detect stage: a language for every block, and where the document's English came from.

Sets ``block.lang`` (``de``/``en``/``zh``/``other``), ``block.lang_confidence`` and, for
``other``, ``block.meta["lang_code"]`` (e.g. ``fr``, ``ja``). Short or ambiguous blocks (names,
timestamps, button labels) take their language from neighbouring blocks or the document's
dominant language, so "Greg Brockman" in a German article is German and an English tweet
quoted in it stays English (see :mod:`babelmill.detect.context`).

Sets ``doc.origin`` = ``{language, language_mix, machine_translated, machine_translated_from,
mt_score, evidence}``: explicit markers (disclaimers, Chinese bylines, paired Chinese/English
lines), read from the blocks, from the lines the cleaner removed (where disclaimers usually end
up) and from string metadata (an extracted byline), plus a style classifier; see
:mod:`babelmill.detect.origin`. Drops nothing. Also sets ``doc.metadata["original_title_lang"]``
when an ``original_title`` is present, and ``doc.metadata["title_lang"]`` for the title (the
translate stage translates a title that is not English).

Run context read (optional): ``pipeline_dir``, the folder that relative rule paths are relative
to (default: the packaged ``pipeline/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babelmill.detect.detector import DetectConfig, DocumentDetector
from babelmill.document import Document
from babelmill.interrupt import check as check_interrupt
from babelmill.stage import Stage


class DetectStage(Stage):
    """Language per block and machine-translation origin per document (see module docstring)."""

    key = "detect"
    Config = DetectConfig

    def __init__(self, config=None, context=None):
        super().__init__(config, context)
        base = self.context.pipeline_dir
        # rules and the classifier load here, so a broken rules file fails before any document;
        # the language models load at the first batch, all at once (a run with nothing to detect
        # never loads them), once per stage process
        self.detector = DocumentDetector(self.config, Path(base) if base else None, self.context.models_dir)
        self._warm = False

    def process_batch(self, docs: list[Document]) -> Iterable[Document]:
        if not self._warm:
            # lingua holds the GIL while it loads (seconds in all): loading here, a language at
            # a time with a stop check between, keeps a stop request from waiting for all of it
            self._warm = True
            self.detector.identifier.warm_up(between=check_interrupt)
        yield from super().process_batch(docs)

    def process(self, doc: Document) -> Iterable[Document]:
        try:
            self._detect(doc)
        except Exception as exc:  # bad input must not stop the run: record, mark, go on
            self.count("errors")
            for b in doc.blocks:
                if b.lang is None:
                    b.lang, b.lang_confidence = self.config.default_language, 0.0
            doc.origin = doc.origin or {
                "language": self.config.default_language,
                "language_mix": {},
                "machine_translated": False,
                "machine_translated_from": None,
                "mt_score": 0.0,
                "evidence": [f"detection failed: {type(exc).__name__}"],
            }
            doc.record("detect", "skipped", "detect_error", error=f"{type(exc).__name__}: {exc}")
        yield doc

    def _detect(self, doc: Document) -> None:
        # without blocks (a pipeline with no strip stage) the document's lines still decide its origin
        texts = [b.text for b in doc.blocks] or [ln for ln in doc.text.splitlines() if ln.strip()]
        removed = [r.text for r in doc.removed]
        # bylines and sources the cleaner turned into metadata are evidence too
        removed += [v for k, v in sorted(doc.metadata.items()) if isinstance(v, str) and k != "original_title"]
        original_title = doc.metadata.get("original_title")
        original_title = original_title if isinstance(original_title, str) else None
        result = self.detector.detect(texts, removed, original_title)
        by_reason: dict[str, int] = {}
        for block, d in zip(doc.blocks, result.decisions, strict=False):
            block.lang = d.lang
            block.lang_confidence = round(float(max(0.0, min(1.0, d.confidence))), 4)
            if d.lang == "other":
                block.meta["lang_code"] = d.code
            else:
                block.meta.pop("lang_code", None)
            self.count(f"blocks_{d.lang}")
        for d in result.decisions:
            by_reason[d.reason] = by_reason.get(d.reason, 0) + 1
        if original_title is not None and result.original_title_lang is not None:
            doc.metadata["original_title_lang"] = result.original_title_lang
        title = doc.metadata.get("title")
        if isinstance(title, str) and title.strip():
            # the title's language, with the first blocks as context (a short line alone is ambiguous)
            doc.metadata["title_lang"] = self.detector.languages([title, *texts[:3]])[0][0].lang
        doc.origin = result.origin
        if result.origin["machine_translated"]:
            self.count("machine_translated")
        doc.record(
            "detect",
            "detected",
            "machine_translated" if result.origin["machine_translated"] else "language_detected",
            language=result.origin["language"],
            language_mix=result.origin["language_mix"],
            machine_translated=result.origin["machine_translated"],
            machine_translated_from=result.origin["machine_translated_from"],
            mt_score=result.origin["mt_score"],
            decided_by=dict(sorted(by_reason.items())),
        )
