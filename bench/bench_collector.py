"""The collector under load: fifty TCP clients at the line rate; prints the README figures.

A real ``p1tui serve`` process reads a pseudo-terminal into which this script writes
DSMR 5 telegrams (a real meter's, each with its own time stamp and CRC) at about the
rate a 115200-baud line carries them (11 a second, ten times a real meter's one). Fifty
clients on 127.0.0.1, served by one thread here with a selector, check that every
telegram arrives whole, in order, once, and time it from the moment its last byte went
into the port to the moment it is complete at the client.

Measured from /proc for the collector's process: CPU (user + system, as a share of one
core) and resident memory at the start and at the end. The peer, run the same way, is
the least a re-server can do: a process that copies the port's bytes to the fifty
sockets without framing, checking or parsing anything.

Usage: python bench/bench_collector.py [--seconds 180] [--clients 50] [--rate 11]
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_link_helpers import day_of_telegrams, serial_pty, write_all

PEER = """\
import os, select, socket, sys
port_fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY)
server = socket.create_server(("127.0.0.1", 0))
print(f"serving TCP clients on 127.0.0.1:{server.getsockname()[1]}", file=sys.stderr, flush=True)
clients = []
while True:
    ready, _, _ = select.select([port_fd, server], [], [])
    if server in ready:
        clients.append(server.accept()[0])
    if port_fd in ready:
        data = os.read(port_fd, 65536)
        for client in clients:
            client.sendall(data)
"""


@dataclass
class Client:
    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)
    received: int = 0


@dataclass
class Result:
    name: str
    telegrams: int
    cpu_percent: float
    rss_start_kib: int
    rss_end_kib: int
    latencies_ms: list[float]


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_for_port(process: subprocess.Popen) -> int:
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"serving TCP clients on 127\.0\.0\.1:(\d+)", line.decode())
        if match:
            return int(match.group(1))
    raise SystemExit("the server ended before it listened")


def run(name: str, argv: list[str], seconds: float, clients: int, rate: float) -> Result:
    telegrams = list(day_of_telegrams(int(seconds * rate) + 1))
    with serial_pty() as (meter, path):
        process = subprocess.Popen([*argv, path], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        try:
            port = wait_for_port(process)
            selector = selectors.DefaultSelector()
            conns = []
            for _ in range(clients):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.setblocking(False)
                conn = Client(sock)
                conns.append(conn)
                selector.register(sock, selectors.EVENT_READ, conn)
            time.sleep(1.0)  # every client accepted before the first telegram
            cpu_start, rss_start = proc_cpu_seconds(process.pid), proc_rss_kib(process.pid)
            started = time.monotonic()
            sent_at: list[float] = []
            latencies: list[float] = []
            period = 1.0 / rate
            next_due = started
            while len(sent_at) < len(telegrams) or any(c.received < len(telegrams) for c in conns):
                now = time.monotonic()
                if len(sent_at) < len(telegrams) and now >= next_due:
                    write_all(meter, telegrams[len(sent_at)])
                    sent_at.append(time.monotonic())
                    next_due += period
                if now - started > seconds + 30:
                    raise SystemExit(f"{name}: telegrams missing after {seconds + 30:.0f} s")
                more = len(sent_at) < len(telegrams)
                timeout = max(next_due - time.monotonic(), 0) if more else 1
                for key, _ in selector.select(timeout):
                    conn = key.data
                    chunk = conn.sock.recv(65536)
                    if not chunk:
                        raise SystemExit(f"{name}: a client was disconnected")
                    arrived = time.monotonic()
                    conn.buffer += chunk
                    while (end := conn.buffer.find(b"\r\n!")) >= 0:
                        stop = conn.buffer.find(b"\r\n", end + 3)
                        if stop < 0:
                            break
                        whole = bytes(conn.buffer[: stop + 2])
                        del conn.buffer[: stop + 2]
                        index = conn.received
                        if whole != telegrams[index]:
                            raise SystemExit(f"{name}: telegram {index} differs at a client")
                        latencies.append((arrived - sent_at[index]) * 1000)
                        conn.received += 1
            elapsed = time.monotonic() - started
            cpu = proc_cpu_seconds(process.pid) - cpu_start
            rss_end = proc_rss_kib(process.pid)
            for conn in conns:
                conn.sock.close()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return Result(name, len(telegrams), 100 * cpu / elapsed, rss_start, rss_end, latencies)


def report(result: Result, clients: int) -> None:
    lat = sorted(result.latencies_ms)
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(
        f"{result.name:<10} {result.telegrams} telegrams x {clients} clients, all whole and "
        f"in order | CPU {result.cpu_percent:.1f} % of a core | RSS "
        f"{result.rss_start_kib / 1024:.1f} -> {result.rss_end_kib / 1024:.1f} MiB | latency "
        f"median {statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=11.0, help="telegrams a second")
    args = parser.parse_args()
    collector = [sys.executable, "-m", "p1tui", "serve", "--listen", "127.0.0.1:0", "--port"]
    peer = [sys.executable, "-c", PEER]
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-") as scratch:
        os.environ["P1TUI_CONFIG"] = f"{scratch}/config.toml"  # never the user's own config
        os.environ["XDG_DATA_HOME"] = scratch  # nor their history
        results = [
            run("collector", collector, args.seconds, args.clients, args.rate),
            run("peer", peer, args.seconds, args.clients, args.rate),
        ]
    print(
        f"{args.clients} clients, {args.rate:g} telegrams/s for {args.seconds:g} s "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)"
    )
    for result in results:
        report(result, args.clients)
    ratio = results[0].cpu_percent / max(results[1].cpu_percent, 0.01)
    print(f"collector CPU / peer CPU: {ratio:.1f}x")


if __name__ == "__main__":
    main()
