"""``p1tui serve`` as a service runs it: a real process reading a pseudo-terminal or a TCP
dongle, real TCP clients on 127.0.0.1, real signals."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from process_helpers import Command
from test_link_helpers import MeterServer, day_of_telegrams, serial_pty, write_all

from p1tui.dsmr import Framer, parse

TIMEOUT = 30


def serve(env: dict[str, str], *args: str, listen: str | None = "127.0.0.1:0") -> Command:
    extra = ["--listen", listen] if listen else []
    return Command("serve", *args, *extra, env=env)


def serving_port(command: Command) -> int:
    line = command.wait_line("started:", timeout=TIMEOUT)
    match = re.search(r"serving TCP clients on 127\.0\.0\.1:(\d+)", line)
    assert match, line
    return int(match.group(1))


class Client:
    """A TCP client of the collector; ``reading=False`` connects and never reads."""

    def __init__(self, port: int, reading: bool = True) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if not reading:  # a small window, so the collector soon notices it is stuck
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        if reading:
            self._thread.start()

    def _read(self) -> None:
        self.sock.settimeout(TIMEOUT * 2)
        try:
            while chunk := self.sock.recv(65536):
                self.data += chunk
        except OSError:
            pass

    def wait_bytes(self, size: int) -> bytes:
        deadline = time.monotonic() + TIMEOUT
        while len(self.data) < size and time.monotonic() < deadline:
            time.sleep(0.02)
        return bytes(self.data)

    def wait_closed(self) -> None:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the collector did not close the connection"

    def close(self) -> None:
        self.sock.close()


def test_every_client_gets_every_telegram_byte_for_byte_while_one_never_reads(env):
    sent = list(day_of_telegrams(150))
    stream = b"".join(sent)
    with serial_pty() as (meter, path), serve(env, "--port", path, "--verbose") as command:
        port = serving_port(command)
        # Opening a serial port flushes what came before: start once it is open.
        command.wait_line("open, waiting for the first telegram", timeout=TIMEOUT)
        readers = [Client(port) for _ in range(4)]
        stuck = Client(port, reading=False)
        for client in [*readers, stuck]:
            command.wait_line(f"client {client.address} connected", timeout=TIMEOUT)
        junk = b"\x00garbage before the first telegram\r\n"
        broken = sent[0].replace(b"1-0:1.8.1(", b"1-0:1.8.1(9")  # CRC now wrong
        write_all(meter, junk + broken)
        for data in sent:
            write_all(meter, data)
            time.sleep(0.005)  # about the line rate of a fast meter, not one burst
        for reader in readers:
            assert reader.wait_bytes(len(stream)) == stream  # whole, in order, nothing else
        assert command.stop(signal.SIGTERM) == 0
        for reader in readers:
            reader.wait_closed()
            reader.close()
        stuck.close()
    assert any("link up: telegrams arriving" in line for line in command.lines)
    framer = Framer()
    stamps = [parse(f).timestamp.timestamp() for f in framer.feed(stream) + framer.close()]
    minutes = len({int(ts - 1) // 60 for ts in stamps})  # a minute holds (t, t + 60]
    assert command.lines[-1].endswith(
        f"stopped: 150 telegrams, 1 with a failed CRC, 5 clients, {minutes} minutes written"
    ), command.lines


def test_a_client_that_stops_reading_is_dropped_and_the_log_names_it(env):
    with serial_pty() as (meter, path), serve(env, "--port", path) as command:
        port = serving_port(command)
        stuck = Client(port, reading=False)
        command.wait_line(f"client {stuck.address} connected", timeout=TIMEOUT)
        feeding = threading.Thread(
            target=lambda: [write_all(meter, t) for t in day_of_telegrams(3000)], daemon=True
        )
        feeding.start()  # about 3 MB, far past what a client may fall behind
        line = command.wait_line(f"client {stuck.address} dropped", timeout=TIMEOUT)
        assert "stopped reading" in line and "warning" in line
        feeding.join(TIMEOUT)
        stuck.close()
        assert command.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["kill", "ctrl+c"])
def test_a_signal_stops_it_cleanly_with_exit_0(env, signum):
    dongle = MeterServer()
    try:
        with serve(env, "--port", dongle.url) as command:
            port = serving_port(command)
            dongle.wait_connection(timeout=TIMEOUT)
            client = Client(port)
            command.wait_line(f"client {client.address} connected", timeout=TIMEOUT)
            send_until_logged(dongle, command, "link up: telegrams arriving", 1)
            telegram = next(day_of_telegrams(1))
            assert client.wait_bytes(len(telegram)).startswith(telegram)
            command.process.send_signal(signum)
            assert command.finish(timeout=10) == 0
            client.wait_closed()  # the clients are closed, not left hanging
            client.close()
    finally:
        dongle.close()
    assert f"{signal.Signals(signum).name} received: stopping" in command.lines[-2]
    assert "0 with a failed CRC, 1 client" in command.lines[-1]


def send_until_logged(dongle: MeterServer, command: Command, text: str, count: int) -> None:
    """Send a telegram every 0.3 s until the log holds ``text`` ``count`` times.

    pyserial discards what arrives while it opens a ``socket://`` link, so one telegram
    sent just after the connection may never reach the collector (a meter sends again).
    """
    telegram = next(day_of_telegrams(1))
    deadline = time.monotonic() + TIMEOUT
    while len([line for line in command.lines if text in line]) < count:
        assert time.monotonic() < deadline, command.lines
        dongle.send(telegram)
        time.sleep(0.3)


def test_the_log_says_when_the_link_goes_down_and_comes_back(env):
    dongle = MeterServer()
    try:
        with serve(env, "--port", dongle.url) as command:
            dongle.wait_connection(timeout=TIMEOUT)
            send_until_logged(dongle, command, "link up: telegrams arriving", 1)
            dongle.drop()
            down = command.wait_line("link down:", timeout=TIMEOUT)
            assert "retrying in 1 s" in down and "warning" in down
            dongle.wait_connection(2, timeout=TIMEOUT)
            send_until_logged(dongle, command, "link up: telegrams arriving", 2)
            assert command.stop(signal.SIGTERM) == 0
    finally:
        dongle.close()


def listening_addresses(pid: int) -> list[str]:
    """``HOST:PORT`` of every TCP socket process ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for row in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                host_hex, port_hex = local.split(":")
                raw = bytes.fromhex(host_hex)
                # /proc writes the address as 32-bit words in host (little-endian) order.
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4))
                family = socket.AF_INET if size == 4 else socket.AF_INET6
                found.append(f"{socket.inet_ntop(family, words)}:{int(port_hex, 16)}")
    return found


