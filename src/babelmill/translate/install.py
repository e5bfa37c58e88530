"""Installing Argos Translate packages: a ``.argosmodel`` file (a zip of one package folder),
checked before anything is written and renamed into place, or a download from argostranslate's
package index. What an installed package is and where packages are searched is
:mod:`babelmill.translate.packages`.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from babelmill.translate.packages import ArgosPackage, ModelError, neg_version, read_package

# limits checked on an archive's directory before anything is extracted. Argos packages hold
# 10-40 files, 30-400 MB unpacked, 4 folders deep at most.
MAX_ARCHIVE_BYTES = 2 << 30  # total uncompressed size
MAX_ARCHIVE_ENTRIES = 2000
MAX_ARCHIVE_DEPTH = 12
STAGING_PREFIX = ".install-"


class UnsafeArchiveError(ModelError):
    """A ``.argosmodel`` that is not a zip, or would write outside the models folder."""


def _check_member(info: zipfile.ZipInfo) -> PurePosixPath:
    """Validate one zip member name; return it as a relative path or raise UnsafeArchiveError."""
    name = info.filename.replace("\\", "/")
    rel = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"refusing archive: member {info.filename!r} has an absolute path")
    if any(part == ".." for part in rel.parts):
        raise UnsafeArchiveError(f"refusing archive: member {info.filename!r} contains '..'")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"refusing archive: member {info.filename!r} is a symbolic link")
    return rel


def _check_limits(archive: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose directory promises too much, before a byte is extracted."""
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise UnsafeArchiveError(f"refusing {archive}: {len(infos)} entries, over the limit of {MAX_ARCHIVE_ENTRIES}")
    total = sum(info.file_size for info in infos)
    if total > MAX_ARCHIVE_BYTES:
        raise UnsafeArchiveError(
            f"refusing {archive}: {total} bytes uncompressed, over the limit of {MAX_ARCHIVE_BYTES}"
        )
    deepest = max((len(PurePosixPath(i.filename.replace("\\", "/")).parts) for i in infos), default=0)
    if deepest > MAX_ARCHIVE_DEPTH:
        raise UnsafeArchiveError(
            f"refusing {archive}: paths {deepest} folders deep, over the limit of {MAX_ARCHIVE_DEPTH}"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_interrupted_installs(models_dir: Path, max_age_s: float = 3600.0) -> list[Path]:
    """Remove staging folders (``.install-*``) that an interrupted install left in ``models_dir``.

    A staging folder names its process in ``.owner``; it is removed when that process is gone
    (or, without the file, when it is older than ``max_age_s``). Returns the removed folders.
    """
    removed: list[Path] = []
    try:
        children = list(models_dir.iterdir())
    except OSError:
        return removed
    for child in children:
        if not child.name.startswith(STAGING_PREFIX) or child.is_symlink() or not child.is_dir():
            continue
        try:
            owner = int((child / ".owner").read_text(encoding="ascii").strip())
            stale = owner != os.getpid() and not _pid_alive(owner)
        except (OSError, ValueError):
            try:
                stale = time.time() - child.stat().st_mtime > max_age_s
            except OSError:
                continue
        if stale:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def install_archive(archive: str | Path, models_dir: str | Path) -> ArgosPackage:
    """Install a ``.argosmodel`` file into ``models_dir`` and return the installed package.

    The archive is checked before anything is written: it must be a zip whose members all lie
    inside one top-level folder, with no absolute paths, no ``..`` and no symbolic links (argos
    packages never need links, so every link is refused), within the limits on total
    uncompressed size, entry count and path depth (``MAX_ARCHIVE_*``); extraction stops if an
    entry inflates past its declared size. Staging folders of interrupted installs are removed
    first (:func:`clean_interrupted_installs`). It is extracted into a temporary
    folder inside ``models_dir``, validated as a package, then renamed into place, replacing
    an older install of the same name (moved aside first and restored if the new copy cannot
    be moved in; a link in its place is replaced, never followed). Raises
    :class:`UnsafeArchiveError` / :class:`ModelError`.
    """
    archive = Path(archive)
    models_dir = Path(models_dir)
    if not archive.is_file():
        raise ModelError(f"{archive}: file not found")
    if not zipfile.is_zipfile(archive):
        raise UnsafeArchiveError(f"refusing {archive}: not a zip archive (a .argosmodel is a zip file)")
    try:
        return _install_zip(archive, models_dir)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{archive}: damaged archive ({exc})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, RuntimeError) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"{archive}: cannot extract ({type(exc).__name__}: {exc})") from None


def _copy_limited(src: Any, out: Any, limit: int, name: str) -> None:
    left = limit
    while chunk := src.read(1 << 20):
        left -= len(chunk)
        if left < 0:
            raise UnsafeArchiveError(f"refusing archive: {name!r} inflates past its declared size")
        out.write(chunk)


