"""Test equipment for the link layer: pseudo-terminals, a TCP meter, a UART model.

The other ``test_link_*``, ``test_reader*`` and ``test_commands_link`` modules import
these. The tests at the bottom check the equipment itself.
"""

from __future__ import annotations

import bisect
import os
import re
import socket
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path

from p1tui.dsmr import crc16_arc

TELEGRAMS = Path(__file__).parent / "telegrams"
NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"
NL42 = "openhab__lg-e350-zcf110-1ph-gas__1.txt"
NL22 = "dsmrtools__iskra-mt382-dsmr22-gasch2__1.txt"
BE = "dsmrparser__fluvius-t211-gas-water__1.txt"


def telegram(name: str = NL5) -> bytes:
    """A real telegram, exactly as the meter sent it."""
    return (TELEGRAMS / name).read_bytes()


def with_crc(telegram_bytes: bytes) -> bytes:
    """The telegram with its CRC recomputed (after a test edited it)."""
    bang = telegram_bytes.rindex(b"\n!") + 2
    tail = telegram_bytes[bang:].lstrip(b"0123456789ABCDEFabcdef")
    body = telegram_bytes[:bang]
    return body + f"{crc16_arc(body):04X}".encode() + tail


_STAMP = re.compile(rb"0-0:1\.0\.0\(\d{12}[SW]\)")


def restamped(telegram_bytes: bytes, when: datetime) -> bytes:
    """The telegram with a new meter time stamp and a matching CRC."""
    stamp = when.strftime("%y%m%d%H%M%S").encode() + b"W"
    return with_crc(_STAMP.sub(b"0-0:1.0.0(" + stamp + b")", telegram_bytes, count=1))


def day_of_telegrams(count: int, start: datetime | None = None) -> Iterator[bytes]:
    """``count`` one-second telegrams from a real DSMR 5 meter, each with its own time."""
    base = telegram(NL5)
    start = start or datetime(2026, 1, 5)
    for i in range(count):
        yield restamped(base, start + timedelta(seconds=i))


def seven_e1_read_as_8n1(text: bytes) -> bytes:
    """What a receiver set to 8N1 gets from a 7E1 sender: the parity bit as bit 7."""
    return bytes(c | (((c & 0x7F).bit_count() & 1) << 7) for c in text)


# --- a UART model --------------------------------------------------------------------

Frame = tuple[int, int, str, float]
"""(baudrate, bytesize, parity, stopbits)."""


def uart_transfer(data: bytes, sent: Frame, read: Frame) -> bytes:
    """The bytes a UART set to ``read`` delivers from a line driven by one set to ``sent``.

    Like a Linux serial port with parity checking off (pyserial's default): a character
    with a wrong stop bit or parity is delivered as sampled, a break as 0x00.
    """
    baud, bits, parity, stop = sent
    times: list[float] = []
    levels: list[int] = []
    t = 0.0
    bit = 1.0 / baud

    def drive(level: int) -> None:
        nonlocal t
        if not levels or levels[-1] != level:
            times.append(t)
            levels.append(level)
        t += bit

    drive(1)
    for byte in data:
        drive(0)
        ones = 0
        for i in range(bits):
            b = (byte >> i) & 1
            ones += b
            drive(b)
        if parity in "EO":
            drive(ones & 1 if parity == "E" else 1 - (ones & 1))
        for _ in range(int(stop + 0.5)):
            drive(1)
    end = t + 20 * bit
    times.append(t)
    levels.append(1)

    def level_at(when: float) -> int:
        return levels[bisect.bisect_right(times, when) - 1]

    r_baud, r_bits, r_parity, _stop = read  # a receiver samples one stop bit
    r_bit = 1.0 / r_baud
    out = bytearray()
    t = 0.0
    while t < end:
        if level_at(t):  # idle: wait for the next falling edge
            i = bisect.bisect_right(times, t)
            while i < len(times) and levels[i] != 0:
                i += 1
            if i == len(times):
                break
            t = times[i]
        value = 0
        for i in range(r_bits):
            value |= level_at(t + (1.5 + i) * r_bit) << i
        frame_bits = 1 + r_bits + (r_parity in "EO")
        out.append(value)
        t += (frame_bits + 0.5) * r_bit  # the middle of the stop bit
        if level_at(t):
            t += 0.5 * r_bit
    return bytes(out)


# --- pseudo-terminals and a TCP meter -----------------------------------------------


