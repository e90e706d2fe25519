"""The link layer never imports the simulator (Textual is checked by the package walk)."""

from __future__ import annotations

import ast
from pathlib import Path

import p1tui

ROOT = Path(p1tui.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (inside functions too), made absolute."""
    package = "p1tui." + ".".join(path.relative_to(ROOT).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.add(".".join(part for part in (base, node.module or "") if part))
    return found


def test_the_link_layer_never_imports_the_simulator():
    """p1tui.sim builds on p1tui.link, so the link layer importing it would be a loop."""
    files = sorted((ROOT / "link").glob("*.py"))
    assert files
    for path in files:
        upward = {m for m in imported_modules(path) if m.startswith("p1tui.sim")}
        assert not upward, f"{path.name} imports {upward}"
