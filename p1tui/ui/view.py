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

    @property
    def meter_now(self) -> float | None:
        """The meter's clock now: its last time stamp plus the time since it arrived.

        Ages of what the meter stamped (an M-Bus reading) are measured on this clock, so
        a host with a wrong clock, or a replay of last year's file, still reads right.
        None when the meter sends no time (DSMR 2.2): the host's clock is no measure.
        """
        m = self.monitor
        stamp = None if m.telegram is None else m.telegram.timestamp
        if stamp is None or m.received_at is None:
            return None
        return stamp.timestamp() + max(0.0, self.now - m.received_at)
