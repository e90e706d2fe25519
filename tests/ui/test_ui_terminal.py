"""End to end in a real terminal: tmux runs ``p1tui --port <pty>`` while the built-in meter
writes into the other end of the pseudo-terminal; the test reads the screen, changes the
serial settings with keys, saves them and quits with ctrl+q.

Every key is sent once the screen shows that the one before it took effect (no fixed
pauses), so a loaded machine makes the test slower, not flaky."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from p1tui.link.settings import SimulatorSettings
from p1tui.sim.simulator import iter_telegrams

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import serial_pty, write_all

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> str:
    """Run a tmux command; a new session is asked again a few times, since a server whose
    last session was just killed may still be exiting and refuse it."""
    for _ in range(5 if args[0] == "new-session" else 1):
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout
        time.sleep(0.5)
    raise AssertionError(f"tmux {' '.join(args[:1])} failed: {done.stderr.strip()}")


def start_meter(master: int, stop: threading.Event) -> None:
    """The built-in meter writes a telegram into ``master`` every 0.5 s until ``stop``."""

    def meter() -> None:
        for raw in iter_telegrams(SimulatorSettings(seed=3), 600):
            if stop.wait(0.5):
                return
            write_all(master, raw)

    threading.Thread(target=meter, daemon=True).start()


WAIT = 30.0
"""Seconds to wait for the screen to show something: generous, for a loaded machine."""


def wait_screen(session: str, *texts: str, timeout: float = WAIT) -> str:
    """The screen (plain text) once it shows all of ``texts``."""
    return wait_for(
        session, lambda screen: all(text in screen for text in texts), str(texts), timeout=timeout
    )


def wait_for(
    session: str,
    shows: Callable[[str], bool],
    what: str,
    *,
    styled: bool = False,
    timeout: float = WAIT,
) -> str:
    """The screen once ``shows(screen)`` holds; ``styled``: with its colour and bold codes."""
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", *(["-e"] if styled else []), "-t", session)
        if shows(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what} on the screen:\n{screen}")
        time.sleep(0.1)


def highlighted(text: str) -> Callable[[str], bool]:
    """A test of a styled screen: ``text`` is the highlighted (bold) option of an open list."""
    pattern = re.compile(r"\x1b\[1m(?:\x1b\[[0-9;]*m)*" + re.escape(text))
    return lambda screen: pattern.search(screen) is not None


def footer(screen: str) -> str:
    """The screen's last line: the key bindings of what has the focus."""
    return screen.rstrip("\n").rsplit("\n", 1)[-1]


def test_monitor_in_tmux_on_a_pseudo_terminal(tmp_path):
    config_path = tmp_path / "config.toml"
    session = f"p1tui-test-{id(tmp_path)}"
    stop = threading.Event()
    with serial_pty() as (master, port):
        start_meter(master, stop)
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
            wait_for(session, lambda screen: "d Dashboard" not in footer(screen), "port focus")
            # tab from the port field to the presets (on DSMR 4/5, what the port uses), open
            # them, pick the next one, DSMR 2.2/3.0, apply
            tmux("send-keys", "-t", session, "Tab")
            # The port field took "d" as text; out of it, "d" is the Dashboard key again.
            wait_for(session, lambda screen: "d Dashboard" in footer(screen), "focus leave")
            tmux("send-keys", "-t", session, "Enter")
            wait_screen(session, "DSMR 2.2/3.0 (9600 7E1)")  # the list is open
            tmux("send-keys", "-t", session, "Down")
            wait_for(
                session, highlighted("DSMR 2.2/3.0 (9600 7E1)"), "DSMR 2.2 highlighted", styled=True
            )
            tmux("send-keys", "-t", session, "Enter")
            wait_screen(session, "Baud rate    9600")  # the preset filled the fields
            tmux("send-keys", "-t", session, "C-r")
            wait_screen(session, f"{port} 9600 7E1", "RECEIVING")
            tmux("send-keys", "-t", session, "C-s")
            deadline = time.monotonic() + WAIT
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


