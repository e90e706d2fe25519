"""Gas and water meters on the electricity meter's M-Bus.

The E-meter does not see these meters live: it polls them and shows the last captured
reading with its capture time, every 5 minutes on DSMR 5 and Belgian meters (a few
seconds after the boundary, as real Iskra and Fluvius meters do) and on the hour on
DSMR 4.2 and 2.2. Readings are kept in litres (the 3 decimals of m3) and only grow.
"""

from __future__ import annotations

from dataclasses import dataclass

from .legal_time import Moment, moment


@dataclass(frozen=True, slots=True)
class MBusChannel:
    """How a device appears in the telegram."""

    channel: int
    device_type: int
    """EN 13757-3 medium: 3 = gas, 7 = water."""
    equipment_id: str
    """Hex-encoded ASCII, like the meters send."""


class MBusMeter:
    """A cumulative meter and the reading the E-meter last captured from it."""

    __slots__ = ("_offset", "_total", "capture_every", "captured", "captured_at", "identity")

    def __init__(
        self,
        identity: MBusChannel,
        litres: float,
        capture_every: int,
        capture_offset: int,
        start: int,
    ) -> None:
        self.identity = identity
        self.capture_every = capture_every
        self._offset = capture_offset
        self._total = litres
        self.captured = int(litres)
        """Litres at the last capture."""
        since = (start - capture_offset) % capture_every
        self.captured_at: Moment = moment(start - since)

    def add(self, litres: float, m: Moment, capture: bool = True) -> None:
        """Count what flowed during the step ending at ``m``; capture on schedule.

        ``capture`` is False while the E-meter has no power and cannot poll.
        """
        self._total += litres
        if capture and (m.t - self._offset) % self.capture_every == 0:
            self.captured = int(self._total)
            self.captured_at = m
