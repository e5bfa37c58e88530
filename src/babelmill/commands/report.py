"""``babelmill report``: what a corpus holds, on the terminal or as an HTML page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument(
    "output_dir", metavar="[OUTPUT]", default="output", type=click.Path(file_okay=False, path_type=Path)
)  # fmt: skip
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write a self-contained HTML page with charts to this file.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of tables.")
def report(output_dir: Path, html_path: Path | None, as_json: bool) -> None:
    """Summarize the corpus in OUTPUT (default: output/): documents per language of origin,
    machine-translated share, translation pending/flagged, top removal reasons with examples,
    duplicate clusters and time per stage.
    """
    from rich.console import Console

    from babelmill.io.sinks import SinkError
    from babelmill.printable import printable
    from babelmill.report.html import render_html
    from babelmill.report.summary import NotAnOutputError, summarize
    from babelmill.report.terminal import render_terminal

    if not output_dir.is_dir():
        click.echo(f"babelmill: error: {output_dir}: no such output directory", err=True)
        sys.exit(1)
    try:
        summary = summarize(output_dir)
    except (SinkError, NotAnOutputError) as exc:  # e.g. Parquet shards without pyarrow installed
        click.echo(printable(f"babelmill: error: {exc}"), err=True)
        sys.exit(1)
    for problem in summary.problems:
        click.echo(printable(f"babelmill: warning: {problem}"), err=True)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        render_terminal(summary, Console())
    if html_path is not None:
        html_path.write_text(render_html(summary), encoding="utf-8")
        click.echo(f"babelmill: wrote {html_path}", err=True)
