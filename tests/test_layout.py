"""The package's shape stays what the README says: every module is in the "How it works" table (after datasette's
documentation tests), and data flows one way, with no import cycle anywhere in qa/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module under qa/."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts).removesuffix(".__init__")] = path
    return found


def _how_it_works() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## How it works\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no 'How it works' section"
    return match.group(1)


def test_every_module_is_named_in_the_readme_table() -> None:
    section = _how_it_works()
    named = set(re.findall(r"`([\w/]+\.py)`", section))
    missing = [
        str(path.relative_to(PACKAGE)) for path in _modules().values()
        if path.name != "__init__.py" or path.parent.name == "llm"  # a package's __init__ that does work is a module
        if str(path.relative_to(PACKAGE)) not in named
    ]
    assert not missing, f"add these to README.md's 'How it works' table: {missing}"
    stale = sorted(name for name in named if not (PACKAGE / name).exists())
    assert not stale, f"README.md's 'How it works' table names modules that do not exist: {stale}"


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the qa modules it imports, at the top or inside functions (a lazy import can close a cycle too)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_there_is_no_import_cycle_in_the_package() -> None:
    graph = _imports(_modules())
    graph.pop("qa")  # qa/__init__.py only re-exports the public API: answer, answer_stream, ingest, QAError
    for imported in graph.values():
        imported.discard("qa")
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
