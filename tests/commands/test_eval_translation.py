"""``babelmill eval-translation`` on the random-weight fixture: plumbing only (the scores of a
random model are near zero and say nothing about quality)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from babelmill.cli import main
from babelmill.translate.install import install_archive

pytestmark = pytest.mark.slow

SOURCES = [
    "Der Zug aus Berlin kam mit zwei Stunden Verspätung in München an.",
    "Die Regierung hat neue Regeln vorgestellt. Mehr unter https://example.com/regeln",
    "",
    "Der Umsatz stieg um 3,5 Prozent auf 10 Milliarden Euro.",
]
REFERENCES = [
    "The train from Berlin arrived in Munich two hours late.",
    "The government has presented new rules. More at https://example.com/regeln",
    "",
    "Revenue rose 3.5 percent to 10 billion euros.",
]


@pytest.fixture
def files(tmp_path: Path, de_en_archive: Path, isolated_models: Path) -> tuple[Path, Path, Path]:
    models = tmp_path / "models"
    install_archive(de_en_archive, models)
    src, ref = tmp_path / "test.de", tmp_path / "test.en"
    src.write_text("\n".join(SOURCES) + "\n", encoding="utf-8")
    ref.write_text("\n".join(REFERENCES) + "\n", encoding="utf-8")
    return src, ref, models


def test_scores_speed_and_hypotheses_line_by_line(files, tmp_path: Path):
    src, ref, models = files
    hyp = tmp_path / "hyp.en"
    args = ["eval-translation", str(src), str(ref), "--models-dir", str(models), "--hypotheses", str(hyp)]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["lines"] == 4 and figures["model"] == "translate-de_en-random"
    assert figures["beam_size"] == 4  # the pipeline's default beam
    assert figures["sentences"] == 4  # 1 + 2 + 0 + 1 split sentences
    assert 0 <= figures["chrf"] <= 100 and 0 <= figures["bleu"] <= 100
    assert figures["sentences_per_s"] > 0
    assert figures["bleu_signature"].startswith("nrefs:1")
    hypotheses = hyp.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(hypotheses) == len(SOURCES)
    assert hypotheses[2] == "" and hypotheses[0]
    assert "https://example.com/regeln" in hypotheses[1]  # protected spans survive, as in the corpus
    # the chrF printed is sacrebleu's on exactly these hypotheses
    import sacrebleu

    assert figures["chrf"] == round(sacrebleu.corpus_chrf(hypotheses, [REFERENCES]).score, 2)

    text = CliRunner().invoke(main, [*args, "--beam", "1"])
    assert text.exit_code == 0, text.output
    assert "(beam 1)" in text.output and "chrF:" in text.output and "sentences/s" in text.output


def test_line_count_mismatch_and_missing_model_fail_with_one_clear_line(files, tmp_path: Path):
    src, ref, models = files
    short = tmp_path / "short.en"
    short.write_text("One line.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval-translation", str(src), str(short), "--models-dir", str(models)])
    assert result.exit_code == 1
    assert "has 4 lines but" in result.output and "short.en has 1" in result.output
    empty = tmp_path / "empty-models"
    empty.mkdir()
    result = CliRunner().invoke(main, ["eval-translation", str(src), str(ref), "--models-dir", str(empty)])
    assert result.exit_code == 1 and "babelmill models install de" in result.output


def test_a_source_with_no_text_is_one_clear_line_not_a_traceback(files, tmp_path: Path):
    _src, _ref, models = files
    for content in ("", "\n\n"):
        src, ref = tmp_path / "empty.de", tmp_path / "empty.en"
        src.write_text(content, encoding="utf-8")
        ref.write_text(content, encoding="utf-8")
        result = CliRunner().invoke(main, ["eval-translation", str(src), str(ref), "--models-dir", str(models)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{src} has no text to translate" in result.output


def test_a_hypotheses_file_that_cannot_be_written_is_one_clear_line(files, tmp_path: Path):
    """It was a FileNotFoundError traceback, after the whole test set had been translated."""
    src, ref, models = files
    missing = tmp_path / "no-such-folder" / "hyp.txt"
    result = CliRunner().invoke(
        main, ["eval-translation", str(src), str(ref), "--models-dir", str(models), "--hypotheses", str(missing)]
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"--hypotheses {missing}: no such folder {missing.parent}" in result.output
