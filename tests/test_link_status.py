"""The link state machine on made-up times: no sleeps, no threads, no timing ranges."""

from __future__ import annotations

import pytest

from p1tui.link.diagnosis import NO_DATA_AFTER
from p1tui.link.events import Diagnosis, LinkState, StateChanged
from p1tui.link.serial_source import UNPLUGGED_ADVICE
from p1tui.link.settings import ReplaySettings, SerialSettings, SimulatorSettings
from p1tui.link.source import LinkError, LinkLost
from p1tui.link.status import (
    MAX_RETRY,
    REOPEN_MIN,
    STALE_MIN,
    UNKNOWN_STALE,
    LinkStatus,
    SilentLink,
    age_words,
)

USB = SerialSettings("/dev/ttyUSB0")
DONGLE = SerialSettings("socket://192.168.1.20:8088")


def states(events) -> list[tuple[LinkState, str]]:
    return [(e.state, e.reason) for e in events if isinstance(e, StateChanged)]


def diagnoses(events) -> list[Diagnosis]:
    return [e for e in events if isinstance(e, Diagnosis)]


def receiving(settings=USB, period: float = 10.0, count: int = 4, start: float = 0.0):
    """A link opened at ``start`` that got ``count`` telegrams ``period`` s apart."""
    status = LinkStatus(settings)
    status.opening("the port", start)
    status.opened("the port", start)
    for i in range(count):
        status.data(b"/ISK5...!1234\r\n")  # the bytes come before the frame they hold
        status.frame(True, start + 1 + i * period)
    return status, start + 1 + (count - 1) * period


def test_opening_and_the_first_telegram():
    status = LinkStatus(USB)
    assert states(status.opening("/dev/ttyUSB0 115200 8N1", 0.0)) == [
        (LinkState.CONNECTING, "opening /dev/ttyUSB0 115200 8N1")
    ]
    assert states(status.opened("/dev/ttyUSB0 115200 8N1", 0.5)) == [
        (LinkState.CONNECTING, "/dev/ttyUSB0 115200 8N1 open, waiting for the first telegram")
    ]
    assert states(status.frame(True, 1.0)) == [(LinkState.RECEIVING, "telegrams arriving")]
    assert status.frame(True, 2.0) == []  # no news: nothing to publish
    assert status.period == 1.0


def test_the_period_is_the_median_gap_and_a_burst_does_not_count():
    status, last = receiving(period=10.0, count=5)
    status.frame(True, last + 10.01)  # a backlog delivered at once after this one
    status.frame(True, last + 10.02)
    assert status.period == 10.0


def test_a_gap_across_a_reopening_is_not_a_period():
    status, last = receiving(period=10.0, count=2)
    status.failed(LinkLost("port vanished: /dev/ttyUSB0 failed."), last + 5)
    status.opened("the port", last + 600)
    status.frame(True, last + 601)
    assert status.period == 10.0


def test_stale_after_three_periods_with_the_age_and_the_period_in_words():
    status, last = receiving(period=10.0)
    assert status.stale_after() == 30.0
    assert status.tick(last + 30) == []
    assert states(status.tick(last + 31)) == [
        (LinkState.STALE, "no telegram for 31 s (the meter sends one every 10 s)")
    ]
    assert status.tick(last + 32) == []  # said once...
    assert status.tick(last + 40) == []
    assert states(status.tick(last + 41)) == [  # ...and again as the age moves on
        (LinkState.STALE, "no telegram for 41 s (the meter sends one every 10 s)")
    ]
    assert states(status.frame(True, last + 33)) == [
        (LinkState.RECEIVING, "telegrams arriving again")
    ]


def test_a_one_second_meter_is_not_stale_sooner_than_the_minimum():
    status, last = receiving(period=1.0)
    assert status.stale_after() == STALE_MIN
    assert status.tick(last + STALE_MIN) == []
    assert states(status.tick(last + STALE_MIN + 0.5))[0][0] is LinkState.STALE


def test_before_the_first_telegram_stale_counts_from_the_opening():
    status = LinkStatus(USB)
    status.opened("the port", 100.0)
    assert states(status.tick(100.0 + UNKNOWN_STALE)) == []
    assert states(status.tick(100.0 + UNKNOWN_STALE + 1)) == [
        (LinkState.STALE, f"no telegram in {UNKNOWN_STALE + 1:.0f} s since the link opened")
    ]
    assert not status.reopen_due  # it never worked: reopening would not help


def test_retries_back_off_from_1_to_30_s_and_start_over_once_telegrams_flow():
    status = LinkStatus(USB)
    lost = LinkLost("port vanished: /dev/ttyUSB0 failed.", UNPLUGGED_ADVICE)
    waits = []
    for n in range(8):
        events = status.failed(lost, float(n))
        assert states(events) == [(LinkState.DISCONNECTED, str(lost))]
        waits.append(status.retry_in)
    assert waits == [1, 2, 4, 8, 16, MAX_RETRY, MAX_RETRY, MAX_RETRY]
    status.opened("the port", 100.0)
    status.frame(True, 101.0)
    status.failed(lost, 102.0)
    assert status.retry_in == 1


