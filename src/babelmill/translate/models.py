"""Small queries about installed models for the runner (kept import-light)."""

from __future__ import annotations

from pathlib import Path

from babelmill.translate.packages import ArgosPackage, discover_packages

TARGET = "en"
#: languages the detect stage names directly; any other installed source language can only
#: serve blocks that detect labelled "other" (with meta["lang_code"])
DETECTED_LANGS = frozenset({"de", "zh", "en"})


def serves_runs(package: ArgosPackage) -> bool:
    """Whether a run can use ``package`` at all: runs translate other languages into English only."""
    return package.to_code == TARGET and package.from_code != TARGET


def installed_source_languages(models_dir: str | Path | None = None) -> set[str]:
    """Source codes with an installed ``X -> en`` package, plus ``"other"`` when any of them is
    a language the detector reports as ``other`` (so pending "other" blocks get retried)."""
    packages, _ = discover_packages(models_dir)
    codes = {p.from_code for p in packages if p.to_code == TARGET}
    if codes - DETECTED_LANGS:
        codes.add("other")
    return codes
