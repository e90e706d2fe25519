"""The fan-out: every consumer its own bounded queue, a stuck one loses only its own events."""

from __future__ import annotations

import threading

import pytest
from test_link_helpers import MeterServer, day_of_telegrams, serial_pty, write_all

from p1tui.link.events import LinkState, StateChanged, TelegramReceived
from p1tui.link.fanout import FanOut, Subscription
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings

WAIT = 10.0
"""Generous: the machine is shared; nothing here is timed."""


def state(n: int) -> StateChanged:
    return StateChanged(LinkState.CONNECTING, f"event {n}", float(n))


class Collector:
    """A consumer on its own thread that takes every event of its subscription."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self.events: list = []
        self.threads: set[str] = set()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while batch := self.subscription.get_batch(100, timeout=None):
            with self._changed:
                self.events += batch
                self.threads.add(threading.current_thread().name)
                self._changed.notify_all()

    def telegrams(self) -> list[bytes]:
        with self._changed:
            return [e.frame.raw for e in self.events if isinstance(e, TelegramReceived)]

    def wait_for(self, predicate) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, WAIT), f"only {len(self.events)} events"

    def stop(self) -> None:
        self.subscription.close()
        self._thread.join(WAIT)
        assert not self._thread.is_alive()


class StuckConsumer:
    """Takes one event, then hangs for ever (a history writer on a dead disk)."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self.took = threading.Event()
        self.release = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.subscription.get(timeout=None)
        self.took.set()
        self.release.wait()


def stopped(collector: Collector) -> bool:
    return any(
        isinstance(e, StateChanged) and e.state is LinkState.STOPPED for e in collector.events
    )


@pytest.mark.parametrize("link", ["pty", "tcp"])
def test_a_stuck_consumer_loses_only_its_own_oldest_events(link):
    """One consumer hangs; the other gets every telegram from a real reader, in order."""
    telegrams = list(day_of_telegrams(60))
    fanout = FanOut()
    stuck_size = 7
    stuck = StuckConsumer(fanout.subscribe("stuck history writer", maxsize=stuck_size))
    never_read = fanout.subscribe("never read", maxsize=3)
    live = Collector(fanout.subscribe("screen"))
    with serial_pty() as (master, path):
        server = MeterServer() if link == "tcp" else None
        port = server.url if server else path
        reader = Reader(SerialSettings(port), fanout.publish)
        reader.start()
        try:
            if server:
                server.wait_connection()
            live.wait_for(
                lambda: any(
                    "waiting for the first" in getattr(e, "reason", "") for e in live.events
                )
            )
            assert stuck.took.wait(WAIT)
            for raw in telegrams:
                if server:
                    server.send(raw)
                else:
                    write_all(master, raw)
            live.wait_for(lambda: len(live.telegrams()) == len(telegrams))
        finally:
            reader.stop()
            if server:
                server.close()
    live.wait_for(lambda: stopped(live))
    assert live.telegrams() == [raw.rstrip(b"\r\n") for raw in telegrams]
    assert live.subscription.dropped == 0
    published = len(live.events)
    # The stuck consumer took one event, then its queue filled: it holds the newest ones
    # and counted exactly the others as dropped.
    assert stuck.subscription.pending == stuck_size
    assert stuck.subscription.dropped == published - 1 - stuck_size
    assert never_read.dropped == published - 3
    assert never_read.get(timeout=0) is live.events[-3]
    assert live.threads and "p1tui-reader" not in live.threads
    stuck.release.set()
    live.stop()


def test_events_are_delivered_in_order_to_every_subscriber():
    fanout = FanOut()
    a, b = fanout.subscribe("a"), fanout.subscribe("b", maxsize=100)
    for n in range(50):
        fanout.publish(state(n))
    assert (
        a.get_batch(1000, timeout=0)
        == b.get_batch(1000, timeout=0)
        == [state(n) for n in range(50)]
    )
    assert a.dropped == b.dropped == 0


def test_a_full_queue_drops_the_oldest_and_counts_them():
    fanout = FanOut()
    small = fanout.subscribe("small", maxsize=4)
    for n in range(10):
        fanout.publish(state(n))
    assert small.dropped == 6
    assert small.pending == 4
    assert [small.get(timeout=0) for _ in range(4)] == [state(n) for n in range(6, 10)]
    assert small.get(timeout=0) is None


def test_get_batch_takes_at_most_max_items():
    fanout = FanOut()
    sub = fanout.subscribe("batch")
    for n in range(5):
        fanout.publish(state(n))
    assert sub.get_batch(2, timeout=0) == [state(0), state(1)]
    assert sub.get_batch(10, timeout=0) == [state(2), state(3), state(4)]
    assert sub.get_batch(10, timeout=0) == []


def test_a_subscriber_gets_only_what_is_published_after_it_subscribed():
    fanout = FanOut()
    fanout.publish(state(0))
    late = fanout.subscribe("late")
    fanout.publish(state(1))
    assert late.get_batch(10, timeout=0) == [state(1)]


def test_close_wakes_a_waiting_consumer_and_stops_delivery():
    fanout = FanOut()
    sub = fanout.subscribe("closing")
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(sub.get(timeout=None)))
    waiter.start()
    sub.close()
    waiter.join(WAIT)
    assert not waiter.is_alive()
    assert got == [None]
    fanout.publish(state(1))
    assert sub.pending == 0 and sub.closed
    assert fanout.subscriptions == ()


def test_a_waiting_consumer_wakes_for_a_published_event():
    fanout = FanOut()
    sub = fanout.subscribe("waiting")
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(sub.get_batch(10, timeout=None)))
    waiter.start()
    fanout.publish(state(7))
    waiter.join(WAIT)
    assert got == [[state(7)]]


def test_a_subscription_holds_at_least_one_event():
    with pytest.raises(ValueError):
        FanOut().subscribe("empty", maxsize=0)


def test_after_the_end_a_consumer_takes_what_is_pending_then_stops_waiting():
    fanout = FanOut()
    sub = fanout.subscribe("history")
    for n in range(3):
        fanout.publish(state(n))
    consumer = Collector(sub)
    consumer.wait_for(lambda: len(consumer.events) == 3)
    fanout.publish(state(3))
    fanout.end()
    fanout.publish(state(4))  # after the end: not delivered
    consumer._thread.join(WAIT)
    assert not consumer._thread.is_alive()  # its get_batch(None) returned: the loop ended
    assert consumer.events == [state(n) for n in range(4)]
    assert sub.ended and sub.get(timeout=None) is None


def test_a_consumer_that_subscribes_after_the_end_does_not_wait_for_ever():
    """A consumer started late (the link already stopped) must not hang its shutdown."""
    fanout = FanOut()
    fanout.end()
    late = fanout.subscribe("late")
    assert late.ended
    done = threading.Event()
    threading.Thread(target=lambda: (late.get_batch(10, None), done.set()), daemon=True).start()
    assert done.wait(WAIT)
    fanout.publish(state(0))
    assert late.pending == 0
