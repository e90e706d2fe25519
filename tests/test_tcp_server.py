"""The TCP byte sink: real sockets on 127.0.0.1, clients that read and one that does not."""

from __future__ import annotations

import queue
import socket
import threading
import time

import pytest
from test_link_helpers import day_of_telegrams

from p1tui.dsmr import Framer
from p1tui.link.tcp_server import ClientEvent, TcpServer, TcpServerError

TIMEOUT = 30


class Events:
    """The server's client reports, waited on from the test."""

    def __init__(self) -> None:
        self.queue: queue.Queue[ClientEvent] = queue.Queue()
        self.seen: list[ClientEvent] = []

    def __call__(self, event: ClientEvent) -> None:
        self.queue.put(event)

    def wait(self, connected: bool, count: int = 1) -> list[ClientEvent]:
        """Wait for ``count`` connect (or drop) reports; all of that kind seen so far."""
        deadline = time.monotonic() + TIMEOUT
        while len([e for e in self.seen if e.connected is connected]) < count:
            self.seen.append(self.queue.get(timeout=max(deadline - time.monotonic(), 0.1)))
        return [e for e in self.seen if e.connected is connected]


def connect(server: TcpServer, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:  # a small window: a client that stops reading shows soon
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port))
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    sock.settimeout(TIMEOUT)
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def frames_of(data: bytes) -> list[bytes]:
    framer = Framer()
    frames = framer.feed(data) + framer.close()
    assert framer.stats.bytes_skipped == 0 and all(f.valid for f in frames)
    return [f.raw for f in frames]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def server(events: Events):
    server = TcpServer("127.0.0.1", 0, max_backlog=256 * 1024, on_client=events).start()
    yield server
    server.close()


def test_every_client_gets_every_telegram_whole_and_in_order(server, events):
    sent = list(day_of_telegrams(150))  # one burst, within the backlog bound
    clients = [connect(server) for _ in range(5)]
    events.wait(connected=True, count=5)
    readers = [ReadInThread(c) for c in clients]
    for data in sent:
        server.send(data)
    server.close(drain=TIMEOUT)
    expected = frames_of(b"".join(sent))
    for reader in readers:
        assert frames_of(reader.result()) == expected
    for c in clients:
        c.close()


class ReadInThread:
    """A client that reads everything until the server closes the connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.data = bytearray()
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()

    def _run(self, sock: socket.socket) -> None:
        sock.settimeout(TIMEOUT)
        while chunk := sock.recv(65536):
            self.data += chunk

    def wait_for(self, size: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while len(self.data) < size:
            assert time.monotonic() < deadline, f"{len(self.data)} of {size} bytes"
            time.sleep(0.01)

    def result(self) -> bytes:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive()
        return bytes(self.data)


def test_a_client_that_connects_later_starts_at_the_next_telegram(server, events):
    sent = list(day_of_telegrams(20))
    first = connect(server)
    events.wait(connected=True)
    reader = ReadInThread(first)
    for data in sent[:10]:
        server.send(data)
    late = connect(server)
    events.wait(connected=True, count=2)
    late_reader = ReadInThread(late)
    for data in sent[10:]:
        server.send(data)
    server.close(drain=TIMEOUT)
    assert frames_of(reader.result()) == frames_of(b"".join(sent))
    assert frames_of(late_reader.result()) == frames_of(b"".join(sent[10:]))
    first.close()
    late.close()


def test_a_client_that_stops_reading_is_dropped_and_named_while_others_keep_up(server, events):
    stuck = connect(server, receive_buffer=4096)
    reading = connect(server)
    connected = events.wait(connected=True, count=2)
    stuck_address = f"127.0.0.1:{stuck.getsockname()[1]}"
    assert {e.address for e in connected} == {
        stuck_address,
        f"127.0.0.1:{reading.getsockname()[1]}",
    }
    reader = ReadInThread(reading)
    sent = list(day_of_telegrams(2000))  # about 2 MB: far past the stuck client's bound
    for start in range(0, len(sent), 100):
        for data in sent[start : start + 100]:
            server.send(data)  # returns at once: nothing waits for the stuck client
        # The reading client keeps up (as at a meter's pace); the stuck one falls behind.
        reader.wait_for(sum(map(len, sent[: start + 100])))
    (dropped,) = events.wait(connected=False)
    assert dropped.address == stuck_address
    assert dropped.reason is not None and dropped.reason.startswith("stopped reading")
    assert dropped.clients == 1
    server.close(drain=TIMEOUT)
    assert frames_of(reader.result()) == frames_of(b"".join(sent))
    stuck.close()
    reading.close()


def test_a_client_that_hangs_up_is_reported(server, events):
    sock = connect(server)
    events.wait(connected=True)
    sock.close()
    (gone,) = events.wait(connected=False)
    assert gone.reason == "disconnected" and gone.clients == 0
    assert server.clients == 0


def test_closing_the_server_ends_every_connection(server, events):
    sock = connect(server)
    events.wait(connected=True)
    server.send(b"x")
    server.close(drain=TIMEOUT)
    assert read_all(sock) == b"x"
    sock.close()


def test_a_busy_port_is_one_sentence():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(TcpServerError) as caught:
            TcpServer("127.0.0.1", port)
    assert str(caught.value) == f"cannot listen on 127.0.0.1:{port}: Address already in use"
