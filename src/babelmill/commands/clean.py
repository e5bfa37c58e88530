"""``babelmill clean``: show what the strip stage keeps of a page, and (with --explain) why the rest went."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from babelmill.printable import printable


def _load_stages(config_path: Path | None):
    """Read, repair and strip stages configured from ``config_path`` (default: packaged pipeline)."""
    from babelmill.config import ConfigError, build_stage_config, pipeline_dir
    from babelmill.stages.read import ReadStage
    from babelmill.stages.repair import RepairStage
    from babelmill.stages.strip import StripStage

    sections: dict = {}
    base = pipeline_dir()
    if config_path is not None:
        import tomllib

        try:
            sections = tomllib.loads(config_path.read_text(encoding="utf-8")).get("stages", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.UsageError(f"{config_path}: {exc}") from None
        base = config_path.parent
    stages = []
    for cls in (ReadStage, RepairStage, StripStage):
        try:
            cfg = build_stage_config(cls, sections.get(cls.key, {}), f"{config_path or 'default'} [stages.{cls.key}]")
            stages.append(cls(cfg, {"pipeline_dir": base}))
        except (ConfigError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
    return stages


@click.command("clean", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--explain",
    is_flag=True,
    help="Also print, to stderr, every removed line with its reason and the extracted metadata.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file (blocks, metadata, removed).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Pipeline TOML whose [stages.read/repair/strip] options to use (default: the packaged pipeline).",
)
def clean(files: tuple[Path, ...], explain: bool, as_json: bool, config_path: Path | None) -> None:
    """Print the article text the corpus would hold for each FILE (before translation).

    Runs read, repair and strip; stdout gets the kept blocks joined by blank lines and nothing
    else (several files are separated by a form feed line). With --explain, stderr lists each
    removed line as ``- LINE [reason] text`` and the metadata as ``# key: value``, so rule files
    can be tuned. A file that cannot be read or has no article text is reported on stderr and
    makes the exit status 1.
    """
    from babelmill.io.read import new_input_document

    read, repair, strip = _load_stages(config_path)
    failed = False
    for n, path in enumerate(files):
        doc = new_input_document(str(path))
        for stage in (read, repair, strip):
            if not doc.ok:
                break
            doc = next(iter(stage.process(doc)))
        if as_json:
            record = {
                "file": str(path),
                "status": doc.status,
                "status_reason": doc.status_reason,
                "metadata": doc.metadata,
                "blocks": [b.to_json() for b in doc.blocks],
                "removed": [r.to_json() for r in doc.removed],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            if n:
                click.echo("\f")
            if doc.blocks:
                click.echo(doc.body_text())
        if explain:
            click.echo(printable(f"== {path}"), err=True)
            for key, value in doc.metadata.items():
                click.echo(printable(f"# {key}: {value}"), err=True)
            for row in doc.removed:
                click.echo(printable(f"- {row.line} [{row.rule}] {row.text.strip()}"), err=True)
        if not doc.ok:
            failed = True
            click.echo(printable(f"babelmill clean: {path}: {doc.status} ({doc.status_reason})"), err=True)
    if failed:
        sys.exit(1)
