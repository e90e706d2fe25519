"""End to end in a real terminal: tmux runs ``p1tui --port <pty>`` while the built-in meter
writes into the other end of the pseudo-terminal; the test reads the screen, changes the
serial settings with keys, saves them and quits with ctrl+q."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from p1tui.link.settings import SimulatorSettings
from p1tui.sim.simulator import iter_telegrams

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import serial_pty, write_all

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_screen(session: str, *texts: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", "-t", session)
        if all(text in screen for text in texts):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {texts} on the screen:\n{screen}")
        time.sleep(0.1)


def test_monitor_in_tmux_on_a_pseudo_terminal(tmp_path):
    config_path = tmp_path / "config.toml"
    session = f"p1tui-test-{id(tmp_path)}"
    stop = threading.Event()
    with serial_pty() as (master, port):

        def meter() -> None:
            for raw in iter_telegrams(SimulatorSettings(seed=3), 600):
                if stop.wait(0.5):
                    return
                write_all(master, raw)

        threading.Thread(target=meter, daemon=True).start()
        command = (
            f"env P1TUI_CONFIG={shlex.quote(str(config_path))} TEXTUAL_ANIMATIONS=none "
            f"XDG_DATA_HOME={shlex.quote(str(tmp_path / 'data'))} "
            f"{shlex.quote(sys.executable)} -m p1tui --port {shlex.quote(port)}; "
            "echo EXIT=$?; sleep 30"
        )
        tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
        try:
            screen = wait_screen(session, "RECEIVING", "NL DSMR 5", f"{port} 115200 8N1")
            assert "Power now" in screen and "Energy counters" in screen
            tmux("send-keys", "-t", session, "s")
            wait_screen(session, "Port or URL", port)
            # tab from the port field to the presets, open them, pick DSMR 2.2/3.0, apply
            for key in ("Tab", "Enter", "Down", "Down", "Enter", "C-r"):
                tmux("send-keys", "-t", session, key)
                time.sleep(0.2)
            wait_screen(session, f"{port} 9600 7E1", "RECEIVING")
            tmux("send-keys", "-t", session, "C-s")
            deadline = time.monotonic() + 10
            while not config_path.exists():
                assert time.monotonic() < deadline, "the config was never written"
                time.sleep(0.1)
            assert "baudrate = 9600" in config_path.read_text(encoding="utf-8")
            tmux("send-keys", "-t", session, "C-q")
            wait_screen(session, "EXIT=0")
            # A real meter is recorded into the history (here under XDG_DATA_HOME).
            assert (tmp_path / "data" / "p1tui" / "history.sqlite3").stat().st_size > 0
        finally:
            stop.set()
            subprocess.run(
                ["tmux", "kill-session", "-t", session], capture_output=True, check=False
            )
