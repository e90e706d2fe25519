"""A running ``p1tui serve`` announces where it listens and records; the monitor of the
same user finds it there without probing it, and a killed collector's file misleads nobody.
Real collector processes, real signals, real TCP on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest
from process_helpers import Command
from test_link_helpers import serial_pty
from test_serve import TIMEOUT, Client, serve, serving_port

from p1tui.cli import build_parser
from p1tui.collector.announce import Announcement, announce_dir, announced
from p1tui.collector.listen import ListenAddress, running_collector
from p1tui.config import Config
from p1tui.link.settings import CollectorSettings, SerialSettings
from p1tui.store.browse import HistoryAccess
from p1tui.ui.launch import attached_history, collector_to_attach, known_collector


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This user's directories, shared by the collectors started and this test (the monitor)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("P1TUI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.chdir(tmp_path)
    return dict(os.environ)


def announcement_of(command: Command) -> Path:
    return announce_dir() / f"{command.process.pid}.json"


def test_it_says_where_it_listens_and_records_until_it_stops(env, tmp_path):
    with serial_pty() as (_meter, path), serve(env, "--port", path, "--db", "mine.db") as command:
        port = serving_port(command)
        pid = command.process.pid
        found = Announcement("127.0.0.1", port, pid, tmp_path / "mine.db")  # made absolute
        assert announced("127.0.0.1", port) == found
        assert announced("localhost", port) == found
        assert announced("127.0.0.1", port + 1) is None
        assert running_collector(ListenAddress("127.0.0.1", port)) == CollectorSettings(
            "127.0.0.1", port
        )
        # The monitor's start was no connection: the first client the log names is this one.
        client = Client(port, reading=False)
        command.wait_line(f"client {client.address} connected", timeout=TIMEOUT)
        assert [line for line in command.lines if "client 127.0.0.1:" in line] == [
            line for line in command.lines if f"client {client.address} connected" in line
        ]
        client.close()
        assert announcement_of(command).exists()
        assert command.stop(signal.SIGTERM) == 0
    assert not announcement_of(command).exists()
    assert announced("127.0.0.1", port) is None


def test_listening_on_every_interface_is_found_at_loopback(env):
    with serial_pty() as (_meter, path), serve(env, "--port", path, listen="0.0.0.0:0") as command:
        line = command.wait_line("started:", timeout=TIMEOUT)
        port = int(line.rsplit(":", 1)[1])
        assert announced("127.0.0.1", port).host == "0.0.0.0"
        assert announced("localhost", port) is not None
        assert command.stop(signal.SIGTERM) == 0


def test_a_killed_collectors_file_is_ignored_and_the_next_one_clears_it(env):
    with serial_pty() as (_meter, path):
        with serve(env, "--port", path) as killed:
            port = serving_port(killed)
            killed.process.send_signal(signal.SIGKILL)
            killed.finish()
        stale = announcement_of(killed)
        assert stale.exists()  # nobody removed it, yet:
        assert announced("127.0.0.1", port) is None
        assert running_collector(ListenAddress("127.0.0.1", port)) is None  # asked: refused
        with serve(env, "--port", path) as second:
            serving_port(second)  # announced before it starts, having cleared the dead
            assert not stale.exists() and announcement_of(second).exists()
            assert second.stop(signal.SIGTERM) == 0


def test_the_attached_monitor_reads_the_collectors_history_or_says_which_it_reads(env, tmp_path):
    own = HistoryAccess(tmp_path / "own.sqlite3")
    with serial_pty() as (_meter, path), serve(env, "--port", path, "--db", "c.db") as command:
        port = serving_port(command)
        attached = CollectorSettings("127.0.0.1", port)
        access, note = attached_history(attached, own, given_db=False)
        assert access == HistoryAccess(tmp_path / "c.db")
        assert note == f"The collector's history: {tmp_path / 'c.db'}"
        assert attached_history(attached, own, given_db=True) is None  # --db chose
        assert attached_history(SerialSettings(path), own, given_db=False) is None
        assert command.stop(signal.SIGTERM) == 0
    # A collector that does not announce itself to this user (a service run as another
    # user): its own state directory.
    other = {**env, "XDG_STATE_HOME": str(tmp_path / "other-user")}
    with serial_pty() as (_meter, path), serve(other, "--port", path, "--db", "c.db") as command:
        port = serving_port(command)
        access, note = attached_history(CollectorSettings("127.0.0.1", port), own, given_db=False)
        assert access == own
        assert note.startswith(f"This monitor's history: {own.db}. The collector at ")
        assert "p1tui --db PATH, or set [history] db in the config" in note
        assert command.stop(signal.SIGTERM) == 0


def test_the_monitor_with_no_option_attaches_to_the_only_collector_wherever_it_listens(env):
    """``p1tui serve --listen 127.0.0.1:PORT`` (not the configured address): ``p1tui`` with
    no option finds it by its announcement; with two running, it cannot tell which."""
    no_options = build_parser().parse_args([])
    with serial_pty() as (_meter, path), serve(env, "--port", path) as first:
        port = serving_port(first)
        assert port != ListenAddress().port  # the configured (default) address has none
        assert collector_to_attach(no_options, Config()) == CollectorSettings("127.0.0.1", port)
        assert collector_to_attach(build_parser().parse_args(["--demo"]), Config()) is None
        with (
            serial_pty() as (_other, other_path),
            serve(env, "--port", other_path, "--db", "second.db") as second,
        ):
            serving_port(second)
            assert collector_to_attach(no_options, Config()) is None
            assert second.stop(signal.SIGTERM) == 0
        assert first.stop(signal.SIGTERM) == 0


def test_an_explicit_socket_url_of_a_collector_is_that_collector(env):
    with serial_pty() as (_meter, path), serve(env, "--port", path) as command:
        port = serving_port(command)
        for host in ("127.0.0.1", "localhost"):
            url = SerialSettings(f"socket://{host}:{port}")
            assert known_collector(url) == CollectorSettings(host, port)
            assert known_collector(url).describe() == f"via collector {host}:{port}"
        assert command.stop(signal.SIGTERM) == 0
    with socket.create_server(("127.0.0.1", 0)) as dongle:  # a network dongle, no collector
        url = SerialSettings(f"socket://127.0.0.1:{dongle.getsockname()[1]}")
        assert known_collector(url) is url
    assert known_collector(SerialSettings("/dev/ttyUSB0")) == SerialSettings("/dev/ttyUSB0")


def test_a_collector_on_another_machine_sharing_the_home_is_not_here(tmp_path):
    """A home shared over NFS: a collector elsewhere holds its file's lock, but its
    127.0.0.1 is not this machine's."""
    import fcntl
    import json

    folder = tmp_path / "collectors"
    folder.mkdir()
    for machine, expected in (("elsewhere", None), (socket.gethostname(), 4242)):
        path = folder / "4242.json"
        text = {"host": "127.0.0.1", "port": 2323, "pid": 4242, "db": "/d", "machine": machine}
        path.write_text(json.dumps(text), encoding="utf-8")
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # as the running collector holds it
            found = announced("127.0.0.1", 2323, folder)
            assert (found and found.pid) == expected
        finally:
            os.close(fd)
    assert announced("127.0.0.1", 2323, folder) is None  # nobody holds it: gone
