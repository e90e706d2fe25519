"""The I/O layer never imports Textual (the UI turns its events into messages)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import p1tui

ROOT = Path(p1tui.__file__).parent

MODULES = [
    "p1tui.link.serial_source",
    "p1tui.link.replay_source",
    "p1tui.link.factory",
    "p1tui.link.diagnosis",
    "p1tui.link.reader",
    "p1tui.link.masking",
    "p1tui.link.ports",
    "p1tui.link.detect",
    "p1tui.commands.record",
    "p1tui.commands.detect",
    "p1tui.commands.ports",
]


def test_no_textual_in_the_link_layer():
    code = f"import sys\nfor m in {MODULES!r}: __import__(m)\nprint('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


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
