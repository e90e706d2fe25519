"""The I/O layer never imports Textual (the UI turns its events into messages)."""

from __future__ import annotations

import subprocess
import sys

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