def _install_zip(archive: Path, models_dir: Path) -> ArgosPackage:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_limits(archive, infos)
        members = [(info, _check_member(info)) for info in infos]
        tops = {rel.parts[0] for _, rel in members if rel.parts}
        if len(tops) != 1:
            raise UnsafeArchiveError(
                f"refusing {archive}: expected one top-level package folder, found {sorted(tops) or 'none'}"
            )
        top = tops.pop()
        if top in (".", ""):
            raise UnsafeArchiveError(f"refusing {archive}: invalid top-level folder name {top!r}")
        models_dir.mkdir(parents=True, exist_ok=True)
        clean_interrupted_installs(models_dir)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=models_dir))
        try:
            (staging / ".owner").write_text(str(os.getpid()), encoding="ascii")
            root = staging.resolve()
            for info, rel in members:
                dest = (staging / Path(*rel.parts)).resolve()
                if root not in dest.parents and dest != root:  # belt and braces
                    raise UnsafeArchiveError(f"refusing archive: {info.filename!r} escapes the target folder")
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as out:
                    _copy_limited(src, out, info.file_size, info.filename)
            package_src = staging / top
            try:
                read_package(package_src)  # refuse archives that are not translation packages
            except ModelError as exc:
                # name the archive and its folder, not the staging folder (removed below)
                detail = str(exc).replace(str(package_src), top)
                raise ModelError(f"refusing {archive}: not a translation package: {detail}") from None
            target = models_dir / top
            replaced = None
            if target.exists() or target.is_symlink():
                # the old copy goes aside into the staging folder (removed below) and comes back
                # if the new one cannot be moved in: never a moment with half a package
                replaced = staging / ".replaced"
                target.rename(replaced)
            try:
                package_src.rename(target)
            except BaseException:
                if replaced is not None:
                    replaced.rename(target)
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return read_package(target)


def remove_package(path: Path) -> None:
    """Uninstall the package folder ``path``: it is renamed into a staging folder (``.install-*``, which
    searches skip) and deleted there, so an interrupted removal never leaves half a package that
    looks installed (the next install clears the rest). A package folder that is a symbolic link
    loses the link only, never what it points at. Raises :class:`ModelError` naming the folder."""
    staging = None
    try:
        if path.is_symlink():
            path.unlink()
            return
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=path.parent))
        (staging / ".owner").write_text(str(os.getpid()), encoding="ascii")
        path.rename(staging / path.name)
    except OSError as exc:
        if staging is not None:  # the package did not move: only the empty staging folder goes
            shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{path}: cannot remove the package: {exc.strerror or exc}") from None
    shutil.rmtree(staging, ignore_errors=True)


OFFLINE_HINT = (
    "; without internet, download the .argosmodel file elsewhere and run `babelmill models install FILE.argosmodel`"
)


def _network_reason(exc: BaseException) -> str:
    """The cause of a failed download in words (``Name or service not known``), not a tuple."""
    reason = getattr(exc, "reason", None) or exc
    return str(getattr(reason, "strerror", None) or reason)


def _fetch_index(url: str, dest: Path, timeout: float = 30.0) -> None:
    """Download the Argos package index to ``dest``; :class:`ModelError` in one line when the
    network is not there (the index of an earlier download is not trusted then)."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - argostranslate's https URL
            data = response.read()
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"could not download the Argos package index from {url}: {_network_reason(exc)} (no internet?)"
            + OFFLINE_HINT
        ) from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def install_online(from_code: str, to_code: str, models_dir: str | Path) -> ArgosPackage:
    """Download ``from_code -> to_code`` from argostranslate's package index and install it.

    Uses ``argostranslate.package`` for the index and the download, then installs through
    :func:`install_archive` (argostranslate's own installer extracts unchecked into its folder).
    """
    try:
        from argostranslate import package as argos_package
    except ImportError as exc:  # pragma: no cover - argostranslate is a dependency
        raise ModelError(f"argostranslate is not importable: {exc}") from None
    from argostranslate import settings as argos_settings

    # the index is fetched here rather than by argos_package.update_package_index(), which prints
    # the raw exception tuple on a network error and goes on with a stale or missing index
    _fetch_index(argos_settings.remote_package_index, Path(argos_settings.local_package_index))
    index = argos_package.get_available_packages()
    available = [
        p
        for p in index
        if p.from_code == from_code and p.to_code == to_code and getattr(p, "type", "translate") == "translate"
    ]
    if not available:
        pairs = sorted({f"{p.from_code}->{p.to_code}" for p in index if p.to_code == to_code})
        raise ModelError(
            f"no {from_code}->{to_code} package in the argos index"
            + (f"; pairs into {to_code}: {', '.join(pairs)}" if pairs else " (is the index reachable?)")
        )
    best = max(available, key=lambda p: tuple(-x for x in neg_version(p.package_version)))
    try:
        downloaded = Path(best.download())
    except OSError as exc:  # urllib's URLError included
        reason = _network_reason(exc)
        raise ModelError(f"could not download the {from_code}->{to_code} package: {reason}{OFFLINE_HINT}") from None
    try:
        return install_archive(downloaded, models_dir)
    finally:
        downloaded.unlink(missing_ok=True)
