"""The ``babelmill`` command: a thin click layer over the library."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from babelmill import __version__

MODELS_HELP = (
    "Folder of installed Argos Translate packages, the only one searched (default: the folders in "
    "$BABELMILL_MODELS, separated by ':'; without it, argostranslate's own package folder)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="babelmill")
def main() -> None:
    """babelmill turns scraped news-article text dumps in German, English and Chinese into one
    clean, deduplicated English corpus, recording for every document what was removed,
    detected, translated and why.

    \b
    Typical use:
      babelmill run seeds/ -o output/          build or extend the corpus
      babelmill models install de zh           install translation models (online)
      babelmill models install de_en.argosmodel  ... or from a downloaded file
      babelmill run seeds/ -o output/          a rerun translates blocks that were pending
    """


def _check_size(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--shard-size is checked where it is typed, so that its error names the option."""
    if value is not None:
        from babelmill.io.formats import parse_size

        try:
            parse_size(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


#: an -o ending so names a file, not the output folder it must be
OUTPUT_FILE_SUFFIXES = frozenset({".jsonl", ".json", ".parquet", ".ndjson", ".gz", ".zst"})


@main.command()
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option(
    "-o", "--output", "output_dir", type=click.Path(path_type=Path), default=Path("output"),
    show_default=True, help="Output directory: corpus.jsonl, rejected.jsonl, manifest.json and state/.",
)  # fmt: skip
@click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Pipeline TOML (default: pipeline/default.toml). Names the stages and overrides their options.",
)  # fmt: skip
@click.option("--models-dir", envvar="BABELMILL_MODELS", default=None, help=MODELS_HELP)
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
    help="Where translation runs (default: the translate stage's config, normally auto).",
)  # fmt: skip
@click.option("--rebuild", is_flag=True, help="Forget the previous runs' state and rebuild the corpus from scratch.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--progress/--no-progress", default=None,
    help="Live per-stage progress with rates, or (--no-progress) none. Default: live when stderr is a "
    "terminal, otherwise a plain progress line every 10 seconds.",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log checkpoints and per-stage counts and timings.")
@click.option(
    "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
    help="Where the stages run: this process, or a Ray cluster (pip install 'babelmill[ray]').",
)  # fmt: skip
@click.option("--address", default=None, help="Ray cluster address for --engine ray (default: start a local Ray).")
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl", "jsonl.gz", "jsonl.zst", "parquet"]), default=None,
    help="Corpus format (default: the config's [output] format, normally jsonl; a rerun goes on in the "
    "format OUTPUT holds). Compressed and Parquet output is written as shards OUTPUT/corpus/part-00000.<format>.",
)  # fmt: skip
@click.option(
    "--shard-size", default=None, metavar="SIZE", callback=_check_size,
    help="Split the corpus into shards of about SIZE uncompressed bytes (e.g. 256MB; default for "
    "compressed/Parquet output: 256MB; plain jsonl: one corpus.jsonl).",
)  # fmt: skip
@click.option(
    "--include", multiple=True, metavar="GLOB",
    help="Read only the files of the input folders that match GLOB (a file name, or a path below the "
    "folder when it holds a /; repeatable). Default: the text extensions .txt .text .html .htm .xhtml "
    ".shtml .md and files without one (with --input-format jsonl: .jsonl .json .ndjson), each also "
    "compressed (.gz, .zst); other files are skipped and counted in the summary.",
)  # fmt: skip
@click.option(
    "--exclude", multiple=True, metavar="GLOB",
    help="Skip the files of the input folders that match GLOB, and the files below a folder that a GLOB "
    "without / names (--exclude drafts, as in .gitignore).",
)  # fmt: skip
@click.option(
    "--input-format", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
    help="text: each file is one page. jsonl: each line of a file is one document, as datatrove and "
    "Dolma write them (gzip and zstd read transparently); a bad line is quarantined as FILE:LINE.",
)  # fmt: skip
@click.option("--text-field", default="text", show_default=True, help="--input-format jsonl: the field with the text.")
@click.option(
    "--id-field", default="id", show_default=True,
    help="--input-format jsonl: the field with the document's id (kept as source.id; the other fields "
    "are kept under source.extra; url/site/domain fields, also under metadata, give the page's site).",
)  # fmt: skip
@click.option(
    "--checkpoint-every", type=click.IntRange(min=1), default=1000, show_default=True,
    help="Commit the outputs and run state every N documents (what an interrupted run keeps).",
)  # fmt: skip
def run(
    inputs, output_dir, config_path, models_dir, device, rebuild, quiet, progress,
    verbose, engine, address, output_format, shard_size, include, exclude, input_format, text_field,
    id_field, checkpoint_every,
) -> None:  # fmt: skip
    """Run the pipeline over INPUT files, directories (recursive) or globs (default: seeds/).
    Compressed inputs (gzip, zstd) are read transparently.

    Each input goes through read, repair, strip, detect, translate, normalize and dedup.
    Kept documents are appended to OUTPUT/corpus.jsonl, duplicates and unreadable inputs go to
    OUTPUT/rejected.jsonl with the reason, and OUTPUT/manifest.json lists every input with its fate.

    Reruns are incremental: inputs already processed are skipped, new ones are deduplicated
    against the existing corpus, and blocks that were pending a translation model are
    translated once the model is installed.

    Exit status: 0 when every input was handled (some may be quarantined), 1 when the run
    could not complete (bad configuration, output not writable or in use, nothing to read),
    130 / 143 when stopped by SIGINT (Ctrl-C) / SIGTERM: the documents finished so far are
    committed, and rerunning the same command goes on from there.
    """
    import sqlite3

    from babelmill.config import ConfigError
    from babelmill.interrupt import Interrupted, signals_stop_run
    from babelmill.printable import printable
    from babelmill.run import RunError, RunOptions, run_pipeline

    # --progress: the live display; --no-progress: nothing; neither: the display on a terminal,
    # else a plain line every 10 seconds (CI logs, nohup)
    log_progress = progress is None and not sys.stderr.isatty() and not quiet
    if progress is None:
        progress = sys.stderr.isatty() and not quiet
    if not verbose:
        import warnings

        # third-party libraries' warnings (dateutil's unknown time zones, Ray's settings) are not
        # the operator's business; babelmill reports what it did itself. -v shows them.
        warnings.filterwarnings("ignore")
    opts = RunOptions(
        engine=engine,
        address=address,
        output_format=output_format,
        shard_size=shard_size,
        checkpoint_every=checkpoint_every,
        include=tuple(include),
        exclude=tuple(exclude),
        input_format=input_format,
        text_field=text_field,
        id_field=id_field,
        verbose=verbose and not quiet,
        log_progress=log_progress,
        inputs=list(inputs) or ["seeds"],
        output_dir=output_dir,
        config_path=config_path,
        models_dir=models_dir,
        device=device,
        rebuild=rebuild,
        progress=progress,
        quiet=quiet,
    )
    if input_format != "jsonl":
        ctx = click.get_current_context()
        for option in ("text_field", "id_field"):
            if ctx.get_parameter_source(option) is not click.core.ParameterSource.DEFAULT:
                flag = "--" + option.replace("_", "-")
                raise click.UsageError(f"{flag} applies to --input-format jsonl only (add --input-format jsonl)")
        if not quiet:
            from babelmill.run.inputs import LINE_DOCUMENT_EXTENSIONS, extension_of

            # a JSONL file named on the command line is read whatever its extension: as one page
            for name in inputs:
                if extension_of(name) in LINE_DOCUMENT_EXTENSIONS and os.path.isfile(name):
                    click.echo(
                        printable(
                            f"babelmill: warning: {name}: read as one text page; add --input-format jsonl "
                            "to read each line as a document"
                        ),
                        err=True,
                    )
    if not quiet and not output_dir.exists() and output_dir.suffix.lower() in OUTPUT_FILE_SUFFIXES:
        # "-o corpus.jsonl" makes a folder of that name with corpus.jsonl inside
        click.echo(
            printable(
                f"babelmill: warning: -o {output_dir}: names the output folder (corpus, manifest.json and "
                "state/ are written inside it), not a file"
            ),
            err=True,
        )
    if models_dir and not quiet:
        from babelmill.translate.packages import search_dirs

        # a mistyped folder would otherwise read as "no de->en model installed" on every block
        for folder in search_dirs(models_dir):
            if not folder.is_dir():
                click.echo(
                    printable(
                        f"babelmill: warning: {folder}: no such models folder (--models-dir or $BABELMILL_MODELS); "
                        "no translation model is read from it"
                    ),
                    err=True,
                )
    # every line that can carry a file name or input text goes through printable(): an escape
    # sequence or newline in a name must not reach the terminal or forge a log line
    try:
        with signals_stop_run():
            summary = run_pipeline(
                opts, warn=(lambda msg: None) if quiet else (lambda msg: click.echo(printable(msg), err=True))
            )
    except Interrupted as stop:
        # printed even with -q: the operator must learn that the corpus is incomplete
        committed = getattr(stop, "committed", 0)
        click.echo(
            f"babelmill: stopped by {stop.name}; {committed} document(s) of this run committed to "
            f"{printable(output_dir)}; rerun the same command to go on",
            err=True,
        )
        sys.exit(stop.exit_status)
    except (ConfigError, RunError) as exc:
        click.echo(f"babelmill: error: {printable(exc)}", err=True)
        sys.exit(1)
    except (sqlite3.Error, OSError) as exc:
        click.echo(f"babelmill: error: {output_dir}: {type(exc).__name__}: {printable(exc)}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(printable(summary.paragraph(output_dir)))


from babelmill.commands.models import models  # noqa: E402

main.add_command(models)

from babelmill.commands.detect import detect  # noqa: E402

main.add_command(detect)

from babelmill.commands.clean import clean  # noqa: E402

main.add_command(clean)

from babelmill.commands.report import report  # noqa: E402

main.add_command(report)

from babelmill.commands.eval_translation import eval_translation  # noqa: E402

main.add_command(eval_translation)

from babelmill.commands.export_parallel import export_parallel  # noqa: E402

main.add_command(export_parallel)

from babelmill.commands.train_cleaner import train_cleaner  # noqa: E402

main.add_command(train_cleaner)


if __name__ == "__main__":  # pragma: no cover
    main()
