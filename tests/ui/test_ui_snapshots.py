"""Snapshots of the three screens at 80x24 and 120x40 (update with --snapshot-update)."""

from __future__ import annotations

import pytest
from conftest import NOW, PORTS, TELEGRAMS, USB, Clock, link_events, telegram_events

from p1tui.ui.app import P1App

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
    app.call_later(lambda: [app.feed(e) for e in fed])
    return app


def steady(pilot) -> None:
    """No blinking cursor in a snapshot."""
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", [NL5, BE])
def test_dashboard(snap_compare, size, name):
    assert snap_compare(app_with(name), terminal_size=size, run_before=steady)


@pytest.mark.parametrize("size", SIZES)
def test_raw_log(snap_compare, size):
    assert snap_compare(app_with(NL5), terminal_size=size, press=["l"], run_before=steady)


@pytest.mark.parametrize("size", SIZES)
def test_settings_form(snap_compare, size):
    async def open_form(pilot) -> None:
        await pilot.press("s")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        steady(pilot)

    assert snap_compare(app_with(NL5), terminal_size=size, run_before=open_form)
