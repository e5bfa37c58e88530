"""Records and shard bytes the tests of the output modules share."""

from __future__ import annotations

import json
from pathlib import Path


def jsonl_line(rec: dict) -> bytes:
    """A record as the writer puts it into a JSONL file."""
    return (json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


LINES = [jsonl_line({"id": "a", "text": "Hallo Welt"}), jsonl_line({"id": "b", "text": "中文"})]
SEED_RECORD = json.loads((Path(__file__).parents[2] / "output" / "corpus.jsonl").read_text("utf-8").splitlines()[0])


def seed_record_as(doc_id: str) -> dict:
    """A real corpus record (the first seed's) under another id: what Parquet shards hold."""
    return {**json.loads(json.dumps(SEED_RECORD)), "id": doc_id}


# The bytes of a gzip shard holding LINES. Shards are compared by sha256 across runs and
# machines; if this changes on purpose (another level, header, library), say in the change that
# existing sharded outputs get different bytes and need `babelmill run ... --rebuild`.
GOLDEN_GZIP = bytes.fromhex(
    "1f8b08000000000000ffab56ca4c51b252504a54d251502a49ad2801713c127372f215c253734a946ab9aaa12a9290553cd9b1f6d9b476a02c009e"
    "74ca7a40000000"
)


PAIRS = [
    {"id": "a", "src": "Hallo", "tgt": "Hello", "n": 1, "score": 0.5, "ok": True, "flags": ["x"], "note": None},
    {"id": "b", "src": "Welt", "tgt": "World", "n": 2, "score": -1.25, "ok": False, "flags": [], "note": "y"},
]


TYPES = {
    "jsonl": None,
    "parquet": ["string", "string", "string", "int64", "double", "bool"],
}


def column_types(path: Path) -> list[str] | None:
    if path.suffix != ".parquet":
        return None
    import pyarrow.parquet as pq

    return [str(f.type) for f in pq.read_table(path).schema][:6]  # the columns whose type the data fixes
