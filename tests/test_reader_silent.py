"""Links that go silent after working are reopened: a real TCP 'dongle' and a real pty."""

from __future__ import annotations

import re
import time
from contextlib import suppress

from test_link_helpers import (
    EventLog,
    FastClock,
    MeterServer,
    day_of_telegrams,
    serial_pty,
    write_all,
)

from p1tui.link.events import Diagnosis, LinkState, StateChanged, TelegramReceived
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings

FAST = 20
"""The reader's clock runs this much faster: a 1 s meter's silence of 15 s takes 0.75 s."""
WAIT = 20.0


def valid(log: EventLog) -> int:
    return sum(e.frame.valid for e in log.of(TelegramReceived))


def silences(log: EventLog) -> list[StateChanged]:
    return [
        e
        for e in log.of(StateChanged)
        if e.state is LinkState.DISCONNECTED and e.reason.startswith("no telegram for ")
    ]


def opened(log: EventLog) -> int:
    return sum("waiting for the first telegram" in e.reason for e in log.of(StateChanged))


def receiving_again(log: EventLog) -> bool:
    """Telegrams arrive again since the last time the silent link was dropped."""
    changes = log.of(StateChanged)
    last_drop = max(i for i, e in enumerate(changes) if e in silences(log))
    return any(e.reason == "telegrams arriving again" for e in changes[last_drop:])


def seconds_in(reason: str) -> int:
    return int(re.match(r"no telegram for (\d+) s", reason).group(1))


def send_a_few(send, log: EventLog, telegrams: list[bytes]) -> None:
    """A meter sending every second (on the reader's clock)."""
    for n, raw in enumerate(telegrams, 1):
        send(raw)
        log.wait_for(lambda log, n=n: valid(log) >= n, WAIT)
        time.sleep(1 / FAST)


def meter_back(send, log: EventLog, raw: bytes) -> None:
    """The meter sends again, once per (reader) period, until the reader has a telegram.

    One telegram could land while the reader is between two attempts, as with a meter."""
    deadline = time.monotonic() + WAIT
    while valid(log) < 5:
        assert time.monotonic() < deadline, "the reader never got the meter back"
        with suppress(OSError):  # the connection it went to was just dropped
            send(raw)
        with suppress(AssertionError):
            log.wait_for(lambda log: valid(log) >= 5, 10 / FAST)


def test_a_dongle_that_keeps_the_connection_but_stops_sending_is_reconnected():
    telegrams = list(day_of_telegrams(5))
    server = MeterServer()
    log = EventLog()
    reader = Reader(SerialSettings(server.url), log, clock=FastClock(FAST))
    reader.start()
    try:
        server.wait_connection()
        log.wait_for(lambda log: opened(log) >= 1, WAIT)
        send_a_few(server.send, log, telegrams[:4])
        # The dongle stops sending but keeps the connection open (half-open link).
        server.wait_connection(2, timeout=WAIT)
        first = log.wait_for(silences, WAIT)[0]
        assert first.reason.endswith("although connected: reconnecting.")
        assert first.retry_in == 1.0
        stopped = log.wait_for(
            lambda log: [e for e in log.of(Diagnosis) if e.problem and "stopped" in e.problem]
        )
        assert "dongle is powered" in stopped[0].advice
        # Still silent on the new connection: reconnected again, later, with a growing age.
        server.wait_connection(3, timeout=WAIT)
        second = log.wait_for(lambda log: silences(log)[1:], WAIT)[0]
        assert second.retry_in == 2.0
        assert seconds_in(second.reason) > seconds_in(first.reason)
        log.wait_for(lambda log: opened(log) >= 3, WAIT)
        meter_back(server.send, log, telegrams[4])  # a new connection delivers at once
        log.wait_for(receiving_again, WAIT)
    finally:
        reader.stop()
        server.close()


def test_a_serial_port_that_goes_quiet_after_telegrams_is_reopened():
    telegrams = list(day_of_telegrams(5))
    with serial_pty() as (master, path):
        log = EventLog()
        reader = Reader(SerialSettings(path), log, clock=FastClock(FAST))
        reader.start()
        try:
            log.wait_for(lambda log: opened(log) >= 1, WAIT)
            send_a_few(lambda raw: write_all(master, raw), log, telegrams[:4])
            # The P1 plug is pulled; the USB adapter stays: the port just goes quiet.
            first = log.wait_for(silences, WAIT)[0]
            assert first.reason.endswith(": reopening the port.")
            stale = [e for e in log.of(StateChanged) if e.state is LinkState.STALE]
            assert stale and "(the meter sends one every " in stale[0].reason
            stopped = log.wait_for(
                lambda log: [e for e in log.of(Diagnosis) if e.problem and "stopped" in e.problem]
            )
            assert "still in the meter's P1 port" in stopped[0].advice
            log.wait_for(lambda log: opened(log) >= 2, WAIT)
            meter_back(lambda raw: write_all(master, raw), log, telegrams[4])  # plug back
            log.wait_for(receiving_again, WAIT)
        finally:
            reader.stop()
