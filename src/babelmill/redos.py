"""Audit of every regular expression babelmill runs on input text: adversarial lines and growth.

A backtracking pattern is slow on long runs of the characters it quantifies: ``[\\s:]+$``
searched in ``":" * n + "x"`` tries every start and scans the run from each (quadratic),
``(a+)+$`` on ``"a" * n + "!"`` tries every split (exponential). :func:`adversarial_lines`
writes such lines for one pattern from its own syntax tree: a run of every character the
pattern names (and of a representative of every class), and for every repeat, the text that
leads to it with the repeat's body repeated ``n`` times, each followed by a character that
makes the match fail at the end. :func:`superlinear` times ``search``, ``match`` and
``fullmatch`` on such lines of growing length and reports a pattern whose time grows faster
than the line.

:func:`package_patterns` lists the patterns written in babelmill's own source (``re.compile``
and ``re.search``-style calls with a literal pattern) and :func:`rule_patterns` those of the
rule files, so a test and the robustness benchmark can audit all of them, not a chosen few.
"""

from __future__ import annotations

import ast
import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

# characters a class escape stands for, and characters that no pattern expects at the end
_CATEGORY_CHAR = {
    _c.CATEGORY_DIGIT: "1",
    _c.CATEGORY_NOT_DIGIT: "a",
    _c.CATEGORY_WORD: "a",
    _c.CATEGORY_NOT_WORD: ":",
    _c.CATEGORY_SPACE: " ",
    _c.CATEGORY_NOT_SPACE: "a",
}
_POOL = "a A1 :-./ü中\t_x"
_ENDINGS = ("\x00", "!")
_RE_FUNCS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}


@dataclass(frozen=True)
class PatternSource:
    where: str  # "path:line" or "rule file: rule name"
    pattern: str
    flags: int
    compiled: Any  # what the code runs: a re.Pattern, or an RE2 pattern for rule files


def _class_chars(items: list[tuple[Any, Any]]) -> list[str]:
    negate = any(op is _c.NEGATE for op, _ in items)
    named: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            named.append(chr(av))
        elif op is _c.RANGE:
            named += [chr(av[0]), chr(av[1])]
        elif op is _c.CATEGORY:
            named.append(_CATEGORY_CHAR.get(av, "a"))
    if not negate:
        return named
    klass = re.compile("[^" + "".join(re.escape(ch) for ch in named) + "]") if named else None
    return [ch for ch in _POOL if klass is None or klass.match(ch)][:3]


def _walk_chars(items: Any, out: set[str]) -> None:
    for op, av in items:
        if op is _c.LITERAL:
            out.add(chr(av))
        elif op is _c.NOT_LITERAL:
            out.add("b" if chr(av) == "a" else "a")
        elif op is _c.ANY:
            out.add("a")
        elif op is _c.IN:
            out.update(_class_chars(av))
        elif op is _c.BRANCH:
            for branch in av[1]:
                _walk_chars(branch, out)
        elif op is _c.SUBPATTERN:
            _walk_chars(av[3], out)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
            _walk_chars(av[2], out)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _walk_chars(av[1], out)
        elif str(op) == "ATOMIC_GROUP":
            _walk_chars(av, out)


def _repeats(items: Any, path: tuple[int, ...] = ()) -> Iterator[tuple[int, ...]]:
    """Paths (indices through the tree) of every unbounded or long repeat."""
    for i, (op, av) in enumerate(items):
        here = (*path, i)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
            if av[1] == _c.MAXREPEAT or av[1] >= 8:
                yield here
            yield from _repeats(av[2], here)
        elif op is _c.BRANCH:
            for j, branch in enumerate(av[1]):
                yield from _repeats(branch, (*here, j))
        elif op is _c.SUBPATTERN:
            yield from _repeats(av[3], here)


def _sample(items: Any, target: tuple[int, ...], n: int, pick: int = 0) -> tuple[str, bool]:
    """A string the pattern (nearly) matches, with the repeat at ``target`` taken ``n`` times;
    stops right after that repeat (returns done=True). ``pick`` chooses among a class's characters."""
    out: list[str] = []
    for i, (op, av) in enumerate(items):
        on_path = bool(target) and target[0] == i
        rest = target[1:] if on_path else ()
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.NOT_LITERAL:
            out.append("b" if chr(av) == "a" else "a")
        elif op is _c.ANY:
            out.append("a")
        elif op is _c.IN:
            chars = _class_chars(av)
            if pick < 0:  # every character of the class in turn ("a-a-a-" for [\w-]+)
                out.append("".join(chars) if chars else "a")
            else:
                out.append(chars[min(pick, len(chars) - 1)] if chars else "a")
        elif op is _c.BRANCH:
            k = rest[0] if on_path else 0
            text, done = _sample(av[1][k], rest[1:] if on_path else (), n, pick)
            out.append(text)
            if done:
                return "".join(out), True
        elif op is _c.SUBPATTERN:
            text, done = _sample(av[3], rest, n, pick)
            out.append(text)
            if done:
                return "".join(out), True
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
            lo, hi, body = av
            if on_path and not rest:
                out.append(_sample(body, (), n, pick)[0] * n)
                return "".join(out), True
            if on_path:
                text, done = _sample(body, rest, n, pick)
                out.append(text)
                if done:
                    return "".join(out), True
            else:
                out.append(_sample(body, (), n, pick)[0] * max(lo, 1 if hi else 0))
    return "".join(out), False


