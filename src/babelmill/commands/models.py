"""``babelmill models``: list, install and remove the offline translation models (Argos packages)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from babelmill.printable import printable

MODELS_DIR_HELP = (
    "Folder of installed Argos Translate packages; when given, the only folder searched, and "
    "where `install` writes. Default: the folders in $BABELMILL_MODELS (only those, as `babelmill "
    "run` searches them; `install` writes to the first), without it argostranslate's package folder "
    "($ARGOS_PACKAGES_DIR or ~/.local/share/argos-translate/packages)."
)


@click.group("models", context_settings={"help_option_names": ["-h", "--help"]})
def models() -> None:
    """Manage the offline translation models (Argos Translate packages).

    The translate stage turns German, Chinese and other non-English blocks into English with
    an installed "<lang> -> en" package. Without one, blocks stay in their language marked
    "pending"; install the model and run `babelmill run` again to translate them.

    \b
    Where models are found:
      --models-dir DIR (also `babelmill run --models-dir`, or models_dir in [stages.translate]):
        only DIR. Without it:
      - the folders in $BABELMILL_MODELS (separated by ':'), only those, when it is set;
      - else argostranslate's package folder ($ARGOS_PACKAGES_DIR, else ~/.local/share/argos-translate/packages)

    \b
    Examples:
      babelmill models list
      babelmill models install de zh              download de->en and zh->en (needs internet)
      babelmill models install ./translate-de_en-1_0.argosmodel    offline, from a file
      babelmill models remove de                  uninstall de->en (translated records stay)
    """


@models.command("list", short_help="List installed translation packages.")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help=MODELS_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per package instead of a table.")
def list_models(models_dir: Path | None, as_json: bool) -> None:
    """List installed translation packages: language pair, version, whether a run uses it, name
    and folder.

    Packages are grouped by pair; the first of a pair is the one `babelmill run` uses (USED
    "yes"; earlier search folders win, then the highest version, then the first folder name).
    babelmill translates into English only, so a package into another language is never used. Folders that look like
    packages but cannot be read are reported on stderr with the reason. Exit status 0 even when
    nothing is installed.
    """
    from babelmill.translate.models import TARGET, serves_runs, unused_reason
    from babelmill.translate.packages import chosen_packages, discover_packages, search_dirs, use_rank
    from babelmill.translate.pending import install_command

    try:
        packages, problems = discover_packages(models_dir)
        chosen = chosen_packages(packages, models_dir)
        packages.sort(key=lambda p: (not serves_runs(p), p.pair, use_rank(p, models_dir)))
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        click.echo(f"error: cannot list the models: {printable(exc)}", err=True)
        raise SystemExit(1) from None
    used = [unused_reason(p, chosen, models_dir) is None for p in packages]
    if as_json:
        for p, in_use in zip(packages, used, strict=True):
            row = {"from": p.from_code, "to": p.to_code, "version": p.version, "name": p.name, "path": str(p.path)}
            click.echo(json.dumps(row | {"used": in_use}, ensure_ascii=True))
    elif packages:
        names = [printable(p.name) for p in packages]
        width = max(len(n) for n in names)
        click.echo(f"{'PAIR':<10} {'VERSION':<9} {'USED':<4} {'NAME':<{width}}  PATH")
        for p, name, in_use in zip(packages, names, used, strict=True):
            version = printable(p.version) or "-"
            click.echo(f"{p.pair:<10} {version:<9} {'yes' if in_use else 'no':<4} {name:<{width}}  {printable(p.path)}")
        other = sorted({p.pair for p in packages if not serves_runs(p)})
        if other:
            note = f"note: babelmill translates other languages into {TARGET} only; not used: {', '.join(other)}"
            click.echo(note, err=True)
    else:
        click.echo("no translation models installed; searched:")
        for d in search_dirs(models_dir):
            click.echo(f"  {printable(d)}{'' if d.is_dir() else '  (missing)'}")
        click.echo(printable(f"install one with {install_command(['de'], models_dir)}"))
    for problem in problems:
        click.echo(f"warning: {printable(problem)}", err=True)
    # a downloaded .argosmodel put into the models folder is not installed (it is a zip)
    where = f" --models-dir {models_dir}" if models_dir else ""
    installed = {p.path.name for p in packages} | {p.name for p in packages}
    for folder in search_dirs(models_dir):
        for archive in sorted(folder.glob("*.argosmodel")) if folder.is_dir() else ():
            if archive.stem in installed:
                continue
            click.echo(
                printable(
                    f"warning: {archive}: a package file, not an installed package; install it with "
                    f"`babelmill models install {archive}{where}`"
                ),
                err=True,
            )


@models.command("install", short_help="Install packages by language code (online) or from .argosmodel files.")
@click.argument("targets", nargs=-1, required=True, metavar="LANG|FILE.argosmodel...")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help=MODELS_DIR_HELP)
@click.option(
    "--to",
    "to_code",
    default="en",
    show_default=True,
    help="Target language of online installs (`babelmill run` uses only packages into en).",
)
def install(targets: tuple[str, ...], models_dir: Path | None, to_code: str) -> None:
    """Install translation packages, online by language code or offline from files.

    \b
    LANG (e.g. de, zh, fr): download the "LANG -> en" package from the Argos Translate
      package index (needs internet) and install it.
    FILE.argosmodel: install a package file you downloaded before (no network).

    Files are checked before anything is written: a file that is not a zip archive, whose
    entries have absolute paths, '..' components or symbolic links, or that would unpack to
    more than 2 GiB, 2000 entries or 12 folders deep, is refused, and nothing is written
    outside the models folder. A damaged archive (bad checksum) is refused and its partial
    files removed; so are those an interrupted earlier install left behind. Installing a
    package again replaces the old copy. Each failed target gets one "error:" line; exit
    status 1 if any target failed (the others are still installed). A package installed but
    not used by `babelmill run` (not into English, or another package of its pair comes first:
    an earlier search folder, a higher version) gets a "note:" line saying so.
    """
    from babelmill.translate.install import install_archive, install_online
    from babelmill.translate.packages import ModelError, install_dir

    dest = install_dir(models_dir)
    failed = 0
    installed = []
    for target in targets:
        path = Path(target)
        try:
            if path.suffix == ".argosmodel" or path.is_file():
                pkg = install_archive(path, dest)
            elif target.isalpha() and 2 <= len(target) <= 3:
                click.echo(f"downloading {target}->{to_code} from the Argos package index ...", err=True)
                pkg = install_online(target.lower(), to_code, dest)
            elif path.is_dir():
                raise ModelError(_folder_target(path, dest))
            else:
                raise ModelError(f"{target!r} is neither a .argosmodel file nor a language code such as 'de'")
        except ModelError as exc:
            failed += 1
            click.echo(f"error: {printable(exc)}", err=True)
            continue
        except OSError as exc:
            failed += 1
            # the path the error is about: the archive, or the models folder that cannot be written
            where = f": {exc.filename}" if exc.filename and exc.strerror else ""
            click.echo(f"error: {printable(target)}: {printable(exc.strerror or exc)}{printable(where)}", err=True)
            continue
        except Exception as exc:  # noqa: BLE001 - one line per target; the others still install
            failed += 1
            click.echo(f"error: {printable(target)}: {type(exc).__name__}: {printable(exc)}", err=True)
            continue
        click.echo(f"installed {pkg.pair} {printable(pkg.name)} {printable(pkg.version)} -> {printable(pkg.path)}")
        installed.append(pkg)
    for note in _unused_notes(installed, models_dir):
        click.echo(f"note: {printable(note)}", err=True)
    if failed:
        raise SystemExit(1)


@models.command("remove", short_help="Uninstall packages by language code, pair or name.")
@click.argument("targets", nargs=-1, required=True, metavar="LANG|PAIR|NAME...")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help=MODELS_DIR_HELP)
def remove(targets: tuple[str, ...], models_dir: Path | None) -> None:
    """Uninstall translation packages from the folders `models list` shows.

    \b
    LANG (e.g. de): every "LANG -> en" package, what `models install LANG` installed.
    PAIR (e.g. 'de->en', as `models list` shows it; quote it in a shell): every package of it.
    NAME (e.g. translate-de_en-1_9, as `models list` shows it) or the package's folder: that
      package, also one that cannot be read.

    Each removed package gets one "removed" line, then a "note:" line per language pair saying
    which package `babelmill run` uses now, if any. Nothing is asked. A target that matches no
    installed package gets one "error:" line; exit status 1 if any target failed (the others
    are still removed). A package folder that is a symbolic link loses the link only.

    Records already translated with a removed model stay as they are: a later `babelmill run`
    does not process them again. Blocks of new or edited inputs in that language stay pending
    until a model for it is installed again.
    """
    from babelmill.translate.install import remove_package
    from babelmill.translate.packages import ModelError, discover_packages, search_dirs

    packages, _problems = discover_packages(models_dir)
    failed = 0
    removed: list[tuple[str, Path]] = []  # (pair or "", folder) of each package removed
    for target in targets:
        matches = _matching(target, packages, search_dirs(models_dir))
        if not matches:
            failed += 1
            where = ", ".join(str(d) for d in search_dirs(models_dir))
            click.echo(printable(f"error: {target}: {_no_match(target)} (searched: {where})"), err=True)
            continue
        for pair, version, path in matches:
            if any(path == done for _, done in removed):
                continue
            try:
                remove_package(path)
            except ModelError as exc:
                failed += 1
                click.echo(f"error: {printable(exc)}", err=True)
                continue
            what = f"{pair} {path.name} {version or '(no version)'}" if pair else f"{path.name} (unreadable package)"
            click.echo(printable(f"removed {what} at {path}"))
            removed.append((pair, path))
    for note in _after_removal_notes({pair for pair, _ in removed if pair}, models_dir):
        click.echo(f"note: {printable(note)}", err=True)
    if failed:
        raise SystemExit(1)


def _matching(target: str, packages: list, folders: list[Path]) -> list[tuple[str, str, Path]]:
    """``(pair, version, folder)`` of each installed package ``target`` names (see `remove`):
    by name or folder, else a folder of a searched folder that is no readable package (pair and
    version empty), else by language code or pair."""
    import os

    from babelmill.translate.models import TARGET

    given = os.path.abspath(os.path.expanduser(target))
    found = [(p.pair, p.version, p.path) for p in packages if target == p.name or given == os.path.abspath(p.path)]
    if not found:
        names = {given} | ({os.path.abspath(folder / target) for folder in folders} if os.sep not in target else set())
        tops = {os.path.abspath(folder) for folder in folders}
        for name in sorted(names):
            top, base = os.path.split(name)
            if top in tops and not base.startswith(".") and (os.path.isdir(name) or os.path.islink(name)):
                found.append(("", "", Path(name)))
    if not found:
        source, arrow, dest = target.partition("->")
        pair = (source, dest) if arrow else (target, TARGET)
        found = [(p.pair, p.version, p.path) for p in packages if (p.from_code, p.to_code) == pair]
    return found


def _no_match(target: str) -> str:
    """What `remove` says of a ``target`` that matches no installed package."""
    from babelmill.translate.models import TARGET

    source, arrow, dest = target.partition("->")
    if arrow or (target.isascii() and target.isalpha() and 2 <= len(target) <= 3):
        return f"no {source}->{dest or TARGET} package is installed; `babelmill models list` shows what is"
    return "no installed package has this name or folder; `babelmill models list` shows the names and folders"


def _after_removal_notes(pairs: set[str], models_dir: Path | None) -> list[str]:
    """For each language pair that lost a package: the package `babelmill run` uses for it now,
    or what becomes of its blocks when none is left."""
    from babelmill.translate.models import TARGET
    from babelmill.translate.packages import chosen_packages, discover_packages
    from babelmill.translate.pending import install_command

    chosen = {p.pair: p for p in chosen_packages(discover_packages(models_dir)[0], models_dir).values()}
    notes = []
    for pair in sorted(pairs):
        source, _, dest = pair.partition("->")
        if dest != TARGET:
            continue
        if pair in chosen:
            now = chosen[pair]
            notes.append(
                f"`babelmill run` now uses {now.name} {now.version or '(no version)'} at {now.path} for {pair}"
            )
        else:
            install = install_command([source], models_dir)
            notes.append(
                f"no {pair} package is left: records already translated keep their English; {source} blocks "
                f"of new or edited inputs stay pending until one is installed with {install}"
            )
    return notes


def _folder_target(folder: Path, dest: Path) -> str:
    """What `install` says of a folder named as a target: it installs package files only."""
    archives = sorted(folder.glob("*.argosmodel"))
    if archives:
        names = " ".join(str(a) for a in archives[:3]) + (" ..." if len(archives) > 3 else "")
        return f"{folder}: a folder; install the package files in it: `babelmill models install {names}`"
    if (folder / "metadata.json").is_file():
        return (
            f"{folder}: an unpacked package folder, not a .argosmodel file; copy it into {dest}, or name "
            "the folder that holds it with --models-dir"
        )
    return f"{folder}: a folder, neither a .argosmodel file nor a language code such as 'de'"


def _unused_notes(installed: list, models_dir: Path | None) -> list[str]:
    """Why `babelmill run` will not use each of the just ``installed`` packages it will not use."""
    from babelmill.translate.models import unused_reason
    from babelmill.translate.packages import chosen_packages, discover_packages

    if not installed:
        return []
    chosen = chosen_packages(discover_packages(models_dir)[0], models_dir)
    reasons = [(pkg, unused_reason(pkg, chosen, models_dir)) for pkg in installed]
    return [f"{pkg.name}: {reason}" for pkg, reason in reasons if reason]
