"""Which installed package a run uses, and what the user is told: a package that fails to load,
`models list` naming the package in use, `models install` of a package no run will use."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.commands.models import models
from babelmill.document import PENDING, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate.install import install_archive
from babelmill.translate.packages import find_package
from tests.fixtures import translate_fixtures

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

pytestmark = pytest.mark.slow


def _german_doc(doc_id: str) -> Document:
    return Document(id=doc_id, text="x", blocks=[Block(text="Der Rat hat heute getagt.", lang="de", line=1)])


def _damage(package: Path, part: str) -> None:
    if part == "tokenizer":
        (package / "sentencepiece.model").write_bytes(b"not a sentencepiece model\n")
    else:  # a model.bin cut short, as a full disk or an interrupted copy leaves it
        weights = package / "model" / "model.bin"
        weights.write_bytes(weights.read_bytes()[:5000])


@pytest.mark.parametrize("part", ["tokenizer", "weights"])
def test_a_package_that_fails_to_load_is_named_in_one_warning_line(tmp_path, de_en_archive, capsys, part):
    """Before, a package whose sentencepiece.model or model.bin was damaged left every block
    pending with no line on stderr: the summary said only "pending a translation model (see
    `babelmill models --help`)", as if none were installed."""
    package = install_archive(de_en_archive, tmp_path / "models").path
    _damage(package, part)
    stage = TranslateStage(TranslateConfig(models_dir=str(tmp_path / "models"), cache=False), {})
    docs = list(stage.run([_german_doc("a"), _german_doc("b")]))
    docs += list(stage.run([_german_doc("c")]))
    stage.close()
    assert all(d.blocks[0].translation == PENDING and "failed to load" in d.blocks[0].note for d in docs)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("babelmill: warning: the de->en model at ")
    assert str(package) in lines[0] and "failed to load" in lines[0] and "pending" in lines[0]


def test_a_quiet_run_says_nothing_about_a_package_that_fails_to_load(tmp_path, de_en_archive, capsys):
    package = install_archive(de_en_archive, tmp_path / "models").path
    _damage(package, "tokenizer")
    stage = TranslateStage(TranslateConfig(models_dir=str(tmp_path / "models"), cache=False), {"quiet": True})
    (doc,) = list(stage.run([_german_doc("a")]))
    stage.close()
    assert doc.blocks[0].translation == PENDING
    assert capsys.readouterr().err == ""


