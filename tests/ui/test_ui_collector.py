"""The monitor attaches to a running collector: ``p1tui serve`` in a real process reads a
pseudo-terminal, and ``p1tui`` with no option, in tmux, finds it at the configured
address and shows its telegrams; with no collector it opens the saved port."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from p1tui.link.settings import SimulatorSettings
from p1tui.sim.simulator import iter_telegrams

sys.path.insert(0, str(Path(__file__).parent.parent))
from process_helpers import Command
from test_link_helpers import serial_pty, write_all
from test_ui_terminal import start_meter, tmux, wait_screen

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def monitor_in_tmux(session: str, config: Path, *options: str) -> None:
    """``p1tui`` (with no option unless given), with the config ``config``, a data
    directory (the history) beside it, and this test run's state directory (where the
    collectors it starts announce themselves): the tmux server has an environment of its own."""
    command = (
        f"env P1TUI_CONFIG={shlex.quote(str(config))} "
        f"XDG_STATE_HOME={shlex.quote(os.environ['XDG_STATE_HOME'])} "
        f"XDG_DATA_HOME={shlex.quote(str(config.parent))} TEXTUAL_ANIMATIONS=none "
        f"{shlex.quote(sys.executable)} -m p1tui {shlex.join(options)}; echo EXIT=$?; sleep 30"
    )
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)


def test_the_monitor_attaches_to_a_running_collector_and_shows_its_telegrams(tmp_path):
    """One connection per monitor (the collector announced itself: no probe first), the
    collector's history on the History screen (its --db, not the monitor's store), and
    an explicit socket:// URL of the collector labelled as the collector."""
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'[collector]\nlisten = "127.0.0.1:{port}"\n', encoding="utf-8")
    env = {"P1TUI_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path)}  # its own history
    short = Path(tempfile.mkdtemp(prefix="p1"))  # a path that fits on one line at 80 columns
    db = short / "c.sqlite3"
    session = f"p1tui-collector-{id(tmp_path)}"
    stop = threading.Event()
    with (
        serial_pty() as (master, path),
        Command("serve", "--port", path, "--db", str(db), env={**os.environ, **env}) as collector,
    ):
        collector.wait_line(f"serving TCP clients on 127.0.0.1:{port}", timeout=30)
        start_meter(master, stop)
        monitor_in_tmux(session, config)
        try:
            screen = wait_screen(
                session, "RECEIVING", "NL DSMR 5", f"via collector 127.0.0.1:{port}", timeout=30
            )
            assert "Power now" in screen and "Energy counters" in screen
            collector.wait_line("client 127.0.0.1:", timeout=30)
            tmux("send-keys", "-t", session, "h")
            wait_screen(
                session, f"The collector's history: {db}", "import up, export down", timeout=60
            )
            tmux("send-keys", "-t", session, "C-q")
            wait_screen(session, "EXIT=0")
            collector.wait_line("disconnected (0 connected)", timeout=30)
            clients = [line for line in collector.lines if "client 127.0.0.1:" in line]
            assert [line.split()[-3] for line in clients] == ["connected", "disconnected"]
            subprocess.run(["tmux", "kill-session", "-t", session], check=False)
            monitor_in_tmux(session, tmp_path / "none.toml", "--port", f"socket://127.0.0.1:{port}")
            wait_screen(session, "RECEIVING", f"via collector 127.0.0.1:{port}", timeout=30)
            tmux("send-keys", "-t", session, "C-q")
            wait_screen(session, "EXIT=0")
        finally:
            stop.set()
            subprocess.run(
                ["tmux", "kill-session", "-t", session], capture_output=True, check=False
            )
            shutil.rmtree(short, ignore_errors=True)
        assert collector.stop(signal.SIGTERM) == 0


def test_with_no_collector_the_monitor_opens_the_saved_port(tmp_path):
    port = free_port()  # nobody listens there
    config = tmp_path / "config.toml"
    session = f"p1tui-no-collector-{id(tmp_path)}"
    with serial_pty() as (master, path):
        config.write_text(
            f'[serial]\nport = "{path}"\n\n[collector]\nlisten = "127.0.0.1:{port}"\n',
            encoding="utf-8",
        )
        raw = next(iter(iter_telegrams(SimulatorSettings(seed=3), 1)))
        monitor_in_tmux(session, config)
        try:
            wait_screen(session, f"{path} 115200 8N1", timeout=30)
            write_all(master, raw)
            wait_screen(session, "RECEIVING", "NL DSMR 5", timeout=30)
            tmux("send-keys", "-t", session, "C-q")
            wait_screen(session, "EXIT=0")
        finally:
            subprocess.run(
                ["tmux", "kill-session", "-t", session], capture_output=True, check=False
            )
