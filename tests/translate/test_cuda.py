"""The CUDA path of translation: device choice, compute type, repeatable output, the cache.

These run only where CTranslate2 sees a CUDA device (skipped elsewhere, as in CI); the random
weights of the fixture package prove plumbing, not translation quality.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from babelmill.document import TRANSLATED, Block, Document
from babelmill.stages.translate import TranslateConfig, TranslateStage
from babelmill.translate.backend import resolve_compute_type, resolve_device
from babelmill.translate.install import install_archive
from tests.fixtures import translate_fixtures

ctranslate2 = pytest.importorskip("ctranslate2")


def _cuda_devices() -> int:
    try:
        return ctranslate2.get_cuda_device_count()
    except Exception:  # noqa: BLE001 - no CUDA runtime
        return 0


pytestmark = pytest.mark.skipif(_cuda_devices() == 0, reason="no CUDA device visible to CTranslate2")

de_en_archive = translate_fixtures.de_en_archive
isolated_models = translate_fixtures.isolated_models

GERMAN = [
    "Die Regierung hat am Dienstag ein neues Gesetz beschlossen. Es tritt im Januar in Kraft.",
    "Der Bürgermeister sprach mit den Anwohnern über den Verkehr in der Innenstadt.",
    "Am Wochenende wird es regnen. Die Temperaturen sinken auf zehn Grad.",
    "Kurz.",
]


def docs() -> list[Document]:
    return [
        Document(
            id=f"d{i}", text="", blocks=[Block(text=t, lang="de", line=1), Block(text="Hello.", lang="en", line=2)]
        )
        for i, t in enumerate(GERMAN)
    ]


@pytest.fixture
def models(tmp_path: Path, de_en_archive: Path, isolated_models: Path) -> Path:
    install_archive(de_en_archive, tmp_path / "models")
    return tmp_path / "models"


def translate(models: Path, state: Path | None = None, **config) -> tuple[list[Document], dict]:
    stage = TranslateStage(TranslateConfig(models_dir=str(models), **config), {"state_dir": state} if state else {})
    out = list(stage.run(docs()))
    used = stage.models_used()
    counters = dict(stage.counters)
    stage.close()
    return out, {"used": next(iter(used.values())), "counters": counters}


def test_auto_picks_the_gpu_at_half_precision(models: Path):
    assert resolve_device("auto") == "cuda"
    out, info = translate(models, device="auto")
    assert info["used"]["device"] == "cuda"
    assert info["used"]["compute_type"] == resolve_compute_type("cuda", None)
    assert info["used"]["compute_type"] in ctranslate2.get_supported_compute_types("cuda")
    assert "float16" in info["used"]["compute_type"] or "bfloat16" in info["used"]["compute_type"]
    for d in out:
        german, english = d.blocks
        assert german.translation == TRANSLATED and german.original in GERMAN and german.text
        assert english.text == "Hello." and english.translation != TRANSLATED


@pytest.mark.parametrize("compute_type", ["float32", "float16", "int8_float16"])
def test_every_gpu_compute_type_translates_every_block(models: Path, compute_type: str):
    if compute_type not in ctranslate2.get_supported_compute_types("cuda"):
        pytest.skip(f"{compute_type} not supported by this GPU")
    out, info = translate(models, device="cuda", compute_type=compute_type)
    assert info["used"]["compute_type"] == compute_type
    assert info["counters"]["blocks_translated"] == len(GERMAN)
    assert all(d.blocks[0].translation == TRANSLATED for d in out)


def test_gpu_output_is_the_same_on_every_run(models: Path):
    """Same inputs and config give the same corpus: the GPU path too."""
    first, _ = translate(models, device="cuda")
    second, _ = translate(models, device="cuda")
    assert [b.text for d in first for b in d.blocks] == [b.text for d in second for b in d.blocks]


def test_gpu_translations_are_cached_and_reused(models: Path, tmp_path: Path):
    state = tmp_path / "state"
    state.mkdir()
    first, info1 = translate(models, state, device="cuda")
    second, info2 = translate(models, state, device="cuda")
    assert info1["counters"].get("cache_hits", 0) == 0
    assert info2["counters"].get("cache_misses", 0) == 0 and info2["counters"]["cache_hits"] > 0
    assert [b.text for d in first for b in d.blocks] == [b.text for d in second for b in d.blocks]


def test_cpu_and_gpu_translate_the_same_blocks(models: Path):
    cpu, _ = translate(models, device="cpu")
    gpu, _ = translate(models, device="cuda")
    assert [[b.translation for b in d.blocks] for d in cpu] == [[b.translation for b in d.blocks] for d in gpu]
    assert [[b.original for b in d.blocks] for d in cpu] == [[b.original for b in d.blocks] for d in gpu]
