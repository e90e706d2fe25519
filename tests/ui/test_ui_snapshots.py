"""Snapshots by feature: the screens, and the states people meet when things go wrong.

One class per feature (as darrenburns/posting does). Every app runs on fixed telegrams
and a fixed clock; update with ``pytest --snapshot-update -k CLASS`` only when a state
changed on purpose, and look at the SVGs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import NOW, PORTS, TELEGRAMS, USB, Clock, link_events, publish, telegram_events

from p1tui.link.diagnosis import explain_bytes
from p1tui.link.events import LinkEvent, LinkState, StateChanged
from p1tui.link.serial_source import UNPLUGGED_ADVICE
from p1tui.link.settings import SerialSettings
from p1tui.ui.app import P1App

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import NL22, telegram, uart_transfer

SIZES = [(80, 24), (120, 40)]
NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"
BE = "dsmrparser__fluvius-t211-gas-water__1.txt"


def app_with(name: str, settings=USB) -> P1App:
    """The app on a fixed telegram received one second ago, a failed copy before it."""
    events = telegram_events(name, NOW - 1)
    received = events[0].telegram.timestamp.timestamp()
    clock = Clock(received + 1)
    app = P1App(settings, reader_factory=None, list_ports=lambda: list(PORTS), clock=clock)
    raw = events[0].frame.raw
    broken = raw.replace(b"(", b"[", 1) + b"\r\n"
    fed = link_events((broken, received - 1), ((TELEGRAMS / name).read_bytes(), received))
    app.call_later(lambda: [publish(app, e) for e in fed])
    return app


def app_after(events: list[LinkEvent], now: float = NOW, settings=USB) -> P1App:
    """The app at ``now`` after ``events``, fed once it runs."""
    app = P1App(settings, reader_factory=None, list_ports=lambda: list(PORTS), clock=Clock(now))
    app.call_later(lambda: [publish(app, event) for event in events])
    return app


def steady(pilot) -> None:
    """No blinking cursor in a snapshot."""
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False


class TestDashboard:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("name", [NL5, BE])
    def test_dashboard(self, snap_compare, size, name):
        assert snap_compare(app_with(name), terminal_size=size, run_before=steady)

    def test_below_80x24_power_and_counters_come_first(self, snap_compare):
        assert snap_compare(app_with(BE), terminal_size=(60, 20), run_before=steady)


class TestRawLog:
    @pytest.mark.parametrize("size", SIZES)
    def test_raw_log(self, snap_compare, size):
        assert snap_compare(app_with(NL5), terminal_size=size, press=["l"], run_before=steady)


class TestSettings:
    @pytest.mark.parametrize("size", SIZES)
    def test_settings_form(self, snap_compare, size):
        async def open_form(pilot) -> None:
            await pilot.press("s")
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            steady(pilot)

        assert snap_compare(app_with(NL5), terminal_size=size, run_before=open_form)


class TestStale:
    def test_data_40_s_old_from_a_10_s_meter_is_dimmed_with_its_age(self, snap_compare):
        raw = (TELEGRAMS / NL5).read_bytes()
        events = link_events((raw, NOW - 50), (raw, NOW - 40), now=NOW)
        assert snap_compare(app_after(events), terminal_size=(80, 24), run_before=steady)


class TestDisconnected:
    def test_unplugged_with_its_reason_and_the_countdown_to_the_next_try(self, snap_compare):
        reason = f"/dev/ttyUSB0 is gone (unplugged?). {UNPLUGGED_ADVICE}"
        events = [
            *telegram_events(NL5, NOW - 40),
            StateChanged(LinkState.DISCONNECTED, reason, NOW, retry_in=25.0),
        ]
        assert snap_compare(app_after(events), terminal_size=(80, 24), run_before=steady)


class TestDiagnosis:
    @pytest.mark.parametrize("mode", ["dashboard", "settings"])
    def test_a_dsmr_2_meter_read_at_115200_8n1(self, snap_compare, mode):
        """A 9600 7E1 meter read at 115200 8N1: the whole diagnosis and advice."""
        settings = SerialSettings("/dev/ttyUSB0")
        garbage = uart_transfer(telegram(NL22), (9600, 7, "E", 1), (115200, 8, "N", 1))
        events = [
            StateChanged(
                LinkState.STALE, "/dev/ttyUSB0 open, bytes arrive but no telegram", NOW - 30
            ),
            explain_bytes(garbage, settings),
        ]

        async def show(pilot) -> None:
            if mode == "settings":
                await pilot.press("s")
                await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            steady(pilot)

        app = app_after(events, settings=settings)
        assert snap_compare(app, terminal_size=(80, 24), run_before=show)


class TestCrcFailures:
    def crc_trouble(self) -> P1App:
        """Telegrams arrive, three of the last ten fail their CRC."""
        raw = telegram(NL5)
        broken = raw.replace(b"1-0:1.8.1(000156.167", b"1-0:1.8.1(000156.168")
        arrivals = [(broken if i % 3 == 1 else raw, NOW - 10 + i) for i in range(10)]
        return app_after(link_events(*arrivals))

    def test_dashboard_counts_them_and_says_why(self, snap_compare):
        assert snap_compare(self.crc_trouble(), terminal_size=(80, 24), run_before=steady)

    def test_raw_log_shows_the_failed_telegram(self, snap_compare):
        async def pick_a_failed_one(pilot) -> None:
            await pilot.press("l", "up", "up")  # the newest failed one, two before the last
            await pilot.pause()
            steady(pilot)

        app = self.crc_trouble()
        assert snap_compare(app, terminal_size=(80, 24), run_before=pick_a_failed_one)
