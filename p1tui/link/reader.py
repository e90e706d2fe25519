"""The reader thread: source -> decoder -> events.

One daemon thread owns the source and a :class:`~p1tui.dsmr.Decoder`. It reports through
a single callback, called from that thread, with the events of
:mod:`p1tui.link.events`: every telegram (valid or not), each state change with its
reason, statistics about once a second, and diagnoses in plain words. The callback is
normally :meth:`p1tui.link.fanout.FanOut.publish`, which only queues the event for each
consumer. Every timing decision (period, staleness, retries, silence) is the
:class:`~p1tui.link.status.LinkStatus`'s; the thread does the I/O and the waiting.

The state machine::

    connecting --open ok--> connecting ("waiting for the first telegram")
        --telegram--> receiving <--telegram-- stale (no telegram for a few periods)
    any --link lost / cannot open--> disconnected (retry in 1, 2, 4 ... 30 s) --> connecting
    receiving/stale --silent for several periods after working--> disconnected (reopen)
    any --stop() / end of a recording / a port that can never work (a directory)--> stopped

Nothing here blocks for long: sources return from ``read`` within about 0.2 s and the
retry wait wakes up at once for a stop or a settings change, so :meth:`Reader.stop`
returns within a second whatever the link is doing.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..dsmr import Decoded, Decoder
from ..dsmr.dlms import decryptor_for
from .events import LinkEvent, LinkState, LinkStats, StateChanged, StatsUpdated, TelegramReceived
from .factory import make_source
from .settings import SourceSettings
from .source import EndOfStream, LinkError, LinkLost, LinkUnusable, Source
from .status import LinkStatus

if TYPE_CHECKING:
    from ..dsmr.dlms import Envelope, MeterKeys

STATS_EVERY = 1.0
QUIET_FLUSH = 0.5
"""Seconds of silence after which a telegram whose last line has no line ending is framed.

