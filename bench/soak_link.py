"""Fault soak of the link layer; prints the figures for the README.

1. Days of 1-second telegrams (86,400 a day from the built-in meter, each with its own
   time stamp and CRC) written into a pseudo-terminal as fast as the reader takes them.
   Every telegram must arrive once, whole, valid and in order; resident memory is read
   at the end of each day. The first day fills the protocol core's bounded caches
   (lru_cache of parsed values), so flat memory shows from the second day on.
2. Disconnect/reconnect cycles over TCP on 127.0.0.1: in each, the far end sends one
   whole telegram and half of the next, then drops the connection. The whole ones must
   all arrive; no half may complete or merge into anything.

Usage: python bench/soak_link.py [--days 2] [--telegrams-per-day 86400] [--cycles 100]
The slow test tests/test_reader_soak.py runs the same functions.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_link_helpers import MeterServer, serial_pty, write_all

from p1tui.link.events import LinkEvent, LinkState, StateChanged, TelegramReceived
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings, SimulatorSettings
from p1tui.sim.simulator import iter_telegrams

DAY = 86_400
START = "2026-06-21T00:00:00+02:00"


def rss_kib() -> int:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Tally:
    """Checks every telegram as it arrives, keeping nothing but counters."""

    sample_every: int = 10_000
    valid: int = 0
    invalid: int = 0
    out_of_order: int = 0
    opened: int = 0
    raws: list[bytes] = field(default_factory=list)
    keep_raws: bool = False
    rss: list[int] = field(default_factory=list)
    _last = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: LinkEvent) -> None:
        with self._cond:
            if isinstance(event, TelegramReceived):
                if not event.frame.valid or event.telegram is None:
                    self.invalid += 1
                else:
                    stamp = event.telegram.timestamp
                    if self._last is not None and stamp <= self._last:
                        self.out_of_order += 1
                    self._last = stamp
                    self.valid += 1
                    if self.keep_raws:
                        self.raws.append(event.frame.raw)
                    if self.valid % self.sample_every == 0:
                        self.rss.append(rss_kib())
            elif isinstance(event, StateChanged) and event.state is LinkState.CONNECTING:
                self.opened += "waiting for the first telegram" in event.reason
            self._cond.notify_all()

    def wait(self, predicate, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(f"soak stalled: {self}")


@dataclass
class DayResult:
    telegrams: int
    valid: int
    invalid: int
    out_of_order: int
    seconds: float
    rss_kib: list[int]
    """Before the first telegram, then at the end of each day."""


def soak_days(days: int = 2, per_day: int = DAY) -> DayResult:
    """``days`` days of one-second telegrams through a pty at full speed."""
    count = days * per_day
    tally = Tally(sample_every=per_day)
    settings = SimulatorSettings(start=START, speed=0)
    with serial_pty() as (master, path):
        reader = Reader(SerialSettings(path), tally)
        reader.start()
        tally.wait(lambda t: t.opened >= 1, 10)

        def feed() -> None:
            for raw in iter_telegrams(settings, count):
                write_all(master, raw)

        writer = threading.Thread(target=feed, daemon=True)
        tally.rss.append(rss_kib())
        started = time.perf_counter()
        writer.start()
        tally.wait(lambda t: t.valid + t.invalid >= count, timeout=max(60, count / 100))
        seconds = time.perf_counter() - started
        writer.join(5)
        reader.stop()
    return DayResult(
        telegrams=count,
        valid=tally.valid,
        invalid=tally.invalid,
        out_of_order=tally.out_of_order,
        seconds=seconds,
        rss_kib=tally.rss,
    )


@dataclass
class CycleResult:
    cycles: int
    whole_sent: int
    whole_received: int
    exact: bool
    invalid: int
    seconds: float
    rss_start_kib: int
    rss_end_kib: int
    fds_start: int
    fds_end: int
    threads_start: int
    threads_end: int


def soak_reconnects(cycles: int = 100) -> CycleResult:
    """Drop a TCP link mid-telegram ``cycles`` times and check what got through."""
    tally = Tally(keep_raws=True, sample_every=10**9)
    telegrams = iter_telegrams(SimulatorSettings(start=START, speed=0), 2 * cycles)
    server = MeterServer()
    fds_start, threads_start = open_fds(), threading.active_count()
    rss_start = rss_kib()
    expected = []
    started = time.perf_counter()
    reader = Reader(SerialSettings(server.url), tally)
    reader.start()
    try:
        for cycle in range(cycles):
            server.wait_connection(cycle + 1, timeout=10)
            tally.wait(lambda t, n=cycle + 1: t.opened >= n, 10)
            whole, cut = next(telegrams), next(telegrams)
            expected.append(whole.rstrip(b"\r\n"))
            server.send(whole + cut[: len(cut) // 2])
            tally.wait(lambda t, n=cycle + 1: t.valid >= n, 10)
            server.drop()
        tally.wait(lambda t: t.opened >= cycles + 1, 10)  # reconnected after the last drop
        seconds = time.perf_counter() - started
    finally:
        reader.stop()
        server.close()
    return CycleResult(
        cycles=cycles,
        whole_sent=len(expected),
        whole_received=tally.valid,
        exact=tally.raws == expected,
        invalid=tally.invalid,
        seconds=seconds,
        rss_start_kib=rss_start,
        rss_end_kib=rss_kib(),
        fds_start=fds_start,
        fds_end=open_fds(),
        threads_start=threads_start,
        threads_end=threading.active_count(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--telegrams-per-day", type=int, default=DAY)
    parser.add_argument("--cycles", type=int, default=100)
    args = parser.parse_args()

    day = soak_days(args.days, args.telegrams_per_day)
    print(f"pty, {args.days} x {args.telegrams_per_day:,} one-second telegrams at full speed:")
    print(
        f"  received {day.valid:,} valid, {day.invalid} invalid, {day.out_of_order} out of "
        f"order, lost {day.telegrams - day.valid - day.invalid}"
    )
    print(f"  {day.seconds:.1f} s, {day.telegrams / day.seconds:,.0f} telegrams/s")
    print(
        "  resident memory: before "
        + ", ".join(
            [mib(day.rss_kib[0])] + [f"day {i} {mib(k)}" for i, k in enumerate(day.rss_kib[1:], 1)]
        )
    )

    cyc = soak_reconnects(args.cycles)
    print(f"TCP, {cyc.cycles} disconnects mid-telegram and reconnects:")
    print(
        f"  whole telegrams sent {cyc.whole_sent}, received {cyc.whole_received} "
        f"({'exactly those' if cyc.exact else 'NOT the same'}), invalid {cyc.invalid}"
    )
    print(f"  {cyc.seconds:.1f} s ({cyc.seconds / cyc.cycles:.2f} s per cycle, 1 s of it backoff)")
    print(
        f"  resident memory: start {mib(cyc.rss_start_kib)}, end "
        f"{mib(cyc.rss_end_kib)}; open files {cyc.fds_start} -> {cyc.fds_end}; "
        f"threads {cyc.threads_start} -> {cyc.threads_end}"
    )


if __name__ == "__main__":
    main()
