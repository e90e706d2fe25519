"""Recording from the link: a thread that drains a subscription into a HistoryWriter."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..link.events import LinkEvent, TelegramReceived
from .writer import HistoryWriter

BATCH = 1000
WAIT = 0.5
"""Seconds a quiet subscription is waited on: the thread notices a stop within this."""


class Batches(Protocol):
    """What the consumer drains: a link ``Subscription`` (or anything with ``get_batch``;
    an ``ended`` attribute, when it has one, says no more events will come)."""

    def get_batch(self, max_items: int, timeout: float | None) -> list[LinkEvent]: ...


class StoreConsumer:
    """Writes every valid telegram of a subscription into the history, on its own thread.

    The subscription's bounded queue is the only link to the reader, so a slow disk
    never stalls the meter's reading; what the queue drops it counts itself.
    """

    def __init__(
        self,
        source: Batches,
        writer: HistoryWriter,
        *,
        on_problem: Callable[[str | None], None] | None = None,
    ) -> None:
        """``on_problem`` hears a write failure in one sentence (None once it works again)."""
        self._source = source
        self._writer = writer
        self._on_problem = on_problem
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="p1tui-history", daemon=True)
        self._problem: str | None = None
        self.error: str | None = None
        """The last write failure, or None."""

    def start(self) -> None:
        """Run :meth:`run` on the consumer's own thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is pending and end the thread (the store stays open)."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def request_stop(self) -> None:
        """Ask :meth:`run` to write what is pending and return (it does within a second)."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def run(self) -> None:
        """Drain the source into the writer until stopped; then drain what is left, flush."""
        source = self._source
        while not self._stop.is_set():
            events = source.get_batch(BATCH, WAIT)
            if not events and getattr(source, "ended", False):
                break  # the link published its last event and all of it is taken
            self._guarded(lambda events=events: self._take(events))
            self._guarded(self._flush_if_due)
        while events := source.get_batch(BATCH, 0):
            self._guarded(lambda events=events: self._take(events))
        self._guarded(self._writer.flush)

    def _take(self, events: list[LinkEvent]) -> None:
        add = self._writer.add
        for event in events:
            if (
                isinstance(event, TelegramReceived)
                and event.telegram is not None
                and event.frame.valid
            ):
                add(event.telegram, event.received_at)

    def _flush_if_due(self) -> None:
        self._writer.flush_if_due()

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except sqlite3.Error as error:
            self._report(f"cannot write the history ({error}); retrying")
            time.sleep(WAIT)
            return
        if self._problem is not None:
            self._report(None)

    def _report(self, problem: str | None) -> None:
        self._problem = self.error = problem
        if self._on_problem is not None:
            self._on_problem(problem)
