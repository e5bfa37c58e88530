"""``babelmill eval-translation``: translate a test set with the installed model, score it.

The source lines go through the same code as ``babelmill run``: the translate stage (sentence
splitting, protected spans, deduplication, length-sorted batches on CTranslate2) with the
pipeline's ``[stages.translate]`` options. Each line is one block, so a line that holds several
sentences is split and reassembled as in the corpus. The hypotheses are scored against the
references with sacrebleu (chrF and BLEU, default settings, which print their signatures).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

#: lines per call of the stage's batch (the whole test set of a typical WMT file in a few calls)
LINES_PER_BATCH = 4096


@dataclass
class EvalResult:
    lines: int
    sentences: int  # translated sentences (the splitter's units), for the speed figure
    seconds: float  # translation only; the model is loaded before the clock starts
    chrf: float
    bleu: float
    chrf_signature: str
    bleu_signature: str
    model: str | None
    model_version: str | None
    beam_size: int
    hypotheses: list[str] = field(repr=False, default_factory=list)

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "sentences": self.sentences,
            "seconds": round(self.seconds, 3),
            "sentences_per_s": round(self.sentences_per_s, 2),
            "chrf": round(self.chrf, 2),
            "bleu": round(self.bleu, 2),
            "chrf_signature": self.chrf_signature,
            "bleu_signature": self.bleu_signature,
            "model": self.model,
            "model_version": self.model_version,
            "beam_size": self.beam_size,
        }


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError:
        raise click.ClickException("eval-translation needs sacrebleu: pip install 'babelmill[eval]'") from None
    return sacrebleu


def evaluate_translation(
    sources: list[str],
    references: list[str],
    lang: str,
    *,
    config_path: Path | None = None,
    models_dir: str | None = None,
    device: str | None = None,
    beam_size: int | None = None,
) -> EvalResult:
    """Translate ``sources`` (one block each) with the installed ``lang -> en`` model through the
    translate stage and score them against ``references``. Raises ``ModelError`` without a model."""
    import dataclasses

    from babelmill.config import load_config
    from babelmill.document import Block, Document
    from babelmill.stages.translate import TranslateConfig, TranslateStage

    sacrebleu = _sacrebleu()
    cfg = load_config(config_path)
    options = cfg.options.get("translate") or TranslateConfig()
    if beam_size is not None:
        options = dataclasses.replace(options, beam_size=beam_size)
    # no state folder: the cache lives in memory and only deduplicates within this evaluation
    stage = TranslateStage(options, {"models_dir": models_dir, "device": device})
    backend = stage.load_model(lang)
    docs = []
    for i, line in enumerate(sources):
        block_lang, meta = (lang, {}) if lang in ("de", "zh") else ("other", {"lang_code": lang})
        blocks = [Block(text=line, lang=block_lang, line=i + 1, meta=meta)] if line.strip() else []
        docs.append(Document(id=f"line-{i + 1:07d}", text=line, blocks=blocks))
    start = time.perf_counter()
    for i in range(0, len(docs), LINES_PER_BATCH):
        list(stage.process_batch(docs[i : i + LINES_PER_BATCH]))
    seconds = time.perf_counter() - start
    stage.close()
    hypotheses = [doc.blocks[0].text if doc.blocks else "" for doc in docs]
    sentences = sum(len(b.pairs) for doc in docs for b in doc.blocks)
    chrf = sacrebleu.metrics.CHRF()
    bleu = sacrebleu.metrics.BLEU()
    chrf_score = chrf.corpus_score(hypotheses, [references])
    bleu_score = bleu.corpus_score(hypotheses, [references])
    package = getattr(backend, "package", None)
    return EvalResult(
        lines=len(sources),
        sentences=sentences,
        seconds=seconds,
        chrf=chrf_score.score,
        bleu=bleu_score.score,
        chrf_signature=str(chrf.get_signature()),
        bleu_signature=str(bleu.get_signature()),
        model=package.name if package else getattr(backend, "identity", None),
        model_version=package.version if package else None,
        beam_size=options.beam_size,
        hypotheses=hypotheses,
    )


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror or exc}") from None
    return text.splitlines()


@click.command("eval-translation")
@click.argument("source_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("reference_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", default="de", show_default=True, help="Language of SOURCE_FILE (the model is LANG -> en).")
@click.option("--models-dir", envvar="BABELMILL_MODELS", default=None, help="Folder of installed Argos packages.")
@click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Pipeline TOML whose [stages.translate] options apply (default: pipeline/default.toml).",
)  # fmt: skip
@click.option("--beam", "beam_size", type=click.IntRange(min=1), default=None, help="Override the beam width.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where translation runs.")
@click.option(
    "--hypotheses", "hyp_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write the translations to this file, one line per source line.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_translation(
    source_file, reference_file, lang, models_dir, config_path, beam_size, device, hyp_path, as_json
) -> None:  # fmt: skip
    """Translate SOURCE_FILE (one segment per line) with the installed LANG -> en model and print
    chrF and BLEU (sacrebleu) against REFERENCE_FILE (the same number of lines), with the speed
    in sentences per second.

    The translation goes through the same stage, options and backend as `babelmill run`, so the
    figures describe the corpus' translations. Use a public test set (e.g. WMT newstest) or a
    sample of your own data with human references.

    Exit status 1 when the files cannot be read, the source has no text, their line counts differ,
    or no model is installed.
    """
    from babelmill.config import ConfigError
    from babelmill.translate.packages import ModelError

    if lang == "en":
        raise click.ClickException("--lang names the source language; English is the target (en -> en is not a model)")
    sources, references = _read_lines(source_file), _read_lines(reference_file)
    if hyp_path is not None and not hyp_path.parent.is_dir():  # found now, not after translating
        raise click.ClickException(f"--hypotheses {hyp_path}: no such folder {hyp_path.parent}")
    if not any(line.strip() for line in sources):
        raise click.ClickException(f"{source_file} has no text to translate (0 non-blank lines)")
    if len(sources) != len(references):
        raise click.ClickException(
            f"{source_file} has {len(sources)} lines but {reference_file} has {len(references)}; "
            "each source line needs its reference on the same line"
        )
    try:
        result = evaluate_translation(
            sources, references, lang, config_path=config_path, models_dir=models_dir, device=device,
            beam_size=beam_size,
        )  # fmt: skip
    except (ModelError, ConfigError) as exc:
        click.echo(f"babelmill: error: {exc}", err=True)
        sys.exit(1)
    if hyp_path is not None:
        try:
            hyp_path.write_text("".join(h + "\n" for h in result.hypotheses), encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"--hypotheses {hyp_path}: {exc.strerror or exc}") from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    click.echo(f"model: {result.model} {result.model_version or ''} (beam {result.beam_size})".rstrip())
    click.echo(f"lines: {result.lines}, sentences translated: {result.sentences}")
    click.echo(f"chrF: {result.chrf:.2f}  ({result.chrf_signature})")
    click.echo(f"BLEU: {result.bleu:.2f}  ({result.bleu_signature})")
    click.echo(f"speed: {result.sentences_per_s:.1f} sentences/s ({result.seconds:.2f}s translating)")
