"""Which installed package a run uses, and what the user is told: a package that fails to load,
`models list` naming the package in use, `models install` of a package no run will use."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelmill.document import PENDING, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate.install import install_archive
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
