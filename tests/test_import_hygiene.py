"""Nothing outside ``p1tui/ui/`` imports Textual.

One walk over the whole package finds every module, so a module is covered the day it is
added. Each is checked twice: imported in a fresh interpreter (which catches an import
through any other module or library), and read as source (which catches an import hidden
inside a function, that only a rarely used path would run).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import p1tui

ROOT = Path(p1tui.__file__).parent
UI = ROOT / "ui"

UI_TEXTUAL_FREE = ("p1tui.ui.live", "p1tui.ui.format", "p1tui.ui.launch")
"""Modules inside p1tui/ui/ that the app's launcher and state need without Textual: the
monitor's state is computed off the UI thread, and `p1tui --help` must start fast."""

_PROBE = """
import importlib, json, os, pkgutil, sys
import p1tui

def walk(path, prefix):
    # pkgutil.walk_packages would import p1tui.ui's packages to look inside them
    for module in pkgutil.iter_modules(path, prefix):
        if module.name == "p1tui.ui" or module.name.endswith(".__main__"):
            continue  # the UI may import textual; __main__ would run the program
        yield module.name
        if module.ispkg:
            inner = os.path.join(path[0], module.name.rpartition(".")[2])
            yield from walk([inner], module.name + ".")

names = list(walk(p1tui.__path__, "p1tui."))
result = {"modules": names, "culprit": None}
for name in names + json.loads(sys.argv[1]):
    importlib.import_module(name)
    if "textual" in sys.modules:
        result["culprit"] = name
        break
print(json.dumps(result))
"""


def _probe(extra: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(extra)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _outside_ui() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if UI not in p.parents)


def test_no_module_outside_the_ui_imports_textual_when_imported() -> None:
    result = _probe([])
    assert result["culprit"] is None, f"{result['culprit']} imports textual"
    on_disk = {_module_name(p) for p in _outside_ui()} - {"p1tui.__main__"}
    assert on_disk <= set(result["modules"]) | {"p1tui"}  # the walk found every file
    assert {"p1tui.dsmr.decoder", "p1tui.link.reader", "p1tui.commands.simulate"} <= on_disk


def _textual_import_lines(source: str) -> list[int]:
    """Lines where the source imports textual, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "textual" or name.startswith("textual.") for name in names):
            found.append(node.lineno)
    return found


def test_no_source_file_outside_the_ui_has_a_textual_import() -> None:
    files = _outside_ui()
    assert len(files) > 30
    hits = [
        f"{path.relative_to(ROOT.parent)}:{line}"
        for path in files
        for line in _textual_import_lines(path.read_text(encoding="utf-8"))
    ]
    assert hits == []


@pytest.mark.parametrize("module", UI_TEXTUAL_FREE)
def test_the_ui_modules_the_launcher_needs_do_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


def test_the_checks_would_notice_textual() -> None:
    """Neither check is vacuous: an import of textual is caught by both."""
    assert _probe(["textual.app"])["culprit"] == "textual.app"
    hidden = "import json\n\ndef later():\n    from textual.app import App\n    return App\n"
    assert _textual_import_lines(hidden) == [4]
    assert _textual_import_lines("import textual.widgets as w\nimport textualize\n") == [1]
