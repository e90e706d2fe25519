"""The serial source against real pseudo-terminals and TCP sockets on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import time

import pytest
from test_link_helpers import MeterServer, serial_pty, telegram, write_all

from p1tui.link.serial_source import SerialSource
from p1tui.link.settings import SerialSettings
from p1tui.link.source import LinkError, LinkLost

NOBODY = 65534


def read_until(source: SerialSource, size: int, timeout: float = 5.0) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while len(data) < size and time.monotonic() < deadline:
        data += source.read()
    return bytes(data)


def test_reads_what_the_meter_writes_to_a_pty():
    with serial_pty() as (master, path):
        source = SerialSource(SerialSettings(path))
        source.open()
        try:
            raw = telegram() * 3
            write_all(master, raw)
            assert read_until(source, len(raw)) == raw
            assert source.read() == b""  # nothing more: returns after the timeout
        finally:
            source.close()
            source.close()  # twice is fine


def test_a_read_returns_what_is_there_without_waiting_to_fill_a_buffer():
    with serial_pty() as (master, path):
        source = SerialSource(SerialSettings(path))
        source.open()
        try:
            write_all(master, b"/ISK5")
            assert source.read(4096) == b"/ISK5"
        finally:
            source.close()


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ((115200, 8, "N", 1), "115200 8N1"),
        ((9600, 7, "E", 1), "9600 7E1"),
        ((115200, 8, "N", 1.5), "115200 8N1.5"),
        ((9600, 8, "O", 2), "9600 8O2"),
    ],
)
def test_settings_are_written_the_usual_way(settings, line):
    assert SerialSettings("/dev/ttyUSB0", *settings).line == line
    assert SerialSettings("/dev/ttyUSB0", *settings).describe() == f"/dev/ttyUSB0 {line}"


def test_describe_names_port_and_settings():
    assert SerialSource(SerialSettings("/dev/ttyUSB0", 9600, 7, "E", 1)).describe() == (
        "/dev/ttyUSB0 9600 7E1"
    )
    assert SerialSource(SerialSettings("socket://127.0.0.1:23")).describe() == (
        "socket://127.0.0.1:23"
    )


def test_missing_device():
    source = SerialSource(SerialSettings("/dev/serial/by-id/usb-no-such-meter-if00"))
    with pytest.raises(LinkError) as error:
        source.open()
    assert str(error.value) == (
        "no such device: /dev/serial/by-id/usb-no-such-meter-if00 (not plugged in?)."
    )
    assert "p1tui ports" in error.value.advice


def test_a_second_reader_gets_port_busy():
    with serial_pty() as (_master, path):
        first = SerialSource(SerialSettings(path))
        first.open()
        try:
            with pytest.raises(LinkError) as error:
                SerialSource(SerialSettings(path)).open()
            assert str(error.value) == f"port busy: {path} is already open in another program."
            assert "Another program" in error.value.advice
        finally:
            first.close()
        second = SerialSource(SerialSettings(path))
        second.open()  # free again once the first let go
        second.close()


def _open_as_nobody(path: str) -> list[str]:
    """Open ``path`` in a forked child that dropped root; return the error's two lines."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            SerialSource(SerialSettings(path)).open()
            os.write(write_end, b"opened\n")
        except LinkError as error:
            os.write(write_end, f"{error}\n{error.advice}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        lines = pipe.read().splitlines()
    os.waitpid(pid, 0)
    return lines


def test_permission_denied_advises_the_dialout_group():
    """Opened as an ordinary user (as 'nobody' in a child process when tests run as root)."""
    with serial_pty() as (_master, path):
        os.chmod(path, 0)
        if os.geteuid() != 0:
            with pytest.raises(LinkError) as error:
                SerialSource(SerialSettings(path)).open()
            message, advice = str(error.value), error.value.advice
        else:
            message, advice = _open_as_nobody(path)
        assert message == f"permission denied on {path}."
        assert "dialout" in advice


def test_not_a_serial_port(tmp_path):
    plain = tmp_path / "plain-file"
    plain.write_bytes(b"")
    with pytest.raises(LinkError) as error:
        SerialSource(SerialSettings(str(plain))).open()
    assert str(error.value) == f"{plain} is not a serial port."
    assert f"p1tui --replay {plain}" in error.value.advice  # a capture given as the port


def test_invalid_setting_is_a_clear_error():
    with serial_pty() as (_master, path), pytest.raises(LinkError) as error:
        SerialSource(SerialSettings(path, parity="X")).open()
    assert "invalid setting" in str(error.value)


def test_far_end_of_a_pty_closing_is_a_lost_link():
    """The master closing is what an unplugged USB adapter looks like: readable, no data."""
    with serial_pty() as (master, path):
        source = SerialSource(SerialSettings(path))
        source.open()
        try:
            os.close(master)
            with pytest.raises(LinkLost) as error:
                read_until(source, 1)
            assert str(error.value).startswith("port vanished:")
        finally:
            source.close()


def test_tcp_reads_and_far_end_closing_is_a_lost_link():
    server = MeterServer()
    try:
        source = SerialSource(SerialSettings(server.url))
        source.open()
        try:
            server.wait_connection()
            server.send(telegram())
            assert read_until(source, len(telegram())) == telegram()
            server.drop()
            with pytest.raises(LinkLost) as error:
                read_until(source, 1)
            assert str(error.value) == f"{server.url} closed the connection."
        finally:
            source.close()
    finally:
        server.close()


def test_connection_refused():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    url = f"socket://127.0.0.1:{port}"
    with pytest.raises(LinkError) as error:
        SerialSource(SerialSettings(url)).open()
    assert str(error.value) == f"connection refused by {url}."
    assert "8088" in error.value.advice


def test_rfc2217_url_refused_too():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(LinkError) as error:
        SerialSource(SerialSettings(f"rfc2217://127.0.0.1:{port}")).open()
    assert "refused" in str(error.value)


@pytest.mark.parametrize(
    "url", ["socket://127.0.0.1:notaport", "socket://127.0.0.1", "rfc2217://127.0.0.1:x"]
)
def test_a_malformed_network_address_is_named_as_such(url):
    with pytest.raises(LinkError) as error:
        SerialSource(SerialSettings(url)).open()
    scheme = url.split("://")[0]
    assert str(error.value) == f"{url} is not an address like {scheme}://HOST:PORT."
