"""One link's events to many consumers, each through its own bounded queue.

The reader thread calls :meth:`FanOut.publish` for every event. Publishing only appends
the event to each subscriber's queue (a deque and a condition variable): no consumer
code runs on the reader's thread, so a history writer that waits for the disk, an MQTT
client that waits for the broker or a screen that repaints slowly never holds up the
serial port. A consumer that falls behind loses its own oldest events, counted in
:attr:`Subscription.dropped`; the others, and the reader, do not notice.

Consumers wait on their subscription (:meth:`Subscription.get`,
:meth:`Subscription.get_batch`) from their own thread; :meth:`Subscription.close`
wakes a waiting consumer at once, so shutting down never waits for the next event.
"""

from __future__ import annotations

import threading
from collections import deque

from .events import LinkEvent

DEFAULT_MAXSIZE = 10_000
"""Events a subscriber may have pending: hours of one-second telegrams, a few MB."""


class Subscription:
    """A consumer's bounded queue of link events; made by :meth:`FanOut.subscribe`.

    Thread-safe: one consumer thread reads while the reader thread appends.
    """

    def __init__(self, fanout: FanOut, name: str, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a subscription holds at least one event")
        self.name = name
        self.maxsize = maxsize
        self._fanout = fanout
        self._events: deque[LinkEvent] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._dropped = 0
        self._closed = False
        self._ended = False

    def __repr__(self) -> str:
        return f"<Subscription {self.name!r} pending={self.pending} dropped={self.dropped}>"

    @property
    def dropped(self) -> int:
        """Events this consumer lost because its queue was full (oldest first)."""
        return self._dropped

    @property
    def pending(self) -> int:
        """Events waiting to be read."""
        return len(self._events)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ended(self) -> bool:
        """True once the link has published its last event (:meth:`FanOut.end`)."""
        return self._ended

    def _has_news(self) -> bool:
        return bool(self._events) or self._closed or self._ended

    def put(self, event: LinkEvent) -> None:
        """Queue ``event``, dropping the oldest pending one when full. Never blocks for long."""
        with self._ready:
            if self._closed or self._ended:
                return
            events = self._events
            if len(events) >= self.maxsize:
                events.popleft()
                self._dropped += 1
            events.append(event)
            self._ready.notify()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until an event is pending; False on timeout, or when closed or ended and empty."""
        with self._ready:
            return self._ready.wait_for(self._has_news, timeout) and bool(self._events)

    def get(self, timeout: float | None = None) -> LinkEvent | None:
        """The oldest pending event, waiting up to ``timeout`` s (None: until one comes).

        None when the wait timed out, the subscription is closed, or the link ended and
        everything it published has been taken.
        """
        with self._ready:
            if not self._ready.wait_for(self._has_news, timeout):
                return None
            return self._events.popleft() if self._events else None

    def get_batch(self, max_items: int, timeout: float | None = None) -> list[LinkEvent]:
        """Up to ``max_items`` pending events, oldest first, waiting as :meth:`get` does.

        Empty on timeout, when closed, or once the link ended and all is taken: a consumer
        loops ``while batch := sub.get_batch(n, None)`` and stops after the last event.
        Consumers that write in transactions (the history) take what is there in one go
        instead of waking once per event.
        """
        with self._ready:
            if not self._ready.wait_for(self._has_news, timeout):
                return []
            events = self._events
            count = min(max_items, len(events))
            return [events.popleft() for _ in range(count)]

    def end(self) -> None:
        """No more events will come: the consumer takes what is pending, then stops waiting."""
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def close(self) -> None:
        """Stop receiving: pending events are discarded and waiting consumers wake up."""
        self._fanout.unsubscribe(self)
        with self._ready:
            self._closed = True
            self._events.clear()
            self._ready.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class FanOut:
    """Hands each published event to every open subscription.

    ``publish`` is what the reader calls (``Reader(settings, fanout.publish)``); it may
    be called from any thread, and subscribing or closing from another thread while it
    runs is safe (publish works on a snapshot of the subscribers).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: tuple[Subscription, ...] = ()
        self._ended = False

    def subscribe(self, name: str, maxsize: int = DEFAULT_MAXSIZE) -> Subscription:
        """A new subscription that receives every event published from now on.

        After :meth:`end` it is ended at once: nothing more will come, so its consumer
        must not wait for ever.
        """
        subscription = Subscription(self, name, maxsize)
        with self._lock:
            self._subscriptions = (*self._subscriptions, subscription)
            ended = self._ended
        if ended:
            subscription.end()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription`` (its :meth:`~Subscription.close` calls this)."""
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The open subscriptions, oldest first (for statistics: names and drops)."""
        return self._subscriptions

    def publish(self, event: LinkEvent) -> None:
        """Queue ``event`` for every subscriber; runs no consumer code."""
        for subscription in self._subscriptions:
            subscription.put(event)

    def end(self) -> None:
        """The link is done (the reader stopped): every consumer drains what it has, then
        its ``get``/``get_batch`` return at once instead of waiting. For a clean shutdown
        that loses nothing: stop the reader, ``end()``, join the consumers."""
        with self._lock:
            self._ended = True
        for subscription in self._subscriptions:
            subscription.end()
