"""Shared fixtures: a document factory, the seeds' corpus built once per session, CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from babelmill.document import Block, Document
from tests import schema_check

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED_DEV = REPO.parent / "shared" / "dev"

# model-package fixtures (isolated_models, de_en_archive) for every test module
pytest_plugins = ["tests.fixtures.translate_fixtures"]

# tests never touch the network, nor models a developer installed for real use
os.environ.setdefault("OMP_NUM_THREADS", "1")


def make_doc(text: str = "", blocks: list[str] | None = None, **fields) -> Document:
    doc = Document(id=fields.pop("id", "bm-00000000000000000000"), text=text, source={"path": "t.txt"}, **fields)
    if blocks is not None:
        doc.blocks = [Block(text=t, line=i + 1) for i, t in enumerate(blocks)]
    return doc


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(autouse=True)
def validating_records(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Every record a test writes matches the shipped schemas (see ``tests/schema_check.py``)."""
    import babelmill.io.write
    import babelmill.run.writer

    monkeypatch.setattr(
        babelmill.run.writer, "corpus_record", schema_check.checked("corpus-record", babelmill.io.write.corpus_record)
    )
    monkeypatch.setattr(
        babelmill.run.writer,
        "rejected_record",
        schema_check.checked("rejected-record", babelmill.io.write.rejected_record),
    )
    yield
    tmp = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp is not None and Path(tmp).is_dir() and not request.node.get_closest_marker("off_schema_output"):
        schema_check.validate_outputs(Path(tmp))


@pytest.fixture
def empty_models_dir(tmp_path: Path) -> Path:
    d = tmp_path / "no-models"
    d.mkdir()
    return d


def run_seeds(out: Path, models_dir: Path, inputs: list[str] | None = None, **kw):
    from babelmill.run import RunOptions, run_pipeline

    messages: list[str] = []
    opts = RunOptions(inputs=inputs or [str(SEEDS)], output_dir=out, models_dir=str(models_dir), **kw)
    summary = run_pipeline(opts, warn=messages.append)
    return summary, messages


def run_seed_copy(base: Path, models_dir: Path) -> Path:
    """Copy the seeds into ``base`` and run there, so that source paths are short and stable."""
    shutil.copytree(SEEDS, base / "seeds")
    cwd = os.getcwd()
    os.chdir(base)
    try:
        run_seeds(Path("out"), models_dir, inputs=["seeds"])
    finally:
        os.chdir(cwd)
    return base / "out"


@pytest.fixture(scope="session")
def seeds_output(tmp_path_factory) -> Path:
    """The corpus of the five seeds, built once with the default config and no models."""
    base = tmp_path_factory.mktemp("seeds-run")
    models = base / "no-models"
    models.mkdir()
    return run_seed_copy(base, models)


@pytest.fixture(scope="session")
def seed_records(seeds_output: Path) -> dict[str, dict]:
    """Corpus records keyed by the seed's file-name prefix ("000" ... "004")."""
    return {Path(r["source"]["path"]).name[:3]: r for r in read_jsonl(seeds_output / "corpus.jsonl")}


def site_store_tables(path: Path) -> tuple[list, list, list]:
    """The strip stage's per-site line store (``strip_sites.sqlite``) as sorted rows: documents
    per site, line counts per site, the lines each counted document added."""
    db = sqlite3.connect(path)
    try:
        return (
            db.execute("SELECT name, docs FROM sites WHERE docs > 0 ORDER BY name").fetchall(),
            db.execute("SELECT s.name, hash, n FROM lines l JOIN sites s ON s.id = l.site ORDER BY 1, 2").fetchall(),
            db.execute("SELECT d.id, s.name, d.lines FROM docs d JOIN sites s ON s.id = d.site ORDER BY 1").fetchall(),
        )
    finally:
        db.close()
