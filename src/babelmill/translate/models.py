"""Small queries about installed models for the runner (kept import-light)."""

from __future__ import annotations

from pathlib import Path

from babelmill.translate.packages import ArgosPackage, discover_packages, rank_reason

TARGET = "en"
#: languages the detect stage names directly; any other installed source language can only
#: serve blocks that detect labelled "other" (with meta["lang_code"])
DETECTED_LANGS = frozenset({"de", "zh", "en"})


def serves_runs(package: ArgosPackage) -> bool:
    """Whether a run can use ``package`` at all: runs translate other languages into English only."""
    return package.to_code == TARGET and package.from_code != TARGET


def unused_reason(
    package: ArgosPackage, chosen: dict[tuple[str, str], ArgosPackage], models_dir: str | Path | None = None
) -> str | None:
    """Why `babelmill run` does not use ``package`` (None: it does). ``chosen``: what
    :func:`~babelmill.translate.packages.chosen_packages` returns for the installed packages."""
    if not serves_runs(package):
        return (
            f"babelmill translates other languages into {TARGET} only; "
            f"`babelmill run` will not use this {package.pair} package"
        )
    used = chosen.get((package.from_code, package.to_code))
    if used is None or used.path == package.path:
        return None
    return (
        f"`babelmill run` uses {used.name} {used.version or '(no version)'} at {used.path} for {package.pair} "
        f"({rank_reason(used, package, models_dir)}), not this package"
    )


def installed_source_languages(models_dir: str | Path | None = None) -> set[str]:
    """Source codes with an installed ``X -> en`` package, plus ``"other"`` when any of them is
    a language the detector reports as ``other`` (so pending "other" blocks get retried)."""
    packages, _ = discover_packages(models_dir)
    codes = {p.from_code for p in packages if p.to_code == TARGET}
    if codes - DETECTED_LANGS:
        codes.add("other")
    return codes
