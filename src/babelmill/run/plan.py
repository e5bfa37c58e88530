"""Incremental planning: which inputs this run processes, and which old records they replace.

An input whose content hash is already in the state for the same file is not processed again,
unless some of its blocks were waiting for a translation model that is now installed. The same
file is the same input under any path it is named by, and a moved file keeps its row
(:mod:`babelmill.run.identity`). An input whose content changed is processed again and its old
record replaced, and so is an unchanged input that was a duplicate of that old record (decided
again against the corpus as it is now, as a ``--rebuild`` would: an article edited into another
one no longer holds the duplicate's text).
Two inputs with identical bytes are one document: the second is a duplicate (``identical_input``)
decided here, before any stage (of the first; or, when the first is a duplicate in the run state,
of what the first duplicates; within a run the writer resolves that once the first is decided).
Bytes that a kept input held before it was edited this run are no copy (two files swapped, a
file renamed in a ring): that record goes. A copy of a quarantined input is
quarantined for the same reason (:func:`quarantine_copy`): it duplicates no corpus record. A
folder quarantined because it could not be listed and listed now is no input any more (its files
are): its rejected record and its row go, as a ``--rebuild`` would not write them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from babelmill.document import DUPLICATE, QUARANTINED, Document
from babelmill.io.compressed import CompressionError
from babelmill.io.files import file_sha256
from babelmill.io.jsonl_input import JsonlLine, iter_jsonl
from babelmill.io.read import display_path, input_key, new_input_document
from babelmill.run.identity import match_inputs
from babelmill.run.state import KEPT, RunState, real_key


@dataclass
class Plan:
    """What a run must do: the documents to process and what they supersede."""

    #: documents for the read stage, in input-path order
    seeds: list[Document] = field(default_factory=list)
    #: inputs skipped because nothing about them changed
    unchanged: int = 0
    #: ids of kept records that this run writes again (edited input, pending blocks now translatable)
    replaced_ids: set[str] = field(default_factory=set)
    #: input path -> the id of the kept record it had (its new record takes that record's place)
    replaces: dict[str, str] = field(default_factory=dict)
    #: ``(id, path)`` of rejected records that this run decides again (or drops: ``listed_now``)
    superseded_rejections: set[tuple[str, str]] = field(default_factory=set)
    #: state keys of folders quarantined as unreadable that this run lists: their rows go
    listed_now: list[str] = field(default_factory=list)
    #: state keys of rows that go: an input's duplicates of itself (:mod:`babelmill.run.identity`)
    dropped: list[str] = field(default_factory=list)
    #: ``(row path, new path, real)``: rows of inputs named under another path, or moved
    relocations: list[tuple[str, str, str]] = field(default_factory=list)

    def relocate(self, relocation: tuple[str, str, str] | None) -> None:
        if relocation is not None:
            self.relocations.append(relocation)


@dataclass(frozen=True)
class JsonlOptions:
    """``--input-format jsonl``: every line of an input file is a document (:mod:`babelmill.io.jsonl_input`)."""

    text_field: str = "text"
    id_field: str = "id"


def _inputs(
    paths: list[str], max_bytes: int | None, jsonl: JsonlOptions | None
) -> Iterator[tuple[str, int | None, str | None, Callable[[str], Document]]]:
    """``(path, line or None, sha256 or None, make the document from the path to record)`` for
    every input, in order: a file, or with ``jsonl`` every non-blank line of a file (a file that
    cannot be opened stays one input, for the read stage to report)."""
    for path in paths:
        if jsonl is not None and os.path.isfile(path):
            where = display_path(path)
            try:
                lines = list(iter_jsonl(path, where, jsonl.text_field, jsonl.id_field, max_bytes))
            except (OSError, CompressionError):
                lines = None
            if lines is not None:
                for parsed in lines:
                    yield path, parsed.line, parsed.sha256, partial(_jsonl_document, parsed=parsed)
                continue
        try:
            too_big = max_bytes is not None and os.path.getsize(path) > max_bytes
            sha = file_sha256(Path(path)) if os.path.isfile(path) and not too_big else None
        except OSError:
            sha = None
        yield path, None, sha, partial(new_input_document, sha256=sha)


def _key(path: str, line: int | None) -> str:
    """The state key of an input path (:func:`~babelmill.io.read.input_key` of its document)."""
    return input_key({"path": display_path(path), "line": line})


def _jsonl_document(path: str, parsed: JsonlLine) -> Document:
    doc = new_input_document(path, parsed.sha256)
    doc.source["line"] = parsed.line
    if parsed.reason:
        doc.reject(QUARANTINED, parsed.reason, stage="read", message=parsed.message)
        return doc
    doc.text = parsed.text
    doc.source["bytes"] = len(parsed.text.encode("utf-8"))
    if parsed.compression:
        doc.source["compression"] = parsed.compression
    if parsed.doc_id is not None:
        doc.source["id"] = parsed.doc_id
    if parsed.extra:
        doc.source["extra"] = parsed.extra
    doc.source.update(parsed.place)  # url, site: the strip stage counts template lines per site
    return doc


def make_plan(
    paths: list[str],
    state: RunState,
    translatable: set[str],
    max_bytes: int | None = None,
    jsonl: JsonlOptions | None = None,
    folders: list[str] | None = None,
) -> Plan:
    """Compare the inputs with the run state; see the module docstring.

    ``translatable``: languages with an installed model (their pending blocks are retried).
    ``max_bytes``: a file the read stage refuses for its size is not hashed either (200 GB
    would take minutes). ``jsonl``: each line of a file is an input of its own. ``folders``: the
    folders discovery listed (:attr:`~babelmill.run.inputs.Discovered.folders`).
    """
    plan = Plan()
    seen_sha: dict[str, str] = {}
    quarantined_sha: dict[str, tuple[str, str]] = {}  # ... of a quarantined input: its key and reason
    found = list(_inputs(paths, max_bytes, jsonl))
    matching = match_inputs(
        state,
        [
            (_key(p, line), _key(os.path.abspath(p), line), real_key(p, line), sha, line)
            for p, line, sha, _make in found
        ],
    )
    matches = matching.matches
    plan.relocations.extend(matching.retired)  # rows of deleted JSONL lines, out of the way
    inputs = [
        (m.key, sha, partial(make, os.path.abspath(p) if m.absolute else p), m.previous)
        for (p, _line, sha, make), m in zip(found, matches, strict=True)
    ]
    for m in matches:  # rows of a state from before real paths: the input as its own duplicate
        for copy in m.self_copies:
            plan.superseded_rejections.add((copy.doc_id or "", copy.record_key))
            plan.dropped.append(copy.path)
    # kept records that this run replaces by another document (their input was edited): a
    # duplicate of one of them names a record that goes, and may be no duplicate of the new one;
    # so does one whose record went already (a run that stopped between the two)
    # the kept record of each input whose bytes are unchanged: once an input is edited, another
    # input may hold its old bytes, and so its old id (two files swapped, a line inserted above a
    # JSONL line); after a run stopped between the two, the edited input's row still names the id
    # that is now the other input's record, which must stay
    held = {
        previous.doc_id: key
        for key, sha, _make, previous in inputs
        if previous and previous.fate == KEPT and previous.doc_id and sha and previous.sha256 == sha
    }
    edited = {
        previous.doc_id
        for key, sha, _make, previous in inputs
        if previous
        and previous.fate == KEPT
        and previous.doc_id
        and not (sha and previous.sha256 == sha)
        and held.get(previous.doc_id, key) == key
    }
    for (key, sha, make_document, previous), match in zip(inputs, matches, strict=True):  # printable UTF-8 keys
        if previous and sha and previous.sha256 == sha:
            waiting = set(previous.pending_langs) & translatable
            orphaned = (
                previous.fate == DUPLICATE
                and previous.duplicate_of is not None
                and (previous.duplicate_of in edited or not state.is_kept(previous.duplicate_of))
            )
            if not waiting and not orphaned:
                plan.unchanged += 1
                plan.relocate(match.relocation(processed=False))
                if sha not in seen_sha:
                    # a copy of a duplicate duplicates what that one does (a record in the corpus)
                    seen_sha[sha] = previous.duplicate_of or previous.doc_id or ""
                    if previous.fate == QUARANTINED and previous.reason:
                        quarantined_sha[sha] = (key if match.moved else previous.path, previous.reason)
                continue
        if previous and sha is None and previous.sha256 is None and previous.fate == QUARANTINED:
            # still missing, unreadable or over the size limit: its rejected record stands
            plan.unchanged += 1
            plan.relocate(match.relocation(processed=False))
            continue
        plan.relocate(match.relocation(processed=True))  # its new row is written under key
        if previous and previous.fate == KEPT and previous.doc_id:
            if held.get(previous.doc_id, key) == key:  # else its record went already
                plan.replaced_ids.add(previous.doc_id)
                plan.replaces[key] = previous.doc_id
        elif previous and previous.doc_id:
            plan.superseded_rejections.add((previous.doc_id, previous.record_key))
        doc = make_document()
        if sha and doc.ok:
            earlier = seen_sha.get(sha)
            if earlier is None:
                other = state.kept_with_sha(sha)
                # a record whose own input was edited this run goes: these bytes are no copy of
                # a corpus record then (two files swapped, a line inserted above a JSONL line)
                own = previous.path if previous else key
                earlier = other.doc_id if other and other.path != own and other.doc_id not in edited else None
            if sha in quarantined_sha:
                quarantine_copy(doc, *quarantined_sha[sha])
            elif earlier:
                doc.reject(DUPLICATE, "identical_input", stage="read", duplicate_of=earlier, similarity=1.0)
            else:
                seen_sha[sha] = doc.id
        plan.seeds.append(doc)
    for folder in folders or ():
        previous = state.input(display_path(folder))
        if previous and previous.fate == QUARANTINED and previous.sha256 is None and previous.doc_id:
            plan.superseded_rejections.add((previous.doc_id, previous.path))
            plan.listed_now.append(previous.path)
    return plan


def quarantine_copy(doc: Document, key: str, reason: str) -> None:
    """Quarantine ``doc``, a copy of the bytes of the quarantined input ``key``, for the same
    ``reason`` (it would be; as a duplicate it would name no record of the corpus)."""
    doc.reject(QUARANTINED, reason, stage="read", message=f"the same bytes as {key}")


__all__ = ["JsonlOptions", "Plan", "make_plan", "quarantine_copy"]
