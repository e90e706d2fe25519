"""The monitor's recording: a link subscription drained into the history on its own thread.

The reader publishes into the link's fan-out; the recorder holds one subscription, so a
slow disk only ever fills the recorder's own bounded queue. Its thread opens the store
(taking the single-writer lock), writes in batches and closes it on :meth:`stop`. When
another program (a collector) holds the store, the recorder says so once and records
nothing: that program is recording already.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..link.fanout import Subscription
from .consumer import StoreConsumer
from .lock import StoreLocked
from .settings import HistorySettings
from .store import StoreError, open_store
from .writer import HistoryWriter


class Recorder:
    """Records a live link into the history on its own thread."""

    def __init__(
        self,
        settings: HistorySettings,
        subscription: Subscription,
        on_problem: Callable[[str | None], None],
    ) -> None:
        """``on_problem`` hears (from the recorder's thread) why it cannot record, or None."""
        self._settings = settings
        self._subscription = subscription
        self._on_problem = on_problem
        self._consumer: StoreConsumer | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="p1tui-recorder", daemon=True)
        self.recording = False
        """True while this process holds the store and writes into it."""

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what the subscription holds, close the store, end the thread."""
        self._stopping.set()
        self._subscription.end()  # the consumer takes what is pending, then stops waiting
        consumer = self._consumer
        if consumer is not None:
            consumer.request_stop()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        self._subscription.close()

    def _run(self) -> None:
        settings = self._settings
        try:
            store = open_store(settings.db)
        except StoreLocked as error:
            self._subscription.close()  # nothing to record: stop collecting events
            holder = f"process {error.pid}" + (f" ({error.command})" if error.command else "")
            self._on_problem(f"{holder} records the history; the History screen reads it")
            return
        except StoreError as error:
            self._subscription.close()
            self._on_problem(f"the history is not recorded: {error}")
            return
        try:
            writer = HistoryWriter(
                store,
                keep_minutes_days=settings.keep_minutes_days,
                flush_every=settings.batch_seconds,
            )
            self._consumer = StoreConsumer(self._subscription, writer, on_problem=self._on_problem)
            if self._stopping.is_set():
                self._consumer.request_stop()
            self.recording = True
            self._consumer.run()
        finally:
            self.recording = False
            store.close()
