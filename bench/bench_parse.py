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
written to a file) against dsmr_parser's ``parse`` + ``to_json`` per telegram in-process
(no framing, no start-up: its best case), on two workloads of 100,000 telegrams:

* one simulated NL5 meter (one file);
* a mix of 34 different real meters (NL 2.2 to 5.0, Belgium, Luxembourg, Lithuania,
  Hungary, Austria): every capture in tests/telegrams becomes a stream of its own (one
  file per meter, as each meter is its own link) in the meter's exact format, with its
  values moving as a meter's do (the clock every telegram, the non-zero powers and the
  voltages, now and then a current, the active tariff's register, the M-Bus reading
  every five minutes), so that no telegram repeats. dsmr_parser reads each meter with
  the specification the differential test gives it.

Part 3 decodes a day of one-second telegrams (86,400).

Goals (issues 2 and 8): >= 25x dsmr_parser per telegram; decode >= 20x dsmr_parser's
parse + to_json telegrams/s on the mix of meters; 86,400 telegrams in well under 10 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench_common import decoding, interleaved, p1tui_command
from dsmr_parser import telegram_specifications
from dsmr_parser.clients.telegram_buffer import TelegramBuffer
from dsmr_parser.parsers import TelegramParser

from p1tui.dsmr import Decoder, crc16_arc
from p1tui.sim.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "telegrams"
START = 1_700_000_000  # a fixed simulated clock, so every run makes the same file
sys.path.insert(0, str(ROOT / "tests"))
from test_differential import SPEC  # noqa: E402 - each capture's dsmr_parser specification


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


_LINE = re.compile(rb"^([0-9]+-[0-9]+:[0-9]+\.[0-9]+\.[0-9]+)(?:\*255)?\(", re.M)
_FIRST_NUMBER = re.compile(rb"\(([0-9]+(?:\.[0-9]+)?)(\*|\))")
_STAMP = re.compile(rb"\(([0-9]{12})([SW]?)\)")
_POWERS = {b"1.7.0", b"2.7.0", b"1.4.0", b"15.7.0"} | {
    b"%d.7.0" % c for c in (21, 22, 41, 42, 61, 62)
}
_VOLTAGES = {b"32.7.0", b"52.7.0", b"72.7.0"}
_CURRENTS = {b"31.7.0", b"51.7.0", b"71.7.0"}


def _reformat(number: bytes, value: int) -> bytes:
    whole, dot, frac = number.partition(b".")
    width = len(whole) + len(frac)
    digits = b"%0*d" % (width, max(0, min(value, 10**width - 1)))
    return digits[: len(whole)] + dot + digits[len(whole) :]


