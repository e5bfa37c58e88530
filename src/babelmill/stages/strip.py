"""Strip stage: split the repaired text into article blocks; everything else is removed with a reason.

What it changes: sets ``doc.blocks`` (paragraph, heading, list_item and quote blocks with
their 1-based input line), fills ``doc.metadata`` (title, original_title, subtitle, author,
editor, site, published, attribution) and lists every removed non-blank line in
``doc.removed`` as ``{"line", "text", "rule"}``. ``doc.text`` is left as it came in.

What it drops and why: page chrome (navigation, share bars, cookie and subscription prompts,
comment widgets, related-post lists, footers, disclaimers, embed leftovers), found by rule
files in ``pipeline/rules/``, by line structure (see :mod:`babelmill.clean.cleaner`) and by
repetition across documents of one site; metadata lines (they move to ``doc.metadata``);
repeated paragraphs.

Site counts and commit protocol: the per-site line counts live in
``context.state_dir / "strip_sites.sqlite"`` (see :mod:`babelmill.clean.site_lines`). A
document's counts are kept (uncommitted) once it is cleaned and become durable only with
:meth:`StripStage.commit`, which the runner calls at each checkpoint after flushing the corpus;
a run killed in between leaves the counts as the last checkpoint left them. The rerun
reprocesses the inputs whose records were not committed and counts those not counted yet (a
document id counts once, so one counted at the checkpoint but not yet written is not counted
twice). An edited input's old version is taken out of the counts (:meth:`StripStage.forget`,
for the records the runner replaces; an id met again with other lines is replaced too); a
deleted input keeps its record and its counts. ``close()`` commits only with
``context.commit_on_close``. ``--rebuild`` needs nothing from this stage: the runner empties the
state dir. Counts of earlier versions (format 1, ``strip_site_lines.json``) ask for a rebuild.
Limits: a batch's documents all count before any is decided (a new site's first pages see its
template), so in runs longer than one batch (64 documents) a page reprocessed after a crash may
see up to a batch more of its site's pages than in an uninterrupted run, and an edited page
(processed again alone) all of them counted so far; pages decided earlier are not decided again
when later pages of their site arrive or change.

Empty result: when no article region is found, the sentence-like lines that no rule removed
are kept (``strip/fallback_kept``); when there are none, it is quarantined (``no_article_text``).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babelmill.budget import TooSlow, cpu_budget, document_budget
from babelmill.clean.cleaner import Cleaner, CleanResult
from babelmill.clean.coverage import cleaning_report
from babelmill.clean.line_model import load_line_model
from babelmill.clean.rules import RuleSet, load_rules
from babelmill.clean.site_lines import (
    SiteLineStore,
    SiteStateError,
    batch_to_count,
    line_hash,
    site_key,
    template_candidates,
    template_lines,
)
from babelmill.clean.structure import Thresholds
from babelmill.clean.title import apply_title
from babelmill.document import QUARANTINED, Document
from babelmill.stage import Stage, StatefulStage

STATE_FILE = "strip_sites.sqlite"
# the counts of earlier versions (one JSON file written at the end of a run): refused (rebuild)
OLD_STATE_FILE = "strip_site_lines.json"


def resolve_rule_files(names: list[str], base: Path | None = None) -> list[Path]:
    """Rule files are relative to ``base`` (the config's folder), else the packaged ``pipeline/``."""
    from babelmill.config import resolve_rule_path

    return [resolve_rule_path(n, base) for n in names]


@dataclass
class StripConfig(Thresholds):
    """Options of the strip stage.

    Args:
        rule_files: boilerplate rule files, relative to the ``pipeline/`` folder. A bad regex
            or unknown key in one fails when the configuration is loaded.
        good_words: a line of at least this many words (CJK: characters / 1.5) with ordinary
            function-word density is prose.
        sentence_words: a shorter line ending like a sentence is prose from this many words.
        medium_words: lines from this length that end like a sentence are kept inside the article.
        stop_low_ratio: function-word density below this share of the document's median
            marks a line as non-prose (menus, teaser titles).
        stop_high_ratio: short sentences need this share of the median density.
        nav_run: this many short lines in a row are a menu or link list (not after a "...:").
        short_penalty: how much a short line counts against the article region.
        removed_penalty: how much a rule-removed line counts against the article region.
        medium_score: how much a medium line (short sentence) counts for the article region.
        island_score: a stretch of prose outside the article region that scores this much,
            with no section wall in between, is kept too (a lede cut off by a paywall box).
        island_gap: how many lines away from the article such an island may start.
        keep_inner_runs: keep runs of short lines inside the article region (lists, recipe
            ingredients); off: remove them as ``navigation_run`` like runs outside it.
        near_prose: also keep prose lines (class good) within ``island_gap`` lines of the
            article when no wall separates them.
        wall_penalty: 0: section openers (``action = "section_end"``) are walls the article
            never crosses; above 0: they only cost this much (an inline "Related" box).
        wall_reach: a section wall (``action = "section_end"``) this close after the article (in
            lines no rule removed) is checked for being an inline widget: when the best stretch
            behind it starts within as many lines and reads as more of the article, the article
            goes on there and the wall and lines between go as ``inline_box``. 0: walls are absolute.
        share_bar_run: this many share-button lines in a row inside the article end it when
            the text after them does not pass the same continuation test (teaser cards, author
            boxes after the story's share bar). 0: off.
        continuation_share: that stretch needs this share of prose lines among its lines...
        continuation_words: ...this many words of prose (2+ prose lines)...
        continuation_cohesion: ...and this share of its content words in the article.
        title_case_share: a line of 4+ words without closing punctuation whose words are
            capitalised at least this often is a link title (teasers, menus), not prose.
        sandwich_lists: keep runs of short lines (of 2+ words) that lie between kept article
            lines, at most ``sandwich_max`` lines long: fact boxes, ingredient lists.
        repeat_threshold: share of a sentence's content words that must recur in another
            sentence for it to count as repeated.
        repeat_min_words: paragraphs shorter than this are never collapsed as repeats.
        site_min_docs: a line is site boilerplate once it occurs in this many documents of
            one site (two articles quoting the same tweet do not make it boilerplate)...
        site_min_share: ...and in at least this share of that site's documents.
        site_long_words: lines of this many words need twice ``site_min_docs``.
        persist_site_counts: keep the per-site line counts in ``context.state_dir`` so the
            next run starts with them (else they live in memory for one run).
        quarantine_empty: quarantine documents with no article text (else keep them empty).
        line_model: the learned line classifier that decides every line the rules, metadata
            and embed steps leave open (see ``MODEL.md``): ``"builtin"`` (the packaged model),
            the path of a model file made by ``babelmill train-cleaner`` (relative to the
            config's folder), or ``""`` for the hand-tuned structure step alone.
        learned_title: choose the title with the learned model of :mod:`babelmill.clean.title`
            among the lines around the article's start (off: the rule-based extractor's pick).
        lost_model: warn ``article_may_be_lost`` by the learned lost-article model of
            :mod:`babelmill.clean.coverage` (and record ``cleaning.lost_probability``); off: the
            rule below.
        lost_share: without ``lost_model``, warn ``article_may_be_lost`` when the kept text is
            shorter than this share of the page's longest run of prose lines; always: warn
            ``long_prose_removed`` when a prose run longer than this share of the kept text was
            removed by position...
        lost_run_words: ...when that run has at least this many words.
        max_seconds: CPU seconds that cleaning one document may take, plus
            ``max_seconds_per_mb`` for each million characters of it; a document over that is
            quarantined (``too_slow``) and the run goes on. 0: no limit.
        max_seconds_per_mb: see ``max_seconds``.
    """

    rule_files: list[str] = field(default_factory=lambda: ["rules/boilerplate.toml"])
    site_min_docs: int = 3
    site_min_share: float = 0.3
    site_long_words: int = 25
    persist_site_counts: bool = True
    quarantine_empty: bool = True
    line_model: str = "builtin"
    learned_title: bool = True
    lost_model: bool = True
    lost_share: float = 0.5
    lost_run_words: float = 80.0
    max_seconds: float = 10.0
    max_seconds_per_mb: float = 10.0

    def __post_init__(self) -> None:
        # Compile the rules now so that a broken rule file fails when the configuration is
        # loaded. A relative path that is not in the packaged pipeline/ folder may be relative
        # to a user's own config folder: the stage loads (and checks) it when it is built.
        paths = resolve_rule_files(self.rule_files)
        if all(p.is_file() for p in paths):
            load_rules(paths)

    def ruleset(self, base: Path | None = None) -> RuleSet:
        return load_rules(resolve_rule_files(self.rule_files, base))

    def thresholds(self) -> Thresholds:
        return Thresholds(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Thresholds)})


