"""The apps depend on each other one way: the import graph between them has no cycle.

Every import counts, also the ones inside functions (a lazy import is still a dependency).
Nodes are the top-level packages of the repository; a pure-ML `X/ml` package is a node of its
own (STYLE: no Django in it, so it sits below every app). `slrweb` is the project that wires
the apps together (settings, URLs, the CLI) and is left out; so are tests and bench.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_NODES = {"tests", "bench", "slrweb", "docs", "models"}


def packages() -> list[str]:
    return sorted(p.name for p in REPO.iterdir()
                  if (p / "__init__.py").is_file() and p.name not in NOT_NODES)


def node_of(module: str, nodes: set[str]) -> str | None:
    parts = module.split(".")
    if parts[0] not in nodes:
        return None
    if len(parts) > 1 and parts[1] == "ml" and (REPO / parts[0] / "ml").is_dir():
        return f"{parts[0]}.ml"
    return parts[0]


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def import_graph() -> dict[str, dict[str, str]]:
    """node -> {imported node: one file that imports it}."""
    tops = set(packages())
    graph: dict[str, dict[str, str]] = {}
    for top in tops:
        for path in sorted((REPO / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            here = node_of(".".join(path.relative_to(REPO).with_suffix("").parts), tops)
            assert here is not None
            edges = graph.setdefault(here, {})
            for module in imported_modules(path):
                there = node_of(module, tops)
                if there is not None and there != here:
                    edges.setdefault(there, str(path.relative_to(REPO)))
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle as a list of nodes (first == last), or None. Depth-first, colours."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_graph_between_apps_has_no_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
        raise AssertionError("the apps import each other in a circle:\n  " + "\n  ".join(steps))


def test_the_graph_sees_lazy_imports_and_the_corpus_on_top():
    graph = import_graph()
    assert {"annotation", "registry"} <= set(graph["corpus"])
    for app in ("annotation", "registry", "jobs", "recognition", "translation", "accounts"):
        assert "corpus" not in graph.get(app, {}), app


def test_find_cycle_reports_a_circle():
    assert find_cycle({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": "x"}, "b": {}, "c": {"a": "z"}}) is None