def test_without_listen_only_loopback_is_listened_on(env):
    with serial_pty() as (_meter, path), serve(env, "--port", path, listen=None) as command:
        line = command.wait_line("started:", timeout=TIMEOUT)
        assert "serving TCP clients on 127.0.0.1:2323" in line
        assert listening_addresses(command.process.pid) == ["127.0.0.1:2323"]
        assert not any("other machines" in line for line in command.lines)
        assert command.stop(signal.SIGTERM) == 0


def test_listening_beyond_loopback_only_when_told_and_the_log_says_so(env):
    with serial_pty() as (_meter, path), serve(env, "--port", path, listen="0.0.0.0:0") as command:
        line = command.wait_line("other machines on the network can read the meter")
        assert "warning: listening on 0.0.0.0:" in line
        (address,) = listening_addresses(command.process.pid)
        assert address.startswith("0.0.0.0:")
        assert command.stop(signal.SIGTERM) == 0


def test_the_config_names_the_address(env, tmp_path):
    (tmp_path / "config.toml").write_text('[collector]\nlisten = "127.0.0.1:0"\n')
    with serial_pty() as (_meter, path), serve(env, "--port", path, listen=None) as command:
        serving_port(command)
        assert command.stop(signal.SIGTERM) == 0


def run_serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "p1tui", "serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def test_without_a_port_it_says_what_to_do(env):
    done = run_serve(env)
    assert done.returncode == 2
    assert done.stderr == (
        "p1tui serve: no port to read: give --port, or save one in the monitor's settings (p1tui)\n"
    )


@pytest.mark.parametrize(
    ("options", "line"), [((), "9600 7E1"), (("--baudrate", "115200"), "115200 7E1")]
)
def test_the_saved_line_settings_follow_another_port(env, tmp_path, options, line):
    """As the monitor does (test_ui_cli.py): the saved line is the meter's, whatever the
    cable is called now; options given win."""
    (tmp_path / "config.toml").write_text(
        '[serial]\nport = "/dev/ttyUSB0"\nbaudrate = 9600\nbytesize = 7\nparity = "E"\n',
        encoding="utf-8",
    )
    with serial_pty() as (_meter, path), serve(env, "--port", path, *options) as command:
        started = command.wait_line("started:", timeout=TIMEOUT)
        assert f"started: reading {path} {line}, serving" in started
        assert command.stop(signal.SIGTERM) == 0


