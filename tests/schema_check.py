"""Every record a test writes is checked against the shipped JSON Schemas.

:func:`validating_records` (autouse in ``conftest.py``) wraps the record builders the runner
uses, so every corpus and rejected record written in this process is validated as it is made,
and after each test that used ``tmp_path`` scans that folder for run outputs (a folder with a
``manifest.json``), written by child processes (``babelmill`` run as a command) too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from babelmill.io.formats import decode_shard
from babelmill.io.layout import LEGACY_SHARD_RE, SHARD_RE
from babelmill.io.write import load_schema


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def check(name: str, record: dict[str, Any], where: str) -> None:
    errors = sorted(validator(name).iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path)
        raise AssertionError(f"{where}: a {name} record does not match its schema at {path!r}: {first.message}")


def checked(name: str, build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        record = build(*args, **kwargs)
        check(name, record, f"record of {record.get('source', {}).get('path')}")
        return record

    return wrapper


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as fh:
        for line in fh:
            try:
                yield json.loads(line)
            except ValueError:
                continue  # the uncommitted tail of a run killed on purpose


def _kind(path: Path) -> str | None:
    name = path.name
    if name == "rejected.jsonl":
        return "rejected-record"
    if name == "parallel.jsonl" or name.startswith("parallel-"):
        return "parallel-record"
    if name == "corpus.jsonl" or LEGACY_SHARD_RE.match(name) or (path.parent.name == "corpus" and SHARD_RE.match(name)):
        return "corpus-record"
    return None


def validate_outputs(folder: Path) -> int:
    """Validate every record of every run output below ``folder`` (a folder with a
    ``manifest.json``; sink unit tests write records of their own making); returns how many."""
    n = 0
    runs = {p.parent for p in folder.rglob("manifest.json")}
    for path in sorted(folder.rglob("*")):
        kind = _kind(path)
        if kind is None or not path.is_file() or not ({path.parent, path.parent.parent} & runs):
            continue
        records = _lines(path) if path.name.endswith(".jsonl") else decode_shard(path, on_error=lambda *_: None)
        try:
            for record in records:
                check(kind, record, str(path))
                n += 1
        except (OSError, EOFError, ValueError):  # a shard damaged on purpose by a test
            continue
    return n
