"""Hostile packages and archives: unreadable metadata, bombs, damaged zips, interrupted installs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.commands.models import models
from babelmill.document import PENDING, TRANSLATED, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate import install as pk_install
from babelmill.translate import packages as pk
from babelmill.translate.install import UnsafeArchiveError, clean_interrupted_installs, install_archive
from babelmill.translate.packages import ModelError, discover_packages, find_package
from tests.fixtures import translate_fixtures

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

pytestmark = pytest.mark.slow


def _bad_package(models_dir: Path, name: str, metadata: bytes) -> Path:
    folder = models_dir / name
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "model.bin").write_bytes(b"\0")
    (folder / "sentencepiece.model").write_bytes(b"\0")
    (folder / "metadata.json").write_bytes(metadata)
    return folder


LATIN1 = json.dumps({"from_code": "fr", "to_code": "en", "note": "é"}, ensure_ascii=False).encode("latin-1")
NESTED = b'{"from_code": "fr", "to_code": "en", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize("metadata,why", [(LATIN1, "not UTF-8"), (NESTED, "nested too deeply")])
def test_an_unreadable_package_is_skipped_and_never_hides_another(tmp_path, de_en_archive, metadata, why):
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    _bad_package(models_dir, "translate-fr_en", metadata)
    packages, problems = discover_packages(models_dir)
    assert [p.from_code for p in packages] == ["de"]
    assert len(problems) == 1 and why in problems[0] and "skipped" in problems[0]
    assert find_package("de", "en", models_dir) is not None
    assert find_package("fr", "en", models_dir) is None
    # `models list` lists the good one and warns about the bad one, no traceback
    result = CliRunner().invoke(models, ["list", "--models-dir", str(models_dir)])
    assert result.exit_code == 0, result.output
    assert "de->en" in result.output and why in result.output and "Traceback" not in result.output


def test_translate_uses_the_good_package_beside_a_bad_one(tmp_path, de_en_archive, capsys):
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    _bad_package(models_dir, "translate-fr_en", LATIN1)
    stage = TranslateStage(TranslateConfig(models_dir=str(models_dir), cache=False), {})
    doc = Document(
        id="d",
        text="x",
        blocks=[Block(text="Der Rat hat heute getagt.", lang="de", line=1), Block(text="Bonjour.", lang="fr", line=2)],
    )
    (out,) = list(stage.run([doc]))
    stage.close()
    de, fr = out.blocks
    assert de.translation == TRANSLATED
    assert fr.translation == PENDING and "install" in fr.note  # fr has no usable package: retried later
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "translate-fr_en" in err


def test_the_unreadable_package_warning_is_one_line_and_silenced_by_quiet(tmp_path):
    from babelmill.cli import main

    models_dir = tmp_path / "models"
    _bad_package(models_dir, "translate-fr_en", LATIN1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "de.txt").write_text(
        "Der Stadtrat hat am Dienstag nach einer langen Debatte den Bau der neuen Brücke beschlossen.\n" * 3
    )
    config = tmp_path / "p.toml"
    config.write_text('[pipeline]\nstages = ["read", "strip", "detect", "translate"]\n')
    outputs = {}
    for flags in ([], ["-q"]):
        out = tmp_path / f"out{len(flags)}"
        args = ["run", str(tmp_path / "in"), "-o", str(out), "-c", str(config), "--models-dir", str(models_dir)]
        result = CliRunner().invoke(main, args + flags)
        assert result.exit_code == 0, result.output
        outputs[bool(flags)] = result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["inputs"][0]["pending_languages"] == ["de"]  # looked for a de model: none
    assert outputs[False].count("babelmill: warning:") == 1 and "translate-fr_en" in outputs[False]
    assert outputs[True] == ""


def test_a_failed_translation_leaves_blocks_pending_with_the_reason(monkeypatch):
    stage = TranslateStage(TranslateConfig(cache=False), {})

    def broken(*_a, **_k):
        raise ValueError("metadata exploded")

    monkeypatch.setattr(stage.models, "get", broken)
    doc = Document(id="d", text="x", blocks=[Block(text="Guten Tag.", lang="de", line=1), Block(text="Hi.", lang="en")])
    (out,) = list(stage.run([doc]))
    de, en = out.blocks
    assert de.translation == PENDING and "metadata exploded" in de.note  # never "native"
    assert en.translation != PENDING
    assert out.translation["blocks_pending"] == 1


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_before_extraction(tmp_path, monkeypatch):
    monkeypatch.setattr(pk_install, "MAX_ARCHIVE_BYTES", 1 << 20)
    archive = _zip(tmp_path / "bomb.argosmodel", {"pkg/metadata.json": b"{}", "pkg/zeros": b"\0" * (2 << 20)})
    assert archive.stat().st_size < 20_000
    models_dir = tmp_path / "models"
    with pytest.raises(UnsafeArchiveError, match="bytes uncompressed, over the limit"):
        install_archive(archive, models_dir)
    assert not models_dir.exists()  # refused before anything was written


def test_too_many_entries_and_too_deep_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(pk_install, "MAX_ARCHIVE_ENTRIES", 50)
    many = _zip(tmp_path / "many.argosmodel", {f"pkg/f{i}": b"" for i in range(51)})
    with pytest.raises(UnsafeArchiveError, match="51 entries"):
        install_archive(many, tmp_path / "models")
    deep = _zip(tmp_path / "deep.argosmodel", {"pkg/" + "d/" * 20 + "f": b""})
    with pytest.raises(UnsafeArchiveError, match="folders deep"):
        install_archive(deep, tmp_path / "models")


def _corrupt_crc(archive: Path, out: Path) -> Path:
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    data[start] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def test_install_reports_each_failed_target_on_one_line_and_installs_the_rest(tmp_path, de_en_archive, isolated_models):
    bad = _corrupt_crc(de_en_archive, tmp_path / "damaged.argosmodel")
    models_dir = tmp_path / "models"
    result = CliRunner().invoke(models, ["install", str(bad), str(de_en_archive), "--models-dir", str(models_dir)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "damaged.argosmodel" in errors[0]
    assert "Traceback" not in result.output
    assert find_package("de", "en", models_dir) is not None  # the second target still installed
    assert not [p for p in models_dir.iterdir() if p.name.startswith(".install-")]


def test_an_interrupted_install_is_cleaned_up_by_the_next(tmp_path, de_en_archive):
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    # a staging folder whose process is gone (as after SIGKILL), and one of a live process
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = models_dir / ".install-dead"
    (left / "pkg").mkdir(parents=True)
    (left / ".owner").write_text(dead.stdout.strip())
    live = models_dir / ".install-live"
    live.mkdir()
    (live / ".owner").write_text(str(os.getppid()))
    install_archive(de_en_archive, models_dir)
    assert not left.exists() and live.exists()
    assert clean_interrupted_installs(models_dir) == []


def test_models_list_never_shows_a_traceback(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise RecursionError("deep")

    monkeypatch.setattr(pk, "discover_packages", boom)
    result = CliRunner().invoke(models, ["list", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("error:") and "Traceback" not in result.output
    with pytest.raises(ModelError):
        pk.read_package(tmp_path)


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"pkg/readme.txt": b"hi"}, "pkg: not an argos package (no metadata.json)"),
        ({"pkg/metadata.json": b"{not json"}, "pkg/metadata.json: unreadable metadata"),
        ({"pkg/metadata.json": b'{"from_code": "de", "to_code": "en"}'}, "pkg: no CTranslate2 model"),
    ],
)
def test_an_archive_that_is_no_package_is_refused_naming_the_archive(tmp_path, members, why):
    archive = _zip(tmp_path / "bad.argosmodel", members)
    models_dir = tmp_path / "models"
    result = CliRunner().invoke(models, ["install", str(archive), "--models-dir", str(models_dir)])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    # the archive the user named, not the staging folder the check ran in (gone by now)
    assert line.startswith(f"error: refusing {archive}: not a translation package: {why}"), line
    assert ".install-" not in line
    assert [p.name for p in models_dir.iterdir()] == []
