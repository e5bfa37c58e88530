"""translate: non-English blocks -> English, offline, with argos packages on CTranslate2.

What it changes: for every block whose ``lang`` is not ``en`` and that is not yet translated,

* a ``<lang> -> en`` package is installed: ``block.original`` = source text, ``block.text`` =
  English, ``block.translation = "translated"``, ``block.meta["quality"]`` = confidence + flags
  (flagged blocks are kept, only marked), ``block.pairs`` = the aligned sentence pairs (source
  sentence, its English, score, reused or not) that the writer puts into ``parallel.jsonl``;
* no package: the block stays in its language, ``block.translation = "pending"`` and
  ``block.note`` says how to install one. A later run translates pending blocks.

The title goes the same way as a block: a German or Chinese ``metadata["title"]`` (language in
``metadata["title_lang"]``, set by detect) becomes English, the source kept as
``metadata["original_title"]``, ``metadata["title_translation"]`` = ``"translated"``; without a
model it stays as it is with ``metadata["title_translation"] = "pending"``. The title is not
counted among the document's blocks.

Nothing is dropped. Already translated blocks are skipped, so the stage is idempotent.

Why it is fast: it sees ``batch_size`` documents at once, splits every pending block into
sentences, protects URLs/handles/amounts/emoji with placeholders, translates each distinct
sentence once (dedup + persistent SQLite cache keyed by model identity), sends the rest
sorted by length in token-budgeted batches to parallel CTranslate2 translators, then
reassembles blocks in order.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from babelmill.budget import TooSlow, cpu_budget, document_budget
from babelmill.document import PENDING, QUARANTINED, TRANSLATED, Block, Document
from babelmill.stage import RunContext, Stage
from babelmill.translate.backend import Backend, BatchTranslator
from babelmill.translate.cache import CACHE_FILE, CacheRow, TranslationCache, WorkerCache, merge_rows
from babelmill.translate.config import TranslateConfig
from babelmill.translate.loader import ModelLoader
from babelmill.translate.models import TARGET
from babelmill.translate.pending import install_hint, source_code
from babelmill.translate.pieces import Piece, join_block, split_block
from babelmill.translate.quality import assess

__all__ = ["TranslateConfig", "TranslateStage", "install_hint"]

#: the record keeps the translation back end under the key "engine" (the schema's name for it)
BACKEND_NAME = "ctranslate2"


UNIDENTIFIED_NOTE = (
    "language not identified (lang 'other' without a language code), so no translation model can be "
    "chosen; the block is kept in its source language"
)


class TranslateStage(Stage):
    """Translate non-English blocks to English (see module docstring)."""

    key: ClassVar[str] = "translate"
    Config: ClassVar[type] = TranslateConfig
    batch_size: ClassVar[int] = 256
    needs_device: ClassVar[bool] = True

    def __init__(
        self,
        config: Any = None,
        context: RunContext | dict[str, Any] | None = None,
        backends: dict[str, Backend | None] | None = None,
    ):
        """``backends`` pins a backend (or None = no model) per source language; used by tests."""
        super().__init__(config, context)
        ctx = self.context
        models_dir = self.config.models_dir or ctx.models_dir
        self.models = ModelLoader(
            self.config, models_dir, ctx.device, ctx.cpus, self.count, pinned=backends, warn=ctx.warn
        )
        self._cache: TranslationCache | WorkerCache | None = None
        self._cache_ready = False
        self._inbox: list[CacheRow] = []  # workers' new cache rows, merged at the next commit

    # -- models and cache ------------------------------------------------------------------
    def load_model(self, code: str) -> Backend:
        """The ``code -> en`` backend, loaded now with the translation cache opened (both happen
        once per run; e.g. outside a timed region); :class:`ModelError` saying what to do when no
        model is installed or it does not load."""
        self._get_cache()
        return self.models.require(code)

    def _get_cache(self) -> TranslationCache | WorkerCache | None:
        if not self._cache_ready:
            self._cache_ready = True
            if self.config.cache:
                state_dir = self.context.state_dir
                path = Path(state_dir) / CACHE_FILE if state_dir else None
                try:
                    # a worker of a cluster only reads the output's cache (see WorkerCache)
                    self._cache = WorkerCache(path) if self.context.worker else TranslationCache(path)
                except Exception:  # noqa: BLE001 - an unusable cache file must not stop the run
                    self.count("cache_unavailable")
                    self._cache = TranslationCache(None)
        return self._cache

    # -- the cache on a cluster: workers export new rows, the driver merges them at the commit --
    def export_state(self) -> list[CacheRow] | None:
        cache = self._cache
        return (cache.take_new_rows() or None) if isinstance(cache, WorkerCache) else None

    def absorb_state(self, state: list[CacheRow]) -> None:
        self._inbox.extend(state)

    def commit(self) -> None:
        if not self._inbox:
            return
        reopened = not self._cache_ready  # the final commit comes after close()
        cache = self._get_cache()
        if cache is not None and not isinstance(cache, WorkerCache):
            try:
                self.count("cache_rows_merged", merge_rows(cache, self._inbox))
            except sqlite3.Error:  # a cache is an optimisation: a failed merge costs time only
                self.count("cache_merge_failed")
        self._inbox.clear()
        if reopened:
            self.close()

    def rollback(self) -> None:
        self._inbox.clear()

    def models_used(self) -> dict[str, Any]:
        """The translation packages this stage loaded: name -> pair, version, device."""
        return self.models.models_used()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
            self._cache_ready = False

    # -- the batch -------------------------------------------------------------------------
    def _split(self, text: str) -> list[Piece]:
        return split_block(text, self.config.max_sentence_chars, self.config.protect)

    def process_batch(self, docs: list[Document]) -> Iterable[Document]:
        self._titles: dict[int, tuple[Document, Block]] = {}
        # 1. decide per block: translate (collect sentences per language) or mark pending
        work: dict[str, list[tuple[Document, Block, list[Piece]]]] = defaultdict(list)
        touched: dict[int, dict[str, Any]] = {}
        for doc in docs:
            if not doc.ok:
                continue
            try:
                self._plan_doc(doc, work, touched)
            except TooSlow as exc:
                self.count("too_slow")
                doc.reject(QUARANTINED, "too_slow", stage=self.key, message=f"splitting into sentences {exc}")
            except Exception as exc:  # noqa: BLE001 - bad input never stops the run
                # the blocks stay pending with the reason, so a later run tries them again
                self.count("errors")
                error = f"{type(exc).__name__}: {exc}"
                doc.record(self.key, "error", "translate_failed", error=error)
                for block in doc.blocks:
                    if block.lang not in (None, TARGET) and block.translation != TRANSLATED:
                        self._mark_pending(doc, block, "translate_failed", f"translation failed: {error}", touched)
                touched.setdefault(id(doc), _new_summary())
        # 2. translate each language's sentences in one deduplicated, cached, sorted pass
        for code in sorted(work):
            loaded = self.models.loaded[code]
            items = work[code]
            sentences = [p.masked for _, _, pieces in items for p in pieces if p.translate]
            owners = [doc.id for doc, _, pieces in items for p in pieces if p.translate]
            try:
                translator = BatchTranslator(loaded.backend, self._get_cache())
                results, stats = translator.translate(sentences, owners=owners)
            except Exception as exc:  # noqa: BLE001 - backend failure: keep blocks pending
                self.count("backend_errors")
                for doc, block, _ in items:
                    self._mark_pending(doc, block, "backend_failed", f"translation failed: {exc}", touched)
                continue
            self.count("sentences_requested", stats.requested)
            self.count("sentences_unique", stats.unique)
            self.count("cache_hits", stats.cache_hits)
            self.count("cache_misses", stats.cache_misses)
            it = iter(results)
            for doc, block, pieces in items:
                outs = [next(it) if p.translate else None for p in pieces]
                hits = sum(1 for p in pieces if p.translate and p.masked in stats.hits)
                reused = [p.translate and stats.reused(p.masked, doc.id) for p in pieces]
                try:
                    self._apply(doc, block, code, loaded, pieces, outs, hits, touched, reused)
                except Exception as exc:  # noqa: BLE001 - one odd block must not sink the batch
                    self.count("errors")
                    self._mark_pending(doc, block, "translate_failed", f"translation failed: {exc}", touched)
        self._finish_titles()
        # 3. per-document summary + history
        for doc in docs:
            if id(doc) in touched:
                self._summarize(doc, touched[id(doc)])
            elif doc.ok and not doc.translation:
                doc.translation = _empty_translation()
                doc.record(self.key, "skipped", "nothing_to_translate")
        return docs

    def _title_block(self, doc: Document) -> Block | None:
        """The title as a block to translate, when it is not English and not yet translated."""
        title, lang = doc.metadata.get("title"), doc.metadata.get("title_lang")
        if not isinstance(title, str) or not title.strip() or lang in (None, TARGET, "other"):
            return None
        if doc.metadata.get("title_translation") == TRANSLATED:
            return None
        block = Block(text=title, kind="title", lang=lang)
        self._titles[id(doc)] = (doc, block)
        return block

    def _finish_titles(self) -> None:
        """Write translated (or pending) titles back into their documents' metadata."""
        for doc, block in self._titles.values():
            if block.translation == TRANSLATED and block.text.strip():
                doc.metadata.setdefault("original_title", block.original)
                doc.metadata["original_title_lang"] = doc.metadata.get("title_lang")
                doc.metadata["title"] = block.text
                doc.metadata["title_translation"] = TRANSLATED
            else:
                doc.metadata["title_translation"] = PENDING
        self._titles.clear()

    def _plan_doc(self, doc: Document, work: dict, touched: dict) -> None:
        """Mark blocks without a model pending; split the others into sentences (in the
        document's CPU budget, models loaded before it starts) and queue them in ``work``."""
        planned: list[tuple[str, Block]] = []
        title = self._title_block(doc)
        for block in [*doc.blocks, *([title] if title is not None else [])]:
            if block.lang in (None, TARGET) or block.translation == TRANSLATED:
                continue
            code = source_code(block.lang, block.meta)
            if code is None:
                self._mark_pending(doc, block, "unidentified_language", UNIDENTIFIED_NOTE, touched)
                continue
            loaded = self.models.get(code)
            if loaded.backend is None:
                self._mark_pending(doc, block, loaded.reason, loaded.note(code), touched)
                continue
            planned.append((code, block))
        if not planned:
            return
        cfg = self.config
        with cpu_budget(document_budget(doc.text, cfg.max_seconds, cfg.max_seconds_per_mb)):
            split = [(code, block, self._split(block.text)) for code, block in planned]
        for code, block, pieces in split:
            work[code].append((doc, block, pieces))
        touched.setdefault(id(doc), _new_summary())

    def _mark_pending(self, doc: Document, block: Block, reason: str, note: str, touched: dict) -> None:
        block.translation = PENDING
        block.note = note
        summary = touched.setdefault(id(doc), _new_summary())
        summary["pending_reasons"][reason] += 1
        self.count("blocks_pending")

    def _apply(self, doc, block, code, loaded, pieces, outs, hits, touched, reused=None) -> None:
        joined = join_block(pieces, outs, reused)
        english, flags = joined.text, joined.flags
        quality = assess(
            block.text,
            english,
            code,
            joined.confidence,
            min_confidence=self.config.min_confidence,
            length_ratio_min=self.config.length_ratio_min,
            length_ratio_max=self.config.length_ratio_max,
        )
        quality["flags"] = quality["flags"] + [f for f in flags if f not in quality["flags"]]
        block.original = block.text
        block.text = english
        block.translation = TRANSLATED
        block.note = None
        block.meta["quality"] = quality
        block.pairs = joined.pairs
        pkg = getattr(loaded.backend, "package", None)
        name = pkg.name if pkg else getattr(loaded.backend, "name", type(loaded.backend).__name__)
        version = pkg.version if pkg else getattr(loaded.backend, "version", None)
        block.meta["translated_by"] = {"engine": BACKEND_NAME, "model": name, "model_version": version}
        summary = touched.setdefault(id(doc), _new_summary())
        summary["translated"] += 1
        summary["cache_hits"] += hits
        summary["models"][name] = version
        self.count("blocks_translated")
        if quality["flags"]:
            summary["flagged"] += 1
            self.count("blocks_flagged")
            for flag in quality["flags"]:
                self.count(f"flag_{flag}")

    def _summarize(self, doc: Document, summary: dict[str, Any]) -> None:
        models = summary["models"]
        names = sorted(models)
        translated_total = sum(b.translation == TRANSLATED for b in doc.blocks)
        pending_total = sum(b.translation == PENDING for b in doc.blocks)
        flagged_total = sum(
            1 for b in doc.blocks if b.translation == TRANSLATED and b.meta.get("quality", {}).get("flags")
        )
        prior = doc.translation or {}
        doc.translation = {
            # a run that translated nothing new keeps the model that made the existing translations
            "engine": BACKEND_NAME if names else prior.get("engine"),
            "model": ", ".join(names) if names else prior.get("model"),
            "model_version": ", ".join(str(models[n]) for n in names) if names else prior.get("model_version"),
            "blocks_translated": translated_total,
            "blocks_pending": pending_total,
            "flagged": flagged_total,
        }
        detail = {
            "blocks_translated": summary["translated"],
            "blocks_pending": pending_total,
            "flagged": summary["flagged"],
        }
        if pending_total:
            reasons = summary["pending_reasons"]
            reason = reasons.most_common(1)[0][0] if reasons else "no_model_installed"
            doc.record(self.key, "pending", reason, **detail, pending_reasons=dict(sorted(reasons.items())))
        else:
            doc.record(self.key, "translated", "argos_ctranslate2", **detail, model=doc.translation["model"])


def _empty_translation() -> dict[str, Any]:
    return {
        "engine": None,
        "model": None,
        "model_version": None,
        "blocks_translated": 0,
        "blocks_pending": 0,
        "flagged": 0,
    }


def _new_summary() -> dict[str, Any]:
    return {"translated": 0, "cache_hits": 0, "flagged": 0, "models": {}, "pending_reasons": Counter()}
