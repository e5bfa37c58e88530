"""The layout rules a newcomer relies on: no import cycle, low-level packages stay low, benchmarks
stand on their own."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

SRC = REPO / "src" / "babelmill"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """babelmill modules that ``path`` imports anywhere (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found & modules


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        deps = _imports(path, modules)
        # importing a.b.c imports its parent packages first
        graph[name] = {d for d in deps if d != name} | {
            ".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)
        } - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycle_between_babelmill_modules() -> None:
    graph = _import_graph()
    # a package's __init__ importing its own submodules is not a cycle a reader trips over
    pruned = {m: {d for d in deps if not (m.startswith(d + ".") and d in graph)} for m, deps in graph.items()}
    assert _cycles(pruned) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_libraries_do_not_import_the_stage_base_or_the_runner() -> None:
    graph = _import_graph()
    for name, deps in graph.items():
        if name.startswith(("babelmill.clean", "babelmill.dedup", "babelmill.detect", "babelmill.translate")):
            assert not deps & {"babelmill.stage", "babelmill.run", "babelmill.engines"}, name


def test_commands_share_helpers_through_a_module_of_their_own() -> None:
    """`clean` took stdin_or_path from the `detect` command's module: changing one command must
    not break another, so what commands share lives in ``commands/_*.py``."""
    graph = _import_graph()
    commands = {m for m in graph if m.startswith("babelmill.commands.") and not m.split(".")[-1].startswith("_")}
    for name in sorted(commands):
        assert not graph[name] & (commands - {name}), name


def test_benchmarks_never_import_tests() -> None:
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "tests" or n.startswith("tests.") for n in names), path.name


def test_no_source_file_is_over_400_lines() -> None:
    """A module a newcomer reads in one sitting: split a longer one by meaning."""
    long = {
        str(p.relative_to(SRC)): n
        for p in sorted(SRC.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
