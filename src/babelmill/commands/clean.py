"""``babelmill clean``: show what the strip stage keeps of a page, and (with --explain) why the rest went."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from babelmill.printable import printable


def _load_stages(config_path: Path | None):
    """Read, repair and strip stages configured from ``config_path`` (default: packaged pipeline)."""
    from babelmill.config import ConfigError, load_config
    from babelmill.run import build_stages
    from babelmill.stage import RunContext

    try:
        cfg = load_config(config_path, stages_optional=True)
        return build_stages(cfg, RunContext(pipeline_dir=cfg.path.parent), ["read", "repair", "strip"])
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command("clean", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument(
    "files", nargs=-1, required=True, metavar="FILE... | -", type=click.Path(dir_okay=False, allow_dash=True)
)
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
def clean(files: tuple[str, ...], explain: bool, as_json: bool, config_path: Path | None) -> None:
    """Print the article text the corpus would hold for each FILE (before translation).

    Runs read, repair and strip; stdout gets the kept blocks joined by blank lines and nothing
    else (several files are separated by a form feed line). With --explain, stderr lists each
    removed line as ``- LINE [reason] text`` (``[line_model p=0.12]``: the line model's probability
    that the line is article text was below its threshold) and the metadata as ``# key: value``, so rule files
    can be tuned. A file that cannot be read or has no article text is reported on stderr and
    makes the exit status 1. "-" reads stdin, decoded as a file is (as ``babelmill detect -``).
    """
    from babelmill.commands._io import stdin_or_path
    from babelmill.engines.local import execute
    from babelmill.io.read import new_input_document

    stages = _load_stages(config_path)
    failed = False
    for n, path in enumerate(files):
        # the run's code path (counters, quarantine of a failing stage), one file at a time
        with stdin_or_path(path) as readable:  # stdin is spooled to a file, so it gets the same checks
            (doc,) = execute(stages, [new_input_document(readable)])
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
                why = f"{row.rule} p={row.extra['p']:.2f}" if "p" in row.extra else row.rule
                click.echo(printable(f"- {row.line} [{why}] {row.text.strip()}"), err=True)
        if not doc.ok:
            failed = True
            message = doc.status_detail.get("message") or doc.status_reason
            click.echo(printable(f"babelmill clean: {path}: {doc.status} ({doc.status_reason}): {message}"), err=True)
    if failed:
        sys.exit(1)
