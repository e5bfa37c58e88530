"""Installed Argos Translate packages: where they live and what they hold (installing them is
:mod:`babelmill.translate.install`).

An argos package is a folder with ``metadata.json`` (``from_code``, ``to_code``,
``package_version``, ...), a CTranslate2 model in ``model/`` and a tokenizer
(``sentencepiece.model``, or ``bpe.model`` for older Moses+BPE packages). A ``.argosmodel``
file is a zip of such a folder.

Where installed packages are searched:

* an explicit ``models_dir`` (CLI ``--models-dir``, config ``models_dir``) is the only folder
  searched, so a run can be pinned to exactly one set of models;
* otherwise the ``BABELMILL_MODELS`` folders (``os.pathsep``-separated) when it is set: only
  those, as ``babelmill run`` takes it for its ``--models-dir``;
* otherwise argostranslate's own package folder (``ARGOS_PACKAGES_DIR``, else
  ``$XDG_DATA_HOME/argos-translate/packages``, else ``~/.local/share/argos-translate/packages``).

Among several folders, the first folder with a pair wins.

The argostranslate folder is computed here rather than by importing ``argostranslate.settings``,
because that import creates folders in the user's home as a side effect.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelmill.io.files import file_sha256

ENV_MODELS = "BABELMILL_MODELS"
# metadata.json of real packages is under 2 KB; anything far larger is not one
MAX_METADATA_BYTES = 1 << 20


class ModelError(RuntimeError):
    """A package that cannot be found, read or installed; the message says what to do."""


@dataclass(frozen=True)
class ArgosPackage:
    """One installed translation package (read from its ``metadata.json``)."""

    path: Path
    from_code: str
    to_code: str
    version: str
    name: str
    tokenizer: str  # "sentencepiece" | "bpe"
    target_prefix: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def pair(self) -> str:
        return f"{self.from_code}->{self.to_code}"

    def identity(self) -> str:
        """Stable id of the model weights: name, version and sha256 of ``model.bin``.

        Used as the translation-cache key so a new or retrained model never reuses old output.
        """
        digest = _file_sha256(self.model_dir / "model.bin")
        return f"{self.name}@{self.version}#{digest[:16]}"


_SHA_MEMO: dict[tuple[str, int, float], str] = {}


def _file_sha256(path: Path) -> str:
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime)
    if memo_key not in _SHA_MEMO:
        _SHA_MEMO[memo_key] = file_sha256(path)
    return _SHA_MEMO[memo_key]


def argos_packages_dir() -> Path:
    """argostranslate's default package folder (without importing argostranslate)."""
    explicit = os.environ.get("ARGOS_PACKAGES_DIR")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("SNAP_USER_DATA") or Path.home()) if "SNAP" in os.environ else Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return data / "argos-translate" / "packages"


