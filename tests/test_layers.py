"""The package's import graph: layers bottom to top, no cycles, argparse only in the CLI.

Read from the source with ``ast`` (every import, inside functions and ``TYPE_CHECKING`` blocks
too), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import alphafactory

ROOT = Path(alphafactory.__file__).resolve().parent

# Bottom to top; a package may import its own tier and the tiers below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "config_io", "runs", "data", "engine", "_engine"),
    ("features", "labels"),
    ("evaluation",),
    ("models", "training"),
    ("signals", "strategies"),
    ("portfolio", "risk"),
    ("backtest", "execution"),
    ("factory", "monitor", "feeds", "serve", "live"),
    ("pipeline",),
    ("cli", "dashboard", "__main__"),
)
TIER = {name: tier for tier, names in enumerate(LAYERS) for name in names}


def unit_of(path: Path) -> str:
    """The package (or top-level module) a source file belongs to."""
    rel = path.relative_to(ROOT).parts
    return rel[0] if len(rel) > 1 else Path(rel[0]).stem


def imported_units(tree: ast.AST) -> set[str]:
    """Names of alphafactory packages or top-level modules a module's imports reach."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "alphafactory":
                names = [f"alphafactory.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "alphafactory" and len(parts) > 1 and parts[1] in TIER:
                found.add(parts[1])
    return found


def import_graph(root: Path = ROOT) -> dict[tuple[str, str], str]:
    """Edges ``(importer, imported) -> first file`` between different units."""
    edges: dict[tuple[str, str], str] = {}
    for path in sorted(root.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == root:
            continue  # the lazy top-level namespace
        unit = unit_of(path)
        for target in imported_units(ast.parse(path.read_text(), filename=str(path))):
            if target != unit:
                edges.setdefault((unit, target), str(path.relative_to(root)))
    return edges


def layer_violations(edges: dict[tuple[str, str], str]) -> list[str]:
    """Imports of a higher tier and cycles between units, one line each."""
    problems = []
    for (src, dst), where in sorted(edges.items()):
        if src not in TIER:
            problems.append(f"{where}: package {src!r} is not in the declared layers")
        elif TIER[dst] > TIER[src]:
            problems.append(f"{where}: {src} (tier {TIER[src]}) imports {dst} (tier {TIER[dst]})")
    for cycle in cycles({(a, b) for a, b in edges}):
        problems.append("cycle: " + " -> ".join([*cycle, cycle[0]]))
    return problems


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_package_imports_follow_layers_without_cycles():
    problems = layer_violations(import_graph())
    assert not problems, "\n".join(problems)


def test_every_package_is_in_a_layer():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(TIER), sorted(packages - set(TIER))


def test_argparse_and_private_imports_stay_in_their_package():
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        unit = unit_of(path)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "argparse" and unit != "cli":
                    problems.append(f"{path.relative_to(ROOT)}: argparse outside cli/")
                private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
                if parts[0] == "alphafactory" and len(parts) > 2 and parts[1] != unit and private:
                    problems.append(f"{path.relative_to(ROOT)}: imports private module {name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        # The cycles the package had before the CLI became one layer.
        ({("models", "training"), ("training", "models")}, [["models", "training"]]),
        ({("backtest", "execution"), ("execution", "backtest")}, [["backtest", "execution"]]),
        ({("backtest", "signals"), ("signals", "backtest")}, [["backtest", "signals"]]),
        ({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}, [["a", "b", "c"]]),
        ({("a", "b"), ("b", "c")}, []),
    ],
)
def test_cycle_finder_catches_known_cycles(edges, expected):
    assert cycles(edges) == expected


def test_layer_check_flags_an_upward_import():
    problems = layer_violations({("data", "backtest"): "data/x.py"})
    assert problems == ["data/x.py: data (tier 0) imports backtest (tier 6)"]
