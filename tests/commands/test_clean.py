"""``babelmill clean -`` reads stdin as ``babelmill detect -`` does (it said "-: no such file")."""

from __future__ import annotations

import gzip
import json

from click.testing import CliRunner

from babelmill.cli import main

ARTICLE = (
    "Officials in the city council voted on Tuesday to approve a new budget that increases spending "
    "on public transport by twelve percent, the mayor's office said in a statement.\n\n"
    "The plan, which was debated for more than six hours, includes funding for three new bus lines "
    "and the renovation of two metro stations that have been closed since last winter.\n"
)


def test_clean_reads_stdin_named_dash_decoded_as_a_file_is():
    res = CliRunner().invoke(main, ["clean", "-"], input=gzip.compress(ARTICLE.encode("utf-16")))
    assert res.exit_code == 0, res.output
    assert "twelve percent" in res.stdout and "no such file" not in res.stderr


def test_clean_json_names_stdin_as_dash_and_reports_bad_input_as_a_file():
    res = CliRunner().invoke(main, ["clean", "--json", "-"], input=ARTICLE)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["file"] == "-"
    res = CliRunner().invoke(main, ["clean", "-"], input=b"")
    assert res.exit_code == 1
    assert res.stderr.strip() == "babelmill clean: -: quarantined (empty): the file is empty (0 bytes)"
