"""Deduplication stage: exact copies, near-duplicates (MinHash + LSH), recurring paragraphs.

Runs after ``translate`` and ``normalize``, on the English ``doc.text``, so a German article and
its English original can meet once translated. Blocks still pending translation are compared in
their own language: each paragraph is shingled by the language ``detect`` gave its block
(Chinese and Japanese by characters, ``char_shingle_size``; every other language by words,
``shingle_size``; a translated block is English; without blocks, by script). For each document,
in the kept-member order below:

1. Same ``id`` as a document already in the index (a rerun over the same input): it *is* that
   document; it is left alone (never its own duplicate).
2. Exact: the key of :func:`~babelmill.dedup.text.normalize_key_text` (NFKC, case folded,
   punctuation and whitespace folded) equals a kept document's -> rejected
   ``duplicate/exact_duplicate`` with similarity 1.0.
3. Near: candidates are the indexed documents sharing an LSH band of the MinHash signature, a
   paragraph, or an anchor (a sampled shingle, for excerpts whose Jaccard is too low for LSH).
   Each is verified on the stored shingle sets by :class:`~babelmill.dedup.verify.Rule`: Jaccard
   ``>= threshold``, or the smaller document at least ``containment`` inside the other, and
   never when the smaller one has paragraphs of its own. A match -> rejected
   ``duplicate/near_duplicate`` with ``similarity`` (Jaccard), ``containment``, ``method`` and
   ``contained`` (the best match: highest of the two measures, then Jaccard, then smallest id).
   A document that *contains* a kept one (a longer page around a wire story) is its duplicate
   too: across runs what is in the corpus stays; within a batch the longer one ranks first.
4. Otherwise the document is kept and indexed; later documents are compared against it.

Duplicates never enter the index, so ``duplicate_of`` always names a document that is in the
corpus. The cluster id is ``"cluster:" + <kept id>``; a kept document carries it once it is
known to have a duplicate (in this batch, or from earlier runs), else ``None``.

**Kept-member rule.** Within a batch documents are decided in this order, so the first member of
a cluster met is the one kept, whatever the input order: native before machine-translated
(``doc.origin["machine_translated"]``), fewer blocks still pending translation, longer
normalized text, then the smallest id. Documents are still yielded in the order received. Before
all of these comes a document that an earlier run kept and this run processes again (the runner
calls :meth:`~DedupStage.forget` on it first: its pending blocks were translated), so a translated
document keeps its earlier decision and is then indexed on its English text.

**Across runs (and batches), what is already in the corpus stays**: an earlier document is never
replaced, even if a new copy would rank higher; the new copy is the duplicate. That keeps ids
in the corpus stable and lets a daily run touch only new documents. ``batch_size`` is 10,000,
but the runner caps every stage's batch at the run's window (``max(--checkpoint-every, 64)``,
1,000 by default) so that checkpoints land during a run: the kept-member rule within a batch
holds within a window.

**Paragraphs.** Paragraphs (``doc.blocks``, or ``doc.text`` split on blank lines) of kept
documents are hashed on their normalized text. A paragraph that also occurs in other indexed
documents gets ``block.meta["also_in"] = [ids]`` (sorted, at most ``max_also_in``); documents
without blocks get ``doc.dedup["recurring_paragraphs"]``. Within a batch the annotation is
symmetric; older corpus documents are not rewritten. ``drop_recurring_paragraphs`` removes such
paragraphs (recorded in ``doc.removed`` with rule ``recurring_paragraph`` and the block's line).

**State and commit protocol.** The index lives in ``context.state_dir / state_file`` (SQLite,
see :mod:`babelmill.dedup.index`); without a state dir it is kept in memory. A document's index
rows are written (uncommitted) when the document leaves the stage, and become durable only with
:meth:`DedupStage.commit`. The runner calls ``commit()`` right after it has flushed the corpus
and ``rejected.jsonl`` (at each checkpoint and after :meth:`close`), so a commit covers exactly
the documents it has written; ``rollback()`` drops the rest. A run killed before a commit leaves
the index as it was. ``close()`` commits only when ``context.commit_on_close`` is true (for
callers without a runner). ``context.rebuild`` needs nothing from this stage: the runner
empties the state dir and the index starts empty. :meth:`forget` removes documents whose inputs
were deleted or edited (committed at once when called outside a run).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from babelmill.dedup.config import DedupConfig
from babelmill.dedup.index import BatchOverlay, DedupIndex, IndexedDoc, PendingDoc
from babelmill.dedup.minhash import MinHasher, band_keys
from babelmill.dedup.paragraphs import drop_paragraphs, normalize_document, paragraph_hashes, paragraph_shingles
from babelmill.dedup.text import exact_key
from babelmill.dedup.verify import Shingles, compare
from babelmill.document import DUPLICATE, PENDING, Document
from babelmill.stage import RunContext, StatefulStage

__all__ = ["DedupConfig", "DedupStage", "cluster_id", "kept_rank"]

STAGE = "dedup"
EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
RECURRING_PARAGRAPH = "recurring_paragraph"


def cluster_id(kept_id: str) -> str:
    """Deterministic cluster id, derived from the kept member's id.

    >>> cluster_id("abc123")
    'cluster:abc123'
    """
    return f"cluster:{kept_id}"


def pending_blocks(doc: Document) -> int:
    return sum(1 for b in doc.blocks if b.translation == PENDING)


def kept_rank(doc: Document, normalized: str) -> tuple[int, int, int, str]:
    """Sort key of the kept-member rule: smaller ranks first and is kept.

    Native before machine-translated, fewer pending translation blocks, longer normalized
    text, then the smallest id.
    """
    return (1 if doc.origin.get("machine_translated") else 0, pending_blocks(doc), -len(normalized), doc.id)


@dataclass
class _Work:
    """Per-document scratch of one batch."""

    doc: Document
    normalized: str
    existing: IndexedDoc | None = None  # already in the index from an earlier run (kept as is)
    pending: PendingDoc | None = None  # kept in this batch; written when the document leaves
    note_rowid: int | None = None  # duplicate of this indexed row; counted when the document leaves
    paragraphs: list[tuple[int, int]] | None = None  # (hash, paragraph index)
    para_keys: list[str] | None = None  # normalized paragraphs (blocks), in order
    langs: list[str | None] | None = None  # shingling language of each paragraph

    @property
    def kept(self) -> bool:
        return self.existing is not None or self.pending is not None


class DedupStage(StatefulStage):
    """Reject exact and near-duplicate documents; annotate (optionally drop) recurring paragraphs.

    See the module docstring for the rule that picks the kept member, the cross-run behaviour
    and the commit protocol.
    """

    key: ClassVar[str] = STAGE
    Config: ClassVar[type] = DedupConfig
    batch_size: ClassVar[int] = 10_000
    # a document's index rows are written when the next stage asks for it, so a runner's commit()
    # between two documents covers exactly the documents it has received
    streams_out: ClassVar[bool] = True

    def __init__(self, config: Any = None, context: RunContext | dict[str, Any] | None = None):
        super().__init__(config, context)
        self._index: DedupIndex | None = None
        self._hasher: MinHasher | None = None
        # rows at or past this rowid were added by this run: a second document with such an id is
        # a duplicate, one below it is the same document met again on a rerun
        self._first_new_rowid: int | None = None
        self._reseen: set[str] = set()  # already-indexed ids met in this run
        # ids this run forgot that were kept documents: met again (their pending blocks translated),
        # they rank first, so the corpus keeps the document it held and its duplicates stay such
        self._was_kept: set[str] = set()
        self._touched: set[str] = set()  # kept ids that got a duplicate in the current batch
        self._overlay: BatchOverlay | None = None  # kept documents of the batch being decided

    # -- state ---------------------------------------------------------------------------------
    @property
    def index(self) -> DedupIndex:
        """The index, opened on first use (nothing is loaded into memory up front)."""
        if self._index is None:
            state_dir = self.context.state_dir
            path = Path(state_dir) / self.config.state_file if state_dir else None
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._index = DedupIndex(path, self.config.index_params())
            self._first_new_rowid = self._index.next_rowid()
        return self._index

    @property
    def hasher(self) -> MinHasher:
        if self._hasher is None:
            c = self.config
            self._hasher = MinHasher(c.num_perm, c.seed, c.backend)
        return self._hasher

    def opened_store(self) -> DedupIndex | None:
        return self._index

    def release_store(self) -> None:
        self._index = None

    def forget(self, doc_ids: str | Iterable[str]) -> int:
        """Remove documents from the index (inputs deleted or edited); returns how many were there."""
        ids = [doc_ids] if isinstance(doc_ids, str) else list(doc_ids)
        forgotten = [doc_id for doc_id in ids if self.index.forget(doc_id)]
        n = len(forgotten)
        self._was_kept.update(forgotten)
        self._reseen.difference_update(ids)
        self.count("index_forgotten", n)
        return n

    # -- processing ----------------------------------------------------------------------------
    def process_batch(self, docs: list[Document]) -> Iterator[Document]:
        """Decide the whole batch in kept-member order, then hand documents on in input order."""
        # open the index outside the per-document guards: an unusable index (parameters changed
        # since it was built) stops the run with DedupStateError instead of skipping every document
        _ = self.index
        self._touched = set()
        self._overlay = BatchOverlay(self.config.index_params())
        work: list[_Work | None] = []
        for doc in docs:
            try:
                normalized, para_keys, langs = normalize_document(doc)
                work.append(_Work(doc, normalized, para_keys=para_keys, langs=langs))
            except Exception as exc:  # bad input never stops the run
                self._failed(doc, exc)
                work.append(None)
        live = [w for w in work if w is not None]
        for item in sorted(live, key=lambda w: (w.doc.id not in self._was_kept, *kept_rank(w.doc, w.normalized))):
            try:
                self._decide(item)
                if self.config.paragraphs and item.kept and item.paragraphs is None:
                    item.paragraphs = paragraph_hashes(item.doc, self.config.paragraph_min_chars, item.para_keys)
            except Exception as exc:
                self._failed(item.doc, exc)
            item.normalized, item.para_keys, item.langs = "", None, None  # keep only hashes from here on
        for item in live:
            if item.kept and item.doc.ok and item.doc.id in self._touched:
                item.doc.dedup["cluster"] = cluster_id(item.doc.id)
        if self.config.paragraphs:
            for item in live:
                if item.kept:
                    try:
                        self._annotate_paragraphs(item)
                    except Exception as exc:
                        self.count("paragraph_errors")
                        item.doc.record(STAGE, "skipped", "paragraph_error", error=repr(exc))
        for doc, item in zip(docs, work, strict=True):
            if item is not None:
                self._write(item)
            yield doc
        self._overlay = None

    def _write(self, item: _Work) -> None:
        """Put a document's decision into the index (still uncommitted)."""
        try:
            if item.pending is not None:
                p = item.pending
                self.index.add(p.id, p.exact, p.signature, p.paragraphs, dups=p.dups, keys=p.keys, shingles=p.shingles)
            if item.note_rowid is not None:
                self.index.note_duplicate(item.note_rowid)
        except Exception as exc:
            self.count("index_write_errors")
            item.doc.record(STAGE, "skipped", "index_write_error", error=repr(exc))

    def _failed(self, doc: Document, exc: Exception) -> None:
        self.count("errors")
        doc.dedup = {"cluster": None, "duplicate_of": None, "error": repr(exc)}
        doc.record(STAGE, "skipped", "dedup_error", error=repr(exc))

    def _decide(self, item: _Work) -> None:
        doc, cfg, overlay = item.doc, self.config, self._overlay
        if not item.normalized:
            # nothing to compare: an empty text is not a copy of another empty text
            self.count("skipped_empty")
            doc.dedup = {"cluster": None, "duplicate_of": None}
            return
        existing = self.index.get(doc.id)
        if doc.id in overlay.docs or (
            existing is not None and (existing.rowid >= self._first_new_rowid or doc.id in self._reseen)
        ):
            # the same id twice in one run: the second is a copy of the first
            self._duplicate(item, doc.id, 1.0, "exact")
            return
        if existing is not None:
            # a rerun over the same input: the same document, already in the corpus
            self.count("already_indexed")
            self._reseen.add(doc.id)
            item.existing = existing
            doc.dedup = {"cluster": cluster_id(doc.id) if existing.dups else None, "duplicate_of": None}
            return
        key = exact_key(item.normalized) if cfg.exact else None
        if key is not None:
            match = self.index.find_exact(key)
            match_id = match.id if match is not None else overlay.exact.get(key)
            if match_id is not None:
                self._duplicate(item, match_id, 1.0, "exact")
                return
        signature, keys, hashes = None, None, None
        para_hashes = paragraph_hashes(doc, cfg.paragraph_min_chars, item.para_keys)
        if cfg.near:
            grams, hashes = paragraph_shingles(item.para_keys, item.langs, cfg.shingle_size, cfg.char_shingle_size)
            signature = self.hasher.signature(grams)
            keys = band_keys(signature, cfg.bands, cfg.rows)
            match = self._best_match(hashes, keys, [h for h, _ in para_hashes])
            if match is not None:
                self._duplicate(item, *match)
                return
        item.paragraphs = para_hashes if cfg.paragraphs else []
        item.pending = PendingDoc(doc.id, key, signature, [h for h, _ in para_hashes], keys=keys, shingles=hashes)
        overlay.add(item.pending)
        doc.dedup = {"cluster": None, "duplicate_of": None}
        self.count("kept")

    def shingles_of(self, doc: Document) -> tuple[list[str], Shingles]:
        """The shingles the stage compares ``doc`` on: the list the MinHash signature is computed
        from, and the hashes per paragraph that candidates are verified on."""
        _, paragraphs, langs = normalize_document(doc)
        return paragraph_shingles(paragraphs, langs, self.config.shingle_size, self.config.char_shingle_size)

    def _best_match(
        self, hashes: Shingles, keys: list[int], para_hashes: list[int]
    ) -> tuple[str, float, str, float, str] | None:
        """Verify the candidates on their shingle sets (:mod:`babelmill.dedup.verify`); the best duplicate.

        The best is the one with the highest of Jaccard and containment, then the highest
        Jaccard, then the smallest id. Returns (kept id, Jaccard, method, containment, which
        document is contained in which).
        """
        cfg = self.config
        rule = cfg.rule()
        anchors = hashes.anchors(cfg.anchor_every)
        limit = cfg.paragraph_candidate_limit
        found = self.index.candidates(keys, para_hashes, anchors, cfg.max_candidates, limit)
        pairs = [(c.id, c.shingles) for c in found]
        pairs += [(p.id, p.shingles) for p in self._overlay.candidates(keys, para_hashes, anchors, limit)]
        self.count("candidates_verified", len(pairs))
        best = None
        for other_id, other in pairs:
            if other is None:
                continue
            c = compare(hashes, other)
            method = rule.method(c)
            if method is None:
                continue
            rank = (-max(c.jaccard, c.containment), -c.jaccard, other_id)
            if best is None or rank < best[0]:
                direction = "duplicate_in_kept" if c.smaller_is_new else "kept_in_duplicate"
                best = (rank, (other_id, c.jaccard, method, c.containment, direction))
        return best[1] if best is not None else None

    def _duplicate(
        self,
        item: _Work,
        kept_id: str,
        similarity: float,
        method: str,
        containment: float = 1.0,
        contained: str | None = None,
    ) -> None:
        doc = item.doc
        cid = cluster_id(kept_id)
        doc.dedup = {
            "cluster": cid,
            "duplicate_of": kept_id,
            "similarity": similarity,
            "containment": containment,
            "method": method,
        }
        reason = EXACT_DUPLICATE if method == "exact" else NEAR_DUPLICATE
        extra = {"method": method, "contained": contained} if reason == NEAR_DUPLICATE else {}
        doc.reject(
            DUPLICATE,
            reason,
            stage=STAGE,
            duplicate_of=kept_id,
            similarity=similarity,
            containment=containment,
            **extra,
        )
        pending = self._overlay.docs.get(kept_id)
        if pending is not None:
            pending.dups += 1
        else:
            kept = self.index.get(kept_id)
            item.note_rowid = kept.rowid if kept is not None else None
        self._touched.add(kept_id)

    # -- paragraphs ----------------------------------------------------------------------------
    def _annotate_paragraphs(self, item: _Work) -> None:
        doc, cfg = item.doc, self.config
        rowid = item.existing.rowid if item.existing else None
        limit = max(cfg.max_also_in, cfg.recurring_min_docs)
        recurring: dict[int, list[str]] = {}
        if item.paragraphs is None:
            item.paragraphs = paragraph_hashes(doc, cfg.paragraph_min_chars, item.para_keys)
        for h, i in item.paragraphs:
            others = set(self.index.paragraph_docs(h, rowid, limit))
            others.update(self._overlay.paragraph_docs(h, doc.id))
            if others:
                recurring[i] = sorted(others)
        if not recurring:
            return
        self.count("paragraphs_recurring", len(recurring))
        if doc.blocks:
            for i, others in recurring.items():
                doc.blocks[i].meta["also_in"] = others[: cfg.max_also_in]
        else:
            doc.dedup["recurring_paragraphs"] = [
                {"paragraph": i, "also_in": others[: cfg.max_also_in]} for i, others in sorted(recurring.items())
            ]
        if cfg.drop_recurring_paragraphs:
            self._drop_recurring(doc, {i for i, o in recurring.items() if len(o) >= cfg.recurring_min_docs})

    def _drop_recurring(self, doc: Document, drop: set[int]) -> None:
        """Remove recurring paragraphs from blocks and text; never empty a document this way."""
        if drop_paragraphs(doc, drop, RECURRING_PARAGRAPH):
            doc.record(STAGE, "removed", RECURRING_PARAGRAPH, paragraphs=len(drop))
            self.count("paragraphs_dropped", len(drop))