Longer than one empty read, so a network link that pauses inside a CRC is not cut."""


@dataclass
class _Run:
    """One run of the thread; a stopped or replaced run no longer reports."""

    wake: threading.Event = field(default_factory=threading.Event)
    stop: bool = False
    new_settings: SourceSettings | None = None
    stopped_sent: bool = False


class _Link:
    """The byte path and counters of the current settings (kept across reconnects)."""

    def __init__(self, settings: SourceSettings, keys: MeterKeys | None) -> None:
        self.settings = settings
        self.decryptor = decryptor_for(keys)
        self.decoder = Decoder(self.decryptor)
        self.bytes_received = 0
        self.last_telegram_at: float | None = None
        self.status = LinkStatus(
            settings, decryption=None if self.decryptor is None else self.decryptor.stats
        )
        """Period, staleness, retries and diagnosis: every timing decision is made there."""

    def stats(self, bytes_per_second: float) -> LinkStats:
        f = self.decoder.stats.framer
        return LinkStats(
            telegrams_ok=f.frames_ok,
            telegrams_unchecked=f.frames_unchecked,
            crc_failures=f.crc_failures,
            bytes_received=self.bytes_received,
            bytes_skipped=f.bytes_skipped,
            bytes_per_second=bytes_per_second,
            last_telegram_at=self.last_telegram_at,
            decryption_failures=0 if self.decryptor is None else self.decryptor.stats.frames_failed,
        )

    def envelopes(self, frames: list[Decoded]) -> list[Envelope | None]:
        """The envelope of each frame's encrypted carrier (None for plaintext telegrams).

        Every decrypted frame carries one whole telegram, so the telegrams framed from one
        feed pair up in order with the frames decrypted in it.
        """
        taken = self.decryptor.take_envelopes() if self.decryptor is not None else []
        if len(taken) != len(frames):
            return [None] * len(frames)
        return list(taken)


class Reader:
    """Reads a P1 source in a thread and reports :data:`~p1tui.link.events.LinkEvent`s.

    ``on_event`` is called from the reader thread, under its lock, and must only hand the
    event on: pass :meth:`p1tui.link.fanout.FanOut.publish`, so that every consumer
    reads from its own queue on its own thread. Events carry wall-clock times
    (``time.time()``); ``clock`` (monotonic) drives the timing: retries, staleness,
    silence, rates.
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
            # After change_settings() nothing more of the old link is reported.
            if self._run is run and not run.stopped_sent and run.new_settings is None:
                self._on_event(event)

    def _report(self, run: _Run, events: Iterable[LinkEvent]) -> None:
        """Publish the link state's verdicts, state changes stamped with the wall clock."""
        for event in events:
            stamped = isinstance(event, StateChanged)
            self._emit(run, dataclasses.replace(event, at=time.time()) if stamped else event)

    def _stopped(self, run: _Run, reason: str) -> None:
        """Report STOPPED once per run (from the thread, or from stop() if it hangs)."""
        with self._lock:
            if not run.stopped_sent:
                run.stopped_sent = True
                self._on_event(StateChanged(LinkState.STOPPED, reason, time.time()))

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
                self._report(run, link.status.opening(source.describe(), self._clock()))
                source.open()
            except Exception as error:  # a broken source must not end the thread silently
                if source is not None:
                    source.close()
                if isinstance(error, LinkUnusable):  # retrying cannot help: say why, stop
                    self._report(run, link.status.unusable(error))
                    with self._lock:
                        if self._run is run:
                            self._stopped(run, str(error))
                    return
                if not isinstance(error, LinkError):
                    error = LinkError(f"cannot start the source: {error}.")
                self._lost(run, link, error)
                continue
            try:
                self._pump(run, link, source)
            except EndOfStream as end:
                self._deliver_all(run, link, link.decoder.close(), self._clock())
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
        now = self._clock()
        self._deliver_all(run, link, link.decoder.close(), now)
        self._publish_stats(run, link, 0.0)
        self._report(run, link.status.failed(error, now))
        if run.wake.wait(link.status.retry_in):
            run.wake.clear()

    def _pump(self, run: _Run, link: _Link, source: Source) -> None:
        """Read until stopped, the settings change, or the link is lost or silent."""
        clock, status = self._clock, link.status
        now = clock()
        self._report(run, status.opened(source.describe(), now))
        last_byte = stats_at = now
        stats_bytes = link.bytes_received
        while not run.stop and run.new_settings is None:
            data = source.read(4096)
            now = clock()
            if data:
                last_byte = now
                link.bytes_received += len(data)
                status.data(data)
                frames = link.decoder.feed(data)
            else:
                frames = link.decoder.flush() if now - last_byte >= QUIET_FLUSH else []
            if frames:
                self._deliver_all(run, link, frames, now)
            self._report(run, status.tick(now))
            if status.reopen_due:
                raise status.silent(now)
            if now - stats_at >= STATS_EVERY:
                rate = (link.bytes_received - stats_bytes) / (now - stats_at)
                stats_at, stats_bytes = now, link.bytes_received
                self._publish_stats(run, link, rate)

    def _deliver_all(self, run: _Run, link: _Link, frames: list[Decoded], now: float) -> None:
        """Report decoded frames, with what the link state makes of them."""
        failed = False
        for (frame, telegram), envelope in zip(frames, link.envelopes(frames), strict=True):
            wall = time.time()
            if frame.valid:
                link.last_telegram_at = wall
            else:
                failed = True
            self._emit(run, TelegramReceived(frame, telegram, wall, envelope))
            self._report(run, link.status.frame(frame.valid, now))
        if failed:  # the failure count is shown with the telegram, not up to 1 s later
            self._publish_stats(run, link, self._stats.bytes_per_second)
        elif frames:
            self._stats = link.stats(self._stats.bytes_per_second)

    def _publish_stats(self, run: _Run, link: _Link, rate: float) -> None:
        self._stats = link.stats(rate)
        self._emit(run, StatsUpdated(self._stats))
