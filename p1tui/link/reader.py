"""The reader thread: source -> framer -> parser -> events.

One daemon thread owns the source and a :class:`~p1tui.dsmr.Framer`. It reports through
a single callback, called from that thread, with the events of
:mod:`p1tui.link.events`: every telegram (valid or not), each state change with its
reason, statistics about once a second, and diagnoses in plain words.

The state machine::

    connecting --open ok--> connecting ("waiting for the first telegram")
        --telegram--> receiving <--telegram-- stale (no telegram for a few periods)
    any --link lost / cannot open--> disconnected (retry in 1, 2, 4 ... 30 s) --> connecting
    any --stop() / end of a recording--> stopped

Nothing here blocks for long: sources return from ``read`` within about 0.2 s and the
retry wait wakes up at once for a stop or a settings change, so :meth:`Reader.stop`
returns within a second whatever the link is doing.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..dsmr import DSMRError, Frame, Framer, parse
from .diagnosis import LinkWatch
from .events import (
    Diagnosis,
    LinkEvent,
    LinkState,
    LinkStats,
    StateChanged,
    StatsUpdated,
    TelegramReceived,
)
from .factory import make_source
from .serial_source import is_url
from .settings import SerialSettings, SourceSettings
from .source import EndOfStream, LinkError, LinkLost, Source

if TYPE_CHECKING:
    from ..dsmr.decryptor import Decryptor
    from ..dsmr.dlms import Envelope, MeterKeys

FIRST_RETRY = 1.0
MAX_RETRY = 30.0
STATS_EVERY = 1.0
QUIET_FLUSH = 0.5
"""Seconds of silence after which a telegram whose last line has no line ending is framed.

