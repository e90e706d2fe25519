"""Speed and size of the history store, against ``p1tui decode`` on the same file.

Run from the repository root::

    python bench/bench_store.py            # the full run (a few minutes)
    python bench/bench_store.py --quick    # a smaller file, for a smoke test

1. Import: two days of one-second NL 5 telegrams (172,800) from the built-in meter,
   ``p1tui import`` into a fresh store against ``p1tui decode`` (JSON Lines to a file),
   both whole processes, taking turns, the fastest of three runs each.
2. Size: the two days' rows repeated over a whole year (minute rows, hour rows, M-Bus
   readings, each shifted in time), then thinned as the writer does (minute rows kept
   90 days) and vacuumed: the file a year of one-second telegrams leaves.
3. Queries on that year: ``history`` of a day (hours), a month (days) and a year
   (months), in-process, the fastest of twenty; and a month with quarter-hour prices.

Goals (issue 9): import >= 0.7x decode's telegrams/s; a year < 50 MB; a month's
query < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench_common import p1tui_command

from p1tui.sim.simulator import Simulator
from p1tui.store import HistoryWriter, open_store
from p1tui.store.periods import period_of, store_zone
from p1tui.store.prices import PriceRow, Prices, store_prices
from p1tui.store.report import summary

START = 1_774_652_400  # 2026-03-28 00:00 +01:00: the two days hold the March DST change
TWO_DAYS = 2 * 86_400
REPEATS = 3


def make_capture(path: Path, count: int) -> None:
    meter = Simulator("nl5", seed=1, start=START)
    with path.open("wb") as out:
        for _ in range(count):
            out.write(meter.next_telegram())


def timed(command: list[str], stdout: Path) -> float:
    with stdout.open("wb") as sink:
        begin = time.perf_counter()
        done = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return elapsed


def part1(folder: Path, count: int) -> tuple[float, Path]:
    capture = folder / "two_days.txt"
    make_capture(capture, count)
    size_mb = capture.stat().st_size / 1e6
    print(
        f"1. import vs decode, whole processes, {count:,} one-second telegrams ({size_mb:.0f} MB)"
    )
    p1tui = p1tui_command()
    decode_best = import_best = float("inf")
    db = folder / "import.sqlite3"
    for _ in range(REPEATS):
        decode_best = min(
            decode_best, timed([*p1tui, "decode", str(capture)], folder / "out.jsonl")
        )
        for stale in folder.glob("import.sqlite3*"):
            stale.unlink()
        import_best = min(
            import_best,
            timed([*p1tui, "import", "--db", str(db), str(capture)], folder / "out.txt"),
        )
    decode_rate, import_rate = count / decode_best, count / import_best
    print(f"   p1tui decode   {decode_rate:>10,.0f} telegrams/s ({decode_best:.2f} s)")
    print(f"   p1tui import   {import_rate:>10,.0f} telegrams/s ({import_best:.2f} s)")
    print(f"   ratio          {import_rate / decode_rate:>10.2f}x")
    print(f"   two days' store: {db.stat().st_size / 1e6:.2f} MB")
    return import_rate / decode_rate, db


def part2(two_days: Path, folder: Path) -> tuple[float, Path]:
    """Repeat the rows over a year, prune as the writer does, vacuum, and measure."""
    year = folder / "year.sqlite3"
    shutil.copy(two_days, year)
    conn = sqlite3.connect(year)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(minute)")]
    with conn:
        for copy in range(1, 183):  # 183 x 2 days = 366 days
            shift = copy * TWO_DAYS
            for table in ("minute", "hour"):
                listed = ", ".join(columns)
                shifted = listed.replace("t, cts", f"t + {shift}, cts + {shift}", 1)
                shifted = shifted.replace(
                    "first_ts, last_ts", f"first_ts + {shift}, last_ts + {shift}"
                )
                conn.execute(
                    f"INSERT INTO {table} ({listed}) SELECT {shifted} FROM {table} "
                    "WHERE t >= ? AND t < ?",
                    (START, START + TWO_DAYS),
                )
            conn.execute(
                "INSERT INTO mbus (series, t, value) SELECT series, t + ?, value FROM mbus "
                "WHERE t >= ? AND t < ?",
                (shift, START, START + TWO_DAYS),
            )
    conn.close()
    with open_store(year) as store:
        writer = HistoryWriter(store)  # its first flush applies the retention
        writer.flush()
    conn = sqlite3.connect(year)
    conn.execute("VACUUM")
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("minute", "hour", "mbus")
    }
    conn.close()
    size = year.stat().st_size / 1e6
    print("\n2. a year of one-second telegrams (two days' rows repeated, minutes kept 90 days)")
    rows = ", ".join(f"{counts[t]:,} {t}" for t in ("minute", "hour", "mbus"))
    print(f"   rows: {rows}")
    print(f"   file: {size:.1f} MB")
    return size, year


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        begin = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - begin)
    return best


def part3(year: Path) -> float:
    print("\n3. history queries on that year, in-process, fastest of 20")
    with open_store(year, readonly=True) as store:
        conn = store.conn
        zone = store_zone(conn, None)
        last = conn.execute("SELECT max(t) FROM hour").fetchone()[0]
        newest = date.fromtimestamp(last)
        month_day = date(newest.year, newest.month, 1) if newest.day > 1 else newest
        prices = Prices()
        figures = {}
        for kind, day in (("day", newest), ("month", month_day), ("year", newest)):
            period = period_of(kind, day, zone)
            figures[kind] = best_of(20, lambda p=period: summary(conn, p, prices))
            print(f"   {kind:<6} ({period.label:<28}) {figures[kind] * 1000:>7.1f} ms")
    month = period_of("month", month_day, zone)
    with open_store(year) as store, store.transaction() as conn:
        store_prices(
            conn,
            [PriceRow(t, t + 900, 0.2, 0.05) for t in range(month.start, month.end, 900)],
        )
    with open_store(year, readonly=True) as store:
        quarter = best_of(20, lambda: summary(store.conn, month, Prices()))
    print(f"   month with quarter-hour prices (costs from minute rows) {quarter * 1000:>7.1f} ms")
    return figures["month"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller file (smoke test)")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()} on {platform.machine()} "
        f"({platform.processor() or platform.system()}), {os.cpu_count()} CPUs, "
        f"SQLite {sqlite3.sqlite_version}\n"
    )
    count = 17_280 if args.quick else TWO_DAYS
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-store-") as tmp:
        folder = Path(tmp)
        ratio, two_days = part1(folder, count)
        size, year = part2(two_days, folder)
        month_s = part3(year)
    print("\nGoals")
    print(f"   import >= 0.7x decode:  {ratio:.2f}x")
    print(
        f"   a year < 50 MB:         {size:.1f} MB"
        + (" (quick run: 4.8 hours repeated)" if args.quick else "")
    )
    print(f"   a month's query < 50 ms: {month_s * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
