"""Speed of p1tui's protocol core and of ``p1tui decode``, side by side with dsmr_parser.

Run from the repository root::

    python bench/bench_parse.py            # the full run (about a minute)
    python bench/bench_parse.py --quick    # smaller files, for a smoke test

Part 1 times frame + CRC + parse per telegram, both libraries in the same process on the
same DSMR 5 telegrams: the real NL 5 captures in tests/telegrams, and a stream from the
built-in simulated meter in which, as on a real line, every telegram differs from the one
before (new time stamp, powers, registers). p1tui: ``Framer.feed`` + ``parse``.
dsmr_parser: ``TelegramBuffer`` + ``TelegramParser(V5).parse`` (which checks the CRC).

Part 2 times ``p1tui decode`` as a whole process (interpreter start-up, reading, JSON Lines
written to a file) on a generated 100,000-telegram file, against dsmr_parser's
``parse`` + ``to_json`` per telegram in-process (no framing, no start-up: its best case),
and a day of one-second telegrams (86,400).

Goals (issue 2): >= 25x dsmr_parser per telegram; decode >= 20x dsmr_parser's parse +
to_json telegrams/s; 86,400 telegrams in well under 10 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dsmr_parser import telegram_specifications
from dsmr_parser.clients.telegram_buffer import TelegramBuffer
from dsmr_parser.parsers import TelegramParser

from p1tui.dsmr import Framer, parse
from p1tui.sim.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "telegrams"
START = 1_700_000_000  # a fixed simulated clock, so every run makes the same file


def real_nl5_telegrams() -> list[bytes]:
    """The DSMR 5 captures of the corpus (1-3:0.2.8(50) and an NL equipment ID)."""
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        data = path.read_bytes()
        if b"1-3:0.2.8(50)" in data and b"0-0:96.1.1(" in data and b"\r\n!" in data:
            out.append(data)
    return out


def simulated(count: int, seed: int = 1) -> list[bytes]:
    meter = Simulator("nl5", seed=seed, start=START)
    return [meter.next_telegram() for _ in range(count)]


def interleaved(repeats: int, *runs: Callable[[], int]) -> list[float]:
    """Each run's fastest time per telegram, the runs taking turns (fair under load)."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            begin = time.perf_counter()
            n = run()
            best[i] = min(best[i], (time.perf_counter() - begin) / n)
    return best


def p1tui_run(telegrams: list[bytes], rounds: int) -> Callable[[], int]:
    def run() -> int:
        framer = Framer()
        n = 0
        for _ in range(rounds):
            for data in telegrams:
                for frame in framer.feed(data):
                    assert frame.valid
                    parse(frame)
                    n += 1
        return n

    return run


def dsmr_parser_run(telegrams: list[bytes], rounds: int) -> Callable[[], int]:
    parser = TelegramParser(telegram_specifications.V5)
    texts = [t.decode("ascii") for t in telegrams]

    def run() -> int:
        buffer = TelegramBuffer()
        n = 0
        for _ in range(rounds):
            for text in texts:
                buffer.append(text)
                for telegram in buffer.get_all():
                    parser.parse(telegram)
                    n += 1
        return n

    return run