Longer than one empty read, so a network link that pauses inside a CRC is not cut."""
STALE_PERIODS = 3
"""No telegram for this many learned periods makes the link stale."""
STALE_MIN = 3.0
UNKNOWN_STALE = 12.0
"""Before the period is learned: a 10 s meter sends within this."""
INTERVAL_SAMPLES = 9
MIN_GAP = 0.05
"""Telegrams closer than this came in one burst (a backlog), not one period apart."""


@dataclass
class _Run:
    """One run of the thread; a stopped or replaced run no longer reports."""

    wake: threading.Event = field(default_factory=threading.Event)
    stop: bool = False
    new_settings: SourceSettings | None = None
    stopped_sent: bool = False


class _Link:
    """Counters and timing of the current settings (kept across reconnects)."""

    def __init__(self, settings: SourceSettings, keys: MeterKeys | None) -> None:
        self.settings = settings
        self.decryptor = _decryptor(keys)
        self.framer = Framer()
        self.bytes_received = 0
        self.last_telegram_at: float | None = None
        self.last_valid: float | None = None
        """Monotonic arrival of the last valid telegram on this connection."""
        self.gaps: deque[float] = deque(maxlen=INTERVAL_SAMPLES)
        self.retry = FIRST_RETRY
        """Seconds before the next attempt after a failure; doubles up to MAX_RETRY."""
        serial = settings if isinstance(settings, SerialSettings) else None
        self.watch = LinkWatch(
            serial,
            network=serial is not None and is_url(serial.port),
            decryption=None if self.decryptor is None else self.decryptor.stats,
        )

    @property
    def learned_interval(self) -> float | None:
        return statistics.median(self.gaps) if self.gaps else None

    def stale_after(self) -> float:
        interval = self.learned_interval
        if interval is None:
            return UNKNOWN_STALE
        return max(STALE_PERIODS * interval, STALE_MIN)

    def stats(self, bytes_per_second: float) -> LinkStats:
        f = self.framer.stats
        return LinkStats(
            telegrams_ok=f.frames_ok,
            telegrams_unchecked=f.frames_unchecked,
            crc_failures=f.crc_failures,
            bytes_received=self.bytes_received,
            bytes_skipped=f.bytes_skipped,
            bytes_per_second=bytes_per_second,
            last_telegram_at=self.last_telegram_at,
            learned_interval=self.learned_interval,
            decryption_failures=0 if self.decryptor is None else self.decryptor.stats.frames_failed,
        )

    def feed(self, data: bytes) -> list[Frame]:
        """Received bytes through the decryptor (if the meter encrypts) and the framer."""
        if self.decryptor is not None:
            data = self.decryptor.feed(data)
        return self.framer.feed(data)

    def close(self) -> list[Frame]:
        """The link broke or ended: a frame or telegram cut short is dropped."""
        frames = self.framer.feed(self.decryptor.close()) if self.decryptor is not None else []
        return frames + self.framer.close()

    def envelopes(self, frames: list[Frame]) -> list[Envelope | None]:
        """The envelope of each frame's encrypted carrier (None for plaintext telegrams).

        Every decrypted frame carries one whole telegram, so the telegrams framed from one
        feed pair up in order with the frames decrypted in it.
        """
        taken = self.decryptor.take_envelopes() if self.decryptor is not None else []
        if len(taken) != len(frames):
            return [None] * len(frames)
        return list(taken)


def _decryptor(keys: MeterKeys | None) -> Decryptor | None:
    if keys is None:
        return None
    from ..dsmr.decryptor import Decryptor  # noqa: PLC0415 (cryptography only when needed)

    return Decryptor(keys)


class Reader:
    """Reads a P1 source in a thread and reports :data:`~p1tui.link.events.LinkEvent`s.

    ``on_event`` is called from the reader thread and must be quick and thread-safe
    (a Textual app passes ``post_message``). Events carry wall-clock times
    (``time.time()``); ``clock`` (monotonic) drives the timing: retries, staleness,
    rates.
    """

    def __init__(
        self,
        settings: SourceSettings,
        on_event: Callable[[LinkEvent], None],
        *,
        source_factory: Callable[[SourceSettings], Source] = make_source,
        clock: Callable[[], float] = time.monotonic,
        keys: MeterKeys | None = None,
    ) -> None:
        """``keys``: the meter's, when it encrypts its telegrams (Luxembourg, Austria)."""
        self._settings = settings
        self._keys = keys
        self._on_event = on_event
        self._factory = source_factory
        self._clock = clock
        self._lock = threading.RLock()
        self._run: _Run | None = None
        self._thread: threading.Thread | None = None
        self._stats = LinkStats()

    @property
    def settings(self) -> SourceSettings:
        """The settings in use (or about to be)."""
        return self._settings

    @property
    def stats(self) -> LinkStats:
        """The latest statistics of the current link."""
        return self._stats

    def start(self) -> None:
        """Start reading in a new thread (no-op while already running)."""
        with self._lock:
            if self._run is not None and self._thread is not None and self._thread.is_alive():
                return
            run = self._run = _Run()
            self._thread = threading.Thread(
                target=self._main, args=(run,), name="p1tui-reader", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread and close the source; returns within ``timeout`` seconds."""
        with self._lock:
            run, thread = self._run, self._thread
            if run is None or thread is None:
                return
            run.stop = True
            run.wake.set()
        if thread is not threading.current_thread():
            thread.join(timeout)
        with self._lock:
            if self._run is run:
                self._run = None
                self._stopped(run, "stopped")

    def change_settings(self, settings: SourceSettings) -> None:
        """Switch to new settings: the link is closed and reopened with them."""
        with self._lock:
            self._settings = settings
            run = self._run
            if run is None:
                return
            if self._thread is not None and self._thread.is_alive():
                run.new_settings = settings
                run.wake.set()
                return
            self._run = None
        self.start()  # the previous run had ended (a recording played to its end)

    # --- the thread -------------------------------------------------------------------

    def _emit(self, run: _Run, event: LinkEvent) -> None:
        with self._lock:
            if self._run is run and not run.stopped_sent:
                self._on_event(event)

    def _stopped(self, run: _Run, reason: str) -> None:
        """Report STOPPED once per run (from the thread, or from stop() if it hangs)."""
        with self._lock:
            if not run.stopped_sent:
                run.stopped_sent = True
                self._on_event(StateChanged(LinkState.STOPPED, reason, time.time()))

    def _state(
        self, run: _Run, state: LinkState, reason: str, retry_in: float | None = None
    ) -> None:
        self._emit(run, StateChanged(state, reason, time.time(), retry_in))

    def _diagnose(self, run: _Run, diagnosis: Diagnosis | None) -> None:
        if diagnosis is not None:
            self._emit(run, diagnosis)

    def _main(self, run: _Run) -> None:
        link = _Link(self._settings, self._keys)
        while not run.stop:
            with self._lock:
                new, run.new_settings = run.new_settings, None
                if new is not None:
                    run.wake.clear()
            if new is not None:
                link = _Link(new, self._keys)
                self._stats = LinkStats()
            source: Source | None = None
            try:
                source = self._factory(link.settings)
                self._state(run, LinkState.CONNECTING, f"opening {source.describe()}")
                source.open()
            except Exception as error:  # a broken source must not end the thread silently
                if source is not None:
                    source.close()
                if not isinstance(error, LinkError):
                    error = LinkError(f"cannot start the source: {error}.")
                self._lost(run, link, error)
                continue
            try:
                self._pump(run, link, source)
            except EndOfStream as end:
                self._deliver_all(run, link, link.close(), self._clock())
                self._publish_stats(run, link, 0.0)
                with self._lock:
                    if self._run is run:
                        self._stopped(run, str(end))
                return
            except LinkError as error:
                self._lost(run, link, error)
            except Exception as error:  # a bug in a source must not end the thread silently
                self._lost(run, link, LinkLost(f"reading failed unexpectedly: {error!r}."))
            finally:
                source.close()
        with self._lock:
            if self._run is run:
                self._stopped(run, "stopped")

    def _lost(self, run: _Run, link: _Link, error: LinkError) -> None:
        """Report a link that failed and wait before the next attempt."""
        # A telegram cut by the outage must not be completed by bytes from after it.
        self._deliver_all(run, link, link.close(), self._clock())
        link.last_valid = None
        self._publish_stats(run, link, 0.0)
        self._diagnose(run, link.watch.show(Diagnosis(str(error), error.advice)))
        retry = link.retry
        link.retry = min(retry * 2, MAX_RETRY)
        self._state(run, LinkState.DISCONNECTED, str(error), retry)
        if run.wake.wait(retry):
            run.wake.clear()

    def _pump(self, run: _Run, link: _Link, source: Source) -> None:
        """Read until stopped, the settings change, or the link is lost."""
        clock = self._clock
        now = clock()
        link.watch.opened(now)
        state = LinkState.CONNECTING
        self._state(run, state, f"{source.describe()} open, waiting for the first telegram")
        last_byte = opened = stats_at = now
        stats_bytes = link.bytes_received
        while not run.stop and run.new_settings is None:
            data = source.read(4096)
            now = clock()
            if data:
                last_byte = now
                link.bytes_received += len(data)
                link.watch.data(data)
                frames = link.feed(data)
            else:
                frames = link.framer.flush() if now - last_byte >= QUIET_FLUSH else []
            valid = bool(frames) and self._deliver_all(run, link, frames, now)
            if valid and state is not LinkState.RECEIVING:
                again = state is LinkState.STALE
                state = LinkState.RECEIVING
                self._state(
                    run, state, "telegrams arriving again" if again else "telegrams arriving"
                )
            since = link.last_valid if link.last_valid is not None else opened
            if state is not LinkState.STALE and now - since > link.stale_after():
                state = LinkState.STALE
                self._state(run, state, _stale_reason(link, now - since))
            if now - stats_at >= STATS_EVERY:
                rate = (link.bytes_received - stats_bytes) / (now - stats_at)
                stats_at, stats_bytes = now, link.bytes_received
                self._publish_stats(run, link, rate)
                self._diagnose(run, link.watch.check(now))

    def _deliver_all(self, run: _Run, link: _Link, frames: list[Frame], now: float) -> bool:
        """Parse and report frames; True if one of them was valid."""
        any_valid = False
        envelopes = link.envelopes(frames) if frames else []
        for frame, envelope in zip(frames, envelopes, strict=True):
            try:
                telegram = parse(frame)
            except DSMRError:
                telegram = None
            wall = time.time()
            if frame.valid:
                any_valid = True
                if link.last_valid is not None and now - link.last_valid >= MIN_GAP:
                    link.gaps.append(now - link.last_valid)
                link.last_valid = now
                link.last_telegram_at = wall
                link.retry = FIRST_RETRY  # the link works: a later drop retries soon
            self._emit(run, TelegramReceived(frame, telegram, wall, envelope))
            self._diagnose(run, link.watch.frame(frame.valid, now))
        if frames:
            self._stats = link.stats(self._stats.bytes_per_second)
        return any_valid

    def _publish_stats(self, run: _Run, link: _Link, rate: float) -> None:
        self._stats = link.stats(rate)
        self._emit(run, StatsUpdated(self._stats))


def _stale_reason(link: _Link, quiet: float) -> str:
    interval = link.learned_interval
    if link.last_valid is None:
        return f"no telegram in {quiet:.0f} s since the link opened"
    if interval is None:
        return f"no telegram for {quiet:.0f} s"
    return f"no telegram for {quiet:.0f} s (the meter sends one every {interval:.0f} s)"
