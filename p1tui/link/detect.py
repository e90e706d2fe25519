"""Find the serial settings that give valid telegrams, by trying the usual ones.

Each candidate listens for a bounded time, longer than the 10 s period of DSMR 2.2-4
meters, and stops at the first valid telegram. The order matters: 115200 8N1 first,
because 8N1 data also reads fine as 7E1 on Linux (parity is not checked), so the
first candidate that works is the one the meter really uses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..dsmr import DSMRError, Frame, Framer, Telegram, parse
from ..dsmr.dlms import holds_encrypted_frames
from .diagnosis import ENCRYPTED_NO_KEY, SAMPLE_BYTES, explain_bytes
from .serial_source import SerialSource, UnsupportedSettings
from .settings import SerialSettings

CANDIDATES: tuple[tuple[int, int, str, float], ...] = (
    (115200, 8, "N", 1),
    (115200, 7, "E", 1),
    (9600, 7, "E", 1),
    (9600, 8, "N", 1),
)
"""DSMR 4/5, DSMR 4 setups with 7E1, DSMR 2.2/3.0, and the odd 9600 8N1 converter."""
SECONDS_PER_CANDIDATE = 12.0
"""One 10 s period of an old meter plus a telegram's transfer time at 9600 baud."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one candidate gave."""

    settings: SerialSettings
    telegram: Telegram | None
    """The first valid telegram, or None."""
    bytes_received: int
    crc_failures: int
    finding: str
    """In words: what was seen."""
    encrypted: bool = False
    """Encrypted frames arrived intact: the settings are right, the telegrams need the key."""

    @property
    def found(self) -> bool:
        """The settings work: telegrams, or encrypted frames whole."""
        return self.telegram is not None or self.encrypted


def try_settings(
    settings: SerialSettings,
    seconds: float = SECONDS_PER_CANDIDATE,
    *,
    clock: Callable[[], float] = time.monotonic,
    stop: threading.Event | None = None,
) -> Attempt:
    """Listen with ``settings`` until a valid telegram arrives or ``seconds`` pass.

    Setting ``stop`` ends the listening within one read timeout (the port is closed).
    Raises :class:`~p1tui.link.source.LinkError` when the port cannot be opened.
    """
    source = SerialSource(settings)
    source.open()
    framer = Framer()
    sample = bytearray()
    received = 0
    try:
        deadline = clock() + seconds
        while clock() < deadline and not (stop is not None and stop.is_set()):
            data = source.read()
            received += len(data)
            if len(sample) < SAMPLE_BYTES:
                sample += data[: SAMPLE_BYTES - len(sample)]
                if holds_encrypted_frames(sample):
                    problem = ENCRYPTED_NO_KEY.problem or ""
                    return Attempt(settings, None, received, 0, problem, encrypted=True)
            frames = framer.feed(data) if data else framer.flush()
            for frame in frames:
                if frame.valid:
                    telegram = _parsed(frame)
                    if telegram is not None:
                        return Attempt(
                            settings, telegram, received, framer.stats.crc_failures, "telegrams"
                        )
    finally:
        source.close()
    failures = framer.stats.crc_failures
    if failures:
        finding = f"{failures} telegram(s) with a failed CRC, none valid"
    elif received:
        finding = explain_bytes(bytes(sample), settings).problem or "no telegram"
    else:
        finding = "no data at all"
    return Attempt(settings, None, received, failures, finding)


def _parsed(frame: Frame) -> Telegram | None:
    try:
        return parse(frame)
    except DSMRError:
        return None


def detect(
    port: str,
    seconds: float = SECONDS_PER_CANDIDATE,
    *,
    on_attempt: Callable[[Attempt], None] | None = None,
    candidates: tuple[tuple[int, int, str, float], ...] = CANDIDATES,
    stop: threading.Event | None = None,
) -> Attempt | None:
    """Try the candidates in turn; the first attempt that found telegrams, or None.

    A ``socket://`` link has its serial settings on the far end, so it is tried once.
    Setting ``stop`` (from another thread) ends the detection soon, with None.
    Raises :class:`~p1tui.link.source.LinkError` when the port cannot be opened.
    """
    if port.startswith("socket://"):
        candidates = candidates[:1]
    for baudrate, bytesize, parity, stopbits in candidates:
        if stop is not None and stop.is_set():
            return None
        settings = SerialSettings(port, baudrate, bytesize, parity, stopbits)
        try:
            attempt = try_settings(settings, seconds, stop=stop)
        except UnsupportedSettings:
            attempt = Attempt(settings, None, 0, 0, "not supported by this port")
        if on_attempt is not None:
            on_attempt(attempt)
        if attempt.found:
            return attempt
    return None


def detect_settings(port: str, stop: threading.Event | None = None) -> SerialSettings | None:
    """The settings that give valid telegrams on ``port``, or None (for the UI's Detect)."""
    found = detect(port, stop=stop)
    return found.settings if found is not None else None
