"""Where the bytes come from: a serial port or URL, a replay file, or the built-in meter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
    """nl5, nl4, nl2 or be."""
    seed: int = 1
    speed: float = 1.0
    start: str | None = None
    """ISO time of the simulated clock's start; None means now."""
    water: bool = True

    def describe(self) -> str:
        """``demo meter (nl5)``."""
        return f"demo meter ({self.variant})"


SourceSettings = SerialSettings | ReplaySettings | SimulatorSettings
