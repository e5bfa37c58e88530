"""Linear-time matching: every pattern that runs on input text, on adversarial lines.

The audit (babelmill.redos) lists the patterns of babelmill's own source and of the packaged
rule files, writes lines from each pattern's syntax (long runs of what it quantifies, ending
in a character that makes the match fail) and times search/match/fullmatch as the lines grow.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from babelmill.clean.rules import RuleError, load_rules, normalize_for_rules
from babelmill.redos import PatternSource, adversarial_lines, package_patterns, rule_patterns, superlinear
from babelmill.safe_re import LinearPatternError, compile_linear


def _ids(sources: list[PatternSource]) -> list[str]:
    return [s.where for s in sources]


PACKAGE = package_patterns()
RULES = rule_patterns()


def test_the_audit_finds_the_patterns_it_should():
    wheres = " ".join(_ids(PACKAGE))
    # module constants and inline calls alike, in every library folder
    for module in ("clean/embeds.py", "clean/metadata.py", "clean/lines.py", "translate/sentences.py"):
        assert module in wheres
    assert len(PACKAGE) > 50
    assert any("boilerplate.toml" in w for w in _ids(RULES)) and any("mt_markers" in w for w in _ids(RULES))


@pytest.mark.parametrize(
    "pattern",
    ["[\\s:|»›>→…·•]+$", "(a+)+$", r"\s+[-–—]\s*(?:Source|Quelle|Link)\.?\s*$", r"\b[\w-]+\.(?:com|de)/\S*"],
)
def test_the_audit_catches_a_backtracking_pattern(pattern):
    # the old _TRAIL (quadratic), the classic exponential one, the old SOURCE_TAIL (quadratic),
    # the old bare-domain part of lines._URL (quadratic on "a-a-a-...", alternating characters)
    src = PatternSource("probe", pattern, 0, re.compile(pattern))
    assert superlinear(src) is not None


def test_adversarial_lines_run_the_quantified_characters():
    lines = adversarial_lines(r"Note[\s:]+$", 0, 50)
    assert any(line.startswith("Note") and line.count(":") >= 50 and not line.endswith(":") for line in lines)
    assert any(" " * 50 in line for line in lines)


@pytest.mark.parametrize("src", [s for s in PACKAGE], ids=_ids(PACKAGE))
def test_source_pattern_is_linear(src):
    result = superlinear(src)
    assert result is None, result


@pytest.mark.parametrize("src", RULES, ids=_ids(RULES))
def test_rule_pattern_is_linear(src):
    assert superlinear(src) is None


def test_rules_run_on_re2_with_pythons_classes():
    # \w, \d, \s mean what they mean in Python (Unicode), case folding is Unicode
    p = compile_linear(r"mehr aus [\w -]+", re.I)
    assert p.fullmatch("MEHR AUS DÜSSELDORF") and p.fullmatch("mehr aus Köln-Süd")
    assert compile_linear(r"\d+").fullmatch("٣٤")  # Arabic-Indic digits are \d in Python
    assert compile_linear(r"a\sb").fullmatch("a\u3000b")  # ideographic space is \s in Python
    assert compile_linear(r"[\W_]+").fullmatch("»›_") and not compile_linear(r"[\W_]+").fullmatch("ä")
    assert compile_linear(r"[^\d\s]+").fullmatch("abc") and not compile_linear(r"[^\d\s]+").search("1 2")


@pytest.mark.parametrize(
    "pattern,what",
    [
        (r"(a)\1", "backreference"),
        (r"(?<=a)b", "lookahead or lookbehind"),
        (r"a(?!b)", "lookahead"),
        ("a{2000}", "1000"),
    ],
)
def test_constructs_without_linear_time_are_refused(pattern, what):
    with pytest.raises(LinearPatternError, match=re.escape(what)):
        compile_linear(pattern)


def _rule_file(tmp_path: Path, pattern: str, match: str = "search") -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(f"[[rule]]\nname = 'mine'\npattern = '''{pattern}'''\nmatch = '{match}'\nmax_words = 50\n")
    return path


def test_a_catastrophic_user_rule_runs_in_linear_time(tmp_path):
    rules = load_rules([_rule_file(tmp_path, "(a+)+$", "line")])
    start = time.perf_counter()
    assert rules.first_hit("a" * 30 + "!", 1) is None  # Python's re: minutes
    assert rules.first_hit("a" * 200_000 + "!", 1) is None
    assert time.perf_counter() - start < 1.0


def test_a_user_rule_with_lookaround_fails_when_loaded(tmp_path):
    with pytest.raises(RuleError, match=r"mine\.toml: rule 'mine': .*lookahead or lookbehind"):
        load_rules([_rule_file(tmp_path, "(?<!x)share")])


@pytest.mark.parametrize("line", ["Note" + ":" * 100_000 + "x", "a" + " " * 100_000 + "b"])
def test_trailing_decoration_is_stripped_in_linear_time(line):
    start = time.perf_counter()
    assert normalize_for_rules(line) == " ".join(line.split())
    assert time.perf_counter() - start < 0.5  # the regex it replaced: minutes