def search_dirs(models_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for installed packages, in priority order (see module docstring)."""
    if models_dir:
        # `babelmill run` fills --models-dir from $BABELMILL_MODELS, which may list several folders
        parts = [p.strip() for p in str(models_dir).split(os.pathsep) if p.strip()]
        return [Path(p).expanduser() for p in parts] or [Path(models_dir)]
    # $BABELMILL_MODELS alone when set: `babelmill run` reads it as its --models-dir, so `models
    # list` and a run see the same packages (a package in argostranslate's folder was listed as
    # used while runs never read that folder)
    dirs = [Path(p.strip()).expanduser() for p in os.environ.get(ENV_MODELS, "").split(os.pathsep) if p.strip()]
    dirs = dirs or [argos_packages_dir()]
    seen: set[str] = set()
    unique = []
    for d in dirs:
        key = str(d.resolve()) if d.exists() else str(d)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


def install_dir(models_dir: str | Path | None = None) -> Path:
    """Where ``models install`` writes: the first of :func:`search_dirs` (``models_dir``, else the
    first ``BABELMILL_MODELS`` entry, else argostranslate's package folder, so argostranslate
    itself sees the package too)."""
    return search_dirs(models_dir)[0]


def read_package(path: Path) -> ArgosPackage:
    """Read and validate one package folder; raise :class:`ModelError` naming what is wrong.

    Whatever is in the folder (metadata in another encoding, nested a thousand levels deep,
    a gigabyte of it, fields of the wrong type), the only exception is :class:`ModelError`.
    """
    meta_file = path / "metadata.json"
    try:
        with meta_file.open("rb") as fh:
            raw = fh.read(MAX_METADATA_BYTES + 1)
        if len(raw) > MAX_METADATA_BYTES:
            raise ModelError(f"{meta_file}: unreadable metadata (over {MAX_METADATA_BYTES} bytes)")
        metadata = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not an argos package (no metadata.json)") from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"{meta_file}: unreadable metadata (not UTF-8: {exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ModelError(f"{meta_file}: unreadable metadata (nested too deeply)") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_file}: unreadable metadata ({exc})") from None
    if not isinstance(metadata, dict):
        raise ModelError(f"{meta_file}: metadata must be a JSON object")
    if metadata.get("type", "translate") != "translate":
        raise ModelError(f"{path}: package type {str(metadata.get('type'))[:40]!r} is not a translation package")
    from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(from_code, str) or not isinstance(to_code, str):
        raise ModelError(f"{meta_file}: from_code/to_code missing")
    if not (_is_code(from_code) and _is_code(to_code)):
        raise ModelError(f"{meta_file}: from_code/to_code must be language codes such as 'de'")
    if not (path / "model" / "model.bin").is_file():
        raise ModelError(f"{path}: no CTranslate2 model (model/model.bin)")
    if (path / "sentencepiece.model").is_file():
        tokenizer = "sentencepiece"
    elif (path / "bpe.model").is_file():
        tokenizer = "bpe"
    else:
        raise ModelError(f"{path}: no tokenizer (sentencepiece.model or bpe.model)")
    return ArgosPackage(
        path=path,
        from_code=from_code,
        to_code=to_code,
        version=str(metadata.get("package_version", "")),
        name=path.name,
        tokenizer=tokenizer,
        target_prefix=str(metadata.get("target_prefix", "") or ""),
        metadata=metadata,
    )


def _is_code(code: str) -> bool:
    return 2 <= len(code) <= 12 and code.replace("_", "").replace("-", "").isalnum() and code.isascii()


def discover_packages(models_dir: str | Path | None = None) -> tuple[list[ArgosPackage], list[str]]:
    """All readable packages in the search folders, plus one problem line per unreadable one.

    Folders are scanned in sorted order so the result is deterministic.
    """
    found: list[ArgosPackage] = []
    problems: list[str] = []
    for base in search_dirs(models_dir):
        try:
            if not base.is_dir():
                continue
            children = sorted(base.iterdir())
        except OSError as exc:
            problems.append(f"{base}: cannot list the models folder ({exc.strerror or exc})")
            continue
        for child in children:
            try:
                if not child.is_dir() or child.name.startswith("."):
                    continue
                found.append(read_package(child))
            except ModelError as exc:
                problems.append(f"{exc}; skipped")
            except Exception as exc:  # noqa: BLE001 - one odd folder never hides the others
                problems.append(f"{child}: unreadable package ({type(exc).__name__}: {exc}); skipped")
    return found, problems


def find_package(from_code: str, to_code: str = "en", models_dir: str | Path | None = None) -> ArgosPackage | None:
    """The package for ``from_code -> to_code``: the first folder in search order wins; within a
    folder the highest ``package_version``."""
    packages, _ = discover_packages(models_dir)
    return chosen_packages(packages, models_dir).get((from_code, to_code))


def chosen_packages(
    packages: list[ArgosPackage], models_dir: str | Path | None = None
) -> dict[tuple[str, str], ArgosPackage]:
    """The package used for each ``(from_code, to_code)`` among ``packages`` (as
    :func:`discover_packages` returns them): the one :func:`use_rank` puts first."""
    best: dict[tuple[str, str], tuple[tuple, ArgosPackage]] = {}
    for package in packages:
        key, rank = (package.from_code, package.to_code), use_rank(package, models_dir)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, package)
    return {key: package for key, (_, package) in best.items()}


#: why one package of a pair comes before another, one phrase per part of :func:`use_rank`
RANK_REASONS = ("an earlier search folder", "a higher version", "the same version, and its folder name sorts first")


def use_rank(package: ArgosPackage, models_dir: str | Path | None = None) -> tuple:
    """Sort key among the packages of one pair: the one a run uses sorts first. Its parts, in
    order (:data:`RANK_REASONS`): the search folder, the highest version, the folder name."""
    order = {str(d): i for i, d in enumerate(search_dirs(models_dir))}
    return (order.get(str(package.path.parent), len(order)), neg_version(package.version), package.name)


def rank_reason(first: ArgosPackage, other: ArgosPackage, models_dir: str | Path | None = None) -> str:
    """Why ``first`` sorts before ``other`` of its pair: the phrase of the first part of
    :func:`use_rank` in which they differ."""
    for reason, a, b in zip(RANK_REASONS, use_rank(first, models_dir), use_rank(other, models_dir), strict=True):
        if a != b:
            return reason
    return RANK_REASONS[-1]


def neg_version(version: str) -> tuple:
    parts = []
    for piece in version.split("."):
        parts.append(-int(piece) if piece.isdigit() else 0)
    return tuple(parts)
