"""The state of one link in one place, without I/O: period, staleness, retries, diagnosis.

:class:`LinkStatus` is told what the reader sees (the link opened, bytes arrived, a
frame came out, the link failed, time passed) with explicit times on any steady clock,
and answers with the events to publish: state changes with their reason in plain words,
and diagnoses. It decides everything about timing that the monitor, ``record`` and the
collector show, so none of them works it out again: the meter's period learned from the
gaps between telegrams, when the link is stale, when a link that went silent after
working must be reopened, and how long to wait before the next attempt (1, 2, 4 ... 30 s).

Like h11's state machine it never reads a clock, sleeps or touches a port, so its tests
drive it with made-up times.
"""

from __future__ import annotations

import statistics
from collections import deque

from ..dsmr.dlms import DecryptorStats
from .diagnosis import LinkWatch
from .events import Diagnosis, LinkEvent, LinkState, StateChanged
from .serial_source import is_url
from .settings import SerialSettings, SourceSettings
from .source import LinkError

FIRST_RETRY = 1.0
MAX_RETRY = 30.0
STALE_PERIODS = 3
"""No telegram for this many learned periods makes the link stale..."""
STALE_MIN = 3.0
"""...but never sooner than this, so a 1 s meter's jitter does not flicker."""
UNKNOWN_STALE = 12.0
"""Before the period is learned: a 10 s meter sends within this."""
REOPEN_PERIODS = 5
"""A link that worked and then stays silent this many periods is reopened..."""
REOPEN_MIN = 15.0
"""...after at least this many seconds (a new connection to a working dongle, or a
reopened port, delivers within one period)."""
UNKNOWN_PERIOD = 10.0
"""The period assumed when only one telegram was ever seen: the slowest meters'."""
REASON_REFRESH = 10.0
"""While stale, the reason (which says how long) is said again this often at most."""
DIAGNOSE_EVERY = 1.0
"""Seconds between looks at the bytes for a diagnosis (it reads a few kB)."""
INTERVAL_SAMPLES = 9
MIN_GAP = 0.05
"""Telegrams closer than this came in one burst (a backlog), not one period apart."""


STOPPED = Diagnosis(
    "telegrams stopped: the port is open but nothing arrives.",
    "Check that the cable is still in the meter's P1 port (the USB adapter alone stays "
    "present) and firmly seated; p1tui reopens the port until telegrams return.",
)
STOPPED_NETWORK = Diagnosis(
    "telegrams stopped: connected, but nothing arrives.",
    "Check that the dongle is powered, on the network and still plugged into the meter's "
    "P1 port; p1tui reconnects until telegrams return.",
)


class SilentLink(LinkError):
    """A link that delivered telegrams went silent; the reader closes and reopens it."""


def age_words(seconds: float) -> str:
    """``45 s``, ``3 min``, ``2 h 5 min``: how long, in the words of the reasons."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def period_words(seconds: float) -> str:
    """``10 s``, ``1 s``, ``0.1 s``: a meter's period (sped up in a replay or simulation)."""
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.2g} s"


