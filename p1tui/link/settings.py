"""Where the bytes come from: a serial port or URL, a replay file, the built-in meter, or
a running collector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..dsmr.dlms import MeterKeys

from .address import format_address


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """A P1 port: a device path or a pyserial URL (``socket://``, ``rfc2217://``)."""

    port: str
    baudrate: int = 115200
    bytesize: int = 8
    parity: str = "N"
    """pyserial parity letter: N, E, O, M, S."""
    stopbits: float = 1

    @property
    def line(self) -> str:
        """The settings as people write them: ``115200 8N1``, ``9600 7E1``, ``115200 8N1.5``."""
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits:g}"

    def describe(self) -> str:
        """``/dev/ttyUSB0 115200 8N1``; a ``socket://`` link, whose serial settings are on
        the far end, is its URL alone."""
        if self.port.startswith("socket://"):
            return self.port
        return f"{self.port} {self.line}"


LINE_OPTIONS = ("baudrate", "bytesize", "parity", "stopbits")
"""A serial line's settings: the ``--baudrate`` ... options, the ``[serial]`` keys."""


def serial_to_read(
    port: str | None, saved: SerialSettings | None, given: Mapping[str, int | str | float]
) -> SerialSettings | None:
    """The port to read (``port``, else the saved one; None when there is neither), with
    the line settings ``given`` on the command line over the saved ones, else 115200 8N1.

    Saved line settings apply to any port: they are the meter's (its DSMR generation),
    and one cable goes by many names (``/dev/ttyUSB1`` after a replug, a
    ``/dev/serial/by-id/`` link, a Pi HAT's ``/dev/ttyAMA0`` on the same meter). The
    monitor's status bar and the collector's start line show the line in use.
    """
    if port is None:
        if saved is None:
            return None
        port = saved.port
    base = SerialSettings(port) if saved is None else replace(saved, port=port)
    return replace(base, **{name: given[name] for name in LINE_OPTIONS if name in given})


PRESETS: dict[str, tuple[int, int, str, float]] = {
    "DSMR 4/5 (115200 8N1)": (115200, 8, "N", 1),
    "DSMR 2.2/3.0 (9600 7E1)": (9600, 7, "E", 1),
    "115200 7E1 (some DSMR 4 setups)": (115200, 7, "E", 1),
}
"""Serial presets per DSMR generation: label -> (baudrate, bytesize, parity, stopbits)."""


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    """A recorded capture played back; ``speed`` 1 = original pace, 0 = as fast as possible."""

    path: Path | None
    """None reads standard input."""
    speed: float = 1.0
    loop: bool = False

    def describe(self) -> str:
        """``replay capture.txt x1``; ``--speed 0`` is ``as fast as possible``, not ``x0``."""
        name = "stdin" if self.path is None else str(self.path)
        pace = "as fast as possible" if self.speed == 0 else f"x{self.speed:g}"
        return f"replay {name} {pace}"


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """The built-in meter."""

    variant: str = "nl5"
    """nl5, nl4, nl2, be or lu."""
    seed: int = 1
    speed: float = 1.0
    start: str | None = None
    """ISO time of the simulated clock's start; None means now."""
    water: bool = True
    keys: MeterKeys | None = field(default=None, repr=False)
    """Encrypt every telegram with these keys, as a Luxembourg or Austrian meter does."""

    def describe(self) -> str:
        """``demo meter (nl5)``, ``demo meter (lu, encrypted)``."""
        return f"demo meter ({self.variant}{', encrypted' if self.keys else ''})"


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    """A running collector (``p1tui serve``): its re-served stream, read over TCP."""

    host: str
    port: int

    @property
    def address(self) -> str:
        """``127.0.0.1:2323`` (``[::1]:2323``)."""
        return format_address(self.host, self.port)

    @property
    def serial(self) -> SerialSettings:
        """The same stream as a pyserial ``socket://`` link, which is how it is read."""
        return SerialSettings(f"socket://{self.address}")

    def describe(self) -> str:
        """``via collector 127.0.0.1:2323``."""
        return f"via collector {self.address}"


SourceSettings = SerialSettings | ReplaySettings | SimulatorSettings | CollectorSettings
