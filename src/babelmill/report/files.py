"""Reading an output folder's files for the report: whatever a damaged or foreign file holds,
the report counts or names it and never stops on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


class NotAnOutputError(ValueError):
    """The folder holds nothing a run writes: not a babelmill output folder."""


#: what a run leaves in its output folder besides the corpus
OUTPUT_MARKERS = ("manifest.json", "rejected.jsonl", "runs.jsonl", "state")

#: the parts of a corpus or rejected record the summary reads, and the type each must have
RECORD_PARTS = {
    "source": dict,
    "origin": dict,
    "translation": dict,
    "cleaning": dict,
    "dedup": dict,
    "metadata": dict,
    "detail": dict,
    "blocks": list,
    "history": list,
}


def added(summary: Any, add: Callable[[Any, dict[str, Any]], None], record: Any) -> bool:
    """Count ``record`` into ``summary`` with ``add``; False (nothing counted) when it is not a
    record-shaped object (a JSON array, a string, a part of the wrong type)."""
    if not isinstance(record, dict):
        return False
    for key, kind in RECORD_PARTS.items():
        if record.get(key) is not None and not isinstance(record[key], kind):
            return False  # checked first: a record is counted whole or not at all
    try:
        add(summary, record)
    except (AttributeError, TypeError, ValueError):
        return False
    return True


def read_manifest(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """``manifest.json`` as a dict; None when there is none, or (named in ``problems``) when it
    cannot be read or is not a JSON object."""
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{path}: unreadable, left out of the report ({exc})")
        return None
    if not isinstance(manifest, dict):
        problems.append(f"{path}: not a JSON object, left out of the report")
        return None
    return manifest


def read_run_log(out: Path) -> list[dict[str, Any]]:
    """The lines of ``out/runs.jsonl`` (one per run; unreadable lines skipped); [] when none."""
    try:
        text = (out / "runs.jsonl").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    runs = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            runs.append(entry)
    return runs
