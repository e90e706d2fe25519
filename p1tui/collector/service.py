"""The collector: one reader, one fan-out, and a consumer thread per job.

::

    source -> Reader -> FanOut -+-> re-serve (TCP clients)
                                +-> journal (log lines, counters)
                                +-> history (HistoryWriter, batched transactions)

The reader only appends events to each consumer's bounded queue, so a slow disk or fifty
TCP clients never hold up the meter's port. Each consumer drains its own queue in its
own thread; :meth:`Collector.stop` stops the reader first, ends the fan-out so every
consumer finishes what is queued (the history writes its last batch), then closes the
clients.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..link.events import Diagnosis, LinkEvent, LinkState, StateChanged, TelegramReceived
from ..link.fanout import FanOut, Subscription
from ..link.reader import Reader
from ..link.settings import SourceSettings
from ..link.tcp_server import ClientEvent, TcpServer
from ..store import HistoryWriter, StoreConsumer, StoreError, open_store
from ..words import count
from .listen import ListenAddress

SUMMARY_EVERY = 15 * 60.0
BATCH = 256
POLL = 0.5
LINE_END = b"\r\n"
"""The framer keeps a telegram from ``/`` to its CRC; the meter ends it with CR LF."""
STOP_TIMEOUT = 3.0


class Attached(Protocol):
    """A consumer of the fan-out that runs on its own (the MQTT publisher)."""

    def join(self, timeout: float) -> None:
        """Wait until it finished what was queued once the fan-out ended."""

    def report(self) -> str | None:
        """What it lost so far, for the summary; None when nothing."""


class EventConsumer:
    """Drains one subscription in its own thread, handing each batch to ``handle``.

    It runs until the fan-out ends (:meth:`FanOut.end`), having handled everything that
    was queued by then, or until its subscription is closed.
    """

    def __init__(
        self, subscription: Subscription, handle: Callable[[list[LinkEvent]], None]
    ) -> None:
        self.subscription = subscription
        self._handle = handle
        self._thread = threading.Thread(
            target=self._main, name=f"p1tui-{subscription.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait for the thread to end (after :meth:`FanOut.end`); then unsubscribe."""
        self._thread.join(timeout)
        self.subscription.close()

    def _main(self) -> None:
        subscription = self.subscription
        while True:
            batch = subscription.get_batch(BATCH, POLL)
            if batch:
                self._handle(batch)
            elif subscription.ended or subscription.closed:
                return


class Journal:
    """Turns link events into log lines and keeps the counts for the summary."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self.telegrams = 0
        self.crc_failures = 0
        self.first_minute: int | None = None
        """The history's minute (``t`` of its row) of the first telegram since the start."""
        self._down_reason: str | None = None
        """Why the link is down, once said: the retries that follow are not news."""
        self._problem: str | None = None

    def handle(self, events: list[LinkEvent]) -> None:
        for event in events:
            if isinstance(event, TelegramReceived):
                if event.frame.valid:
                    self.telegrams += 1
                    stamp = event.telegram.timestamp if event.telegram else None
                    if self.first_minute is None and stamp is not None:
                        self.first_minute = (int(stamp.timestamp()) - 1) // 60 * 60
                else:
                    self.crc_failures += 1
                    self._log.debug("telegram with a failed CRC: %s", event.frame.problem or "")
            elif isinstance(event, StateChanged):
                self._state_changed(event)
            elif isinstance(event, Diagnosis):
                self._diagnosis(event)

    def _state_changed(self, event: StateChanged) -> None:
        state, reason = event.state, event.reason.rstrip(".")
        if state is LinkState.RECEIVING:
            self._down_reason = None
            self._log.info("link up: %s", reason)
        elif state is LinkState.DISCONNECTED:
            retry = f", retrying in {event.retry_in:g} s" if event.retry_in else ""
            # A port that stays away is retried for ever: say so once, not every 30 s.
            level = logging.DEBUG if reason == self._down_reason else logging.WARNING
            self._down_reason = reason
            self._log.log(level, "link down: %s%s", reason, retry)
        elif state is LinkState.STALE:
            self._log.warning("link stale: %s", reason)
        elif state is LinkState.CONNECTING:
            self._log.debug("link: %s", reason)

    def _diagnosis(self, event: Diagnosis) -> None:
        if event.problem == self._problem:
            return
        self._problem = event.problem
        if event.problem:
            self._log.warning("%s %s", event.problem, event.advice)
        else:
            self._log.info("the link problem is over")


