"""Input discovery: files, directories and globs on the command line -> sorted input paths.

Which files of a folder are read (the folders named on the command line, walked recursively):

* with ``--include GLOB`` (repeatable): the files that match one of the globs;
* otherwise the files with a text extension: :data:`TEXT_EXTENSIONS` (pages saved as text or
  HTML, and files without an extension, as many scrapers write them), or with
  ``--input-format jsonl`` :data:`JSONL_EXTENSIONS`; a ``.gz`` or ``.zst`` after it is read
  through its compression (``page.txt.gz``). Anything else (a ``.json`` sidecar beside the
  pages, images, PDFs) is skipped and counted by extension in the run summary and the manifest;
* ``--exclude GLOB`` (repeatable) skips the files that match, after ``--include``; in a folder, an
  exclude glob without a ``/`` also skips the files below a folder it names (``--exclude drafts``,
  as in ``.gitignore``).

A glob matches a file's name, or, when it holds a ``/``, its path below the named folder
(``fnmatch``: ``*`` also crosses ``/``); a glob that can match no file (:func:`glob_problem`) is
an error before anything is read. The matches of a glob named on the command line are
filtered by ``--include``/``--exclude`` but not by extension (the glob chose them); a file named
on the command line is always read. Hidden files and folders (a leading dot) are never read from
inside a folder.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babelmill.errors import RunError
from babelmill.io.compressed import extension_of
from babelmill.printable import printable

#: the extensions a folder's files are read by, without --include (and files with no extension)
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".html", ".htm", ".xhtml", ".shtml", ".md"})
#: ... with --input-format jsonl (Dolma writes .json.gz, datatrove .jsonl.gz)
JSONL_EXTENSIONS = frozenset({".jsonl", ".json", ".ndjson"})
#: extensions that say "one JSON document per line" (a ``.json`` file is often a page's sidecar)
LINE_DOCUMENT_EXTENSIONS = frozenset({".jsonl", ".ndjson"})


@dataclass(frozen=True)
class InputFilter:
    """Which files of a folder (or a glob's matches) a run reads; see the module docstring."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    input_format: str = "text"  # "text" (pages) or "jsonl" (JSONL documents)

    def extensions(self) -> frozenset[str]:
        return JSONL_EXTENSIONS if self.input_format == "jsonl" else TEXT_EXTENSIONS | {""}

    @staticmethod
    def _matches(globs: tuple[str, ...], name: str, rel: str) -> bool:
        return any(fnmatch.fnmatchcase(rel if "/" in g else name, g) for g in globs)

    def skip_reason(self, rel: str, by_extension: bool) -> str | None:
        """None when the file at ``rel`` (its path below the named folder) is read; otherwise
        ``"excluded"`` or ``"not_text:<extension>"``."""
        rel = rel.replace(os.sep, "/")
        name = rel.rsplit("/", 1)[-1]
        if self.include:
            if not self._matches(self.include, name, rel):
                return "not_included"
        elif by_extension and extension_of(name) not in self.extensions():
            return f"not_text:{extension_of(name) or '(none)'}"
        if self.exclude and self._matches(self.exclude, name, rel):
            return "excluded"
        if self.exclude and by_extension:
            # a file of a folder walk: a glob without / also names the folders below the named
            # one, as in .gitignore (`--exclude drafts` leaves out drafts/ and what it holds)
            folders = rel.split("/")[:-1]
            if any(fnmatch.fnmatchcase(part, g) for g in self.exclude if "/" not in g for part in folders):
                return "excluded"
        return None

    def check(self) -> None:
        """:class:`RunError` naming the first ``--include``/``--exclude`` glob that can match no
        file (:func:`glob_problem`), before anything is read."""
        for option, globs in (("--include", self.include), ("--exclude", self.exclude)):
            for pattern in globs:
                problem = glob_problem(pattern)
                if problem:
                    raise RunError(f"{option} {printable(repr(pattern))}: {problem}")


@dataclass
class Discovered:
    """The inputs found: sorted paths, paths named twice, and what was skipped."""

    paths: list[str] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)
    #: files skipped in folders and glob matches: "excluded", "not_included" or
    #: "not_text:<extension>" -> files
    skipped: Counter = field(default_factory=Counter)
    #: the folders listed (walked), the named ones and those below them
    folders: list[str] = field(default_factory=list)

    def skipped_note(self) -> str:
        """One sentence on what was skipped ('' when nothing was)."""
        return skipped_note(self.skipped)


