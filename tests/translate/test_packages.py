"""Finding, reading and (safely) installing argos packages; the `babelmill models` commands."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.commands.models import models
from babelmill.testing.argos import GERMAN_CORPUS, build_bpe_package, build_package
from babelmill.translate.backend import MIN_BATCHES, CTranslate2Backend, DecodeOptions, batch_budget
from babelmill.translate.install import UnsafeArchiveError, install_archive
from babelmill.translate.models import installed_source_languages
from babelmill.translate.packages import ModelError, discover_packages, find_package, read_package
from tests.fixtures import translate_fixtures

# shared fixtures (pytest finds them as module attributes)
de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

pytestmark = pytest.mark.slow


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_install_from_file_then_load_and_translate(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    pkg = install_archive(de_en_archive, models_dir)
    assert (pkg.from_code, pkg.to_code, pkg.version, pkg.tokenizer) == ("de", "en", "0.0", "sentencepiece")
    assert pkg.path == models_dir / "translate-de_en-random"
    assert tree(models_dir) == {
        "translate-de_en-random",
        "translate-de_en-random/metadata.json",
        "translate-de_en-random/sentencepiece.model",
        "translate-de_en-random/model",
        "translate-de_en-random/model/config.json",
        "translate-de_en-random/model/model.bin",
        "translate-de_en-random/model/shared_vocabulary.json",
    }
    backend = CTranslate2Backend(pkg, device="cpu", options=DecodeOptions(beam_size=2, max_decoding_length=8))
    assert (backend.device, backend.compute_type) == ("cpu", "int8")
    out = backend.translate(["Am 17. November wurde er entlassen.", "Hallo Welt."])
    assert len(out) == 2
    for text, score in out:
        assert isinstance(text, str) and score <= 0.0
    # identity names the weights and the decode settings that change output
    assert backend.identity.startswith("translate-de_en-random@0.0#")
    assert "beam=2" in backend.identity


def test_translation_does_not_depend_on_the_batch(tmp_path, de_en_archive):
    """A sentence's translation and score are exactly those it gets alone, whatever other
    sentences share the call (no padded batches): what makes the corpus the same on every engine
    however documents are batched. Results come back in input order."""
    pkg = install_archive(de_en_archive, tmp_path / "models")
    backend = CTranslate2Backend(pkg, device="cpu", options=DecodeOptions(max_decoding_length=24, max_batch_tokens=64))
    sentences = GERMAN_CORPUS + [" ".join(GERMAN_CORPUS[i : i + 2]) for i in range(0, 12, 2)]
    single = [backend.translate([s])[0] for s in sentences]
    assert backend.translate(sentences) == single
    order = sorted(range(len(sentences)), key=lambda i: (i * 7) % len(sentences))
    for size in (3, 5):  # other companions, other batch sizes
        mixed: dict[int, tuple[str, float]] = {}
        for k in range(0, len(order), size):
            part = order[k : k + size]
            mixed.update(zip(part, backend.translate([sentences[i] for i in part]), strict=True))
        assert [mixed[i] for i in range(len(sentences))] == single


def test_parallel_translators_give_the_same_output_in_order(tmp_path, de_en_archive):
    """Two single-threaded translators decoding small batches side by side (the CPU default on
    small machines) must return exactly what one two-thread translator returns, in input
    order, across several output-length caps."""
    pkg = install_archive(de_en_archive, tmp_path / "models")
    sentences = GERMAN_CORPUS[:10] + ["Ja.", " ".join(GERMAN_CORPUS[:3])]
    options = DecodeOptions(beam_size=4, max_decoding_length=64, max_batch_tokens=32)
    assert len({options.decode_cap(len(s.split())) for s in sentences}) > 1
    one = CTranslate2Backend(pkg, device="cpu", inter_threads=1, intra_threads=2, options=options)
    two = CTranslate2Backend(pkg, device="cpu", inter_threads=2, intra_threads=1, options=options)
    assert (two.inter_threads, two.intra_threads) == (2, 1)
    serial, parallel = one.translate(sentences), two.translate(sentences)
    assert [t for t, _ in parallel] == [t for t, _ in serial]
    assert [sc for _, sc in parallel] == pytest.approx([sc for _, sc in serial], abs=1e-4)
    assert one.identity == two.identity  # threading never splits the cache


def test_batch_budget_gives_every_translator_work_and_never_depends_on_threads():
    assert batch_budget(10_000, 4096) == 2500  # at least MIN_BATCHES batches, for parallel translators
    assert MIN_BATCHES == 4
    assert batch_budget(100_000, 4096) == 4096  # never above the configured budget
    assert batch_budget(300, 4096) == 256  # nor below the overhead floor
    assert batch_budget(300, 128) == 128  # unless the configured budget is smaller


def test_output_length_is_capped_relative_to_input(tmp_path, de_en_archive):
    """Random weights rarely emit the end token, so outputs run to their cap: a short input
    must stop far below the fixed cap, a long one may go further."""
    pkg = install_archive(de_en_archive, tmp_path / "models")
    options = DecodeOptions(max_decoding_length=200, max_decoding_ratio=2)
    backend = CTranslate2Backend(pkg, device="cpu", options=options)
    calls = []

    class Spy:
        def __init__(self, real):
            self.real = real

        def translate_batch(self, batch, **kwargs):
            results = self.real.translate_batch(batch, **kwargs)
            done = [r.result() for r in results] if kwargs.get("asynchronous") else results
            calls.append((kwargs["max_decoding_length"], [len(b) for b in batch], done))
            return results

    backend.translator = Spy(backend.translator)
    backend.translate(["Ja.", " ".join(GERMAN_CORPUS[:3])])
    assert len(calls) == 2  # one call per cap
    (cap_short, (n_short,), short), (cap_long, (n_long,), long_) = calls
    assert cap_short == options.decode_cap(n_short) < cap_long == options.decode_cap(n_long) <= 200
    assert len(short[0].hypotheses[0]) <= cap_short
    assert len(long_[0].hypotheses[0]) <= cap_long
    fixed = CTranslate2Backend(pkg, device="cpu", options=DecodeOptions(max_decoding_length=200, max_decoding_ratio=0))
    assert backend.identity != fixed.identity  # the cache never mixes outputs of different caps


def test_reinstall_replaces_and_identity_tracks_weights(tmp_path, de_en_archive, isolated_models):
    models_dir = tmp_path / "models"
    first = install_archive(de_en_archive, models_dir).identity()
    other = build_package(tmp_path / "v2", seed=1, version="0.1")
    second = install_archive(other, models_dir)
    assert second.version == "0.1"
    assert second.identity() != first
    assert [p.name for p in discover_packages(models_dir)[0]] == ["translate-de_en-random"]


def test_discovery_via_env_and_models_dir(tmp_path, de_en_archive, isolated_models, monkeypatch):
    env_dir = tmp_path / "env-models"
    install_archive(de_en_archive, env_dir)
    assert find_package("de", "en") is None  # nothing visible yet
    monkeypatch.setenv("BABELMILL_MODELS", f"{tmp_path / 'missing'}{os.pathsep}{env_dir}")
    assert find_package("de", "en").path.parent == env_dir
    assert installed_source_languages() == {"de"}
    # argostranslate's own folder is searched too
    monkeypatch.delenv("BABELMILL_MODELS")
    install_archive(de_en_archive, isolated_models)
    assert find_package("de", "en").path.parent == isolated_models
    # an explicit models_dir is the only folder searched
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_package("de", "en", empty) is None
    assert find_package("de", "en", env_dir).path.parent == env_dir
    assert find_package("zh", "en", env_dir) is None
    # a models_dir taken from $BABELMILL_MODELS may list several folders
    assert find_package("de", "en", f"{empty}{os.pathsep}{env_dir}").path.parent == env_dir


def test_unreadable_package_folders_are_reported_not_fatal(tmp_path, de_en_archive):
    models_dir = tmp_path / "models"
    install_archive(de_en_archive, models_dir)
    (models_dir / "junk").mkdir()
    broken = models_dir / "broken"
    (broken / "model").mkdir(parents=True)
    (broken / "metadata.json").write_text("{not json", encoding="utf-8")
    packages, problems = discover_packages(models_dir)
    assert [p.name for p in packages] == ["translate-de_en-random"]
    assert any("broken" in p and "unreadable metadata" in p for p in problems)
    assert any("junk" in p and "no metadata.json" in p for p in problems)


def test_other_language_models_mark_other_blocks_retryable(tmp_path):
    models_dir = tmp_path / "models"
    install_archive(build_package(tmp_path / "fr", "fr", "en"), models_dir)
    assert installed_source_languages(models_dir) == {"fr", "other"}


# -- unsafe archives ---------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def _meta() -> bytes:
    return json.dumps({"from_code": "de", "to_code": "en", "type": "translate"}).encode()


@pytest.mark.parametrize(
    "members, links, message",
    [
        ({"/tmp/evil/metadata.json": b"x"}, None, "absolute path"),
        ({"pkg/../../evil.txt": b"x", "pkg/metadata.json": _meta()}, None, "'..'"),
        ({"../evil.txt": b"x"}, None, "'..'"),
        ({"pkg/metadata.json": _meta()}, {"pkg/model": "/etc"}, "symbolic link"),
        ({"pkg/metadata.json": _meta()}, {"pkg/link": "../../outside"}, "symbolic link"),
        ({"a/metadata.json": _meta(), "b/metadata.json": _meta()}, None, "one top-level"),
        ({"pkg/metadata.json": _meta()}, None, "no CTranslate2 model"),
    ],
)
def test_unsafe_or_invalid_archives_are_refused_without_writing(tmp_path, members, links, message):
    archive = _zip(tmp_path / "bad.argosmodel", members, links)
    work = tmp_path / "work"
    models_dir = work / "models"
    models_dir.mkdir(parents=True)
    before = tree(tmp_path)
    with pytest.raises(ModelError, match=message):
        install_archive(archive, models_dir)
    assert tree(tmp_path) == before  # nothing written anywhere, not even leftovers in models_dir
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil/metadata.json").exists()


def test_not_a_zip_is_refused(tmp_path):
    bogus = tmp_path / "x.argosmodel"
    bogus.write_bytes(b"PK not really a zip")
    with pytest.raises(UnsafeArchiveError, match="not a zip archive"):
        install_archive(bogus, tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_bpe_layout_loads_and_translates(tmp_path):
    pytest.importorskip("sacremoses")
    pkg = read_package(build_bpe_package(tmp_path))
    assert pkg.tokenizer == "bpe"
    backend = CTranslate2Backend(pkg, device="cpu", options=DecodeOptions(max_decoding_length=6))
    assert backend.tokenizer.encode("Hallo Welt") == ["H@@", "a@@", "l@@", "l@@", "o", "W@@", "e@@", "l@@", "t"]
    assert backend.tokenizer.decode(["H@@", "a@@", "l@@", "l@@", "o", "W@@", "e@@", "l@@", "t"]) == "Hallo Welt"
    ((text, score),) = backend.translate(["Hallo Welt."])
    assert isinstance(text, str) and score <= 0.0


def test_read_package_names_what_is_missing(tmp_path):
    pkg = tmp_path / "p"
    (pkg / "model").mkdir(parents=True)
    (pkg / "model" / "model.bin").write_bytes(b"")
    (pkg / "metadata.json").write_text(json.dumps({"from_code": "de", "to_code": "en"}))
    with pytest.raises(ModelError, match="no tokenizer"):
        read_package(pkg)
    (pkg / "bpe.model").write_text("#version: 0.2\n")
    assert read_package(pkg).tokenizer == "bpe"


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_install_file_then_list(tmp_path, de_en_archive, isolated_models):
    runner = CliRunner()
    models_dir = tmp_path / "models"
    result = runner.invoke(models, ["install", str(de_en_archive), "--models-dir", str(models_dir)])
    assert result.exit_code == 0, result.output
    assert "installed de->en translate-de_en-random" in result.output
    result = runner.invoke(models, ["list", "--models-dir", str(models_dir)])
    assert result.exit_code == 0
    assert "de->en" in result.output and str(models_dir / "translate-de_en-random") in result.output
    result = runner.invoke(models, ["list", "--json", "--models-dir", str(models_dir)])
    row = json.loads(result.output.splitlines()[0])
    assert (row["from"], row["to"], row["version"]) == ("de", "en", "0.0")


def test_cli_list_names_a_package_file_left_in_the_models_folder(tmp_path, de_en_archive, isolated_models):
    """A downloaded .argosmodel copied into the models folder is a zip, not an installed package:
    `models list` said only "no translation models installed"."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    archive = models_dir / de_en_archive.name
    shutil.copy(de_en_archive, archive)
    result = CliRunner().invoke(models, ["list", "--models-dir", str(models_dir)])
    assert result.exit_code == 0
    assert "no translation models installed" in result.stdout
    assert result.stderr == (
        f"warning: {archive}: a package file, not an installed package; install it with "
        f"`babelmill models install {archive} --models-dir {models_dir}`\n"
    )
    CliRunner().invoke(models, ["install", str(archive), "--models-dir", str(models_dir)])
    result = CliRunner().invoke(models, ["list", "--models-dir", str(models_dir)])
    assert "de->en" in result.stdout and result.stderr == ""  # installed: the file beside it is no news


