"""What every widget renders from: the monitor's state at one instant."""

from __future__ import annotations

from dataclasses import dataclass

from .live import Monitor


@dataclass(frozen=True, slots=True)
class View:
    """The state handed to the widgets on each repaint; widgets keep no state of their own."""

    monitor: Monitor
    now: float
    """Wall-clock time of this repaint (``time.time()``, or the injected clock)."""
    source: str | None
    """What the link reads, ``/dev/ttyUSB0 115200 8N1``; None before a port is chosen."""

    @property
    def stale(self) -> bool:
        return self.monitor.stale
