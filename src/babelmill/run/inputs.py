"""Input discovery: files, directories and globs on the command line -> sorted input paths."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from babelmill.errors import RunError
from babelmill.printable import printable


def _has_magic(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def discover_inputs(patterns: Iterable[str], exclude: Path | None = None) -> tuple[list[str], list[str]]:
    """Expand files, directories (recursively) and globs into sorted input paths.

    Hidden files and folders (a leading dot) are skipped inside directories; a path that does
    not exist is kept so that the read stage reports it. Returns ``(paths, repeats)`` where
    repeats lists the paths that named an already listed file.
    """
    exclude_real = os.path.realpath(exclude) if exclude else None
    found: list[str] = []
    for pattern in patterns:
        if _has_magic(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            candidates = matches or [pattern]
        else:
            candidates = [pattern]
        for cand in candidates:
            if os.path.isdir(cand) and not os.path.islink(cand):
                # a folder that cannot be listed becomes an input itself, so the read stage
                # reports it instead of its files vanishing without a word
                for root, dirs, files in os.walk(cand, onerror=lambda exc: found.append(exc.filename)):
                    dirs[:] = sorted(
                        d
                        for d in dirs
                        if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != exclude_real
                    )
                    # symlinked folders are not followed (loops, files read twice); they become
                    # inputs so the read stage reports them rather than skipping them unseen
                    linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]
                    found.extend(os.path.join(root, d) for d in linked)
                    dirs[:] = [d for d in dirs if d not in linked]
                    found.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
            else:
                found.append(cand)
    seen: set[str] = set()
    paths: list[str] = []
    repeats: list[str] = []
    for p in found:
        norm = os.path.normpath(p)
        try:
            key = os.path.realpath(norm, strict=False)
        except OSError:
            key = norm
        if key in seen:
            repeats.append(norm)
            continue
        seen.add(key)
        paths.append(norm)
    paths.sort()
    return paths, repeats


def require_inputs(patterns: list[str], paths: list[str]) -> None:
    """A run whose named inputs all fail to exist, match nothing or hold no files has nothing to
    read: :class:`RunError` naming each, before anything is written. (A missing input among
    existing ones is a quarantined input of the run, as the read stage reports it.)"""
    if any(os.path.lexists(p) for p in paths):
        return
    reasons = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            reasons.append(f"{printable(pattern)} holds no files")
        elif _has_magic(pattern) and not os.path.lexists(pattern):
            reasons.append(f"{printable(pattern)} matches no file")
        else:
            reasons.append(f"{printable(pattern)} does not exist")
    raise RunError("nothing to read: " + "; ".join(reasons) + " (nothing was written)")


def installed_translation_languages(models_dir: str | None) -> set[str]:
    """Source languages for which an X->en model is installed (empty if none can be found)."""
    try:
        from babelmill.translate.models import installed_source_languages
    except ImportError:
        return set()
    try:
        return set(installed_source_languages(models_dir))
    except Exception:  # a broken models dir must not stop the run; translate reports it
        return set()


__all__ = ["discover_inputs", "installed_translation_languages", "require_inputs"]