def test_cli_list_with_nothing_installed_says_how_to_install(tmp_path, isolated_models):
    """The command it suggests installs where the list looks: with --models-dir, into that folder
    (it suggested `babelmill models install de`, which installs into the default folder)."""
    none = tmp_path / "none"
    result = CliRunner().invoke(models, ["list", "--models-dir", str(none)])
    assert result.exit_code == 0
    assert "no translation models installed" in result.output
    assert result.stdout.splitlines()[-1] == (
        f"install one with `babelmill models install de --models-dir {none}` (online) or "
        f"`babelmill models install FILE.argosmodel --models-dir {none}`"
    )


def test_cli_install_refuses_unsafe_file_with_exit_1(tmp_path, isolated_models):
    archive = _zip(tmp_path / "evil.argosmodel", {"../evil.txt": b"x"})
    result = CliRunner().invoke(models, ["install", str(archive), "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "refusing archive" in result.output and "'..'" in result.output
    assert not (tmp_path / "evil.txt").exists()


def test_cli_install_rejects_nonsense_target(tmp_path, isolated_models):
    result = CliRunner().invoke(models, ["install", "not-a-lang!", "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "neither a .argosmodel file nor a language code" in result.output


def test_online_install_without_internet_says_so_in_one_line(tmp_path: Path, monkeypatch):
    """Offline, `models install de` prints one error line with the cause in words and the way
    out (a downloaded file), not the network library's exception tuple."""
    import socket
    import urllib.error
    import urllib.request

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    result = CliRunner().invoke(models, ["install", "de", "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if not line.startswith("downloading de->en")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith("error: could not download the Argos package index from https://")
    assert ": Name or service not known (no internet?); without internet, download the .argosmodel file" in errors[0]
    assert "URLError" not in result.output and "gaierror" not in result.output


def test_cli_install_of_a_folder_says_what_to_install_instead(tmp_path, de_en_archive, isolated_models):
    """A folder holding downloaded package files, or an unpacked package copied from elsewhere,
    got "is neither a .argosmodel file nor a language code"."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shutil.copy(de_en_archive, downloads / de_en_archive.name)
    unpacked = install_archive(de_en_archive, tmp_path / "elsewhere").path
    models_dir = tmp_path / "models"
    result = CliRunner().invoke(models, ["install", str(downloads), str(unpacked), "--models-dir", str(models_dir)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {downloads}: a folder; install the package files in it: "
        f"`babelmill models install {downloads / de_en_archive.name}`",
        f"error: {unpacked}: an unpacked package folder, not a .argosmodel file; copy it into {models_dir}, or name "
        "the folder that holds it with --models-dir",
    ]


def test_cli_install_into_a_folder_it_cannot_create_names_that_folder(tmp_path, de_en_archive, isolated_models):
    """It said "error: translate-de_en-random.argosmodel: Not a directory", as if the package file
    were at fault."""
    (tmp_path / "a-file").write_text("x")
    models_dir = tmp_path / "a-file" / "models"
    result = CliRunner().invoke(models, ["install", str(de_en_archive), "--models-dir", str(models_dir)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {de_en_archive}: Not a directory: {models_dir}\n"
