"""How babelmill names pending translation work: the source language of a block, the install
hint on a pending block, and the sentence the run summary and ``babelmill report`` print about
the blocks still pending, per language pair (import-light: no model is loaded here)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from babelmill.translate.models import TARGET

#: the key of blocks in a language the detector could not name (no model can be chosen for them)
UNIDENTIFIED = "und"


def source_code(lang: str | None, meta: Mapping[str, Any] | None = None) -> str | None:
    """The language code that picks a block's model: de/zh as detected; for ``other`` the
    detector's ``meta["lang_code"]``; None when unknown."""
    if lang == "other":
        code = meta.get("lang_code") if isinstance(meta, Mapping) else None
        return code if isinstance(code, str) and code and code != "other" else None
    return lang


def install_command(codes: Collection[str], models_dir: str | Path | None = None) -> str:
    """The two ways to install the models of ``codes``, as commands to copy; ``models_dir``: the
    folder the run searched, which the install must write to."""
    where = f" --models-dir {models_dir}" if models_dir else ""
    return (
        f"`babelmill models install {' '.join(codes)}{where}` (online) or "
        f"`babelmill models install FILE.argosmodel{where}`"
    )


def install_hint(code: str) -> str:
    """The note on a pending block: what to run to get it translated."""
    return (
        f"no {code}->{TARGET} model installed; run {install_command([code])}, "
        "then rerun `babelmill run` to translate pending blocks"
    )


def _blocks(n: int) -> str:
    return f"{n} block{'s' if n != 1 else ''}"


def by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """``counts`` largest first, then by code."""
    return sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))


def pending_sentence(
    by_code: Mapping[str, int],
    documents: int,
    *,
    installed: Collection[str] = (),
    models_dir: str | Path | None = None,
    unsorted: int = 0,
    at_least: bool = False,
) -> str:
    """What is pending and how to translate it, e.g. ``12 blocks in 3 documents pending
    translation: de->en (9 blocks), zh->en (3 blocks); install with `babelmill models install de
    zh` ...``. ``by_code``: pending blocks per :func:`source_code` (``und``: unidentified);
    ``installed``: codes with an installed model (its blocks failed to load or translate, so
    installing is no cure); ``unsorted``: pending blocks not counted by language (records of an
    earlier babelmill); ``at_least``: some records' counts are missing. Empty when nothing is
    pending."""
    total = sum(by_code.values()) + unsorted
    if not total:
        return ""
    parts, missing = [], []
    for code, n in by_count(by_code):
        if code == UNIDENTIFIED:
            parts.append(f"an unidentified language ({_blocks(n)}; no model can be chosen)")
        elif code in installed:
            parts.append(f"{code}->{TARGET} ({_blocks(n)}; its installed model failed: see the warnings)")
        else:
            parts.append(f"{code}->{TARGET} ({_blocks(n)})")
            missing.append(code)
    if unsorted:
        parts.append(f"{_blocks(unsorted)} of records an earlier babelmill wrote, not counted by language")
    some = "at least " if at_least else ""
    text = f"{some}{_blocks(total)} in {documents} document{'s' if documents != 1 else ''} pending translation: "
    text += ", ".join(parts)
    if missing:
        text += f"; install with {install_command(missing, models_dir)}, then rerun `babelmill run` to translate them"
    return text


def pending_pairs(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """``[("de->en", 9), ("zh->en", 3)]``, largest first (``unidentified`` for ``und``)."""
    return [(f"{code}->{TARGET}" if code != UNIDENTIFIED else "unidentified", n) for code, n in by_count(counts)]


def pair_counts(counts: Mapping[str, int]) -> str:
    """``de->en 9, zh->en 3`` (largest first)."""
    return ", ".join(f"{pair} {n}" for pair, n in pending_pairs(counts))
