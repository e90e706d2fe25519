"""The built-in meter as a Source: pacing on an injected clock, chunking, opening errors."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest

from p1tui.dsmr import parse_bytes
from p1tui.link.events import LinkState, StateChanged, TelegramReceived
from p1tui.link.reader import Reader
from p1tui.link.settings import SimulatorSettings
from p1tui.link.source import LinkError
from p1tui.sim.source import SimulatorSource
from p1tui.sources import make_any_source

START = "2026-06-22T12:00:00+02:00"
END = re.compile(rb"\r\n![0-9A-F]{4}\r\n\Z")
"""The end of a telegram, at the end of what was read so far."""


class ManualClock:
    """A monotonic clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def opened(clock: ManualClock, **settings) -> SimulatorSource:
    source = SimulatorSource(SimulatorSettings(start=START, **settings), clock=clock)
    source.open()
    return source


def stamp(raw: bytes):
    return parse_bytes(raw).timestamp


def test_make_any_source_gives_the_demo_meter():
    source = make_any_source(SimulatorSettings(variant="be"))
    assert isinstance(source, SimulatorSource)
    assert source.describe() == "demo meter (be)"


def test_real_pace_releases_one_telegram_per_period():
    clock = ManualClock()
    source = opened(clock)
    first = source.read()
    assert parse_bytes(first).crc_ok
    assert source.read() == b""  # not due yet: waited (at most 0.2 s) and gave up
    clock.now += 0.999
    assert source.read() == b""
    clock.now += 0.001
    second = source.read()
    assert stamp(second) - stamp(first) == timedelta(seconds=1)
    source.close()


def test_speed_n_runs_n_times_faster_and_keeps_the_meter_clock():
    clock = ManualClock()
    source = opened(clock, speed=10, variant="nl4")
    first = source.read()
    clock.now += 0.5
    assert source.read() == b""
    clock.now += 0.5
    second = source.read()
    assert stamp(second) - stamp(first) == timedelta(seconds=10)  # the meter's own period


def test_speed_zero_gives_consecutive_telegrams_without_waiting():
    clock = ManualClock()
    source = opened(clock, speed=0)
    stamps = [stamp(source.read()) for _ in range(5)]
    assert [b - a for a, b in pairwise(stamps)] == [timedelta(seconds=1)] * 4


def test_reads_never_mix_two_telegrams():
    source = opened(ManualClock(), speed=0, variant="be")
    current = b""
    for _ in range(5):
        while not END.search(current):
            piece = source.read(100)
            assert 0 < len(piece) <= 100
            current += piece
        assert current.count(b"/FLU5") == 1 and parse_bytes(current).crc_ok
        current = b""


def test_a_reader_that_fell_far_behind_skips_ahead_without_a_burst():
    clock = ManualClock()
    source = opened(clock)
    first = parse_bytes(source.read())
    clock.now += 600  # ten minutes without reading (a paused app, a laptop asleep)
    later = parse_bytes(source.read())
    assert later.timestamp - first.timestamp >= timedelta(seconds=598)
    assert source.read() == b""  # caught up: the next one is due in a second
    # the meter kept counting while nobody listened
    assert later.energy_import_kwh.total + later.energy_export_kwh.total > (
        first.energy_import_kwh.total + first.energy_export_kwh.total
    )


def test_close_then_read_gives_nothing_and_reopen_resumes():
    clock = ManualClock()
    source = opened(clock)
    first = stamp(source.read())
    source.close()
    assert source.read() == b""
    clock.now += 30
    source.open()
    resumed = stamp(source.read())
    assert resumed - first == timedelta(seconds=1)  # the same meter, not a new one


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (SimulatorSettings(start="next tuesday"), "not an ISO time"),
        (SimulatorSettings(variant="nl9"), "unknown meter variant 'nl9'"),
        (SimulatorSettings(speed=-1), "speed must be 0"),
    ],
)
def test_bad_settings_give_a_clear_link_error(settings, words):
    source = SimulatorSource(settings)
    with pytest.raises(LinkError, match=words) as caught:
        source.open()
    assert str(caught.value).startswith("The demo meter cannot start: ")


def test_reading_an_unopened_source_is_a_link_error():
    with pytest.raises(LinkError):
        SimulatorSource(SimulatorSettings()).read()


def test_without_a_start_the_meter_runs_on_the_host_clock():
    source = SimulatorSource(SimulatorSettings(speed=0))
    source.open()
    meter_time = stamp(source.read())
    assert abs(meter_time - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_the_reader_runs_the_demo_meter_through_the_full_factory():
    events: list = []
    done = threading.Event()

    def on_event(event) -> None:
        events.append(event)
        if sum(isinstance(e, TelegramReceived) and e.frame.valid for e in events) >= 3:
            done.set()

    reader = Reader(SimulatorSettings(speed=0), on_event, source_factory=make_any_source)
    reader.start()
    try:
        assert done.wait(10)
    finally:
        reader.stop()
    assert any(isinstance(e, StateChanged) and e.state is LinkState.RECEIVING for e in events)
