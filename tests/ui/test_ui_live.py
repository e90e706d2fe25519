"""The Textual-free state behind the panels: sparkline buckets, M-Bus flow, staleness."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from p1tui.dsmr import MBusDevice
from p1tui.link.events import LinkState, LinkStats, StateChanged, StatsUpdated
from p1tui.ui.live import Flow, FlowTracker, Monitor, PowerCurve

T0 = 1_764_072_000.0


def test_one_second_and_ten_second_meters_draw_the_same_time_scale():
    fast, slow = PowerCurve(), PowerCurve()
    for s in range(61):
        fast.add(T0 + s, 100.0 * (s // 10))
    for s in range(0, 61, 10):
        slow.add(T0 + s, 100.0 * (s // 10))
    # complete buckets only: the one that started at T0 + 60 is still running
    assert fast.series(10) == slow.series(10) == (0.0, 100.0, 200.0, 300.0, 400.0, 500.0)
    assert fast.span_seconds(10) == slow.span_seconds(10) == 60.0


def test_a_bucket_is_the_mean_and_history_is_bounded():
    history = PowerCurve(bucket_seconds=10, max_buckets=3)
    for s in range(100):
        history.add(T0 + s, float(s))
    assert history.series(100) == (64.5, 74.5, 84.5)  # the last three complete buckets
    assert history.series(2) == (74.5, 84.5)


def gas(minutes: int, m3: str, channel: int = 1) -> MBusDevice:
    at = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return MBusDevice(channel, 3, "gas", "G1", Decimal(m3), "m3", at)


def test_flow_between_the_last_two_distinct_readings():
    tracker = FlowTracker()
    tracker.add(gas(0, "100.000"))
    tracker.add(gas(0, "100.000"))  # the same capture repeated each second
    assert tracker.flow(1) is None
    tracker.add(gas(5, "100.100"))
    assert tracker.flow(1) == Flow(Decimal("1.2"), "m3/h", 300.0)
    tracker.add(gas(10, "100.100"))
    assert tracker.flow(1).per_hour == 0
    tracker.add(gas(15, "50.000"))  # a new meter: start over rather than report nonsense
    assert tracker.flow(1) is None


def test_staleness_and_failures_are_the_links_verdicts_not_worked_out_again():
    monitor = Monitor()
    monitor.received_at = T0
    assert not monitor.stale  # no word from the link yet
    monitor.apply(StateChanged(LinkState.RECEIVING, "telegrams arriving", T0), T0)
    assert not monitor.stale
    monitor.apply(StatsUpdated(LinkStats(crc_failures=2)), T0)
    assert not monitor.stale  # however old the data: the link has not said stale
    assert monitor.crc_failures == 2
    monitor.apply(StateChanged(LinkState.STALE, "no telegram for 4 s", T0 + 4), T0 + 4)
    assert monitor.stale
    monitor.apply(StateChanged(LinkState.DISCONNECTED, "cable", T0, retry_in=4.0), T0)
    assert monitor.stale
    assert monitor.retry_in(T0 + 1.5) == 2.5


def test_a_new_link_forgets_the_old_links_verdicts():
    monitor = Monitor()
    monitor.apply(StateChanged(LinkState.RECEIVING, "telegrams arriving", T0), T0)
    monitor.apply(StatsUpdated(LinkStats(crc_failures=3)), T0)
    monitor.new_link()
    assert monitor.link is None and monitor.crc_failures == 0
