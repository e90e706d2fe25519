"""The app as one subscriber of the link's fan-out: its queue plus a wake-up message.

The reader publishes into a :class:`~p1tui.link.fanout.FanOut`; the app holds one
:class:`~p1tui.link.fanout.Subscription` of it. A small thread waits on that
subscription (no polling) and posts a :class:`LinkActivity` when events are pending;
at most one is outstanding, and the app drains everything pending when it handles it.
A UI too busy to keep up loses its own oldest events (counted in :attr:`LinkFeed.dropped`),
never the reader's time or another consumer's events.
"""

from __future__ import annotations

import threading

from textual.message_pump import MessagePump

from ..link.events import LinkEvent
from ..link.fanout import FanOut
from .messages import LinkActivity

MAX_QUEUED = 5000
"""Events held while the UI is busy (minutes at the serial line rate); older ones drop."""


class LinkFeed:
    """The app's subscription, and the thread that wakes the app when events wait."""

    def __init__(self, target: MessagePump, fanout: FanOut, max_queued: int = MAX_QUEUED) -> None:
        self._target = target
        self.subscription = fanout.subscribe("ui", max_queued)
        self._lock = threading.Lock()
        self._pending = False
        self._drained = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def dropped(self) -> int:
        """Events the app lost because it fell behind."""
        return self.subscription.dropped

    def start(self) -> None:
        """Start waking the app for events the link publishes."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._wake_loop, name="p1tui-ui-feed", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop: the waiting thread ends at once, pending events are discarded."""
        self.subscription.close()
        self._drained.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    def drain(self) -> list[LinkEvent]:
        """Everything pending, oldest first (on the UI thread, for a LinkActivity)."""
        with self._lock:
            self._pending = False
        subscription = self.subscription
        events = subscription.get_batch(subscription.maxsize, timeout=0)
        self._drained.set()
        return events

    def _wake(self) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        self._target.post_message(LinkActivity())

    def _wake_loop(self) -> None:
        subscription = self.subscription
        while subscription.wait():
            self._wake()
            # Until the app has taken what is there: waking it again before would only
            # queue wake-ups that collapse anyway.
            self._drained.wait()
            self._drained.clear()
