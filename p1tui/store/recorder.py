"""The monitor's recording: telegrams from the reader into the history, never in its way.

:meth:`Recorder.offer` is called on the reader's thread with every link event and only
appends telegrams to a bounded queue; the recorder's own thread opens the store (taking
the single-writer lock), writes in batches and closes it again on :meth:`stop`. When
another program (a collector) holds the store, the recorder says so once and records
nothing: that program is recording already.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from ..link.events import LinkEvent, TelegramReceived
from .consumer import StoreConsumer
from .lock import StoreLocked
from .settings import HistorySettings
from .store import StoreError, open_store
from .writer import HistoryWriter

MAX_QUEUED = 10_000
"""Telegrams held while the disk is slow (hours at one a second); the oldest go first."""


class Recorder:
    """Records a live link into the history on its own thread."""

    def __init__(
        self,
        settings: HistorySettings,
        on_problem: Callable[[str | None], None],
        maxsize: int = MAX_QUEUED,
    ) -> None:
        """``on_problem`` hears (from the recorder's thread) why it cannot record, or None."""
        self._settings = settings
        self._on_problem = on_problem
        self._events: deque[TelegramReceived] = deque(maxlen=maxsize)
        self._ready = threading.Condition()
        self._consumer: StoreConsumer | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="p1tui-recorder", daemon=True)
        self.recording = False
        """True while this process holds the store and writes into it."""

    def offer(self, event: LinkEvent) -> None:
        """Take a link event (any thread); never blocks, drops the oldest when full."""
        if isinstance(event, TelegramReceived):
            with self._ready:
                self._events.append(event)
                self._ready.notify()

    def get_batch(self, max_items: int, timeout: float | None) -> list[LinkEvent]:
        """What the consumer drains (the shape of a link subscription)."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._events or self._stopping.is_set(), timeout):
                return []
            events = self._events
            return [events.popleft() for _ in range(min(max_items, len(events)))]

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, close the store and end the thread."""
        self._stopping.set()
        consumer = self._consumer
        if consumer is not None:
            consumer.request_stop()
        with self._ready:
            self._ready.notify_all()
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        settings = self._settings
        try:
            store = open_store(settings.db)
        except StoreLocked as error:
            holder = f"process {error.pid}" + (f" ({error.command})" if error.command else "")
            self._on_problem(f"history: {holder} records it; the History screen reads it")
            return
        except StoreError as error:
            self._on_problem(f"history not recorded: {error}")
            return
        try:
            writer = HistoryWriter(
                store,
                keep_minutes_days=settings.keep_minutes_days,
                flush_every=settings.batch_seconds,
            )
            self._consumer = StoreConsumer(self, writer, on_problem=self._on_problem)
            if self._stopping.is_set():
                self._consumer.request_stop()
            self.recording = True
            self._consumer.run()
        finally:
            self.recording = False
            store.close()
