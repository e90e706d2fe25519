"""The monitor's Textual-free modules stay so (tests/test_import_hygiene.py covers the
protocol, link and simulator layers)."""

from __future__ import annotations

import subprocess
import sys

import pytest

TEXTUAL_FREE = [
    "p1tui.cli",
    "p1tui.config",
    "p1tui.ui.live",
    "p1tui.ui.format",
    "p1tui.ui.launch",
]


@pytest.mark.parametrize("module", TEXTUAL_FREE)
def test_module_does_not_import_textual(module):
    code = f"import sys, {module}; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