def _variant(archive: Path, out: Path, top: str, **metadata: str) -> Path:
    """A copy of ``archive`` whose package folder is ``top`` and whose metadata.json has ``metadata``."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        old_top = src.namelist()[0].split("/")[0]
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/metadata.json"):
                data = json.dumps(json.loads(data) | metadata).encode()
            dst.writestr(top + info.filename[len(old_top) :], data)
    return out


def test_models_list_puts_the_package_a_run_uses_first_and_says_so(tmp_path, de_en_archive, isolated_models):
    """Argos names its versions translate-de_en-1_0, translate-de_en-1_9: `models list` said the
    first listed is the one used, listed them by folder name (1_0 first) while a run used 1_9."""
    models_dir = tmp_path / "models"
    for version in ("1.9", "1.0"):
        top = f"translate-de_en-{version.replace('.', '_')}"
        archive = _variant(de_en_archive, tmp_path / f"{top}.argosmodel", top, package_version=version)
        install_archive(archive, models_dir)
    install_archive(
        _variant(de_en_archive, tmp_path / "en_de.argosmodel", "translate-en_de", from_code="en", to_code="de"),
        models_dir,
    )
    assert find_package("de", "en", models_dir).name == "translate-de_en-1_9"

    result = CliRunner().invoke(models, ["list", "--models-dir", str(models_dir)])
    assert result.exit_code == 0, result.output
    rows = [line.split()[:4] for line in result.stdout.splitlines()]
    assert rows == [
        ["PAIR", "VERSION", "USED", "NAME"],
        ["de->en", "1.9", "yes", "translate-de_en-1_9"],
        ["de->en", "1.0", "no", "translate-de_en-1_0"],
        ["en->de", "0.0", "no", "translate-en_de"],
    ]
    assert result.stderr == "note: babelmill translates other languages into en only; not used: en->de\n"

    result = CliRunner().invoke(models, ["list", "--json", "--models-dir", str(models_dir)])
    used = [(row["name"], row["used"]) for row in map(json.loads, result.stdout.splitlines())]
    assert used == [("translate-de_en-1_9", True), ("translate-de_en-1_0", False), ("translate-en_de", False)]


def test_an_earlier_search_folder_wins_over_a_higher_version(tmp_path, de_en_archive, isolated_models, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    install_archive(_variant(de_en_archive, tmp_path / "old.argosmodel", "de-old", package_version="1.0"), first)
    install_archive(_variant(de_en_archive, tmp_path / "new.argosmodel", "de-new", package_version="2.0"), second)
    monkeypatch.setenv("BABELMILL_MODELS", f"{first}{os.pathsep}{second}")
    assert find_package("de", "en").name == "de-old"
    result = CliRunner().invoke(models, ["list"])
    rows = [line.split()[:4] for line in result.stdout.splitlines()[1:]]
    assert rows == [["de->en", "1.0", "yes", "de-old"], ["de->en", "2.0", "no", "de-new"]]


def test_models_install_says_when_runs_will_not_use_the_package(tmp_path, de_en_archive, isolated_models):
    """Installing translate-de_en-1_0 beside 1_9, or an en->de package, said only "installed",
    exit 0: nothing told the user that `babelmill run` goes on with 1_9, or never uses en->de."""
    new = _variant(de_en_archive, tmp_path / "new.argosmodel", "translate-de_en-1_9", package_version="1.9")
    old = _variant(de_en_archive, tmp_path / "old.argosmodel", "translate-de_en-1_0", package_version="1.0")
    en_de = _variant(de_en_archive, tmp_path / "en_de.argosmodel", "translate-en_de", from_code="en", to_code="de")
    models_dir = tmp_path / "models"
    args = ["install", str(new), str(old), str(en_de), "--models-dir", str(models_dir)]
    result = CliRunner().invoke(models, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("installed ") == 3
    assert result.stderr.splitlines() == [
        "note: translate-de_en-1_0: `babelmill run` uses translate-de_en-1_9 1.9 at "
        f"{models_dir / 'translate-de_en-1_9'} for de->en (a higher version), not this package",
        "note: translate-en_de: babelmill translates other languages into en only; `babelmill run` will not use "
        "this en->de package",
    ]
    # the package a run uses gets no note, nor does a reinstall of it
    result = CliRunner().invoke(models, ["install", str(new), "--models-dir", str(models_dir)])
    assert result.exit_code == 0 and result.stderr == ""


def test_a_reinstall_that_fails_to_move_the_new_copy_in_keeps_the_old_one(tmp_path, de_en_archive, monkeypatch):
    """Reinstalling deleted the installed copy first, then moved the new one in: a failure or a
    Ctrl-C between the two left no package (or half of one, mid-delete)."""
    models_dir = tmp_path / "models"
    old = install_archive(de_en_archive, models_dir)
    rename = Path.rename

    def failing_rename(self: Path, target):
        if self.parent.name.startswith(".install-") and self.name == old.name:
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError):
        install_archive(de_en_archive, models_dir)
    monkeypatch.undo()
    assert find_package("de", "en", models_dir) == old
    assert sorted(p.name for p in models_dir.iterdir()) == [old.name]  # no staging folder left


def test_a_reinstall_replaces_a_symlinked_package(tmp_path, de_en_archive):
    """A package folder that is a link (to a shared disk, say) was removed with rmtree, which
    refuses links: the reinstall failed with "Cannot call rmtree on a symbolic link"."""
    elsewhere = install_archive(de_en_archive, tmp_path / "shared").path
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / elsewhere.name).symlink_to(elsewhere, target_is_directory=True)
    pkg = install_archive(de_en_archive, models_dir)
    assert not pkg.path.is_symlink() and (pkg.model_dir / "model.bin").is_file()
    assert (elsewhere / "model" / "model.bin").is_file()  # what the link pointed at is untouched


def test_models_install_names_the_folder_name_when_two_packages_of_a_pair_tie(tmp_path, de_en_archive, isolated_models):
    """Two de->en packages of the same version in one folder: a run takes the first by folder
    name; the note said "(a higher version)", which was not true."""
    models_dir = tmp_path / "models"
    first = _variant(de_en_archive, tmp_path / "a.argosmodel", "de-a", package_version="1.0")
    second = _variant(de_en_archive, tmp_path / "b.argosmodel", "de-b", package_version="1.0")
    result = CliRunner().invoke(models, ["install", str(first), str(second), "--models-dir", str(models_dir)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"note: de-b: `babelmill run` uses de-a 1.0 at {models_dir / 'de-a'} for de->en "
        "(the same version, and its folder name sorts first), not this package"
    ]
    assert find_package("de", "en", models_dir).name == "de-a"


def test_models_list_searches_the_folders_a_run_searches_when_babelmill_models_is_set(
    tmp_path, de_en_archive, isolated_models, monkeypatch
):
    """With $BABELMILL_MODELS set, `babelmill run` searches only its folders (it is the run's
    --models-dir), but `models list` also listed argostranslate's folder: a package there was
    marked USED "yes" while every run left its blocks pending."""
    install_archive(de_en_archive, isolated_models)  # argostranslate's own folder
    env_dir = tmp_path / "env-models"
    env_dir.mkdir()
    monkeypatch.setenv("BABELMILL_MODELS", str(env_dir))
    result = CliRunner().invoke(models, ["list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == ["no translation models installed; searched:", f"  {env_dir}"]
    assert find_package("de", "en") is None and find_package("de", "en", os.environ["BABELMILL_MODELS"]) is None
