"""Corpus records as typed Parquet rows: nested record parts are Arrow structs and lists.

``source``, ``origin``, ``translation``, ``cleaning``, ``dedup``, ``blocks``, ``history`` and
``pipeline`` are structs (and lists of structs), so ``df["source"].struct.field("site")`` in
pandas/pyarrow and ``source.site`` in DuckDB work. What has no fixed shape is kept as a JSON
string: ``metadata`` (other extracted facts), ``source.published`` (a date string or a partial
date object), ``blocks.meta``, ``history.detail``, and, in a struct column ``_extra``, any key a
record part carries beyond the declared ones.

Every shard has the same schema (:func:`arrow_schema`), so readers can open the ``corpus/``
folder as one dataset. :func:`table_to_records` gives back the exact record dicts, key order
included; :func:`records_to_table` checks that round trip and refuses a record that would not
survive it, so a Parquet corpus never silently differs from its JSONL form.
"""

from __future__ import annotations

import json
from typing import Any

from babelmill.errors import SinkError

# field types: "str", "text" (large string), "int", "float", "bool", "json", "map" (str -> float, stored
# as a list of {key, value} structs: Hugging Face datasets reads no Arrow map type),
# ("list", type), Struct(...)
EXTRA = "_extra"


class Struct:
    """A record part: ``fields`` are ``(name, type, always)``; a field not ``always`` written is
    absent when null. ``sorted_tail``: keys after the ``always`` ones appear in sorted order
    (as :class:`~babelmill.document.TranslationInfo` and ``DedupInfo`` write them)."""

    def __init__(self, *fields: tuple[str, Any, bool], sorted_tail: bool = False):
        self.fields = fields
        self.names = {name for name, _, _ in fields}
        self.sorted_tail = sorted_tail


def _req(*names: str, typ: Any = "str") -> list[tuple[str, Any, bool]]:
    return [(n, typ, True) for n in names]


SOURCE = Struct(
    *_req("path", "sha256"),
    ("bytes", "int", True),
    *_req("encoding", "site", "author"),
    ("authors", ("list", "str"), True),
    ("published", "json", True),
    ("attribution", "str", True),
)
ORIGIN = Struct(
    ("language", "str", True),
    ("language_mix", "map", True),
    ("machine_translated", "bool", True),
    ("machine_translated_from", "str", True),
    ("score", "float", True),
    ("evidence", ("list", "str"), True),
)
TRANSLATION = Struct(
    *_req("engine", "model", "model_version"),
    *_req("blocks_translated", "blocks_pending", typ="int"),
    ("flagged", "int", False),
    sorted_tail=True,
)
REMOVAL = Struct(("line", "int", True), ("text", "text", True), ("rule", "str", True))
DEDUP = Struct(
    *_req("cluster", "duplicate_of"),
    ("method", "str", False),
    ("similarity", "float", False),
    ("error", "str", False),
    ("recurring_paragraphs", "json", False),
    sorted_tail=True,
)
BLOCK = Struct(
    ("kind", "str", True),
    ("line", "int", True),
    ("lang", "str", True),
    ("lang_confidence", "float", True),
    ("translation", "str", True),
    ("text", "text", True),
    ("original", "text", False),
    ("note", "str", False),
    ("meta", "json", False),
)
CHANGE = Struct(*_req("stage", "action", "reason"), ("detail", "json", False))
RECORD = Struct(
    ("id", "str", True),
    ("title", "str", True),
    ("text", "text", True),
    ("language", "str", True),
    ("source", SOURCE, True),
    ("origin", ORIGIN, True),
    ("metadata", "json", True),
    ("translation", TRANSLATION, True),
    ("cleaning", Struct(("removed", ("list", REMOVAL), True)), True),
    ("dedup", DEDUP, True),
    ("blocks", ("list", BLOCK), True),
    ("history", ("list", CHANGE), True),
    ("pipeline", Struct(*_req("version", "config_sha256")), True),
)


def _arrow_type(pa: Any, typ: Any) -> Any:
    if isinstance(typ, Struct):
        fields = [pa.field(name, _arrow_type(pa, t)) for name, t, _ in typ.fields]
        return pa.struct([*fields, pa.field(EXTRA, pa.string())])
    if isinstance(typ, tuple):
        return pa.list_(_arrow_type(pa, typ[1]))
    return {
        "str": pa.string(),
        "text": pa.large_string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "json": pa.string(),
        "map": pa.list_(pa.struct([pa.field("key", pa.string()), pa.field("value", pa.float64())])),
    }[typ]


def arrow_schema(pa: Any) -> Any:
    """The Arrow schema of every corpus shard (top-level columns of :data:`RECORD`)."""
    struct = _arrow_type(pa, RECORD)
    return pa.schema([struct.field(i) for i in range(struct.num_fields)])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _encode(value: Any, typ: Any) -> Any:
    if value is None:
        return None
    if isinstance(typ, Struct):
        row = {name: _encode(value.get(name), t) for name, t, _ in typ.fields}
        extra = {k: v for k, v in value.items() if k not in typ.names}
        row[EXTRA] = _dumps(extra) if extra else None
        return row
    if isinstance(typ, tuple):
        return [_encode(x, typ[1]) for x in value]
    if typ == "json":
        return _dumps(value)
    if typ == "map":
        return [{"key": k, "value": v} for k, v in value.items()]
    return value


def _decode(value: Any, typ: Any) -> Any:
    if isinstance(typ, Struct):
        if value is None:
            return None
        out: dict[str, Any] = {}
        tail: dict[str, Any] = {}
        for name, t, always in typ.fields:
            v = value.get(name)
            if always:
                out[name] = _decode(v, t)
            elif v is not None:
                (tail if typ.sorted_tail else out)[name] = _decode(v, t)
        extra = json.loads(value[EXTRA]) if value.get(EXTRA) else {}
        if typ.sorted_tail:
            tail.update(extra)
            out.update(sorted(tail.items()))
        else:
            out.update(extra)
        return out
    if value is None:
        return None
    if isinstance(typ, tuple):
        return [_decode(x, typ[1]) for x in value]
    if typ == "json":
        return json.loads(value)
    if typ == "map":  # a list of {key, value}; (key, value) pairs in shards of an Arrow map type
        return dict((x["key"], x["value"]) if isinstance(x, dict) else x for x in value)
    return value


def table_to_records(table: Any) -> list[dict[str, Any]]:
    """The record dicts of a corpus shard, exactly as the JSONL lines held them."""
    if EXTRA not in table.column_names and "source" in table.column_names:
        source_type = table.schema.field("source").type
        if not hasattr(source_type, "num_fields"):  # a shard of an earlier babelmill: JSON columns
            return [
                {k: (json.loads(v) if k not in ("id", "title", "text", "language") and v is not None else v)
                 for k, v in row.items()}
                for row in table.to_pylist()
            ]  # fmt: skip
    return [_decode(row, RECORD) for row in table.to_pylist()]


def records_to_table(pa: Any, records: list[dict[str, Any]]) -> Any:
    """The Arrow table of corpus records; raises if a record would not come back unchanged."""
    rows = [_encode(rec, RECORD) for rec in records]
    struct = pa.array(rows, type=_arrow_type(pa, RECORD))
    table = pa.Table.from_struct_array(struct)
    for rec, back in zip(records, table_to_records(table), strict=True):
        if _dumps(rec) != _dumps(back):
            raise SinkError(
                f"record {rec.get('id')} does not fit the Parquet schema of babelmill.io.parquet "
                "(a record part has a value of another type); write jsonl or extend the schema"
            )
    return table


__all__ = ["arrow_schema", "records_to_table", "table_to_records"]