class LinkStatus:
    """One link's state across its reconnects, for one set of settings.

    Every input takes ``now``, seconds on a steady clock, and returns the events to
    publish, in order (:class:`~p1tui.link.events.StateChanged` stamped ``at=now``:
    the reader re-stamps them with the wall-clock time).
    """

    def __init__(
        self, settings: SourceSettings, *, decryption: DecryptorStats | None = None
    ) -> None:
        """``decryption``: the decryptor's counters when the meter's key is set."""
        serial = settings if isinstance(settings, SerialSettings) else None
        self.network = serial is not None and is_url(serial.port)
        self.reopens = serial is not None
        """Ports and dongles are reopened when silent; a replay or the demo meter is not."""
        self.watch = LinkWatch(serial, network=self.network, decryption=decryption)
        self.state = LinkState.CONNECTING
        self.reason = ""
        self.retry_in: float | None = None
        """Seconds before the next attempt (DISCONNECTED only)."""
        self._retry = FIRST_RETRY
        self._gaps: deque[float] = deque(maxlen=INTERVAL_SAMPLES)
        self.last_valid: float | None = None
        """When the last valid telegram arrived, on any connection of this link."""
        self._opened_at: float | None = None
        self._checked_at = float("-inf")
        self._reason_at = float("-inf")
        self.reopen_due = False
        """Set by :meth:`tick`: the link worked, then went silent; close and reopen it."""

    # --- verdicts ------------------------------------------------------------------------

    @property
    def period(self) -> float | None:
        """The meter's telegram period as observed (the median of recent gaps)."""
        return statistics.median(self._gaps) if self._gaps else None

    @property
    def worked(self) -> bool:
        """True once a valid telegram arrived with these settings."""
        return self.last_valid is not None

    def stale_after(self) -> float:
        """Seconds without a telegram after which the link is stale."""
        period = self.period
        return UNKNOWN_STALE if period is None else max(STALE_PERIODS * period, STALE_MIN)

    def reopen_after(self) -> float:
        """Seconds of silence after which a link that worked is reopened."""
        return max(REOPEN_PERIODS * (self.period or UNKNOWN_PERIOD), REOPEN_MIN)

    # --- inputs --------------------------------------------------------------------------

    def opening(self, description: str, now: float) -> list[LinkEvent]:
        """The reader is about to open the source."""
        return self._to(LinkState.CONNECTING, f"opening {description}", now)

    def opened(self, description: str, now: float) -> list[LinkEvent]:
        """The source opened: waiting for its first telegram."""
        self._opened_at = now
        self.reopen_due = False
        self.watch.opened(now)
        return self._to(
            LinkState.CONNECTING, f"{description} open, waiting for the first telegram", now
        )

    def data(self, data: bytes) -> None:
        """Bytes arrived (before framing); kept for the diagnosis of junk."""
        self.watch.data(data)

    def frame(self, valid: bool, now: float) -> list[LinkEvent]:
        """A frame came out of the framer (``valid``: its CRC matched, or it has none)."""
        events: list[LinkEvent] = []
        if valid:
            last = self.last_valid
            # A gap that spans an outage or a reopening is not the meter's period.
            same_connection = self._opened_at is None or (last or 0.0) >= self._opened_at
            if last is not None and same_connection and now - last >= MIN_GAP:
                self._gaps.append(now - last)
            again = self.worked
            self.last_valid = now
            self._retry = FIRST_RETRY  # the link works: a later drop retries soon
            if self.state is not LinkState.RECEIVING:
                reason = "telegrams arriving again" if again else "telegrams arriving"
                events += self._to(LinkState.RECEIVING, reason, now)
        diagnosis = self.watch.frame(valid, now)
        if diagnosis is not None:
            events.append(diagnosis)
        return events

    def tick(self, now: float) -> list[LinkEvent]:
        """Time passed while the link is open: staleness, silence, junk. Call it often."""
        events: list[LinkEvent] = []
        opened = self._opened_at if self._opened_at is not None else now
        since = opened if self.last_valid is None else max(opened, self.last_valid)
        quiet = now - since
        if self.state is not LinkState.STALE and quiet > self.stale_after():
            events += self._to(LinkState.STALE, self._stale_reason(now, quiet), now)
        elif self.state is LinkState.STALE and now - self._reason_at >= REASON_REFRESH:
            reason = self._stale_reason(now, quiet)  # the age in it moves on
            if reason != self.reason:
                events += self._to(LinkState.STALE, reason, now)
        if self.reopens and self.worked and quiet >= self.reopen_after():
            self.reopen_due = True
        if now - self._checked_at < DIAGNOSE_EVERY:
            return events
        self._checked_at = now
        diagnosis = self.watch.check(now)
        if diagnosis is not None:
            events.append(diagnosis)
        return events

    def silent(self, now: float) -> SilentLink:
        """The error the reader ends a silent connection with (see :attr:`reopen_due`)."""
        assert self.last_valid is not None
        age = age_words(now - self.last_valid)
        if self.network:
            return SilentLink(f"no telegram for {age} although connected: reconnecting.")
        return SilentLink(f"no telegram for {age}: reopening the port.")

    def failed(self, error: LinkError, now: float) -> list[LinkEvent]:
        """The source could not be opened, or was lost: wait :attr:`retry_in`, then retry."""
        self._opened_at = None
        self.reopen_due = False
        if isinstance(error, SilentLink):
            diagnosis = self.watch.no_data = self._stopped_diagnosis()
        else:
            diagnosis = Diagnosis(str(error), error.advice)
        events: list[LinkEvent] = []
        shown = self.watch.show(diagnosis)
        if shown is not None:
            events.append(shown)
        retry = self._retry
        self._retry = min(retry * 2, MAX_RETRY)
        events += self._to(LinkState.DISCONNECTED, str(error), now, retry)
        return events

    def unusable(self, error: LinkError) -> list[LinkEvent]:
        """The settings can never work (:class:`~p1tui.link.source.LinkUnusable`): the
        reader stops; the diagnosis says why and what to do."""
        shown = self.watch.show(Diagnosis(str(error), error.advice))
        return [] if shown is None else [shown]

    # --- helpers -------------------------------------------------------------------------

    def _to(
        self, state: LinkState, reason: str, now: float, retry_in: float | None = None
    ) -> list[LinkEvent]:
        self.state, self.reason, self.retry_in = state, reason, retry_in
        self._reason_at = now
        return [StateChanged(state, reason, now, retry_in)]

    def _stale_reason(self, now: float, quiet: float) -> str:
        period = self.period
        if self.last_valid is None:
            return f"no telegram in {age_words(quiet)} since the link opened"
        age = age_words(now - self.last_valid)
        if period is None:
            return f"no telegram for {age}"
        return f"no telegram for {age} (the meter sends one every {period_words(period)})"

    def _stopped_diagnosis(self) -> Diagnosis:
        return STOPPED_NETWORK if self.network else STOPPED
