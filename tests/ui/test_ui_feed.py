"""The app is one subscriber of the link's fan-out: it shows what it had to skip."""

from __future__ import annotations

import time
from functools import partial

import pytest
from conftest import NOW, TELEGRAMS, link_events, plain, publish, telegram_events, wait_until

from p1tui.link.events import LinkState, StateChanged
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings, SimulatorSettings
from p1tui.sources import make_any_source
from p1tui.ui.feed import MAX_QUEUED

NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"


async def test_events_the_screen_could_not_keep_up_with_are_counted_on_screen(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        (event,) = telegram_events(NL5)
        publish(app, event)
        await pilot.pause()
        status = app.screen.query_one("StatusBar")
        assert "skipped" not in plain(status)
        # The UI thread is busy here: everything is published before the app drains.
        extra = 17
        for n in range(MAX_QUEUED + extra - 1):
            app.link_events.publish(type(event)(event.frame, event.telegram, NOW + n))
        publish(app, event)  # publishes the last one and wakes the app
        await pilot.pause()
        assert app.feed.dropped == extra
        assert f"{extra} events skipped" in plain(status)
        assert app.monitor.raw_count == 1 + MAX_QUEUED


async def test_after_a_settings_change_the_new_port_is_connecting_not_the_old_verdict(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in link_events(((TELEGRAMS / NL5).read_bytes(), NOW)):
            publish(app, event)
        await pilot.pause()
        status = app.screen.query_one("StatusBar")
        assert "RECEIVING" in plain(status) and "/dev/ttyUSB0" in plain(status)
        # The old link's last words are still queued when the user applies new settings.
        app.link_events.publish(StateChanged(LinkState.RECEIVING, "telegrams arriving", NOW))
        app.apply(SerialSettings("/dev/ttyAMA0", 9600, 7, "E", 1))
        await pilot.pause()
        shown = plain(status)
        assert "CONNECTING" in shown and "RECEIVING" not in shown
        assert "/dev/ttyAMA0 9600 7E1" in shown
        assert "156.167" in plain(app.screen.query_one("#tariffs"))  # the data stays


async def test_a_directory_given_as_the_port_is_said_and_not_retried(make_app, tmp_path):
    app = make_app(settings=SerialSettings(str(tmp_path)), reader_factory=Reader, clock=time.time)
    async with app.run_test(size=(120, 40)) as pilot:
        status = lambda: plain(app.screen.query_one("StatusBar"))  # noqa: E731
        await wait_until(pilot, lambda: "STOPPED" in status())
        assert f"{tmp_path} is a directory, not a serial port." in status()
        assert "p1tui ports" in status()
        assert "reconnecting" not in status()


@pytest.mark.parametrize(
    ("screen", "quit_key"),
    [("dashboard", False), ("log", False), ("history", False), ("dashboard", True)],
    ids=["dashboard-teardown", "log-teardown", "history-teardown", "dashboard-ctrl+q"],
)
async def test_quitting_while_a_flat_out_demo_floods_the_app_ends_without_a_traceback(
    make_app, screen, quit_key
):
    """The link's wake-ups keep coming while Textual takes the screens down: none of them
    may repaint a screen that is gone (a ScreenStackError the user would see)."""
    app = make_app(
        settings=SimulatorSettings(speed=0),
        reader_factory=partial(Reader, source_factory=make_any_source),
        clock=time.time,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(screen[0])
        await wait_until(pilot, lambda: app.monitor.raw_count > 20)
        if quit_key:
            await pilot.press("ctrl+q")
        # Leaving the block shuts the app down; run_test re-raises what a handler raised.
    assert (app.return_code or 0) == 0  # 1 after an error; None when the test ended it
