"""A byte sink that serves a stream to many TCP clients: the collector's re-serve, and
``p1tui simulate --out tcp://``.

One thread owns the listening socket and every client socket (a selector loop). The
producer calls :meth:`TcpServer.send` with whole telegrams: that only appends the bytes
to each client's backlog and wakes the thread, so it never blocks, however many clients
there are and however slow they read. A client only receives what is sent after it
connected, so one that connects in the middle of a telegram starts at the next one.

A client that stops reading is dropped once its backlog passes ``max_backlog`` bytes;
the kernel's send buffer for each client is kept small too, so that point comes soon
and memory stays bounded. Connections and drops are reported through ``on_client``
(called from the server's thread), for a log line that names the client.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .address import format_address

MAX_BACKLOG = 1 << 20
"""Bytes a client may be behind before it is dropped (about 15 minutes of DSMR 5)."""
SEND_BUFFER = 64 * 1024
"""The kernel's send buffer per client (loopback would otherwise grow it to megabytes)."""
MAX_CHUNK = 256 * 1024


class TcpServerError(Exception):
    """The server cannot listen; the message says why in one sentence."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot listen on {address}: {reason}")
        self.address = address
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """A client connected (``reason`` None) or went away (``reason`` says why)."""

    address: str
    """``HOST:PORT`` of the client."""
    connected: bool
    reason: str | None = None
    clients: int = 0
    """Clients connected after this event."""


class _Client:
    __slots__ = ("address", "backlog", "closing", "sock")

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.backlog = bytearray()
        self.closing: str | None = None
        """Why the server thread must drop this client, once set."""


class TcpServer:
    """Listens on ``host:port`` (port 0: any free port) and serves every client the stream.

    The socket is bound in the constructor, so a busy port is an error at once;
    :meth:`start` starts the thread. Thread-safe: :meth:`send` and :meth:`close` may be
    called from any thread.
    """

    def __init__(
        self,
        host: str,
        port: int,
        max_backlog: int = MAX_BACKLOG,
        on_client: Callable[[ClientEvent], None] | None = None,
    ) -> None:
        self.max_backlog = max_backlog
        self._on_client = on_client
        self._lock = threading.Condition(threading.Lock())
        self._clients: dict[socket.socket, _Client] = {}
        self._closed = False
        self._thread: threading.Thread | None = None
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            family, _, _, _, sockaddr = infos[0]
            listener = socket.socket(family, socket.SOCK_STREAM)
        except OSError as error:
            raise TcpServerError(format_address(host, port), _reason(error)) from None
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(sockaddr)
            listener.listen(64)
        except OSError as error:
            listener.close()
            raise TcpServerError(format_address(host, port), _reason(error)) from None
        listener.setblocking(False)
        self._listener = listener
        self.host = host
        self.port: int = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ)
        self._selector.register(self._wake_r, selectors.EVENT_READ)

    @property
    def address(self) -> str:
        """``HOST:PORT`` as bound (the real port when 0 was asked for)."""
        return format_address(self.host, self.port)

    @property
    def clients(self) -> int:
        """Clients connected now."""
        return len(self._clients)

    def start(self) -> TcpServer:
        """Start serving in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._main, name="p1tui-tcp-server", daemon=True)
        self._thread.start()
        return self

    def send(self, data: bytes) -> None:
        """Queue ``data`` for every connected client; never blocks on the network."""
        if not data:
            return
        with self._lock:
            for client in self._clients.values():
                if client.closing:
                    continue
                client.backlog += data
                if len(client.backlog) > self.max_backlog:
                    client.closing = f"stopped reading ({len(client.backlog)} bytes behind)"
                    client.backlog.clear()
        self._wake()

    def wait_for_client(self, timeout: float | None = None) -> bool:
        """Wait until a client is connected; False on timeout or once closed."""
        with self._lock:
            return self._lock.wait_for(lambda: self._clients or self._closed, timeout) and bool(
                self._clients
            )

    def wait_backlog_below(self, limit: int, timeout: float | None = None) -> bool:
        """Wait until every client is fewer than ``limit`` bytes behind; False on timeout."""
        with self._lock:
            return self._lock.wait_for(
                lambda: self._closed or all(len(c.backlog) < limit for c in self._clients.values()),
                timeout,
            )

    def close(self, drain: float = 0.0) -> None:
        """Give clients up to ``drain`` seconds to take their backlog, then close everything."""
        if drain > 0:
            self.wait_backlog_below(1, drain)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        if thread is None or not thread.is_alive():
            self._shut()

    # --- the server thread --------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _main(self) -> None:
        try:
            while not self._closed:
                for key, events in self._selector.select(1.0):
                    sock = key.fileobj
                    if sock is self._listener:
                        self._accept()
                    elif sock is self._wake_r:
                        with contextlib.suppress(BlockingIOError, OSError):
                            self._wake_r.recv(4096)
                    elif isinstance(sock, socket.socket):
                        client = self._clients.get(sock)
                        if client is None:
                            continue
                        if events & selectors.EVENT_READ:
                            self._read(client)
                self._flush_all()
        finally:
            self._shut()

    def _accept(self) -> None:
        while True:
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors, the peer gave up: try again later
                return
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            client = _Client(sock, format_address(peer[0], peer[1]))
            with self._lock:
                self._clients[sock] = client
                count = len(self._clients)
                self._lock.notify_all()
            self._selector.register(sock, selectors.EVENT_READ)
            self._report(ClientEvent(client.address, True, None, count))

    def _read(self, client: _Client) -> None:
        """Clients have nothing to say: read and ignore it, and notice a hang-up."""
        try:
            data = client.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            client.closing = client.closing or "disconnected"

    def _flush_all(self) -> None:
        """Send what each client can take now; drop the ones marked for closing."""
        for client in list(self._clients.values()):
            if not client.closing and client.backlog:
                self._flush(client)
            if client.closing:
                self._drop(client, client.closing)
        with self._lock:
            self._lock.notify_all()

    def _flush(self, client: _Client) -> None:
        with self._lock:
            chunk = bytes(client.backlog[:MAX_CHUNK])
        try:
            sent = client.sock.send(chunk)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            client.closing = "disconnected"
            return
        with self._lock:
            del client.backlog[:sent]
            waiting = bool(client.backlog)
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if waiting else 0)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(client.sock, events)

    def _drop(self, client: _Client, reason: str) -> None:
        with self._lock:
            if self._clients.pop(client.sock, None) is None:
                return
            count = len(self._clients)
            self._lock.notify_all()
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        client.sock.close()
        self._report(ClientEvent(client.address, False, reason, count))

    def _report(self, event: ClientEvent) -> None:
        if self._on_client is not None and not self._closed:
            self._on_client(event)

    def _shut(self) -> None:
        """Close every socket (once the thread is done with them)."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._lock.notify_all()
        for client in clients:
            client.sock.close()
        with contextlib.suppress(OSError, ValueError, KeyError):
            self._selector.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
