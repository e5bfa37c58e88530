"""Incremental planning: which inputs this run processes, and which old records they replace.

An input whose path and content hash are already in the state is not processed again, unless
some of its blocks were waiting for a translation model that is now installed. An input whose
content changed is processed again and its old record replaced. Two inputs with identical bytes
are one document: the second is a duplicate (``identical_input``) decided here, before any stage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from babelmill.document import DUPLICATE, QUARANTINED, Document
from babelmill.io.files import file_sha256
from babelmill.io.read import display_path, new_input_document
from babelmill.run.state import KEPT, RunState


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
    #: ``(id, path)`` of rejected records that this run decides again
    superseded_rejections: set[tuple[str, str]] = field(default_factory=set)


def make_plan(paths: list[str], state: RunState, translatable: set[str], max_bytes: int | None = None) -> Plan:
    """Compare the inputs with the run state; see the module docstring.

    ``translatable``: languages with an installed model (their pending blocks are retried).
    ``max_bytes``: a file the read stage refuses for its size is not hashed either (200 GB
    would take minutes).
    """
    plan = Plan()
    seen_sha: dict[str, str] = {}
    for path in paths:
        try:
            too_big = max_bytes is not None and os.path.getsize(path) > max_bytes
            sha = file_sha256(Path(path)) if os.path.isfile(path) and not too_big else None
        except OSError:
            sha = None
        previous = state.input(display_path(path))  # state holds printable UTF-8 paths
        if previous and sha and previous.sha256 == sha:
            waiting = set(previous.pending_langs) & translatable
            if not waiting:
                plan.unchanged += 1
                seen_sha.setdefault(sha, previous.doc_id or "")
                continue
        if previous and sha is None and previous.sha256 is None and previous.fate == QUARANTINED:
            # still missing, unreadable or over the size limit: its rejected record stands
            plan.unchanged += 1
            continue
        if previous and previous.fate == KEPT and previous.doc_id:
            plan.replaced_ids.add(previous.doc_id)
            plan.replaces[previous.path] = previous.doc_id
        elif previous and previous.doc_id:
            plan.superseded_rejections.add((previous.doc_id, previous.path))
        doc = new_input_document(path, sha)
        if sha:
            earlier = seen_sha.get(sha)
            if earlier is None:
                other = state.kept_with_sha(sha)
                earlier = other.doc_id if other and other.path != display_path(path) else None
            if earlier:
                doc.reject(DUPLICATE, "identical_input", stage="read", duplicate_of=earlier, similarity=1.0)
            else:
                seen_sha[sha] = doc.id
        plan.seeds.append(doc)
    return plan


__all__ = ["Plan", "make_plan"]
