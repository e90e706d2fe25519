"""Telegrams from the built-in meter for the history tests, and reading a store back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from p1tui.dsmr import Framer, Telegram, parse
from p1tui.sim.legal_time import parse_iso
from p1tui.sim.simulator import Simulator


def sim_bytes(start: str, count: int, *, variant: str = "nl4", seed: int = 1) -> list[bytes]:
    """``count`` raw telegrams of the built-in meter from ``start`` (ISO time)."""
    simulator = Simulator(variant, seed, parse_iso(start))
    return [simulator.next_telegram() for _ in range(count)]


def telegrams(raw: Iterable[bytes]) -> Iterator[Telegram]:
    """Each raw telegram parsed (through a framer, as a capture would be)."""
    framer = Framer()
    for chunk in raw:
        for frame in framer.feed(chunk):
            yield parse(frame)
    for frame in framer.close():
        yield parse(frame)


def write_capture(path: Path, raw: Iterable[bytes]) -> Path:
    path.write_bytes(b"".join(raw))
    return path


def with_value(raw: bytes, obis: bytes, value: bytes) -> bytes:
    """The telegram with one line's first value replaced, and its CRC made right again
    (a meter that glitched sends a valid telegram with a wrong number in it)."""
    from p1tui.dsmr import crc16_arc

    start = raw.index(obis + b"(") + len(obis) + 1
    end = raw.index(b")", start)
    body = raw[:start] + value + raw[end:]
    bang = body.rindex(b"!")
    return body[: bang + 1] + b"%04X\r\n" % crc16_arc(body[: bang + 1])
