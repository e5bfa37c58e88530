"""`babelmill models remove`: what it removes, what it says, and what a later run does with the
records the removed model translated."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.translate.install import install_archive
from tests.conftest import read_jsonl
from tests.fixtures import translate_fixtures
from tests.translate.test_model_use import _variant

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

pytestmark = pytest.mark.slow

GERMAN = (
    "Die Größe der neuen Brücke überrascht die Anwohner im Süden der Stadt.\n\n"
    "Der Bürgermeister sagte am Dienstag, die Straße werde im Frühjahr geöffnet; die Kosten lägen bei drei "
    "Millionen Euro, und der Gemeinderat habe nach langer Debatte zugestimmt.\n"
)

OTHER_GERMAN = (
    "Das Landgericht hat am Montag die Klage der Verbraucherzentrale gegen den Energieversorger abgewiesen.\n\n"
    "Die Richter sahen keine unzulässige Preiserhöhung; die Kläger wollen nun in Berufung gehen.\n"
)


def _models(*args: str) -> object:
    return CliRunner().invoke(main, ["models", *args])


def test_remove_by_language_takes_every_package_of_the_pair_and_says_so(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    for version in ("1.9", "1.0"):
        top = f"translate-de_en-{version.replace('.', '_')}"
        install_archive(
            _variant(de_en_archive, tmp_path / f"{top}.argosmodel", top, package_version=version), models_dir
        )
    zh = _variant(de_en_archive, tmp_path / "zh.argosmodel", "translate-zh_en", from_code="zh", package_version="1.0")
    install_archive(zh, models_dir)

    result = _models("remove", "de", "--models-dir", str(models_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"removed de->en translate-de_en-1_0 1.0 at {models_dir / 'translate-de_en-1_0'}",
        f"removed de->en translate-de_en-1_9 1.9 at {models_dir / 'translate-de_en-1_9'}",
    ]
    assert result.stderr == (
        "note: no de->en package is left: records already translated keep their English; de blocks of new or "
        "edited inputs stay pending until one is installed with "
        f"`babelmill models install de --models-dir {models_dir}` (online) or "
        f"`babelmill models install FILE.argosmodel --models-dir {models_dir}`\n"
    )
    assert sorted(p.name for p in models_dir.iterdir()) == ["translate-zh_en"]


def test_remove_by_name_or_pair_and_the_package_a_run_uses_next(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    for version in ("1.9", "1.0"):
        top = f"translate-de_en-{version.replace('.', '_')}"
        install_archive(
            _variant(de_en_archive, tmp_path / f"{top}.argosmodel", top, package_version=version), models_dir
        )
    result = _models("remove", "translate-de_en-1_9", "--models-dir", str(models_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"removed de->en translate-de_en-1_9 1.9 at {models_dir / 'translate-de_en-1_9'}\n"
    assert result.stderr == (
        f"note: `babelmill run` now uses translate-de_en-1_0 1.0 at {models_dir / 'translate-de_en-1_0'} for de->en\n"
    )
    result = _models("remove", "de->en", "--models-dir", str(models_dir))
    assert result.exit_code == 0 and result.stdout.startswith("removed de->en translate-de_en-1_0 1.0 at ")
    assert list(models_dir.iterdir()) == []


def test_remove_refuses_in_one_line_when_nothing_matches(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    result = _models("remove", "fr", "translate-de_en-1_0", "--models-dir", str(models_dir))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: fr: no fr->en package is installed; `babelmill models list` shows what is (searched: {models_dir})",
        "error: translate-de_en-1_0: no installed package has this name or folder; `babelmill models list` shows "
        f"the names and folders (searched: {models_dir})",
    ]
    assert [p.name for p in models_dir.iterdir()] == ["translate-de_en-random"]


def test_remove_takes_a_link_not_what_it_points_at_and_a_folder_that_is_no_package(
    tmp_path, de_en_archive, isolated_models
):
    real = install_archive(de_en_archive, tmp_path / "elsewhere").path
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    os.symlink(real, models_dir / real.name)
    (models_dir / "broken").mkdir()  # `models list` warns of it: no metadata.json
    result = _models("remove", str(models_dir / real.name), "broken", "--models-dir", str(models_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"removed de->en translate-de_en-random 0.0 at {models_dir / real.name}",
        f"removed broken (unreadable package) at {models_dir / 'broken'}",
    ]
    assert list(models_dir.iterdir()) == [] and (real / "model" / "model.bin").is_file()


def test_after_remove_translated_records_stay_and_new_blocks_go_pending(tmp_path, de_en_archive, isolated_models):
    """Removing the model redoes nothing: the record it translated is kept byte for byte; only
    the blocks of a new input in its language wait for a model."""
    models_dir, inputs, out = tmp_path / "models", tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    (inputs / "a.txt").write_text(GERMAN, encoding="utf-8")
    install_archive(de_en_archive, models_dir)
    run = ["run", str(inputs), "-o", str(out), "--models-dir", str(models_dir), "--no-progress"]
    assert CliRunner().invoke(main, run).exit_code == 0
    (translated,) = read_jsonl(out / "corpus.jsonl")
    assert translated["translation"]["blocks_translated"] > 0 and translated["translation"]["blocks_pending"] == 0

    assert _models("remove", "de", "--models-dir", str(models_dir)).exit_code == 0
    (inputs / "b.txt").write_text(OTHER_GERMAN, encoding="utf-8")
    result = CliRunner().invoke(main, run)
    assert result.exit_code == 0, result.output
    assert "1 processed, 1 unchanged" in result.stdout
    first, second = read_jsonl(out / "corpus.jsonl")
    assert first == translated
    assert second["translation"]["blocks_translated"] == 0 and second["translation"]["blocks_pending"] > 0
    assert all(b["translation"] == "pending" for b in second["blocks"] if b["lang"] == "de")

    # an edited input is processed anew: without the model its blocks wait too
    (inputs / "a.txt").write_text(GERMAN + "\nEin neuer Satz am Ende des Artikels.\n", encoding="utf-8")
    assert CliRunner().invoke(main, run).exit_code == 0
    edited = next(r for r in read_jsonl(out / "corpus.jsonl") if r["source"]["path"].endswith("a.txt"))
    assert edited["translation"]["blocks_translated"] == 0 and edited["translation"]["blocks_pending"] > 0