def part1(quick: bool) -> list[float]:
    print("1. frame + CRC + parse, per telegram, same process, same DSMR 5 telegrams")
    print(f"   {'telegrams':<44} {'p1tui':>10} {'dsmr_parser':>12} {'ratio':>7}")
    ratios = []
    real = real_nl5_telegrams()
    stream = simulated(300 if quick else 2000, seed=7)
    for label, telegrams, rounds in (
        (f"{len(real)} real NL5 captures, cycled", real, 5 if quick else 40),
        (f"{len(stream)} simulated NL5, each one new", stream, 1),
    ):
        ours, theirs = interleaved(
            3 if quick else 7,
            p1tui_run(telegrams, rounds),
            dsmr_parser_run(telegrams, max(1, rounds // 4)),
        )
        ratios.append(theirs / ours)
        print(f"   {label:<44} {ours * 1e6:>8.1f}us {theirs * 1e6:>10.1f}us {theirs / ours:>6.1f}x")
    return ratios


def p1tui_command() -> list[str]:
    script = Path(sys.executable).with_name("p1tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("p1tui")
    return [found] if found else [sys.executable, "-m", "p1tui"]


def time_decode(path: Path, out: Path) -> tuple[float, str]:
    """Wall time of ``p1tui decode PATH > OUT`` as a whole process, and its summary line."""
    with out.open("wb") as sink:
        begin = time.perf_counter()
        done = subprocess.run(
            [*p1tui_command(), "decode", str(path)],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"p1tui decode failed: {done.stderr.decode(errors='replace')}")
    return elapsed, done.stderr.decode().strip()


def dsmr_parser_parse_to_json(telegrams: list[bytes]) -> float:
    """dsmr_parser parse + to_json per telegram, in-process; telegrams per second."""
    parser = TelegramParser(telegram_specifications.V5)
    texts = [t.decode("ascii") for t in telegrams]
    begin = time.perf_counter()
    for text in texts:
        parser.parse(text).to_json()
    return len(texts) / (time.perf_counter() - begin)


def part2(quick: bool) -> tuple[float, float]:
    count = 10_000 if quick else 100_000
    day = 8_640 if quick else 86_400
    print(f"\n2. p1tui decode, whole process, {count:,} generated NL5 telegrams")
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-") as tmp:
        telegrams = simulated(count)
        big = Path(tmp) / "telegrams.p1"
        big.write_bytes(b"".join(telegrams))
        size_mb = big.stat().st_size / 1e6
        sample = telegrams[: 1_000 if quick else 5_000]
        elapsed, theirs = float("inf"), 0.0
        for _ in range(2 if quick else 3):  # taking turns, best of each (fair under load)
            took, summary = time_decode(big, Path(tmp) / "out.jsonl")
            elapsed = min(elapsed, took)
            theirs = max(theirs, dsmr_parser_parse_to_json(sample))
        ours = count / elapsed
        out_mb = (Path(tmp) / "out.jsonl").stat().st_size / 1e6
        print(f"   input {size_mb:.1f} MB, output {out_mb:.1f} MB of JSON Lines")
        print(f"   stderr: {summary}")
        print(f"   p1tui decode              {ours:>10,.0f} telegrams/s ({elapsed:.2f} s)")
        print(
            f"   dsmr_parser parse+to_json {theirs:>10,.0f} telegrams/s "
            f"(in-process, first {len(sample):,})"
        )
        print(f"   ratio                     {ours / theirs:>10.1f}x")

        day_file = Path(tmp) / "day.p1"
        day_file.write_bytes(b"".join(telegrams[:day]))
        day_s = min(time_decode(day_file, Path(tmp) / "day.jsonl")[0] for _ in range(2))
        print(f"\n3. a day of 1-second telegrams ({day:,}): p1tui decode {day_s:.2f} s")
    return ours / theirs, day_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    args = parser.parse_args()
    logging.getLogger("dsmr_parser").setLevel(logging.CRITICAL)
    print(
        f"Python {platform.python_version()} on {platform.machine()} "
        f"({platform.processor() or platform.system()}), {os.cpu_count()} CPUs"
    )
    crc = "fastcrc" if "fastcrc" in sys.modules else "pure Python"
    print(f"p1tui CRC: {crc}\n")
    ratios = part1(args.quick)
    decode_ratio, day_s = part2(args.quick)
    print("\nGoals")
    print(f"   per telegram >= 25x dsmr_parser: {min(ratios):.1f}x (worst case above)")
    print(f"   decode >= 20x parse+to_json:     {decode_ratio:.1f}x")
    print(
        f"   86,400 telegrams well under 10 s: {day_s:.2f} s"
        + (" (quick run: 8,640)" if args.quick else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
