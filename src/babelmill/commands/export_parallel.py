"""``babelmill export-parallel``: the parallel corpus as TSV, Moses plain files or TMX 1.4."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("export-parallel")
@click.argument("output_dir", metavar="OUTPUT", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["tsv", "moses", "tmx"]), default="tsv", show_default=True,
    help="tsv: SOURCE<TAB>ENGLISH lines; moses: line-aligned parallel.de-en.de / parallel.de-en.en; "
    "tmx: TMX 1.4 translation memory.",
)  # fmt: skip
@click.option("--min-score", type=float, default=None, help="Keep pairs whose score (mean log-prob per token) >= X.")
@click.option("--lang", "langs", multiple=True, metavar="LANG", help="Keep this source language only (repeatable).")
@click.option("--skip-flagged", is_flag=True, help="Leave out sentences of blocks with quality flags.")
@click.option(
    "-o", "--to", "dest", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for the exported files (default: OUTPUT/export).",
)  # fmt: skip
def export_parallel(output_dir: Path, fmt: str, min_score, langs, skip_flagged: bool, dest: Path | None) -> None:
    """Export the sentence pairs of OUTPUT/parallel.jsonl (or its shards) for MT tools.

    One file per language pair (Moses: one per side, line-aligned), named
    parallel.<src>-en.<ext>. Each distinct (source, English) pair is written once, in corpus
    order; tabs and line breaks inside a sentence become spaces. The export streams, so it
    needs little memory for any corpus size.

    \b
    Examples:
      babelmill export-parallel output/ --format moses --lang de
      babelmill export-parallel output/ --format tmx --min-score -1.5 --skip-flagged

    Scores come from the model; with real models a threshold around -1.0 to -2.0 per token drops
    the least confident pairs (check on your data with `babelmill eval-translation`).
    """
    from babelmill import __version__
    from babelmill.io.parallel import ExportFilter, export_parallel, iter_parallel_records, parallel_files
    from babelmill.io.sinks import SinkError

    if not output_dir.is_dir():
        click.echo(f"babelmill: error: {output_dir}: no such output directory", err=True)
        sys.exit(1)
    if not parallel_files(output_dir):
        click.echo(
            f"babelmill: error: {output_dir}: no parallel.jsonl (nothing translated yet, or the run had "
            "[output] parallel = false)",
            err=True,
        )
        sys.exit(1)
    dest = dest or output_dir / "export"

    def bad_line(path: Path, message: str) -> None:
        click.echo(f"babelmill: {path}: skipped a line that is not JSON ({message})", err=True)

    try:
        summary = export_parallel(
            iter_parallel_records(output_dir, on_error=bad_line),
            dest,
            fmt,
            ExportFilter(min_score=min_score, langs=tuple(langs), skip_flagged=skip_flagged),
            version=__version__,
        )
    except (SinkError, OSError) as exc:
        click.echo(f"babelmill: error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"babelmill: {summary.line()}", err=True)
    # an earlier export's files stay (this one may have had other filters or formats): say so, or
    # "wrote 0" beside an old parallel.de-en.tmx reads as if that file were this export
    written = {Path(p).name for p in summary.files}
    older = sorted(p.name for p in dest.glob("parallel.*") if p.is_file() and p.name not in written)
    if older:
        click.echo(f"babelmill: note: {dest} also holds {', '.join(older)} from an earlier export", err=True)
    for path in summary.files:
        click.echo(str(path))