def skipped_note(skipped: dict[str, int]) -> str:
    """One sentence on the files discovery skipped (:attr:`Discovered.skipped`); '' for none.

    >>> print(skipped_note({"not_text:.json": 152, "not_text:.png": 2, "excluded": 3}))  # doctest: +ELLIPSIS
    Skipped 154 files in the input folders not read for their extension (.json 152, .png 2; ...); 3 matching --exclude.
    """
    if not skipped:
        return ""
    parts = []
    by_ext = {k.split(":", 1)[1]: n for k, n in skipped.items() if k.startswith("not_text:")}
    if by_ext:
        n = sum(by_ext.values())
        exts = ", ".join(f"{ext} {count}" for ext, count in sorted(by_ext.items(), key=lambda kv: (-kv[1], kv[0])))
        parts.append(
            f"{n} file{'s' if n != 1 else ''} in the input folders not read for their extension ({exts}; "
            "--include GLOB reads them)"
        )
        if by_ext.keys() & LINE_DOCUMENT_EXTENSIONS:
            parts.append("--input-format jsonl reads each line of .jsonl and .ndjson files as a document")
    if skipped.get("not_included"):
        parts.append(f"{skipped['not_included']} not matching --include")
    if skipped.get("excluded"):
        parts.append(f"{skipped['excluded']} matching --exclude")
    return "Skipped " + "; ".join(parts) + "."


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` as an ``--include``/``--exclude`` glob can match no file (None when it
    can): fnmatch reads an unclosed ``[`` as a plain character, so a typo would otherwise
    select nothing without a word.

    >>> glob_problem("*.txt"), glob_problem("[!_]*.md"), glob_problem("[]]x"), glob_problem("[[]draft*")
    (None, None, None, None)
    >>> glob_problem("[*.txt")
    "unclosed '[' (for a literal [ write [[])"
    >>> glob_problem(""), glob_problem("drafts/")
    ('empty glob', 'ends in / and so matches no file (drafts/* matches the files below)')
    """
    if not pattern:
        return "empty glob"
    if pattern.endswith("/"):
        return f"ends in / and so matches no file ({pattern}* matches the files below)"
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            # as fnmatch.translate: a ] right after [ or [! belongs to the set
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            j = pattern.find("]", j)
            if j < 0:
                return "unclosed '[' (for a literal [ write [[])"
            i = j
        i += 1
    return None


def discover_inputs(
    patterns: Iterable[str], exclude: Path | None = None, select: InputFilter | None = None
) -> Discovered:
    """Expand files, directories (recursively) and globs into sorted input paths.

    ``exclude``: a folder never walked into (the output). ``select``: which files of a folder or
    a glob are read (the module docstring). A path that does not exist is kept so that the read
    stage reports it.
    """
    select = select or InputFilter()
    exclude_real = os.path.realpath(exclude) if exclude else None
    found: list[str] = []
    skipped: Counter = Counter()
    folders: list[str] = []

    def take(path: str, rel: str, by_extension: bool) -> None:
        reason = select.skip_reason(rel, by_extension)
        if reason is None:
            found.append(path)
        else:
            skipped[reason] += 1

    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else []
        for cand in matches or [pattern]:
            if os.path.isdir(cand) and not os.path.islink(cand):
                # a folder that cannot be listed becomes an input itself, so the read stage
                # reports it instead of its files vanishing without a word
                for root, dirs, files in os.walk(cand, onerror=lambda exc: found.append(exc.filename)):
                    folders.append(os.path.normpath(root))
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
                    for f in sorted(files):
                        if not f.startswith("."):
                            path = os.path.join(root, f)
                            take(path, os.path.relpath(path, cand), by_extension=True)
            elif matches:
                take(cand, cand, by_extension=False)  # a glob's match
            else:
                found.append(cand)  # named on the command line: always read
    seen: set[str] = set()
    result = Discovered(skipped=skipped, folders=folders)
    for p in found:
        norm = os.path.normpath(p)
        try:
            key = os.path.realpath(norm, strict=False)
        except OSError:
            key = norm
        if key in seen:
            result.repeats.append(norm)
            continue
        seen.add(key)
        result.paths.append(norm)
    result.paths.sort()
    return result


def require_inputs(patterns: list[str], found: Discovered, include: tuple[str, ...] = ()) -> None:
    """A run whose named inputs all fail to exist, match nothing or hold no files to read has
    nothing to read: :class:`RunError` naming each, before anything is written. (A missing input
    among existing ones is a quarantined input of the run, as the read stage reports it.)"""
    if any(os.path.lexists(p) for p in found.paths):
        return
    reasons = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            reasons.append(f"{printable(pattern)} holds no files{' to read' if found.skipped else ''}")
            # `run in --include 'in/x/*.txt'`: a glob with a / matches the path below the folder
            folder = os.path.basename(os.path.normpath(pattern))
            for wanted in include:  # (not "glob": that is the module)
                if wanted.startswith(folder + "/"):
                    below = wanted[len(folder) + 1 :]
                    reasons[-1] += f" (--include {wanted!r} matches paths below {folder}/: {below!r} would)"
        elif glob.has_magic(pattern) and not os.path.lexists(pattern):
            reasons.append(f"{printable(pattern)} matches no file{' to read' if found.skipped else ''}")
        else:
            reasons.append(f"{printable(pattern)} does not exist")
    note = f" {found.skipped_note()}" if found.skipped else ""
    raise RunError("nothing to read: " + "; ".join(reasons) + " (nothing was written)." + note)


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


__all__ = [
    "JSONL_EXTENSIONS",
    "LINE_DOCUMENT_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "Discovered",
    "InputFilter",
    "discover_inputs",
    "extension_of",
    "glob_problem",
    "installed_translation_languages",
    "require_inputs",
    "skipped_note",
]
