"""``babelmill detect``: language per block and machine-translation origin per document."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


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

    Each FILE (or stdin for "-" or no argument) is read as UTF-8 (bad bytes replaced) and split
    into blocks by non-empty lines. Prints JSON lines: one per block

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
    from babelmill.detect.detector import DetectConfig, DocumentDetector

    config, base_dir = DetectConfig(), None
    if config_path is None:
        from babelmill.config import ConfigError, pipeline_dir

        try:
            config_path = pipeline_dir() / "default.toml"
        except ConfigError:
            config_path = None
    if config_path is not None:
        import tomllib

        from babelmill.config import ConfigError, build_stage_config
        from babelmill.stages.detect import DetectStage

        try:
            values = tomllib.loads(config_path.read_text(encoding="utf-8")).get("stages", {}).get("detect", {})
            config = build_stage_config(DetectStage, values, f"{config_path} [stages.detect]")
        except (ConfigError, tomllib.TOMLDecodeError) as exc:
            raise click.UsageError(f"{config_path}: {exc}") from None
        base_dir = config_path.parent
    detector = DocumentDetector(config, base_dir)
    for name in inputs or ("-",):
        if name == "-":
            data, label = sys.stdin.buffer.read(), "-"
        else:
            try:
                data, label = Path(name).read_bytes(), name
            except OSError as exc:
                raise click.FileError(name, hint=exc.strerror or str(exc)) from None
        blocks = read_blocks(data.decode("utf-8", errors="replace"))
        result = detector.detect([t for _, t in blocks])
        if not documents:
            for (line, text), d in zip(blocks, result.decisions, strict=True):
                rec = {
                    "file": label,
                    "line": line,
                    "language": d.lang,
                    "confidence": round(d.confidence, 4),
                    "characters": len(text),
                }
                if d.lang == "other":
                    rec["code"] = d.code
                click.echo(json.dumps(rec, ensure_ascii=False))
        click.echo(json.dumps({"file": label, "document": True, **result.origin}, ensure_ascii=False))
