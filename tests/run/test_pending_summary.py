"""What the run summary and `babelmill report` say about blocks pending a translation model: how
many per language pair, and the command that installs the missing models."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.translate.install import install_archive
from tests.conftest import read_jsonl
from tests.fixtures import translate_fixtures

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

pytestmark = pytest.mark.slow

GERMAN = (
    "Die Größe der neuen Brücke überrascht die Anwohner im Süden der Stadt.\n\n"
    "Der Bürgermeister sagte am Dienstag, die Straße werde im Frühjahr geöffnet; die Kosten lägen bei drei "
    "Millionen Euro, und der Gemeinderat habe nach langer Debatte zugestimmt.\n"
)
GERMAN_TOO = (
    "Das Landgericht hat am Montag die Klage der Verbraucherzentrale gegen den Energieversorger abgewiesen.\n\n"
    "Die Richter sahen keine unzulässige Preiserhöhung; die Kläger wollen nun in Berufung gehen.\n"
)
CHINESE = (
    "中国经济在第三季度保持稳定增长，国内生产总值同比增长百分之四点九。\n\n"
    "国家统计局表示，消费和投资继续发挥重要作用，出口也出现回升迹象。\n"
)


def _pending(out: Path) -> Counter:
    """Pending blocks per language as the records hold them."""
    return Counter(
        b["lang"] for r in read_jsonl(out / "corpus.jsonl") for b in r["blocks"] if b["translation"] == "pending"
    )


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GERMAN, encoding="utf-8")
    (folder / "b.txt").write_text(GERMAN_TOO, encoding="utf-8")
    (folder / "c.txt").write_text(CHINESE, encoding="utf-8")
    return folder


def test_the_summary_names_the_pending_pairs_and_what_a_rerun_translated(
    tmp_path, inputs, de_en_archive, isolated_models
):
    models, out = tmp_path / "models", tmp_path / "out"
    models.mkdir()
    run = ["run", str(inputs), "-o", str(out), "--models-dir", str(models), "--no-progress"]
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    pending = _pending(out)
    de, zh = pending["de"], pending["zh"]
    assert de and zh and set(pending) == {"de", "zh"}
    first, second = sorted([("de", de), ("zh", zh)], key=lambda kv: (-kv[1], kv[0]))
    assert result.stdout.strip().endswith(
        f"{de + zh} blocks in 3 documents pending translation: {first[0]}->en ({first[1]} blocks), "
        f"{second[0]}->en ({second[1]} blocks); install with `babelmill models install {first[0]} {second[0]} "
        f"--models-dir {models}` (online) or `babelmill models install FILE.argosmodel --models-dir {models}`, "
        "then rerun `babelmill run` to translate them."
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["corpus_totals"]["pending_by_language"] == {"de": de, "zh": zh}
    assert manifest["summary"]["pending_by_language"] == {"de": de, "zh": zh}

    install_archive(de_en_archive, models)
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    assert f"Translated {de} blocks (de->en {de}); 0 blocks pending a translation model" in result.stdout
    assert result.stdout.strip().endswith(
        f"{zh} blocks in 1 document pending translation: zh->en ({zh} blocks); install with "
        f"`babelmill models install zh --models-dir {models}` (online) or `babelmill models install "
        f"FILE.argosmodel --models-dir {models}`, then rerun `babelmill run` to translate them."
    )

    # a report lists the pending blocks per pair, with the same sentence
    result = CliRunner().invoke(main, ["report", str(out), "--json"])
    assert json.loads(result.stdout)["translation"]["pending_by_language"] == {"zh": zh}
    result = CliRunner().invoke(main, ["report", str(out)])
    assert "│   zh->en " in result.stdout
    assert f"{zh} blocks in 1 document pending translation: zh->en ({zh} blocks); install with" in " ".join(
        result.stdout.split()
    )


def test_records_an_earlier_babelmill_wrote_are_counted_without_a_language(tmp_path, inputs, isolated_models):
    models, out = tmp_path / "models", tmp_path / "out"
    models.mkdir()
    run = ["run", str(inputs), "-o", str(out), "--models-dir", str(models), "--no-progress"]
    assert CliRunner().invoke(main, run).exit_code == 0
    pending = _pending(out)
    with sqlite3.connect(out / "state" / "runs.sqlite") as db:  # as a state from before the column
        db.execute("UPDATE record_counts SET pending_languages = NULL WHERE path LIKE '%c.txt'")
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    assert (
        f"{pending.total()} blocks in 3 documents pending translation: de->en ({pending['de']} blocks), "
        f"{pending['zh']} blocks of records an earlier babelmill wrote, not counted by language; "
        "install with `babelmill models install de "
    ) in result.stdout


def test_a_model_installed_in_the_configs_models_dir_translates_pending_blocks_on_the_rerun(
    tmp_path, inputs, de_en_archive, isolated_models
):
    """models_dir in [stages.translate] is where the translate stage looks; the rerun decided
    from the default folders which pending documents to retry, so the German ones never were,
    and the install hint named no folder."""
    models, out = tmp_path / "models", tmp_path / "out"
    models.mkdir()
    config = tmp_path / "pipeline.toml"
    stages = '["read", "repair", "strip", "detect", "translate", "normalize", "dedup"]'
    config.write_text(f'[pipeline]\nstages = {stages}\n[stages.translate]\nmodels_dir = "{models}"\n', encoding="utf-8")
    run = ["run", str(inputs), "-o", str(out), "-c", str(config), "--no-progress"]
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    assert f"`babelmill models install de zh --models-dir {models}`" in result.stdout
    de = _pending(out)["de"]

    install_archive(de_en_archive, models)
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    assert "2 processed, 1 unchanged" in result.stdout
    assert f"Translated {de} blocks (de->en {de})" in result.stdout
    assert set(_pending(out)) == {"zh"}


def test_a_pair_whose_installed_model_fails_is_not_told_to_install_it(tmp_path, inputs, de_en_archive, isolated_models):
    models, out = tmp_path / "models", tmp_path / "out"
    weights = install_archive(de_en_archive, models).path / "model" / "model.bin"
    weights.write_bytes(weights.read_bytes()[:5000])  # cut short: the package reads, the model does not load
    result = CliRunner().invoke(
        main, ["run", str(inputs), "-o", str(out), "--models-dir", str(models), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    de = _pending(out)["de"]
    assert f"de->en ({de} blocks; its installed model failed: see the warnings)" in result.stdout
    assert f"install with `babelmill models install zh --models-dir {models}`" in result.stdout
    assert "failed to load" in result.stderr