def test_a_failure_is_diagnosed_once_with_its_advice():
    status = LinkStatus(USB)
    error = LinkError("no such device: /dev/ttyUSB0 (not plugged in?).", "Run `p1tui ports`.")
    (diagnosis,) = diagnoses(status.failed(error, 0.0))
    assert diagnosis == Diagnosis(str(error), error.advice)
    assert diagnoses(status.failed(error, 1.0)) == []  # already shown


def test_a_port_silent_after_working_is_reopened_with_backoff_and_the_reason_follows_the_age():
    status, last = receiving(period=10.0)
    assert status.reopen_after() == 50.0
    status.tick(last + 49)
    assert not status.reopen_due
    status.tick(last + 50)
    assert status.reopen_due
    error = status.silent(last + 50)
    assert isinstance(error, SilentLink)
    assert str(error) == "no telegram for 50 s: reopening the port."
    events = status.failed(error, last + 50)
    assert states(events) == [(LinkState.DISCONNECTED, str(error))]
    assert status.retry_in == 1
    (diagnosis,) = diagnoses(events)
    assert diagnosis.problem == "telegrams stopped: the port is open but nothing arrives."
    assert "cable is still in the meter's P1 port" in diagnosis.advice
    # Reopened, still silent: stale with the age since the last telegram, then reopened again.
    reopened = last + 51
    status.opened("the port", reopened)
    assert not status.reopen_due
    assert states(status.tick(reopened + 31)) == [
        (LinkState.STALE, "no telegram for 82 s (the meter sends one every 10 s)")
    ]
    status.tick(reopened + 49)
    assert not status.reopen_due
    status.tick(reopened + 50)
    assert status.reopen_due
    assert str(status.silent(reopened + 50)) == "no telegram for 101 s: reopening the port."
    status.failed(status.silent(reopened + 50), reopened + 50)
    assert status.retry_in == 2
    # The "no data at all" of a reopened port is the stopped link, not a new problem.
    again = reopened + 52
    status.opened("the port", again)
    assert diagnoses(status.tick(again + NO_DATA_AFTER)) == []  # already shown
    later = status.last_valid + 2 * 3600 + 7 * 60
    assert str(status.silent(later)) == "no telegram for 2 h 7 min: reopening the port."


def test_a_dongle_silent_after_working_is_reconnected_and_says_what_to_check():
    status, last = receiving(DONGLE, period=1.0)
    assert status.reopen_after() == REOPEN_MIN
    status.tick(last + REOPEN_MIN)
    assert status.reopen_due
    error = status.silent(last + REOPEN_MIN)
    assert str(error) == f"no telegram for {REOPEN_MIN:.0f} s although connected: reconnecting."
    (diagnosis,) = diagnoses(status.failed(error, last + REOPEN_MIN))
    assert diagnosis.problem == "telegrams stopped: connected, but nothing arrives."
    assert "dongle is powered" in diagnosis.advice


def test_a_telegram_after_the_reopening_clears_the_diagnosis():
    status, last = receiving(period=10.0)
    status.tick(last + 50)
    status.failed(status.silent(last + 50), last + 50)
    status.opened("the port", last + 51)
    events = status.frame(True, last + 52)
    assert states(events) == [(LinkState.RECEIVING, "telegrams arriving again")]
    assert diagnoses(events) == [Diagnosis(None)]


@pytest.mark.parametrize("settings", [ReplaySettings(None), SimulatorSettings()])
def test_a_replay_or_the_demo_meter_is_never_reopened(settings):
    status, last = receiving(settings, period=10.0)
    status.tick(last + 3600)
    assert not status.reopen_due


def test_never_worked_silence_is_no_data_at_all():
    status = LinkStatus(USB)
    status.opened("the port", 0.0)
    (diagnosis,) = diagnoses(status.tick(NO_DATA_AFTER))
    assert diagnosis.problem.startswith("no data at all")


def test_crc_failures_are_diagnosed_by_the_watch():
    status, last = receiving(period=1.0)
    events = [e for i in range(3) for e in status.frame(False, last + 1 + i)]
    (diagnosis,) = diagnoses(events)
    assert diagnosis.problem.startswith("telegrams fail their CRC check (3 of the last 7)")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 s"),
        (59.9, "59 s"),
        (119, "119 s"),
        (120, "2 min"),
        (3599, "59 min"),
        (3660, "1 h 1 min"),
    ],
)
def test_age_words(seconds, words):
    assert age_words(seconds) == words


def test_a_fast_replayed_or_simulated_meter_is_not_said_to_send_every_0_s():
    """A meter sped up ten times (simulate --speed 10 into a pty) sends every 0.1 s."""
    status, last = receiving(period=0.1, count=10)
    (stale,) = states(status.tick(last + STALE_MIN + 0.5))
    assert stale[1].endswith("(the meter sends one every 0.1 s)")