class Collector:
    """Reads one meter and serves it; :meth:`start`, then :meth:`stop` from any thread.

    Raises :class:`~p1tui.link.tcp_server.TcpServerError` at construction when it
    cannot listen.
    """

    def __init__(
        self,
        settings: SourceSettings,
        listen: ListenAddress,
        log: logging.Logger,
        *,
        history: HistoryWriter | None = None,
        reader_factory: Callable[..., Reader] = Reader,
        summary_every: float = SUMMARY_EVERY,
    ) -> None:
        """``history``: the writer of the store to record into (None: no history)."""
        self.log = log
        self.settings = settings
        self.summary_every = summary_every
        self.fanout = FanOut()
        self.server = TcpServer(listen.host, listen.port, on_client=self._client_event)
        self.journal = Journal(log)
        self.consumers = [
            EventConsumer(self.fanout.subscribe("journal"), self.journal.handle),
            EventConsumer(self.fanout.subscribe("re-serve"), self._reserve),
        ]
        self.history = history
        self._attached: list[Attached] = []
        self._recorder: StoreConsumer | None = None
        self._history_queue: Subscription | None = None
        if history is not None:
            self._history_queue = self.fanout.subscribe("history")
            self._recorder = StoreConsumer(
                self._history_queue, history, on_problem=self._history_problem
            )
        self.reader = reader_factory(settings, self.fanout.publish)

    @property
    def address(self) -> str:
        return self.server.address

    def attach(self, consumer: Attached) -> None:
        """A consumer subscribed to :attr:`fanout` elsewhere: :meth:`stop` waits for it to
        finish, and the summary says what it lost."""
        self._attached.append(consumer)

    def start(self) -> None:
        self.server.start()
        where = f"TCP clients on {self.address}"
        self.log.info("started: reading %s, serving %s", self.settings.describe(), where)
        if not ListenAddress(self.server.host, self.server.port).loopback:
            self.log.warning(
                "listening on %s: other machines on the network can read the meter",
                self.address,
            )
        if self.history is not None:
            self.log.info("history: recording into %s", self.history.store.path)
        for consumer in self.consumers:
            consumer.start()
        if self._recorder is not None:
            self._recorder.start()
        self.reader.start()

    def run_until(self, stop: threading.Event) -> None:
        """Log a summary every :attr:`summary_every` seconds until ``stop`` is set."""
        next_summary = time.monotonic() + self.summary_every
        counted = (0, 0)
        while not stop.wait(min(1.0, self.summary_every)):
            if time.monotonic() >= next_summary:
                next_summary += self.summary_every
                now = (self.journal.telegrams, self.journal.crc_failures)
                recent = count(now[0] - counted[0], "telegram")
                minutes = self.summary_every / 60
                period = f"{minutes:g} min" if minutes >= 1 else f"{self.summary_every:g} s"
                self.log.info(
                    "summary: %s and %d with a failed CRC in the last %s; since the start: %s",
                    recent,
                    now[1] - counted[1],
                    period,
                    self.summary(),
                )
                counted = now

    def summary(self) -> str:
        """Telegrams, CRC failures, clients and what consumers lost, since the start."""
        journal = self.journal
        text = (
            f"{count(journal.telegrams, 'telegram')}, "
            f"{journal.crc_failures} with a failed CRC, "
            f"{count(self.server.clients, 'client')}"
        )
        if self.history is not None:
            minutes = self._minutes_written()
            text += f", {'?' if minutes is None else count(minutes, 'minute')} written"
        queues = [c.subscription for c in self.consumers]
        if self._history_queue is not None:
            queues.append(self._history_queue)
        lost = [f"{q.name} {q.dropped}" for q in queues if q.dropped]
        if lost:
            text += f"; events lost by slow consumers: {', '.join(lost)}"
        for consumer in self._attached:
            report = consumer.report()
            if report:
                text += f"; {report}"
        return text

    def stop(self) -> None:
        """Stop reading, let the consumers finish their queues, close the clients."""
        self.reader.stop(timeout=STOP_TIMEOUT)
        self.fanout.end()  # the consumers take what is queued, then end
        if self._recorder is not None:
            self._recorder.stop()  # writes the last batch
            assert self._history_queue is not None
            self._history_queue.close()
        for consumer in self.consumers:
            consumer.join()
        for attached in self._attached:
            attached.join(STOP_TIMEOUT)
        summary = self.summary()
        self.server.close(drain=1.0)
        self.log.info("stopped: %s", summary)

    def _reserve(self, events: list[LinkEvent]) -> None:
        telegrams = [
            event.frame.raw + LINE_END
            for event in events
            if isinstance(event, TelegramReceived) and event.frame.valid
        ]
        if telegrams:
            self.server.send(b"".join(telegrams))

    def _minutes_written(self) -> int | None:
        """Minute rows in the store since the first telegram of this run (committed ones:
        read through a connection of its own, as any reader of the store would)."""
        first = self.journal.first_minute
        if first is None or self.history is None:
            return 0
        try:
            with open_store(self.history.store.path, readonly=True) as store:
                row = store.conn.execute(
                    "SELECT count(DISTINCT t) FROM minute WHERE t >= ?", (first,)
                ).fetchone()
        except (StoreError, sqlite3.Error):
            return None
        return int(row[0])

    def _history_problem(self, problem: str | None) -> None:
        if problem is None:
            self.log.info("history: writing again")
        else:
            self.log.error("history: %s", problem)

    def _client_event(self, event: ClientEvent) -> None:
        if event.connected:
            self.log.info("client %s connected (%d connected)", event.address, event.clients)
        elif event.reason == "disconnected":
            self.log.info("client %s disconnected (%d connected)", event.address, event.clients)
        else:
            self.log.warning("client %s dropped: %s", event.address, event.reason)
