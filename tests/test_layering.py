"""Imports run downward: a layer never imports one above it or a peer front end.

Read from the source (ast), so a function-level import counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import p1tui

PACKAGE = Path(p1tui.__file__).parent

FORBIDDEN = (
    # (importer, imported): the importer's modules must not import the imported package.
    ("p1tui.ui", "p1tui.commands"),  # the monitor's launcher and the commands are peers
    ("p1tui.ui", "p1tui.cli"),
    ("p1tui.commands", "p1tui.cli"),  # the CLI dispatches to the commands, not the reverse
    ("p1tui.store", "p1tui.commands"),  # the history is a library the front ends use
    ("p1tui.store", "p1tui.ui"),
    ("p1tui.store", "p1tui.cli"),
    ("p1tui.errors", "p1tui"),  # shared by every front end: imports nothing of p1tui
    ("p1tui.cli_options", "p1tui"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_imports_run_downward():
    modules = {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}
    assert "p1tui.ui.launch" in modules and "p1tui.commands.simulate" in modules
    upward = sorted(
        f"{importer} imports {imported}"
        for importer, imported_names in modules.items()
        for low, high in FORBIDDEN
        if within(importer, low)
        for imported in imported_names
        if within(imported, high) and not within(imported, low)
    )
    assert upward == []