@contextmanager
def serial_pty() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal whose slave is set up like a real serial port.

    Yields the master fd (the meter's end: write to it) and the slave path (open it
    with pyserial like /dev/ttyUSB0).
    """
    master, slave = os.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[4] = attrs[5] = termios.B115200
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    path = os.ttyname(slave)
    try:
        yield master, path
    finally:
        for fd in (master, slave):
            with suppress(OSError):
                os.close(fd)


def write_all(fd: int, data: bytes, chunk: int = 0) -> None:
    """Write to a pty master in chunks (0: all at once)."""
    view = memoryview(data)
    step = chunk or len(data)
    for i in range(0, len(data), step):
        part = view[i : i + step]
        while part:
            part = part[os.write(fd, part) :]


class MeterServer:
    """A TCP 'P1 dongle' on 127.0.0.1: tests hand it bytes for the connected reader."""

    def __init__(self, port: int = 0) -> None:
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.port = self._listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.connections = 0
        self._conn: socket.socket | None = None
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        listener = self._listener
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._ready:
                if self._conn is not None:
                    self._conn.close()
                self._conn = conn
                self.connections += 1
                self._ready.notify_all()

    def wait_connection(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the reader has connected ``count`` times in all."""
        with self._ready:
            if not self._ready.wait_for(lambda: self.connections >= count, timeout):
                raise TimeoutError(f"only {self.connections} connection(s)")

    def send(self, data: bytes) -> None:
        with self._ready:
            assert self._conn is not None, "no reader connected"
            self._conn.sendall(data)

    def drop(self) -> None:
        """Close the current connection (the dongle's Wi-Fi dropped)."""
        with self._ready:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def close(self) -> None:
        """Go away: drop the connection and stop listening (new connections are refused)."""
        self.drop()
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._thread.join(2)


_BAUDS = {
    getattr(termios, f"B{b}"): b for b in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
}
_SIZES = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}


def line_settings(master: int) -> Frame:
    """The serial settings the program at the slave end has set, seen from the master."""
    _iflag, _oflag, cflag, _lflag, _ispeed, ospeed, _cc = termios.tcgetattr(master)
    parity = "N" if not cflag & termios.PARENB else ("O" if cflag & termios.PARODD else "E")
    stop = 2 if cflag & termios.CSTOPB else 1
    return (_BAUDS[ospeed], _SIZES[cflag & termios.CSIZE], parity, stop)


class EmulatedMeter:
    """A meter on the far end of a pty, sending at its own speed.

    A pty keeps the baud rate the reader sets but not the character format (Linux
    forces 8N1 on ptys), so this plays the UART for the speed: at the meter's speed the
    reader gets the text, at another speed what an 8N1 UART would make of the line
    (:func:`uart_transfer`). What the reader's buffer cannot take is lost, as on a line.
    """

    def __init__(self, master: int, sends: Frame, telegrams: list[bytes], period: float) -> None:
        self._master = master
        self._sends = sends
        self._telegrams = telegrams
        self._period = period
        self._seen: dict[tuple[int, int], bytes] = {}
        self._stop = threading.Event()
        os.set_blocking(master, False)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EmulatedMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def _as_received(self, index: int, baudrate: int) -> bytes:
        key = (index, baudrate)
        if key not in self._seen:
            text = self._telegrams[index]
            same = baudrate == self._sends[0]
            line = (baudrate, 8, "N", 1)
            self._seen[key] = text if same else uart_transfer(text, self._sends, line)
        return self._seen[key]

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            data = self._as_received(i % len(self._telegrams), line_settings(self._master)[0])
            with suppress(BlockingIOError):
                os.write(self._master, data)
            i += 1
            self._stop.wait(self._period)


class EventLog:
    """Collects a reader's events from its thread; tests wait on it with a deadline."""

    def __init__(self) -> None:
        self.events: list = []
        self._changed = threading.Condition()

    def __call__(self, event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type) -> list:
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def wait_for(self, predicate: Callable[[EventLog], object], timeout: float = 5.0):
        """Wait until ``predicate(self)`` is truthy; return its value or fail."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    kinds = [type(e).__name__ for e in self.events[-10:]]
                    raise AssertionError(f"timed out; last events: {kinds}: {self.events[-5:]}")
                self._changed.wait(min(left, 0.1))


class FastClock:
    """A monotonic clock that runs ``factor`` times faster, so timeouts pass quickly."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._start) * self.factor


# --- the equipment's own tests --------------------------------------------------------


def test_uart_at_matching_settings_delivers_the_bytes():
    data = telegram(NL5)[:300]
    for setting in [(115200, 8, "N", 1), (9600, 7, "E", 1)]:
        assert uart_transfer(data, setting, setting) == data


def test_uart_7e1_read_as_8n1_puts_parity_in_bit_7():
    data = telegram(NL22)[:300]
    assert uart_transfer(data, (9600, 7, "E", 1), (9600, 8, "N", 1)) == seven_e1_read_as_8n1(data)


def test_restamped_telegrams_keep_a_valid_crc():
    from p1tui.dsmr import parse_bytes

    first, second = list(day_of_telegrams(2))
    assert parse_bytes(first).crc_ok and parse_bytes(second).crc_ok
    assert parse_bytes(second).timestamp - parse_bytes(first).timestamp == timedelta(seconds=1)
