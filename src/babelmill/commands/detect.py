"""``babelmill detect``: language per block and machine-translation origin per document."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from babelmill.commands._io import stdin_or_path


def read_blocks(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) for every non-empty line: one block per line, as scraped dumps have."""
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


@click.command("detect", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, metavar="[FILE]... | -")
@click.option(
    "--documents",
    is_flag=True,
    help="Print only the one line per document (origin: mt_score, mt_probability and evidence).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Pipeline TOML whose [stages.detect] options to use (default: the packaged pipeline/default.toml).",
)
def detect(inputs: tuple[str, ...], documents: bool, config_path: Path | None) -> None:
    """Detect the language of every line and whether a document is machine-translated from Chinese.

    Each FILE is read as ``babelmill run`` reads it (its encoding detected: UTF-8, UTF-16,
    GB18030, Shift-JIS, Windows-1252, ...; gzip and zstd decompressed; HTML reduced to its text;
    mojibake repaired); stdin ("-" or no argument) is decoded the same way. The text is split into
    blocks by non-empty lines. A file the run would quarantine (missing, empty, binary, too
    large, ...) gets one line on stderr naming it and the reason, and makes the exit status 1.
    Prints JSON lines: one per block

    \b
      {"file", "line", "language", "confidence", "characters"[, "code"]}

    ("code" is the ISO code when language is "other"), then one per document

    \b
      {"file", "document": true, "language", "language_mix", "machine_translated",
       "machine_translated_from", "mt_score", "mt_probability", "evidence"}

    "mt_score" is the combined decision score (markers and classifier, flagged at the configured
    mt_threshold); "mt_probability" is the classifier's calibrated P(machine-translated from
    Chinese) over the document's English prose (null when the prose is too short to judge);
    "evidence" lists each marker and the classifier's probability, calibration and threshold.
    """
    from babelmill.config import ConfigError, load_config
    from babelmill.document import Block, Document
    from babelmill.engines.local import execute
    from babelmill.io.read import new_input_document
    from babelmill.printable import printable
    from babelmill.run import build_stages
    from babelmill.stage import RunContext

    try:
        cfg = load_config(config_path, stages_optional=True)
        context = RunContext(pipeline_dir=cfg.path.parent)
        readers = build_stages(cfg, context, ["read", "repair"])
        stages = build_stages(cfg, context, ["detect"])
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    if not inputs and sys.stdin.isatty():
        # no file and nothing piped in: say so instead of waiting silently for typed text
        raise click.UsageError("name a FILE, or pipe text in (use - to read a terminal's typed text)")
    failed = False
    for name in inputs or ("-",):
        # the run's read and repair stages: same decoding, same quarantine reasons; stdin is
        # spooled to a temporary file so that it gets them too (gzip, HTML, empty, binary, ...)
        with stdin_or_path(name) as path:
            (read,) = execute(readers, [new_input_document(path)])
        if not read.ok:
            failed = True
            message = read.status_detail.get("message") or read.status_reason
            line = f"babelmill detect: {name}: {read.status} ({read.status_reason}): {message}"
            click.echo(printable(line), err=True)
            continue
        text, label = read.text, name
        lines = read_blocks(text)
        doc = Document(id="detect", text="", blocks=[Block(text=t, line=n) for n, t in lines])
        (doc,) = execute(stages, [doc])  # the run's code path: counters, quarantine
        if not documents:
            for block in doc.blocks:
                rec = {
                    "file": label,
                    "line": block.line,
                    "language": block.lang,
                    "confidence": block.lang_confidence,
                    "characters": len(block.text),
                }
                if block.lang == "other":
                    rec["code"] = block.meta.get("lang_code")
                click.echo(json.dumps(rec, ensure_ascii=False))
        click.echo(json.dumps({"file": label, "document": True, **doc.origin.as_dict()}, ensure_ascii=False))
    if failed:
        sys.exit(1)
