"""The bridge from the reader thread to the app: a bounded queue plus a wake-up message."""

from __future__ import annotations

import threading
from collections import deque

from textual.message_pump import MessagePump

from ..link.events import LinkEvent
from .messages import LinkActivity

MAX_QUEUED = 5000
"""Events held while the UI is busy (minutes at the serial line rate); older ones drop."""


class LinkFeed:
    """Called by the reader thread with each event; the app drains it on the UI thread.

    Posting never blocks the reader. At most one wake-up message is pending at a time.
    """

    def __init__(self, target: MessagePump, max_queued: int = MAX_QUEUED) -> None:
        self._target = target
        self._events: deque[LinkEvent] = deque(maxlen=max_queued)
        self._lock = threading.Lock()
        self._pending = False

    def __call__(self, event: LinkEvent) -> None:
        with self._lock:
            self._events.append(event)
            if self._pending:
                return
            self._pending = True
        self._target.post_message(LinkActivity())

    def drain(self) -> list[LinkEvent]:
        """Everything queued so far, oldest first."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
            self._pending = False
        return events