def moving(capture: bytes, count: int, seed: int) -> list[bytes]:
    """``count`` telegrams of the captured meter, in its exact format, its values moving
    as a meter's do: the clock every telegram, the powers and voltages that are not zero
    (a zero stays zero), the currents now and then, the active tariff's register as
    energy adds up, the M-Bus reading every five minutes."""
    rng = random.Random(seed)
    body = capture[: capture.rindex(b"!") + 1]
    tail = capture[capture.rindex(b"!") + 1 :]
    crc_digits = len(tail.strip())
    eol = tail[len(tail.strip()) :] or b"\r\n"
    period = 1 if b"1-3:0.2.8(50)" in body else 10
    tariff = re.search(rb"0-0:96\.14\.0\(0*([0-9])", body)
    exporting = re.search(rb"1-0:2\.7\.0\(0*[1-9]", body) is not None
    register = b"1-0:%d.8.%s" % (2 if exporting else 1, tariff[1] if tariff else b"1")
    energy = 0.0
    lines = body.split(b"\n")
    out = []
    for n in range(count):
        energy += rng.random() * period / 3.6  # in register units (Wh) per telegram
        for i, line in enumerate(lines):
            match = _LINE.match(line)
            if match is None:
                continue
            obis = match[1]
            code = obis.partition(b":")[2]
            if obis == b"0-0:1.0.0":
                stamp = _STAMP.search(line)
                if stamp and not stamp[1].startswith((b"00", b"70", b"63")):
                    then = datetime.strptime(stamp[1].decode(), "%y%m%d%H%M%S")
                    now = (then + timedelta(seconds=period)).strftime("%y%m%d%H%M%S")
                    lines[i] = line[: stamp.start(1)] + now.encode() + line[stamp.end(1) :]
                continue
            number = _FIRST_NUMBER.search(line, match.end() - 1)
            if number is None:
                continue
            value = int(number[1].replace(b".", b""))
            if obis.startswith(b"1-0:") and code in _POWERS:
                if value == 0:
                    continue
                value = max(1, value + rng.randint(-(value // 10) - 2, value // 10 + 2))
            elif obis.startswith(b"1-0:") and code in _VOLTAGES:
                value += rng.randint(-3, 3)
            elif obis.startswith(b"1-0:") and code in _CURRENTS:
                if rng.random() < 0.8:
                    continue
                value = max(0, value + rng.choice((-1, 1)))
            elif obis == register:
                if energy < 1:
                    continue
                value += int(energy)
                energy -= int(energy)
            elif code == b"24.2.1" and n % (300 // period) == 0 and n:
                value += rng.randint(0, 30)
            else:
                continue
            lines[i] = line[: number.start(1)] + _reformat(number[1], value) + line[number.end(1) :]
        text = b"\n".join(lines)
        if crc_digits:  # as the meter writes it (Warmtelink: unpadded)
            text += (
                b"%0*X" % (crc_digits, crc16_arc(text))
                if crc_digits == 4
                else b"%X" % crc16_arc(text)
            )
        out.append(text + eol)
    return out


def meter_mix(count: int) -> dict[str, list[bytes]]:
    """``count`` telegrams in all, shared out among the real meters of the corpus."""
    each = count // len(SPEC)
    return {name: moving((CORPUS / name).read_bytes(), each, n) for n, name in enumerate(SPEC)}


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
            decoding(telegrams, Decoder, rounds),
            dsmr_parser_run(telegrams, max(1, rounds // 4)),
        )
        ratios.append(theirs / ours)
        print(f"   {label:<44} {ours * 1e6:>8.1f}us {theirs * 1e6:>10.1f}us {theirs / ours:>6.1f}x")
    return ratios


def time_decode(paths: list[Path], out: Path) -> tuple[float, str]:
    """Wall time of ``p1tui decode PATH... > OUT`` as a whole process, and its summary line."""
    with out.open("wb") as sink:
        begin = time.perf_counter()
        done = subprocess.run(
            [*p1tui_command(), "decode", *map(str, paths)],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"p1tui decode failed: {done.stderr.decode(errors='replace')}")
    return elapsed, done.stderr.decode().strip()


def dsmr_parser_parse_to_json(sample: list[tuple[TelegramParser, str]]) -> float:
    """dsmr_parser parse + to_json per telegram, in-process; telegrams per second."""
    begin = time.perf_counter()
    for parser, text in sample:
        parser.parse(text).to_json()
    return len(sample) / (time.perf_counter() - begin)


def decode_against_dsmr_parser(
    label: str, streams: dict[str, list[bytes]], sample_each: int, tmp: Path, rounds: int
) -> float:
    """One row of part 2: ``p1tui decode`` of one file per stream, and dsmr_parser."""
    paths = []
    sample: list[tuple[TelegramParser, str]] = []
    for n, (name, telegrams) in enumerate(streams.items()):
        path = tmp / f"meter{n:02d}.p1"
        path.write_bytes(b"".join(telegrams))
        paths.append(path)
        parser = TelegramParser(SPEC.get(name, telegram_specifications.V5))
        sample += [(parser, t.decode("latin-1")) for t in telegrams[:sample_each]]
    count = sum(map(len, streams.values()))
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    elapsed, theirs = float("inf"), 0.0
    for _ in range(rounds):  # taking turns, best of each (fair under load)
        took, summary = time_decode(paths, tmp / "out.jsonl")
        elapsed = min(elapsed, took)
        theirs = max(theirs, dsmr_parser_parse_to_json(sample))
    ours = count / elapsed
    out_mb = (tmp / "out.jsonl").stat().st_size / 1e6
    print(f"\n   {label}")
    print(
        f"   input {size_mb:.1f} MB in {len(paths)} file(s), output {out_mb:.1f} MB of JSON Lines"
    )
    print(f"   stderr: {summary}")
    print(f"   p1tui decode              {ours:>10,.0f} telegrams/s ({elapsed:.2f} s)")
    print(
        f"   dsmr_parser parse+to_json {theirs:>10,.0f} telegrams/s "
        f"(in-process, {len(sample):,} of them)"
    )
    print(f"   ratio                     {ours / theirs:>10.1f}x")
    return ours / theirs


def part2(quick: bool) -> tuple[float, float, float]:
    count = 10_000 if quick else 100_000
    day = 8_640 if quick else 86_400
    rounds = 2 if quick else 3
    print(f"\n2. p1tui decode, whole process, {count:,} telegrams, against dsmr_parser")
    with tempfile.TemporaryDirectory(prefix="p1tui-bench-") as tmp:
        telegrams = simulated(count)
        one = decode_against_dsmr_parser(
            "one simulated NL5 meter", {"nl5": telegrams}, 1_000 if quick else 5_000,
            Path(tmp), rounds,
        )  # fmt: skip
        mix = meter_mix(count)
        mixed = decode_against_dsmr_parser(
            f"a mix of {len(mix)} real meters, values moving, one file each",
            mix, 30 if quick else 150, Path(tmp), rounds,
        )  # fmt: skip
        day_file = Path(tmp) / "day.p1"
        day_file.write_bytes(b"".join(telegrams[:day]))
        day_s = min(time_decode([day_file], Path(tmp) / "day.jsonl")[0] for _ in range(2))
        print(f"\n3. a day of 1-second telegrams ({day:,}): p1tui decode {day_s:.2f} s")
    return one, mixed, day_s


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
    one_meter, mix, day_s = part2(args.quick)
    print("\nGoals")
    print(f"   per telegram >= 25x dsmr_parser: {min(ratios):.1f}x (worst case above)")
    print(f"   decode >= 20x parse+to_json:     {mix:.1f}x on the mix of meters")
    print(f"                                    {one_meter:.1f}x on one simulated meter")
    print(
        f"   86,400 telegrams well under 10 s: {day_s:.2f} s"
        + (" (quick run: 8,640)" if args.quick else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
