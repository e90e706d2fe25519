"""The status bar: the link's state, its reason and the whole advice, at 80x24 and below."""

from __future__ import annotations

import os

import pytest
from conftest import NOW, Notes, plain, publish, screen_text, telegram_events

from p1tui.link.diagnosis import explain_bytes
from p1tui.link.events import Diagnosis, LinkState, StateChanged
from p1tui.link.serial_source import DIALOUT_ADVICE
from p1tui.link.settings import SerialSettings

PORT = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZ8F3-if00-port0"
NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"


def words(text: str) -> str:
    """``text`` without its spaces and line breaks (a long path is folded mid-word)."""
    return "".join(text.split())


def status_rows(app) -> str:
    """The rows of the screen the status bar covers, as one line of words."""
    region = app.screen.query_one("StatusBar").region
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    return words("".join(rows))


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("mode", ["dashboard", "log", "settings"])
async def test_the_whole_diagnosis_and_advice_are_on_screen(make_app, size, mode):
    settings = SerialSettings(PORT)
    garbage = explain_bytes(os.urandom(4096), settings)
    assert "p1tui detect" in garbage.advice
    reason = f"permission denied on {PORT}. {DIALOUT_ADVICE}"
    app = make_app(settings=settings)
    async with app.run_test(size=size) as pilot:
        await app.switch_mode(mode)
        publish(app, StateChanged(LinkState.DISCONNECTED, reason, NOW, retry_in=30.0))
        publish(app, garbage)
        await pilot.pause()
        shown = status_rows(app)
        assert words(reason) in shown
        assert words(f"⚠ {garbage.problem} {garbage.advice}") in shown
        assert app.screen.query_one("StatusBar").region.bottom < size[1]
        # the problem ends: the advice goes, the status bar shrinks back
        height = app.screen.query_one("StatusBar").region.height
        publish(app, Diagnosis(None))
        publish(app, StateChanged(LinkState.CONNECTING, "opening", NOW))
        await pilot.pause()
        assert "⚠" not in status_rows(app)
        assert app.screen.query_one("StatusBar").region.height < height


async def test_a_network_link_is_not_described_with_serial_settings(make_app):
    app = make_app(settings=SerialSettings("socket://192.168.1.20:23"))
    notes = Notes()
    async with app.run_test(size=(80, 24), message_hook=notes) as pilot:
        await pilot.pause()
        status = plain(app.screen.query_one("StatusBar"))
        assert status.endswith("\nsocket://192.168.1.20:23")  # no "115200 8N1"
        app.apply(SerialSettings("socket://192.168.1.21:8088"))
        await pilot.pause()
        assert notes.messages[-1] == "reading socket://192.168.1.21:8088"


async def test_a_long_diagnosis_leaves_the_counters_whole_at_80x24(make_app):
    settings = SerialSettings(PORT)
    app = make_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events(NL5):
            publish(app, event)
        publish(app, StateChanged(LinkState.DISCONNECTED, f"permission denied on {PORT}.", NOW, 30))
        publish(app, explain_bytes(os.urandom(4096), settings))
        await pilot.pause()
        assert app.screen.query_one("StatusBar").region.height >= 6
        shown = screen_text(app)
        assert "now: tariff 1, low" in shown  # the last row of the counters
        tariffs = app.screen.query_one("#tariffs").region
        assert tariffs.bottom <= app.screen.query_one("Footer").region.y


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_reason_that_is_the_diagnosis_is_said_once(make_app, size):
    """A port that is not there: the warning line says it with its advice; the port's
    line does not say it again (two rows of the same words at 60x20)."""
    problem = f"no such device: {PORT} (not plugged in?)."
    app = make_app(settings=SerialSettings(PORT))
    async with app.run_test(size=size) as pilot:
        publish(app, StateChanged(LinkState.DISCONNECTED, problem, NOW, retry_in=4.0))
        publish(app, Diagnosis(problem, "Run `p1tui ports` to list the serial ports."))
        await pilot.pause()
        shown = status_rows(app)
        assert shown.count(words(problem)) == 1
        assert words(f"⚠ {problem} Run `p1tui ports`") in shown
        assert "DISCONNECTED" in shown and words(f"{PORT} 115200 8N1") in shown
