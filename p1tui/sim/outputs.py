"""Where ``p1tui simulate`` sends the stream: stdout or a file, a serial port, TCP clients.

Every output has the same small interface: ``wait_ready()`` (before each telegram: the
TCP server at full speed waits for its clients there), ``write(telegram)`` (quick, so a
ctrl+c never splits a telegram from its count), ``idle(seconds)`` (while the next
telegram is not due yet), ``close()``, and ``describe()`` for the summary line. Errors are
:class:`OutputError` with one sentence for the user.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

import serial

from ..link.serial_source import is_url, open_error
from ..link.settings import SerialSettings
from ..link.tcp_server import ClientEvent, TcpServer, TcpServerError

LOOPBACK = "127.0.0.1"
FLAT_OUT_BACKLOG = 1 << 16
"""At speed 0 the stream waits for clients to take their data down to this."""
DRAIN_AT_END_S = 5.0


class OutputError(Exception):
    """The output cannot be opened or written; the message says why in one sentence."""


class Output(Protocol):
    def wait_ready(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def idle(self, seconds: float) -> None: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class StreamOutput:
    """Standard output or a regular file, flushed after every telegram."""

    def __init__(self, stream: BinaryIO, name: str, owned: bool) -> None:
        self._stream = stream
        self._name = name
        self._owned = owned

    @classmethod
    def stdout(cls) -> StreamOutput:
        return cls(sys.stdout.buffer, "standard output", owned=False)

    @classmethod
    def file(cls, path: str) -> StreamOutput:
        try:
            stream = open(path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        return cls(stream, path, owned=True)

    def wait_ready(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        try:
            self._stream.write(data)
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write {self._name}: {error.strerror or error}") from None

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self._owned:
            with contextlib.suppress(OSError):
                self._stream.close()

    def describe(self) -> str:
        return self._name


class SerialOutput:
    """A serial port, a pseudo-terminal or a pyserial URL, written like a meter's P1 port."""

    def __init__(self, port: str, line: tuple[int, int, str, float]) -> None:
        baudrate, bytesize, parity, stopbits = line
        options = {} if is_url(port) else {"exclusive": True}
        self._name = port
        try:
            self._port = serial.serial_for_url(
                port,
                baudrate=baudrate,
                bytesize=bytesize,
                parity=parity,
                stopbits=stopbits,
                **options,
            )
        except (serial.SerialException, OSError) as error:
            raise OutputError(str(open_error(port, error)).rstrip(".")) from None
        except ValueError as error:  # an unknown URL scheme or a setting pyserial refuses
            raise OutputError(f"cannot open {port}: {error}") from None
        self._settings = SerialSettings(port, *line)

    def wait_ready(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as error:
            raise OutputError(f"cannot write to {self._name}: {error}") from None

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.flush()
            self._port.close()

    def describe(self) -> str:
        return self._settings.describe()


class TcpOutput:
    """Every client of a :class:`~p1tui.link.tcp_server.TcpServer` gets the live stream.

    A client that connects mid-stream starts at the next whole telegram; one that stops
    reading is dropped once it is a megabyte behind. At speed 0 (``flat_out``) the stream
    instead runs at the pace of the slowest client, and pauses while nobody is connected.
    """

    def __init__(self, host: str, port: int, flat_out: bool) -> None:
        self._flat_out = flat_out
        try:
            self._server = TcpServer(host, port, on_client=_say_client)
        except TcpServerError as error:
            raise OutputError(f"cannot serve on tcp://{error.address}: {error.reason}") from None
        self.url = f"tcp://{self._server.address}"
        self._server.start()

    def wait_for_client(self) -> None:
        """Block until someone connects."""
        while not self._server.wait_for_client(0.5):
            pass

    def wait_ready(self) -> None:
        if self._flat_out:
            self.wait_for_client()
            while not self._server.wait_backlog_below(FLAT_OUT_BACKLOG, 0.5):
                pass

    def write(self, data: bytes) -> None:
        self._server.send(data)

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        self._server.close(drain=DRAIN_AT_END_S)

    def describe(self) -> str:
        return self.url


def _say_client(event: ClientEvent) -> None:
    said = "connected" if event.connected else event.reason
    print(f"p1tui simulate: client {event.address} {said}", file=sys.stderr)


def _is_terminal_device(path: str) -> bool:
    """A serial port or pseudo-terminal: a tty, or a device path that cannot be checked.

    A missing ``/dev/...`` path counts (the serial open then says "not plugged in?"),
    so a typo never creates a regular file among the devices.
    """
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return path.startswith("/dev/") or os.path.exists(path)
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def parse_tcp(url: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` -> (host, port); the host defaults to the loopback address."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or parts.path not in ("", "/"):
        raise OutputError(f"{url} is not a TCP address like tcp://127.0.0.1:2323")
    return parts.hostname or LOOPBACK, port


def open_output(target: str | None, line: tuple[int, int, str, float], flat_out: bool) -> Output:
    """The output that ``--out`` names (None or ``-``: standard output)."""
    if target in (None, "-"):
        return StreamOutput.stdout()
    assert target is not None
    if target.startswith("tcp://"):
        return TcpOutput(*parse_tcp(target), flat_out=flat_out)
    if is_url(target) or _is_terminal_device(target):
        return SerialOutput(target, line)
    return StreamOutput.file(target)
