"""``babelmill train-cleaner``: train the cleaner's line model on labelled pages."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


@click.command("train-cleaner", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the model file (JSON).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Pipeline TOML whose [stages.strip] rules and thresholds make the features (default: packaged).",
)
@click.option("--inner-folds", default=3, show_default=True, help="Site-grouped folds for tuning the threshold.")
@click.option("--rounds", default=200, show_default=True, help="Boosting rounds.")
@click.option(
    "--page-style/--no-page-style",
    default=True,
    show_default=True,
    help="Also learn which folder's (data set's) kind of page each page is, and give the line model "
    "those probabilities: sets disagree on what main text is (MODEL.md). Needs two or more sets of "
    "at least 30 pages with a full truth, each in one language; otherwise nothing is learned.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Retrain and compare with the existing OUTPUT byte for byte instead of writing it "
    "(exit status 1 when they differ; the retrained file is left in a temporary folder).",
)
def train_cleaner(
    folders: tuple[Path, ...],
    output: Path,
    config_path: Path | None,
    inner_folds: int,
    rounds: int,
    page_style: bool,
    check: bool,
):
    """Train the line model from FOLDERS of labelled pages and write it to OUTPUT.

    A folder holds page dumps ``NAME.txt`` (one block per line) with either ``NAME.truth.txt``
    (the article text) or ``NAME.json`` (``{"with": [...], "without": [...]}`` snippets of
    article text and of chrome), and optionally ``manifest.tsv`` (columns ``id`` and ``domain``
    or ``url``: pages of one site are never split between folds). Point
    ``[stages.strip] line_model`` at the output to use it. Needs LightGBM
    and scikit-learn (``pip install 'babelmill[train]'``); the same pages give the same file byte for byte
    (one thread, fixed seeds, pages in sorted order); ``--check`` verifies that.
    """
    try:
        import lightgbm  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        raise click.UsageError("training needs LightGBM and scikit-learn: pip install 'babelmill[train]'") from None
    from babelmill.clean.cleaner import Cleaner
    from babelmill.clean.pages import load_pages
    from babelmill.clean.train import dump_model, featurize, train_model
    from babelmill.config import ConfigError, build_stage_config, pipeline_dir
    from babelmill.stages.strip import StripStage

    section: dict = {}
    base = pipeline_dir()
    if config_path is not None:
        import tomllib

        try:
            section = tomllib.loads(config_path.read_text(encoding="utf-8")).get("stages", {}).get("strip", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.UsageError(f"{config_path}: {exc}") from None
        base = config_path.parent
    try:
        # the features are the rules' and the structure step's verdicts: no model while training
        cfg = build_stage_config(
            StripStage, {**section, "line_model": ""}, f"{config_path or 'default'} [stages.strip]"
        )
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    cleaner = Cleaner(cfg.ruleset(base), cfg.thresholds(), keep_features=True)
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        click.echo(f"[{time.perf_counter() - t0:6.0f}s] {msg}", err=True)

    pages = load_pages(folders)
    if not pages:
        where = ", ".join(map(str, folders))
        raise click.UsageError(f"no labelled pages (NAME.txt with NAME.truth.txt or NAME.json) in {where}")
    say(f"{len(pages)} labelled pages from {len({p.site for p in pages})} sites")
    data = featurize(pages, cleaner, progress=say)
    n_sites = len({pd.page.site for pd in data})
    folds = max(2, min(inner_folds, n_sites))
    if n_sites < 2:
        raise click.UsageError("need pages from at least 2 sites to tune the threshold")
    model = train_model(data, inner_folds=folds, rounds=rounds, progress=say, styled=page_style)
    body = dump_model(model).encode("utf-8")
    if check:
        sys.exit(_check(output, body, say))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    say(f"wrote {output} ({output.stat().st_size // 1024} KiB, {len(model['trees'])} trees)")
    sys.exit(0)


def _check(output: Path, body: bytes, say) -> int:
    """0 when ``output`` holds exactly ``body``; else 1, with the retrained file kept for a diff."""
    import hashlib
    import tempfile

    old = output.read_bytes() if output.is_file() else None
    new_sha = hashlib.sha256(body).hexdigest()
    if old == body:
        say(f"check: {output} reproduced byte for byte (sha256 {new_sha})")
        return 0
    keep = Path(tempfile.mkdtemp(prefix="train-cleaner-check-")) / output.name
    keep.write_bytes(body)
    was = "missing" if old is None else f"sha256 {hashlib.sha256(old).hexdigest()}"
    say(f"check FAILED: the retrained model (sha256 {new_sha}, kept in {keep}) differs from {output} ({was})")
    return 1