class StripStage(StatefulStage):
    """Split documents into article blocks and metadata; record every removed line's reason."""

    key = "strip"
    Config = StripConfig
    batch_size = 64

    def __init__(self, config=None, context=None):
        super().__init__(config, context)
        base = self.context.pipeline_dir
        base_dir = Path(base) if base else None
        model = load_line_model(self.config.line_model, base_dir)
        self.cleaner = Cleaner(self.config.ruleset(base_dir), self.config.thresholds(), model=model)
        self._store: SiteLineStore | None = None
        self._ordered_only = False

    # -- corpus-level repetition ---------------------------------------------------------------
    def _state_path(self) -> Path | None:
        state_dir = self.context.state_dir
        if not state_dir or not self.config.persist_site_counts:
            return None
        return Path(state_dir) / STATE_FILE

    @property
    def store(self) -> SiteLineStore:
        """The per-site line counts, opened on first use (nothing is loaded into memory)."""
        if self._store is None:
            path = self._state_path()
            if path is None:
                self._store = SiteLineStore(None)
                return self._store
            path.parent.mkdir(parents=True, exist_ok=True)
            old = path.with_name(OLD_STATE_FILE)
            if old.exists():
                raise SiteStateError(
                    f"strip site counts {old} are of an earlier version (without the lines each document "
                    "added, so an edited input's old lines could not be taken out): rerun with rebuild"
                )
            try:
                self._store = SiteLineStore(path)
            except SiteStateError:
                raise
            except sqlite3.Error:
                # a damaged file: count without it (this run's counts are not kept) rather than stop
                self.count("state_unreadable")
                self._store = SiteLineStore(None)
        return self._store

    def opened_store(self) -> SiteLineStore | None:
        return self._store

    def release_store(self) -> None:
        self._store = None

    def forget(self, doc_ids: str | Iterable[str]) -> int:
        """Take documents out of the site counts (their inputs were edited: the new versions
        replace them); returns how many were counted. Durable with the next :meth:`commit`."""
        n = self.store.forget(doc_ids)
        self.count("site_counts_forgotten", n)
        return n

    def _line_keys(self, doc: Document) -> dict[str, int]:
        return template_candidates(doc.text)

    def _site_repeats(
        self, keys: dict[str, int], hashes: dict[str, int], counts: dict[int, int], n_docs: int
    ) -> set[str]:
        cfg = self.config
        return template_lines(keys, hashes, counts, n_docs, cfg.site_min_docs, cfg.site_min_share, cfg.site_long_words)

    # -- processing --------------------------------------------------------------------------
    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        # open the counts outside the per-batch guards: counts made with another line hash stop
        # the run (StageStateError: rebuild) instead of quarantining every document
        _ = self.store
        yield from super().run(docs)

    def process_batch(self, docs: list[Document]) -> Iterable[Document]:
        """Count the batch's lines per site, then clean each document against the counts.

        Every document of the batch counts before any is decided (the first pages of a new
        site already see its template). A document's counts are added (uncommitted) as it
        leaves; an id counted before with the same lines (a rerun) is not counted again, one
        counted with other lines is taken out first (its new version replaces it).
        """
        store = self.store
        keyed = [self._line_keys(doc) for doc in docs]
        hashed = [{k: line_hash(k) for k in keys} for keys in keyed]
        sites = [site_key(doc) for doc in docs]
        try:
            known = store.documents(doc.id for doc in docs if doc.id)
        except sqlite3.Error:
            self.count("state_read_errors")
            known = {}
        # this batch's own counts, on top of the stored ones
        ids = [doc.id for doc in docs]
        counts_doc, replaced, new_docs, new_lines = batch_to_count(known, ids, sites, [h.values() for h in hashed])
        if replaced:
            try:
                self.forget(replaced)  # before the look-ups: the batch sees the counts without them
            except sqlite3.Error:
                self.count("state_write_errors")
        stored: dict[str, tuple[int, dict[int, int]]] = {}
        for site in sorted(set(sites)):
            wanted = {h for s, hashes in zip(sites, hashed, strict=True) if s == site for h in hashes.values()}
            try:
                stored[site] = (store.site_docs(site), store.counts(site, wanted))
            except sqlite3.Error:
                self.count("state_read_errors")
                stored[site] = (0, {})
        for doc, site, keys, hashes, new in zip(docs, sites, keyed, hashed, counts_doc, strict=True):
            n_stored, counts = stored[site]
            batch = new_lines.get(site, Counter())
            total = {h: counts.get(h, 0) + batch[h] for h in hashes.values()}
            repeats = self._site_repeats(keys, hashes, total, n_stored + new_docs[site])
            if self._ordered_only:  # split: StripCleanPart cleans the document elsewhere
                doc.handover["site_repeats"] = sorted(repeats)
                out = doc
            else:
                out = self._process_one(doc, repeats)
            if new:
                try:
                    store.add(site, hashes.values(), doc.id or None)
                except sqlite3.Error as exc:
                    self.count("state_write_errors")
                    doc.record("strip", "skipped", "site_count_error", error=repr(exc))
            yield out
        if store.path is None:
            store.commit()  # counts kept for this run only: nothing to wait for

    def process(self, doc: Document) -> Iterable[Document]:
        yield from self.process_batch([doc])

    # -- split: the site counts in order, the cleaning anywhere ---------------------------------
    def split(self) -> StripCleanPart:
        """Keep only the site counts here: each document leaves with its site's template lines
        (``doc.handover["site_repeats"]``); the returned part cleans documents against them in
        any process. Cleaning is most of the stage's cost; the counts are what needs order."""
        self._ordered_only = True
        return StripCleanPart(self.config, self.context)

    def _count_out(self, doc: Document) -> None:
        if not self._ordered_only:  # split: the cleaning part counts the outcomes
            super()._count_out(doc)

    def _process_one(self, doc: Document, repeats: set[str]) -> Document:
        budget = document_budget(doc.text, self.config.max_seconds, self.config.max_seconds_per_mb)
        try:
            with cpu_budget(budget):
                res = self.cleaner.clean(doc.text or "", repeats)
                if repeats and res.reasons()["site_boilerplate"] and not res.blocks:
                    # every line recurs elsewhere on the site: a reprint, not a template; dedup decides
                    res = self.cleaner.clean(doc.text or "", None)
                if self.config.learned_title:
                    apply_title(res, doc.text or "", repeats, lines=res.lines)
        except TooSlow as exc:
            self.count("too_slow")
            doc.blocks = []
            doc.reject(QUARANTINED, "too_slow", stage="strip", message=f"cleaning {exc}")
            return doc
        except Exception as exc:  # noqa: BLE001 - record and go on
            self.count("errors")
            doc.record("strip", "error", "strip_failed", error=f"{type(exc).__name__}: {exc}")
            doc.blocks = []
            doc.reject(QUARANTINED, "strip_failed", stage="strip", error=f"{type(exc).__name__}: {exc}")
            return doc
        return self.apply(doc, res)

    def apply(self, doc: Document, res: CleanResult) -> Document:
        """Write a clean result into the document, its history and the stage counters."""
        doc.blocks = res.blocks
        doc.removed = res.removed
        for k, v in res.metadata.items():
            doc.metadata.setdefault(k, v)
        reasons = Counter(r["rule"] for r in res.removed)
        for rule, n in sorted(reasons.items()):
            self.count(f"removed_{rule}", n)
        if res.removed:
            doc.record(
                "strip", "removed_lines", "boilerplate", count=len(res.removed), rules=dict(sorted(reasons.items()))
            )
        if res.metadata:
            doc.record("strip", "extracted_metadata", "metadata", fields=sorted(res.metadata))
        if res.fallback and res.blocks:
            self.count("fallback_kept")
            doc.record("strip", "kept_candidates", "no_article_region", count=len(res.blocks))
        doc.cleaning = cleaning_report(
            doc.text or "",
            res.blocks,
            res.removed,
            self.config.lost_share,
            self.config.lost_run_words,
            model=self.config.lost_model,
            lines=res.lines or None,
        )
        for warning in doc.cleaning["warnings"]:
            self.count(f"warning_{warning}")
            doc.record("strip", "warning", warning, kept_share=doc.cleaning["kept_share"])
        if not res.blocks and self.config.quarantine_empty:
            why = f"the cleaner kept none of its {len(res.removed)} lines (`babelmill clean --explain` on the file gives each line's reason)"  # noqa: E501
            doc.reject(QUARANTINED, "no_article_text", stage="strip", removed=len(res.removed), message=why)
        self.count("blocks_out", len(res.blocks))
        return doc


class StripCleanPart(StripStage):
    """The per-document part of a split strip stage (:meth:`StripStage.split`): cleans each
    document against the template lines the in-order part handed over. It reports under the
    strip stage's key, so its counters add up with the in-order part's to the stage's own."""

    once_per_corpus = False
    batch_size = 1

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        return Stage.run(self, docs)  # no site counts to open here

    def process_batch(self, docs: list[Document]) -> Iterable[Document]:
        for doc in docs:
            yield self._process_one(doc, set(doc.handover.pop("site_repeats", ())))

    def _count_in(self) -> None:
        pass  # the in-order part counted the document in

    def _count_out(self, doc: Document) -> None:
        Stage._count_out(self, doc)
