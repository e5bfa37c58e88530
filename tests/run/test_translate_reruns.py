"""End-to-end with a tiny random-weight de->en package: pending blocks are translated on a rerun.

The model's output is noise; these tests prove the plumbing (install, discovery, rerun of only
the waiting document, record replaced in place), never translation quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from tests.conftest import SEEDS, read_jsonl, run_seeds

pytestmark = pytest.mark.slow


def test_installing_a_model_translates_pending_blocks_on_the_next_run(
    tmp_path: Path,
    isolated_models: Path,
    de_en_archive: Path,
):
    models = tmp_path / "models"
    models.mkdir()
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    out = tmp_path / "out"

    first, _ = run_seeds(out, models, inputs=[str(inputs)])
    assert first.blocks_pending > 0 and first.blocks_translated == 0
    before = {r["id"]: r for r in read_jsonl(out / "corpus.jsonl")}

    result = CliRunner().invoke(main, ["models", "install", str(de_en_archive), "--models-dir", str(models)])
    assert result.exit_code == 0, result.output

    second, _ = run_seeds(out, models, inputs=[str(inputs)])
    assert second.processed == 1 and second.unchanged == 4 and second.replaced == 1
    assert second.blocks_pending == 0 and second.blocks_translated == first.blocks_pending

    after = {r["id"]: r for r in read_jsonl(out / "corpus.jsonl")}
    assert after.keys() == before.keys()
    german = next(r for r in after.values() if r["origin"]["language"] == "de")
    assert german["translation"]["engine"] == "ctranslate2"
    assert german["translation"]["model"] and german["translation"]["blocks_pending"] == 0
    translated = [b for b in german["blocks"] if b["translation"] == "translated"]
    assert translated and all(b["original"] and b["lang"] == "de" for b in translated)
    # the tweets quoted in English were never sent to the model
    assert any(b["translation"] == "native" and "shocked and saddened" in b["text"] for b in german["blocks"])
    for doc_id, record in before.items():
        if doc_id != german["id"]:
            assert after[doc_id] == record

    manifest = json.loads((out / "manifest.json").read_text())
    model = german["translation"]["model"]
    assert manifest["models"]["used"][model]["blocks"] == second.blocks_translated
    assert [m["pair"] for m in manifest["models"]["installed"]] == ["de->en"]
    # the engine reports what the stages loaded
    assert manifest["models"]["engine"][model]["pair"] == "de->en"
    assert manifest["summary"]["translation_cache_misses"] > 0

    third, _ = run_seeds(out, models, inputs=[str(inputs)])
    assert third.processed == 0

    # an edited German article is translated again, but its unchanged sentences cost nothing
    german_file = next(p for p in inputs.iterdir() if p.name.startswith("002"))
    german_file.write_text(german_file.read_text(encoding="utf-8") + "\nEin neuer Satz am Ende.\n", encoding="utf-8")
    fourth, _ = run_seeds(out, models, inputs=[str(inputs)])
    assert fourth.processed == 1 and fourth.replaced == 1
    assert fourth.translation_cache_hits > 0
    assert fourth.translation_cache_misses < fourth.translation_cache_hits

    # the edited article's record kept its place: the incremental corpus is the one a rebuild
    # writes, and the rebuild keeps the translation cache (nothing is translated twice)
    incremental = (out / "corpus.jsonl").read_bytes()
    incremental_pairs = (out / "parallel.jsonl").read_bytes()
    assert incremental_pairs
    assert [r["source"]["path"] for r in read_jsonl(out / "corpus.jsonl")] == sorted(
        r["source"]["path"] for r in read_jsonl(out / "corpus.jsonl")
    )
    rebuilt, _ = run_seeds(out, models, inputs=[str(inputs)], rebuild=True)
    assert rebuilt.processed == 5 and rebuilt.translation_cache_misses == 0 and rebuilt.translation_cache_hits > 0
    assert (out / "corpus.jsonl").read_bytes() == incremental
    assert (out / "parallel.jsonl").read_bytes() == incremental_pairs
