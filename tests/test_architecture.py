"""The package keeps the shape docs/architecture.md draws.

Every module is named on that page; no module only re-exports another; no module
imports a private name of another; no import cycles; no function longer than 60
lines; environment variables are read in ``config`` alone. Each rule is checked
on the package's source with :mod:`ast`, so a change that breaks one fails here
with the offending places named.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gru_edu"
MAX_FUNCTION_LINES = 60
ENV_READ = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=)"
                      r"|in os\.environ\b")


def modules() -> dict[str, Path]:
    """Dotted name → file, for every module of the package but the shipped models."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "shipped" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()
TREES = {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


def imported(name: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` in module ``name`` reads from."""
    if node.level == 0:
        return node.module or ""
    base = name.split(".")
    if MODULES[name].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def owner(dotted: str) -> str:
    """The package module that defines ``dotted`` (a module or a name in one)."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted


def imports_of(name: str) -> list[tuple[str, str]]:
    """(module imported from, name imported) for each package import in ``name``."""
    found = []
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.ImportFrom):
            source = imported(name, node)
            if source.startswith("gru_edu"):
                found += [(source, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names
                      if alias.name.startswith("gru_edu")]
    return found


def test_every_module_is_on_the_map():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [name for name, path in MODULES.items()
               if path.name not in ("__init__.py", "__main__.py", "config.py")
               and f"`{name.rsplit('.', 1)[-1]}`" not in page]
    rooms = [name for name, path in MODULES.items()
             if path.name == "__init__.py" and name != "gru_edu"
             and f"`{name.rsplit('.', 1)[-1]}/`" not in page]
    assert not missing + rooms, f"not named in docs/architecture.md: {missing + rooms}"


def test_no_module_only_re_exports_another():
    shims = []
    for name, tree in TREES.items():
        body = [n for n in tree.body
                if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        if MODULES[name].name not in ("__init__.py", "__main__.py") and body and all(
                isinstance(n, (ast.Import, ast.ImportFrom)) or (
                    isinstance(n, ast.Assign)
                    and any(getattr(t, "id", "") == "__all__" for t in n.targets))
                for n in body):
            shims.append(name)
    assert not shims


def test_no_module_imports_a_private_name_of_another():
    private = [f"{name}: {source}.{alias}" for name in MODULES
               for source, alias in imports_of(name)
               if alias.startswith("_") and not alias.startswith("__")
               and owner(source) != name]
    assert not private


def test_no_import_cycles():
    graph = {}
    for name in MODULES:
        edges = set()
        for source, alias in imports_of(name):
            target = owner(f"{source}.{alias}") if alias else owner(source)
            # a package importing its own children, or a child its package, is no cycle
            if target and target != name and not target.startswith(name + ".") \
                    and not name.startswith(target + "."):
                edges.add(target)
        graph[name] = edges

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and not seen.add(nxt)
                               and reaches(nxt, goal, seen)):
                return True
        return False

    cycles = sorted(name for name in graph if reaches(name, name, set()))
    assert not cycles, f"modules on an import cycle: {cycles}"


def test_no_function_is_longer_than_a_screen():
    long = sorted((node.end_lineno - node.lineno + 1, f"{name}.{node.name}")
                  for name, tree in TREES.items() for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES)
    assert not long


def test_environment_is_read_in_config_alone():
    readers = [name for name, path in MODULES.items()
               if name != "gru_edu.config" and ENV_READ.search(path.read_text())]
    assert not readers
