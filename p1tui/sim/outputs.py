"""Where ``p1tui simulate`` sends the stream: stdout or a file, a serial port, TCP clients.

Every output has the same small interface: ``write(telegram)`` and ``idle(seconds)``
(called while the next telegram is not due yet; the TCP server accepts clients then),
``close()``, and ``describe()`` for the summary line. Errors are :class:`OutputError`
with one sentence for the user.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import stat
import sys
import time
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

import serial

from ..link.serial_source import is_url, open_error
from ..link.settings import SerialSettings

LOOPBACK = "127.0.0.1"
MAX_CLIENT_BACKLOG = 1 << 20
"""A live client further behind than this many bytes is dropped (it stopped reading)."""
FLAT_OUT_BACKLOG = 1 << 16
"""At speed 0 the stream waits for clients to take their data down to this."""
DRAIN_AT_END_S = 5.0


class OutputError(Exception):
    """The output cannot be opened or written; the message says why in one sentence."""


class Output(Protocol):
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


class _Client:
    __slots__ = ("address", "pending", "sock")

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.pending = bytearray()


class TcpServerOutput:
    """A TCP server that gives every connected client the live stream.

    A client that connects mid-stream starts at the next whole telegram. Writing never
    blocks on one slow client: each has its own buffer, and one that stops reading is
    dropped once it is a megabyte behind. At speed 0 (``flat_out``) the stream instead
    runs at the pace of the slowest client, and pauses while nobody is connected.
    """

    def __init__(self, host: str, port: int, flat_out: bool) -> None:
        self._flat_out = flat_out
        self._selector = selectors.DefaultSelector()
        self._clients: dict[socket.socket, _Client] = {}
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self._listener = socket.socket(family, socket.SOCK_STREAM)
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(8)
        except OSError as error:
            raise OutputError(
                f"cannot serve on tcp://{host}:{port}: {error.strerror or error}"
            ) from None
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ)
        bound = self._listener.getsockname()
        self.url = f"tcp://{host if ':' not in host else f'[{host}]'}:{bound[1]}"

    def wait_for_client(self) -> None:
        """Block until someone connects."""
        while not self._clients:
            self._service(0.5)

    def write(self, data: bytes) -> None:
        if self._flat_out:
            self.wait_for_client()
        for client in list(self._clients.values()):
            client.pending += data
            self._send(client)
        for client in list(self._clients.values()):
            if len(client.pending) > MAX_CLIENT_BACKLOG:
                self._drop(client, "stopped reading")
        if self._flat_out:
            while any(len(c.pending) > FLAT_OUT_BACKLOG for c in self._clients.values()):
                self._service(0.5)

    def idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._service(left)

    def close(self) -> None:
        deadline = time.monotonic() + DRAIN_AT_END_S
        while any(c.pending for c in self._clients.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._service(min(left, 0.5))
        for client in list(self._clients.values()):
            self._drop(client, None)
        self._selector.close()
        self._listener.close()

    def describe(self) -> str:
        return self.url

    def _service(self, timeout: float) -> None:
        """Accept, send what is pending, notice clients that left; wait at most ``timeout``."""
        for key, events in self._selector.select(timeout):
            sock = key.fileobj
            if sock is self._listener:
                self._accept()
                continue
            assert isinstance(sock, socket.socket)
            client = self._clients.get(sock)
            if client is None:
                continue
            if events & selectors.EVENT_READ and not self._discard_input(client):
                continue
            if events & selectors.EVENT_WRITE:
                self._send(client)

    def _accept(self) -> None:
        with contextlib.suppress(BlockingIOError):
            sock, address = self._listener.accept()
            sock.setblocking(False)
            client = _Client(sock, f"{address[0]}:{address[1]}")
            self._clients[sock] = client
            self._selector.register(sock, selectors.EVENT_READ)
            print(f"p1tui simulate: client {client.address} connected", file=sys.stderr)

    def _discard_input(self, client: _Client) -> bool:
        """Read and ignore what a client sends; False (and dropped) when it hung up."""
        try:
            data = client.sock.recv(4096)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self._drop(client, "disconnected")
            return False
        return True

    def _send(self, client: _Client) -> None:
        try:
            sent = client.sock.send(client.pending)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._drop(client, "disconnected")
            return
        del client.pending[:sent]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.pending else 0)
        self._selector.modify(client.sock, events)

    def _drop(self, client: _Client, reason: str | None) -> None:
        self._clients.pop(client.sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        client.sock.close()
        if reason:
            print(f"p1tui simulate: client {client.address} {reason}", file=sys.stderr)


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
        return TcpServerOutput(*parse_tcp(target), flat_out=flat_out)
    if is_url(target) or _is_terminal_device(target):
        return SerialOutput(target, line)
    return StreamOutput.file(target)