def adversarial_lines(pattern: str, flags: int, n: int) -> list[str]:
    """Lines of about ``n`` repeats that make a backtracking engine work hardest on ``pattern``."""
    parsed = _p.parse(pattern, flags & ~re.VERBOSE if isinstance(pattern, str) else flags)
    chars: set[str] = set()
    _walk_chars(parsed, chars)
    lines: list[str] = []
    for ch in sorted(chars):
        lines += [ch * n + end for end in _ENDINGS]
    for path in _repeats(parsed):
        for pick in (0, 1, 2, -1):
            text, _ = _sample(parsed, path, n, pick)
            if text:
                lines += [text + end for end in _ENDINGS]
                lines.append(text[: len(text) // 2] + "\x00" + text[len(text) // 2 :])
    return list(dict.fromkeys(lines))


def _time(fn: Any, text: str, tries: int = 2) -> float:
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
        if best < 1e-3 and tries <= 2:
            break
    return best


def superlinear(
    src: PatternSource, sizes: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
) -> str | None:
    """None when every method's time grows about linearly on every adversarial line, else what grew.

    Time must not grow more than 10x from n to 4n once above 2 ms (linear: 4x, quadratic: 16x),
    nor 6x from n to 2n once above 0.5 ms (exponential blow-up is caught before it runs away),
    and no single call may take over 100 ms.
    """
    templates = {n: adversarial_lines(src.pattern, src.flags, n) for n in sizes}
    for method in ("search", "match", "fullmatch"):
        fn_of = getattr(src.compiled, method, None)
        if fn_of is None:
            continue
        for k in range(len(templates[sizes[0]])):
            times: list[float] = []
            for n in sizes:
                lines = templates[n]
                if k >= len(lines):
                    break
                t = _time(fn_of, lines[k])
                times.append(t)
                sample = repr(lines[k][:24] + ("..." if len(lines[k]) > 24 else ""))
                why = None
                if t > 0.1:
                    why = f"{t * 1000:.0f} ms"
                elif len(times) >= 2 and t > 5e-4 and t / max(times[-2], 2e-5) > 6:
                    why = f"{times[-2] * 1000:.2f} -> {t * 1000:.2f} ms when the line doubled"
                elif len(times) >= 3 and t > 2e-3 and t / max(times[-3], 2e-5) > 10:
                    why = f"{times[-3] * 1000:.2f} -> {t * 1000:.2f} ms when the line grew 4x"
                if why:
                    # measured again, best of five at both lengths, to rule out a busy machine
                    back = 1 if "doubled" in why else 2
                    before = _time(fn_of, templates[sizes[len(times) - 1 - back]][k], 5)
                    again = _time(fn_of, lines[k], 5)
                    limit = 6 if back == 1 else 10
                    if again > 0.1 or (again > 5e-4 and again / max(before, 2e-5) > limit):
                        return f"{src.where}: {method} on {sample} (length {len(lines[k])}): {why}"
    return None


def _flags_value(node: ast.expr | None) -> int | None:
    if node is None:
        return 0
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
        value = getattr(re, node.attr, None)
        return int(value) if isinstance(value, int | re.RegexFlag) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        a, b = _flags_value(node.left), _flags_value(node.right)
        return None if a is None or b is None else a | b
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return None


def package_patterns(root: Path | None = None) -> list[PatternSource]:
    """Every ``re.<function>("literal pattern", ...)`` in babelmill's source, compiled as written."""
    root = root or Path(__file__).parent
    found: list[PatternSource] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            func = node.func
            if not (isinstance(func.value, ast.Name) and func.value.id == "re" and func.attr in _RE_FUNCS):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue
            flag_node = next((kw.value for kw in node.keywords if kw.arg == "flags"), None)
            if flag_node is None:
                pos = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2}
                pos.update({"split": 3, "sub": 4, "subn": 4})
                idx = pos[func.attr]
                flag_node = node.args[idx] if len(node.args) > idx else None
            flags = _flags_value(flag_node)
            if flags is None:
                continue
            pattern = node.args[0].value
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            found.append(PatternSource(where, pattern, flags, re.compile(pattern, flags)))
    return found


def rule_patterns() -> list[PatternSource]:
    """The patterns of the packaged rule files, compiled as the stages compile them."""
    from babelmill.clean.rules import load_rules
    from babelmill.config import resolve_rule_path
    from babelmill.detect.markers import MarkerRules

    found: list[PatternSource] = []
    rules_dir = resolve_rule_path("rules/boilerplate.toml", None).parent
    for path in sorted(rules_dir.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        if "rule" not in raw:  # a markers file: groups of patterns
            markers = MarkerRules.load(path)
            for group, compiled in markers.groups.items():
                for pat, comp in zip(raw[group]["patterns"], compiled, strict=True):
                    found.append(PatternSource(f"{path.name}: [{group}]", pat, re.I | re.M, comp))
            continue
        entries = {entry["name"]: entry for entry in raw["rule"]}
        for rule in load_rules([path]).rules:
            entry = entries[rule.name]
            flags = 0 if entry.get("case_sensitive") else re.I
            found.append(PatternSource(f"{path.name}: {rule.name}", entry["pattern"], flags, rule.pattern))
    return found
