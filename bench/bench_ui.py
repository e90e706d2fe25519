"""CPU, memory and telegram-to-screen latency of the p1tui monitor; prints the README figures.

Run from the repository root::

    python bench/bench_ui.py            # the full run (about six minutes)
    python bench/bench_ui.py --quick    # shorter windows and a tenth of a day

How it measures, and why this way:

- Each app runs in its own process (bench/ui_child.py) inside a pseudo-terminal of 80x24
  (``--size`` for another) with Textual's real Linux driver: every repaint is rendered
  to escape sequences and written to a terminal, as over SSH (``run_test(headless=True)``
  would skip that last step and flatter the figures). This process reads and discards
  the terminal's output.
- Telegrams come from the built-in meter and are written by this process into a second
  pseudo-terminal set up like a serial port, in 64-byte pieces at the serial line rate
  (115200 baud 8N1: 11,520 bytes/s), as a USB serial adapter delivers them. The app reads
  it with its real Reader thread: the figures include framing, parsing, the reader thread
  and the UI, and exclude making the telegrams.
- CPU is the child's own ``time.process_time()`` (every thread of it) over a window that
  starts a few seconds after its first paint, so start-up is reported apart. Resident
  memory is VmRSS at the end of the window.

1. At 1 telegram/s, the app against the floor: a minimal Textual app that gives a Label,
   a Sparkline and a Log new content once a second, run in the same way. The two take
   turns (two rounds) and each keeps its lowest CPU, so load from elsewhere on the machine
   skews the ratio less; the ratio is of those.
2. At the line rate (back-to-back 1 kB telegrams, about 11 a second): CPU, and latency
   from the moment this process has written a telegram's last byte into the serial
   pseudo-terminal to the moment the app hands the first screen update after handling it
   to the terminal driver (rendered to escape sequences). Also split in two: byte to
   handler (reader thread, queue, message) and handler to screen (repaint).
3. A day of one-second telegrams (86,400) fed through the app's feed, the path the reader
   thread calls, as fast as the app takes them (a minute of telegrams per repaint, each
   batch awaited), headless: resident memory, the bounded structures at each quarter, and
   the blocks Python has allocated (``sys.getallocatedblocks``: a leak shows there first).
   The first hours fill bounded caches: the parser's table of lines seen (4,096 lines,
   cleared when full, so it saws between empty and full), the value caches, and Rich's and
   Textual's render caches. Over the second half of the day, nothing may grow.

Goals (issue 4): CPU within 1.5x the floor's at 1 Hz; latency under 50 ms at the line
rate (p95); memory flat over a day: from half a day to the whole day RSS grows less than
1 MiB (the saw of the parser's table alone is about 2 MiB) and the raw log and the
sparkline stay at their caps.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import textual
from test_link_helpers import serial_pty
from ui_child import meter_stamp

from p1tui.link.settings import SimulatorSettings
from p1tui.sim.simulator import iter_telegrams
from p1tui.ui.live import MAX_BUCKETS, RAW_LOG_SIZE

CHILD = Path(__file__).resolve().with_name("ui_child.py")
LINE_RATE = 11_520
"""Bytes per second on a 115200 baud 8N1 line (10 bits a byte)."""
PIECE = 64
FEED_START = "2026-06-21T12:00:00+02:00"
FLAT_LIMIT_KIB = 1024


class Size(NamedTuple):
    """A terminal size, written ``80x24``."""

    columns: int
    rows: int

    @classmethod
    def parse(cls, text: str) -> Size:
        columns, _, rows = text.partition("x")
        return cls(int(columns), int(rows))

    def __str__(self) -> str:
        return f"{self.columns}x{self.rows}"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


class TerminalDrain(threading.Thread):
    """Reads what the app writes to its terminal, keeping a count and the last bytes."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.reads: list[tuple[float, int]] = []
        self.tail = b""

    def run(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.reads.append((time.monotonic(), len(data)))
            self.tail = (self.tail + data)[-4000:]

    def bytes_between(self, start: float, end: float) -> int:
        return sum(n for at, n in self.reads if start <= at <= end)

    def text(self) -> str:
        plain = re.sub(rb"\x1b\[[0-9;?<>]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]", b"", self.tail)
        return plain.decode(errors="replace").strip()[-1500:]


@dataclass(eq=False)
class Feeder(threading.Thread):
    """Writes telegrams into the serial pseudo-terminal, paced at the line rate.

    ``period``: one telegram every so many seconds; None: back to back. ``sent`` maps
    each telegram's time stamp to the monotonic time its last byte was written.
    """

    master: int
    period: float | None
    sent: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        telegrams = iter_telegrams(SimulatorSettings(start=FEED_START, speed=0))
        begin = time.monotonic()
        line_free = begin  # when the line has sent everything written so far
        for index, raw in enumerate(telegrams):
            due = begin + index * self.period if self.period else line_free
            line_free = max(due, line_free)
            for at in range(0, len(raw), PIECE):
                piece = raw[at : at + PIECE]
                line_free += len(piece) / LINE_RATE
                if not self._write_at(line_free, piece):
                    return
            self.sent[meter_stamp(raw)] = time.monotonic()

    def _write_at(self, when: float, data: bytes) -> bool:
        while (wait := when - time.monotonic()) > 0:
            if self.stop.wait(wait):
                return False
        while data:
            _, ready, _ = select.select([], [self.master], [], 0.2)
            if self.stop.is_set():
                return False
            if ready:
                data = data[os.write(self.master, data) :]
        return True


def run_in_terminal(
    mode: str, options: list[str], timeout: float, feeder: Feeder | None, size: Size
) -> dict:
    """Run ui_child.py ``mode`` in a pseudo-terminal of ``size``; its figures."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size.rows, size.columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    env.pop("NO_COLOR", None)
    drain = TerminalDrain(master)
    drain.start()
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-") as tmp:
        result = Path(tmp) / "result.json"
        child = subprocess.Popen(
            [sys.executable, str(CHILD), mode, str(result), *options],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        if feeder is not None:
            feeder.start()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        finally:
            if feeder is not None:
                feeder.stop.set()
                feeder.join(2)
        os.close(slave)
        drain.join(2)
        os.close(master)
        if not result.exists():
            raise SystemExit(
                f"the {mode} run gave no figures (exit status {child.returncode}); "
                f"its terminal showed:\n{drain.text()}"
            )
        figures = json.loads(result.read_text())
    figures["terminal_bytes"] = drain.bytes_between(figures["window_start"], figures["window_end"])
    return figures


def cpu_per_minute(figures: dict) -> float:
    return figures["cpu_seconds"] / figures["wall_seconds"] * 60


def timed_options(warmup: float, seconds: float) -> list[str]:
    return ["--warmup", str(warmup), "--seconds", str(seconds)]


def run_app(warmup: float, seconds: float, period: float | None, size: Size) -> tuple[dict, Feeder]:
    with serial_pty() as (meter, port):
        feeder = Feeder(meter, period)
        options = [*timed_options(warmup, seconds), "--port", port]
        figures = run_in_terminal("app", options, warmup + seconds + 60, feeder, size)
    return figures, feeder


def print_cpu_row(label: str, figures: dict) -> None:
    rate = figures["terminal_bytes"] / figures["wall_seconds"]
    print(
        f"   {label:<38} {figures['cpu_seconds']:6.2f} s in {figures['wall_seconds']:4.0f} s"
        f" = {cpu_per_minute(figures):5.2f} CPU s/min  RSS {mib(figures['rss_kib']):>9}"
        f"  (start-up {figures['startup_cpu_seconds']:.2f} s CPU, to terminal {rate:,.0f} B/s)"
    )


def part1(warmup: float, seconds: float, size: Size, rounds: int) -> float:
    print(
        f"1. one telegram a second, {seconds:.0f} s measured after {warmup:g} s warm-up, {size},"
        f" {rounds} round(s) taking turns:"
    )
    options = timed_options(warmup, seconds)
    floors, apps = [], []
    for _ in range(rounds):
        floor = run_in_terminal("floor", options, warmup + seconds + 60, None, size)
        print_cpu_row("floor: Label + Sparkline + Log at 1 Hz", floor)
        app, feeder = run_app(warmup, seconds, 1.0, size)
        print_cpu_row("p1tui, real Reader on a serial pty", app)
        print_counts(app, in_window(app, feeder))
        floors.append(cpu_per_minute(floor))
        apps.append(cpu_per_minute(app))
    ratio = min(apps) / min(floors)
    print(f"   ratio p1tui / floor, each at its best round: {ratio:.2f}x CPU")
    return ratio


def in_window(figures: dict, feeder: Feeder) -> list[str]:
    """The telegrams written during the window."""
    start, end = figures["window_start"], figures["window_end"]
    return [stamp for stamp, at in feeder.sent.items() if start <= at <= end]


def print_counts(figures: dict, written: list[str]) -> None:
    on_screen = sum(1 for stamp in written if stamp in figures["shown"])
    rate = len(written) / figures["wall_seconds"]
    print(
        f"   telegrams written in the window {len(written)} ({rate:.1f}/s), on screen {on_screen}"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def part2(warmup: float, seconds: float, size: Size) -> float:
    print(f"2. serial line rate (115200 baud, telegrams back to back), {seconds:.0f} s measured")
    app, feeder = run_app(warmup, seconds, None, size)
    written = in_window(app, feeder)
    handled, shown = app["handled"], app["shown"]
    pairs = [(feeder.sent[s], handled[s], shown[s]) for s in written if s in shown]
    print_cpu_row("p1tui, real Reader on a serial pty", app)
    print_counts(app, written)
    if not pairs:
        print("   no telegram reached the screen in the window")
        return float("inf")
    print(f"   latency, ms (n={len(pairs)})     median    p95    max")
    for label, values in (
        ("last byte -> on screen", [(c - a) * 1000 for a, _, c in pairs]),
        ("  last byte -> app handler", [(b - a) * 1000 for a, b, _ in pairs]),
        ("  app handler -> on screen", [(c - b) * 1000 for _, b, c in pairs]),
    ):
        print(
            f"   {label:<27} {statistics.median(values):7.1f} {percentile(values, 0.95):6.1f}"
            f" {max(values):6.1f}"
        )
    return percentile([(c - a) * 1000 for a, _, c in pairs], 0.95)


def part3(telegrams: int, size: Size) -> tuple[int, list[dict]]:
    print(f"3. {telegrams:,} one-second telegrams through the app's feed, headless {size}")
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-") as tmp:
        result = Path(tmp) / "day.json"
        day_options = ["--telegrams", str(telegrams), "--size", str(size)]
        subprocess.run(
            [sys.executable, str(CHILD), "day", str(result), *day_options],
            check=True,
            timeout=max(120, telegrams / 200),
        )
        day = json.loads(result.read_text())
    samples = day["samples"]
    print(f"   {day['seconds']:.0f} s; caps: raw log {RAW_LOG_SIZE}, sparkline {MAX_BUCKETS} bars")
    print(f"   {'telegrams':>10} {'RSS':>10} {'raw log':>8} {'sparkline':>10} {'blocks':>10}")
    for s in samples:
        print(
            f"   {s['telegrams']:>10,} {mib(s['rss_kib']):>10} {s['raw_log']:>8}"
            f" {s['sparkline_buckets']:>10} {s['allocated_blocks']:>10,}"
        )
    half, end = samples[2], samples[-1]
    growth = end["rss_kib"] - half["rss_kib"]
    blocks = end["allocated_blocks"] - half["allocated_blocks"]
    print(f"   second half: RSS {growth / 1024:+.1f} MiB, allocated blocks {blocks:+,}")
    return growth, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about a minute in all")
    parser.add_argument("--seconds", type=float, help="part 1 window (default 60, quick 10)")
    parser.add_argument("--line-seconds", type=float, help="part 2 window (default 30, quick 8)")
    parser.add_argument("--rounds", type=int, help="part 1 turns, best kept (default 2, quick 1)")
    parser.add_argument("--warmup", type=float, help="seconds before a window (default 3)")
    parser.add_argument("--day-telegrams", type=int, help="part 3 (default 86,400, quick 8,640)")
    parser.add_argument(
        "--size", type=Size.parse, default=Size(80, 24), help="terminal COLUMNSxROWS (80x24)"
    )
    args = parser.parse_args()
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    line_seconds = args.line_seconds or (8.0 if args.quick else 30.0)
    warmup = args.warmup if args.warmup is not None else 3.0
    day_telegrams = args.day_telegrams or (8_640 if args.quick else 86_400)

    print(
        f"Python {platform.python_version()}, Textual {textual.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    ratio = part1(warmup, seconds, args.size, args.rounds or (1 if args.quick else 2))
    p95 = part2(warmup, line_seconds, args.size)
    growth, samples = part3(day_telegrams, args.size)
    capped = samples[-1]["raw_log"] <= RAW_LOG_SIZE and samples[-1]["sparkline_buckets"] <= (
        MAX_BUCKETS + 1
    )
    flat = growth < FLAT_LIMIT_KIB and capped

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print("Goals")
    print(f"   CPU at 1 Hz within 1.5x the floor: {ratio:.2f}x, {verdict(ratio <= 1.5)}")
    print(f"   telegram-to-screen at line rate under 50 ms: p95 {p95:.1f} ms, {verdict(p95 < 50)}")
    print(
        f"   memory flat over {day_telegrams:,} telegrams: {growth / 1024:+.1f} MiB over the"
        f" second half, structures capped: {verdict(flat)}"
    )


if __name__ == "__main__":
    main()