def terminal_flags(session: str) -> dict[str, str]:
    """What tmux says about the terminal's modes: alternate screen, mouse, cursor."""
    names = ("alternate_on", "mouse_any_flag", "mouse_standard_flag", "cursor_flag")
    values = tmux("display", "-p", "-t", session, " ".join(f"#{{{name}}}" for name in names))
    return dict(zip(names, values.split(), strict=True))


def start_monitor(session: str, tmp_path: Path, options: str) -> Path:
    """``p1tui OPTIONS`` in a new 80x24 tmux session; the file its pid is written to."""
    pid_file = tmp_path / "pid"
    monitor = (
        f"echo $$ > {shlex.quote(str(pid_file))}; exec env "
        f"P1TUI_CONFIG={shlex.quote(str(tmp_path / 'config.toml'))} TEXTUAL_ANIMATIONS=none "
        f"{shlex.quote(sys.executable)} -m p1tui {options}"
    )
    command = f"sh -c {shlex.quote(monitor)}; echo EXIT=$?; sleep 60"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    return pid_file


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_kill_ends_the_monitor_like_ctrl_q_and_restores_the_terminal(tmp_path, signum):
    session = f"p1tui-signal-{id(tmp_path)}"
    pid_file = start_monitor(session, tmp_path, "--demo --speed 10")
    try:
        wait_screen(session, "RECEIVING", "Power now")
        assert terminal_flags(session)["alternate_on"] == "1"  # the app holds the screen
        os.kill(int(pid_file.read_text()), signum)
        screen = wait_screen(session, "EXIT=0")
        assert "Terminated" not in screen and "Hangup" not in screen
        assert terminal_flags(session) == {
            "alternate_on": "0",
            "mouse_any_flag": "0",
            "mouse_standard_flag": "0",
            "cursor_flag": "1",
        }
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def test_ctrl_q_during_detect_quits_at_once(tmp_path):
    """Detect on a silent port listens up to 48 s; ctrl+q must not wait for it."""
    session = f"p1tui-detect-{id(tmp_path)}"
    with serial_pty() as (_master, port):
        start_monitor(session, tmp_path, f"--port {shlex.quote(port)}")
        try:
            wait_screen(session, "Power now")
            tmux("send-keys", "-t", session, "s")
            wait_screen(session, "Port or URL", "Detect")
            tmux("send-keys", "-t", session, "C-t")
            wait_screen(session, "Cancel detect")
            tmux("send-keys", "-t", session, "C-q")
            wait_screen(session, "EXIT=0", timeout=10)
        finally:
            subprocess.run(
                ["tmux", "kill-session", "-t", session], capture_output=True, check=False
            )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("quit_first", [True, False], ids=["ctrl+q-then-close", "close"])
def test_the_monitor_ends_when_its_terminal_goes_away(tmp_path, quit_first):
    """A closed SSH session: the terminal is gone while Textual still writes to it (its
    writer thread stops and its shutdown waits for it for ever, textual#6692). The
    process must end all the same, a few seconds later, not run on for good."""
    pids = []
    for attempt in range(3):  # the race is lost most of the time, not every time
        session = f"p1tui-gone-{id(tmp_path)}-{attempt}"
        folder = tmp_path / str(attempt)
        folder.mkdir()
        pid_file = start_monitor(session, folder, "--demo --speed 0")
        try:
            wait_screen(session, "RECEIVING", "Power now")
            pids.append(int(pid_file.read_text()))
            if quit_first:
                tmux("send-keys", "-t", session, "C-q")
        finally:
            subprocess.run(
                ["tmux", "kill-session", "-t", session], capture_output=True, check=False
            )
    deadline = time.monotonic() + WAIT
    try:
        while any(alive(pid) for pid in pids):
            assert time.monotonic() < deadline, "a monitor outlived its terminal"
            time.sleep(0.2)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
