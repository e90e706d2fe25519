"""The monitor's live state: what it remembers between telegrams, in bounded memory.

The reader reports events one at a time; the dashboard wants "now" plus a little past:
a power curve for the sparkline, the flow of gas or water between two readings, the age
of the last telegram, the last telegrams as sent. :class:`Monitor` folds the reader's
events into that state. It knows nothing about Textual, so it is tested on its own, and
everything in it is capped so that days of 1-second telegrams use constant memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..dsmr import CrcStatus, Frame, MBusDevice, Telegram
from ..dsmr.dlms import Envelope
from ..link.events import (
    Diagnosis,
    LinkEvent,
    LinkState,
    LinkStats,
    StateChanged,
    StatsUpdated,
    TelegramReceived,
)

BUCKET_SECONDS = 10.0
"""Width of one sparkline bar: one sample of a 10 s meter, the mean of ten of a 1 s meter."""
MAX_BUCKETS = 720
"""Two hours of bars, more than the widest terminal shows."""
RAW_LOG_SIZE = 200
"""Telegrams kept for the raw log screen (about 200 kB)."""


class PowerCurve:
    """Net power (import minus export, in watts) averaged into fixed time buckets.

    Buckets are :data:`BUCKET_SECONDS` wide whatever the meter's period, so a 1 s and a
    10 s meter draw the same time scale. A gap (link down) is skipped, not drawn as zero.
    """

    def __init__(
        self, bucket_seconds: float = BUCKET_SECONDS, max_buckets: int = MAX_BUCKETS
    ) -> None:
        self.bucket_seconds = bucket_seconds
        self._closed: deque[tuple[int, float]] = deque(maxlen=max_buckets)
        self._bucket: int | None = None
        self._sum = 0.0
        self._count = 0

    def add(self, at: float, watts: float) -> None:
        """Record one sample taken at ``at`` (seconds on any steady clock)."""
        bucket = int(at // self.bucket_seconds)
        if bucket != self._bucket:
            if self._count:
                self._closed.append((self._bucket, self._sum / self._count))  # type: ignore[arg-type]
            self._bucket, self._sum, self._count = bucket, 0.0, 0
        self._sum += watts
        self._count += 1

    def series(self, count: int) -> tuple[float, ...]:
        """The last ``count`` complete bucket means, oldest first.

        The running bucket is left out: the curve then changes once per bucket, not on
        every telegram (the live value is shown in digits anyway), which saves repaints.
        """
        if count <= 0:
            return ()
        closed = self._closed
        start = max(0, len(closed) - count)
        return tuple(closed[i][1] for i in range(start, len(closed)))

    def span_seconds(self, count: int) -> float:
        """How much time the last ``count`` bars cover."""
        return min(count, len(self._closed)) * self.bucket_seconds

    def clear(self) -> None:
        self._closed.clear()
        self._bucket, self._sum, self._count = None, 0.0, 0


@dataclass(frozen=True, slots=True)
class Flow:
    """Consumption rate of an M-Bus meter between its last two distinct readings."""

    per_hour: Decimal
    unit: str
    """``m3/h``, ``GJ/h``, ..."""
    over_seconds: float
    """The time between the two readings the rate was derived from."""


class FlowTracker:
    """Per M-Bus channel, the last two readings with distinct capture times."""

    def __init__(self) -> None:
        self._readings: dict[int, deque[tuple[float, Decimal, str]]] = {}

    def add(self, device: MBusDevice) -> None:
        """Take a device's reading; a repeat of the same capture is ignored."""
        if device.empty or device.reading is None or device.timestamp is None:
            return
        at = device.timestamp.timestamp()
        unit = device.unit or ""
        history = self._readings.setdefault(device.channel, deque(maxlen=2))
        if history:
            last_at, last_reading, last_unit = history[-1]
            if at == last_at:
                return
            if at < last_at or device.reading < last_reading or unit != last_unit:
                history.clear()  # clock reset, meter replaced or re-coupled: start over
        history.append((at, device.reading, unit))

    def flow(self, channel: int) -> Flow | None:
        """The rate on ``channel``, once two distinct readings were seen."""
        history = self._readings.get(channel)
        if history is None or len(history) < 2:
            return None
        (t0, r0, unit), (t1, r1, _) = history
        seconds = t1 - t0
        per_hour = (r1 - r0) * Decimal(3600) / Decimal(str(seconds))
        return Flow(per_hour, f"{unit}/h" if unit else "/h", seconds)

    def clear(self) -> None:
        self._readings.clear()


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One telegram as it arrived, for the raw log."""

    received_at: float
    frame: Frame
    envelope: Envelope | None = None
    """The encrypted frame that carried it (system title, frame counter, security)."""

    @property
    def verdict(self) -> str:
        """``CRC ok``, ``CRC failed: expected 1A2B, received 3C4D`` or ``unchecked (no CRC)``."""
        frame = self.frame
        if frame.crc_status is CrcStatus.OK:
            return "CRC ok"
        if frame.crc_status is CrcStatus.UNCHECKED:
            return "unchecked (no CRC)"
        if frame.crc_received is None:
            return f"rejected: {frame.problem or 'CRC missing'}"
        return f"CRC failed: expected {frame.crc_computed:04X}, received {frame.crc_received:04X}"


class Monitor:
    """The monitor's state, folded from the reader's events.

    The link's verdicts (state, staleness, retries, the period, CRC failures, the
    diagnosis) are the reader's :class:`~p1tui.link.status.LinkStatus`'s, taken as they
    come: nothing here works them out again.
    """

    def __init__(self, raw_log_size: int = RAW_LOG_SIZE) -> None:
        self.telegram: Telegram | None = None
        """The last valid telegram."""
        self.received_at: float | None = None
        """Wall-clock time the last valid telegram arrived."""
        self.link: StateChanged | None = None
        self.link_noted_at: float | None = None
        """Wall-clock time the monitor learned of the link state (for retry countdowns)."""
        self.stats = LinkStats()
        self.diagnosis: Diagnosis | None = None
        self.power = PowerCurve()
        self.flows = FlowTracker()
        self.raw: deque[RawEntry] = deque(maxlen=raw_log_size)
        self.raw_count = 0
        """Telegrams ever added to the raw log (to tell whether it changed)."""
        self.dropped = 0
        """Link events the screen lost because it fell behind (shown when not zero)."""

    def apply(self, event: LinkEvent, now: float) -> None:
        """Fold one reader event into the state; ``now`` is the wall-clock time."""
        if isinstance(event, TelegramReceived):
            self._telegram(event)
        elif isinstance(event, StateChanged):
            self.link, self.link_noted_at = event, now
        elif isinstance(event, StatsUpdated):
            self.stats = event.stats
        elif isinstance(event, Diagnosis):
            self.diagnosis = event if event.problem else None

    def apply_all(self, events: Iterable[LinkEvent], now: float) -> None:
        for event in events:
            self.apply(event, now)

    def _telegram(self, event: TelegramReceived) -> None:
        self.raw.append(RawEntry(event.received_at, event.frame, event.envelope))
        self.raw_count += 1
        telegram = event.telegram
        if not event.frame.valid or telegram is None:
            return
        self.telegram, self.received_at = telegram, event.received_at
        if telegram.power_import_kw is not None or telegram.power_export_kw is not None:
            watts = float((telegram.power_import_kw or 0) - (telegram.power_export_kw or 0)) * 1000
            stamp = telegram.timestamp
            self.power.add(stamp.timestamp() if stamp else event.received_at, watts)
        for device in telegram.mbus:
            self.flows.add(device)

    def new_link(self) -> None:
        """The settings changed: the old link's verdicts go, the data stays until replaced."""
        self.link = self.link_noted_at = None
        self.stats = LinkStats()
        self.diagnosis = None

    @property
    def crc_failures(self) -> int:
        """Telegrams of this link whose CRC failed (the reader's count)."""
        return self.stats.crc_failures

    def age(self, now: float) -> float | None:
        """Seconds since the last valid telegram, or None before the first."""
        return None if self.received_at is None else max(0.0, now - self.received_at)

    @property
    def stale(self) -> bool:
        """True when the data on screen is not current: the link says it is not receiving."""
        link = self.link
        return (
            self.received_at is not None
            and link is not None
            and link.state is not LinkState.RECEIVING
        )

    def retry_in(self, now: float) -> float | None:
        """Seconds until the reader's next attempt, counting down from when it was told."""
        link = self.link
        if link is None or link.retry_in is None or self.link_noted_at is None:
            return None
        return max(0.0, link.retry_in - (now - self.link_noted_at))

    def clock_offset(self) -> float | None:
        """Meter clock minus host clock at reception, in seconds (positive: meter ahead)."""
        if self.telegram is None or self.telegram.timestamp is None or self.received_at is None:
            return None
        return self.telegram.timestamp.timestamp() - self.received_at