def test_a_busy_address_is_one_sentence(env):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_serve(env, "--port", "/dev/ttyUSB9", "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert done.stderr == (
        f"p1tui serve: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_a_bad_listen_address_is_a_usage_error(env):
    done = run_serve(env, "--listen", "localhost")
    assert done.returncode == 2
    assert "argument --listen: 'localhost' is not an address like 127.0.0.1:2323" in done.stderr


def test_the_systemd_unit_runs_this_p1tui_as_this_user(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative --db becomes absolute: a unit has no cwd
    args = ["--port", "/dev/ttyUSB0", "--listen", ":2323", "--db", "my history.sqlite3"]
    done = subprocess.run(
        [sys.executable, "-m", "p1tui", "serve", "--print-systemd-unit", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(Path(__file__).parent.parent)},
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    unit = done.stdout
    (exec_start,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert exec_start == (
        f"ExecStart={sys.executable} -m p1tui serve --port /dev/ttyUSB0 --listen 127.0.0.1:2323"
        f" --db '{tmp_path / 'my history.sqlite3'}'"
    )
    assert "\nRestart=on-failure\n" in unit
    assert "\nSupplementaryGroups=dialout\n" in unit
    import getpass

    assert f"\nUser={getpass.getuser()}\n" in unit
    assert f"\nEnvironment=P1TUI_CONFIG={env['P1TUI_CONFIG']}\n" in unit
    # Where the monitor looks for the collector's announcement (the tests' own state dir).
    assert f"\nEnvironment=XDG_STATE_HOME={env['XDG_STATE_HOME']}\n" in unit
    assert "\nWantedBy=multi-user.target\n" in unit


def test_a_summary_is_logged_at_every_interval():
    """In process, with the interval cut to a fraction of a second: the real reader on a
    pseudo-terminal, the real server, the log on a stream."""
    import io
    import logging

    from p1tui.collector.listen import ListenAddress
    from p1tui.collector.log import collector_log
    from p1tui.collector.service import Collector
    from p1tui.link.settings import SerialSettings

    out = io.StringIO()
    log = collector_log(logging.INFO, out)
    with serial_pty() as (meter, path):
        collector = Collector(
            SerialSettings(path), ListenAddress("127.0.0.1", 0), log, summary_every=0.2
        )
        stop = threading.Event()
        collector.start()
        runner = threading.Thread(target=collector.run_until, args=(stop,), daemon=True)
        runner.start()
        pattern = re.compile(
            r"summary: (\d+) telegrams? and (\d+) with a failed CRC in the last 0\.2 s; "
            r"since the start: (\d+) telegrams?"
        )
        try:
            # The port may drop what comes before it is open: keep sending, as a meter does.
            for telegram in day_of_telegrams(TIMEOUT * 10):
                write_all(meter, telegram)
                time.sleep(0.1)
                if any(int(total) >= 3 for *_, total in pattern.findall(out.getvalue())):
                    break
        finally:
            stop.set()
            runner.join(TIMEOUT)
            collector.stop()
    summaries = pattern.findall(out.getvalue())
    # Each summary counts its own interval, and the intervals add up to the total.
    assert sum(int(recent) for recent, _, _ in summaries) == int(summaries[-1][2]) >= 3
    assert all(failed == "0" for _, failed, _ in summaries)


def test_a_link_that_stays_down_is_said_once_not_at_every_retry(env):
    dongle = MeterServer()
    url = dongle.url
    dongle.close()  # nothing listens: every attempt is refused
    with serve(env, "--port", url, "--verbose") as command:
        command.wait_line("link down: connection refused", count=3, timeout=TIMEOUT)
        assert command.stop(signal.SIGTERM) == 0
    downs = [line for line in command.lines if "link down: connection refused" in line]
    assert [("warning:" in line) for line in downs[:3]] == [True, False, False]
    assert "retrying in 1 s" in downs[0] and "retrying in 4 s" in downs[2]


INSTALLED = Path(sys.executable).parent / "p1tui"


@pytest.mark.skipif(not INSTALLED.exists(), reason="p1tui is not installed as a script here")
def test_the_systemd_unit_starts_the_installed_script(env):
    done = subprocess.run(
        [str(INSTALLED), "serve", "--print-systemd-unit"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0
    assert f"\nExecStart={INSTALLED} serve\n" in done.stdout


def test_a_second_collector_on_the_same_store_is_refused_naming_the_first(env, tmp_path):
    db = tmp_path / "shared.sqlite3"
    with serial_pty() as (_meter, path), serve(env, "--port", path, "--db", str(db)) as first:
        assert first.wait_line("history: recording into", timeout=TIMEOUT).endswith(str(db))
        with serial_pty() as (_other_meter, other_path):
            second = run_serve(env, "--port", other_path, "--db", str(db), "--listen", ":0")
        assert second.returncode == 1
        assert second.stderr.startswith(
            f"p1tui serve: the history store {db} is already being recorded into by "
            f"process {first.process.pid} (p1tui serve --port {path} --db {db}"
        ), second.stderr
        assert second.stderr.count("\n") == 1
        assert first.stop(signal.SIGTERM) == 0


def test_kill_9_and_a_restart_keep_the_history_exact(env, tmp_path):
    """The counters make every period exact: a kill loses at most the batch in flight
    (a few seconds of power statistics), never energy, and corrupts nothing."""
    import sqlite3

    from store_helpers import sim_bytes, telegrams

    from p1tui.store import HistoryWriter, open_store

    raw = sim_bytes("2026-01-12T10:00:00+01:00", 900, variant="nl5")  # 15 min, 1 s apart
    stamps = [int(t.timestamp.timestamp()) for t in telegrams(raw)]
    db = tmp_path / "history.sqlite3"

    def committed_up_to() -> int:
        if not db.exists():
            return 0
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT coalesce(max(cts), 0) FROM minute").fetchone()[0]

    def run_collector(part: list[bytes]) -> Command:
        command = serve(env, "--port", path, "--db", str(db), "--verbose")
        command.wait_line("open, waiting for the first telegram", timeout=TIMEOUT)
        for telegram in part:
            write_all(meter, telegram)
        return command

    with serial_pty() as (meter, path):
        with run_collector(raw[:450]) as first:
            deadline = time.monotonic() + TIMEOUT
            while committed_up_to() < stamps[300]:  # a batch or two are on disk
                assert time.monotonic() < deadline, first.lines
                time.sleep(0.1)
            first.process.send_signal(signal.SIGKILL)
            first.finish()
        with run_collector(raw[450:]) as second:
            deadline = time.monotonic() + TIMEOUT
            while committed_up_to() < stamps[-1]:
                assert time.monotonic() < deadline, second.lines
                time.sleep(0.1)
            assert second.stop(signal.SIGTERM) == 0

    reference = tmp_path / "reference.sqlite3"  # the same telegrams, never interrupted
    with open_store(reference) as store:
        writer = HistoryWriter(store)
        for telegram in telegrams(raw):
            writer.add(telegram, 0.0)
        writer.close()

    def rows(path: Path, sql: str) -> list[tuple]:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()

    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    counters = "SELECT t, cts, i1, i2, i0, e1, e2, e0 FROM {} ORDER BY t"
    # The counters at every hour's end, hence the energy of every period, are exact.
    assert rows(db, counters.format("hour")) == rows(reference, counters.format("hour"))
    # One meter, one series: the restart is no meter swap or counter reset.
    series = "SELECT slot, medium, c1, c2, c3, c4, c5, c6, reason FROM series ORDER BY id"
    assert rows(db, series) == rows(reference, series)
    # Every minute after the restart's first is whole again, power statistics included.
    restarted = stamps[450] - stamps[450] % 60 + 60
    after = f"SELECT * FROM minute WHERE t >= {restarted} ORDER BY t"
    assert rows(db, after) == rows(reference, after) != []


def test_an_encrypting_meter_is_read_with_the_key_from_the_config(env, tmp_path):
    """The key comes from [meter] key (never the command line): clients get the decrypted
    telegrams, and neither the log nor the systemd unit ever holds the key."""
    from p1tui.dsmr.decryptor import encrypt_frame
    from p1tui.dsmr.dlms import MeterKeys, parse_key

    key = "0123456789ABCDEF0123456789ABCDEF"
    config = tmp_path / "config.toml"
    config.write_text(f'[meter]\nkey = "{key}"\n', encoding="utf-8")
    config.chmod(0o600)
    keys = MeterKeys(parse_key(key, "encryption key"))
    sent = list(day_of_telegrams(20))
    with serial_pty() as (meter, path), serve(env, "--port", path, "--verbose") as command:
        port = serving_port(command)
        command.wait_line("open, waiting for the first telegram", timeout=TIMEOUT)
        client = Client(port)
        command.wait_line(f"client {client.address} connected", timeout=TIMEOUT)
        for counter, telegram in enumerate(sent, start=1):
            write_all(meter, encrypt_frame(telegram, keys, b"SAG\x00\x00\x00\x00\x01", counter))
            time.sleep(0.005)
        stream = b"".join(sent)
        assert client.wait_bytes(len(stream)) == stream
        assert command.stop(signal.SIGTERM) == 0
        client.close()
    unit = subprocess.run(
        [sys.executable, "-m", "p1tui", "serve", "--port", "/dev/ttyUSB0", "--print-systemd-unit"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for text in (*command.lines, unit):
        assert key not in text and key.lower() not in text
