"""Parquet output: a folder of typed shards that the usual tools read with no filter."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from babelmill.io.layout import iter_corpus_records
from tests.conftest import SEEDS, read_jsonl, run_seeds

pa = pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def parquet_output(tmp_path_factory) -> Path:
    """The seeds as sharded Parquet, run like ``seeds_output`` (same relative input paths)."""
    base = tmp_path_factory.mktemp("parquet-run")
    shutil.copytree(SEEDS, base / "seeds")
    (base / "no-models").mkdir()
    cwd = os.getcwd()
    os.chdir(base)
    try:
        run_seeds(Path("out"), base / "no-models", inputs=["seeds"], output_format="parquet", shard_size="20kB")
    finally:
        os.chdir(cwd)
    return base / "out"


def test_the_corpus_folder_holds_only_shards_and_the_records_come_back_exactly(parquet_output: Path, seeds_output):
    names = sorted(p.name for p in (parquet_output / "corpus").iterdir())
    assert len(names) > 1 and all(n.startswith("part-") and n.endswith(".parquet") for n in names)
    expected = {r["id"]: r for r in read_jsonl(seeds_output / "corpus.jsonl")}
    got = list(iter_corpus_records(parquet_output))
    assert len(got) == len(expected)
    for record in got:  # same keys in the same order, same values
        assert json.dumps(record) == json.dumps(expected[record["id"]])


def test_pyarrow_dataset_reads_the_folder_with_typed_nested_columns(parquet_output: Path):
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table = ds.dataset(parquet_output / "corpus", format="parquet").to_table()
    assert table.num_rows == 5
    assert pa.types.is_struct(table.schema.field("source").type)
    assert pa.types.is_list(table.schema.field("blocks").type)
    sites = pc.struct_field(table.column("source"), "site").to_pylist()
    assert "wallstreetcn" in sites
    mt = pc.struct_field(table.column("origin"), "machine_translated")
    assert pa.types.is_boolean(mt.type)


def test_pandas_reads_the_folder(parquet_output: Path):
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(parquet_output / "corpus", dtype_backend="pyarrow")
    assert len(df) == 5
    assert "wallstreetcn" in set(df["source"].struct.field("site"))


def test_duckdb_reads_the_folder(parquet_output: Path):
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(f"SELECT id, source.site FROM read_parquet('{parquet_output / 'corpus'}/*.parquet')").fetchall()
    assert len(rows) == 5 and any(site == "wallstreetcn" for _, site in rows)


def test_hugging_face_datasets_reads_the_folder(parquet_output: Path):
    datasets = pytest.importorskip("datasets")
    corpus = datasets.load_dataset("parquet", data_dir=str(parquet_output / "corpus"), split="train")
    assert corpus.num_rows == 5 and "wallstreetcn" in [s["site"] for s in corpus["source"]]


def test_a_record_that_does_not_fit_the_schema_is_refused():
    from babelmill.errors import SinkError
    from babelmill.io.parquet import records_to_table

    record = json.loads((Path(__file__).parents[2] / "output" / "corpus.jsonl").read_text().splitlines()[0])
    records_to_table(pa, [record])
    record["origin"]["score"] = "high"  # a string where the schema has a number
    with pytest.raises((SinkError, pa.ArrowInvalid, pa.ArrowTypeError)):
        records_to_table(pa, [record])
