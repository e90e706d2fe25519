"""The settings form: first start, presets, apply (the reader switches live), save."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from conftest import plain, wait_until

from p1tui import config
from p1tui.link.reader import Reader
from p1tui.link.settings import PRESETS, SerialSettings

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import NL5, MeterServer, telegram


async def test_first_start_opens_the_form_with_detected_ports(make_app):
    app = make_app(settings=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot, lambda: "port(s) found" in str(app.screen.query_one("#detected").prompt)
        )
        assert app.current_mode == "settings"
        assert "detected: /dev/ttyUSB0, /dev/ttyAMA0" in plain(app.screen.query_one("#note"))
        assert "no port chosen" in plain(app.screen.query_one("StatusBar"))
        detected = app.screen.query_one("#detected")
        detected.value = "/dev/ttyAMA0"
        await pilot.pause()
        assert app.screen.query_one("#port").value == "/dev/ttyAMA0"


async def test_preset_sets_the_serial_fields(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        label = next(label for label, values in PRESETS.items() if values[0] == 9600)
        app.screen.query_one("#preset").value = label
        await pilot.pause()
        assert app.screen.read_form() == SerialSettings("/dev/ttyUSB0", 9600, 7, "E", 1)


async def test_save_writes_the_config_atomically_in_place(make_app, config_path):
    app = make_app(settings=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#port")
        await pilot.press(*"/dev/ttyACM0", "ctrl+s")
        await pilot.pause()
    assert config.load(config_path) == config.Loaded(config.Config(SerialSettings("/dev/ttyACM0")))
    assert [p.name for p in config_path.parent.iterdir()] == ["config.toml"]  # no temp left


async def test_corrupt_config_is_reported_and_left_alone(make_app, config_path):
    config_path.parent.mkdir(parents=True)
    config_path.write_text("[serial\nport = ", encoding="utf-8")
    loaded = config.load(config_path)
    assert loaded.config == config.Config() and "not valid" in loaded.problem
    app = make_app(settings=None, config_notices=loaded.notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("not valid" in str(n.message) for n in app._notifications)
    assert config_path.read_text(encoding="utf-8") == "[serial\nport = "


async def meter_sends_until(pilot, server: MeterServer, heard, timeout: float = 5.0) -> None:
    """Send a telegram every 0.2 s like a meter until the app got it (pyserial drops what
    arrives while a socket:// link is still opening, so one send could be lost)."""
    deadline = time.monotonic() + timeout
    while not heard():
        assert time.monotonic() < deadline, "the app never received the telegram"
        server.send(telegram(NL5))
        await pilot.pause(0.2)


async def test_apply_switches_the_link_and_the_app_survives_a_drop(make_app):
    """A real reader on a TCP 'dongle' on 127.0.0.1: apply, receive, lose the link, recover."""
    server = MeterServer()
    app = make_app(settings=None, reader_factory=Reader, clock=time.time)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.click("#port")
            await pilot.press(*server.url, "ctrl+r")
            await wait_until(pilot, lambda: app.reader is not None)
            assert app.reader.settings == SerialSettings(server.url)
            server.wait_connection(1)
            await meter_sends_until(pilot, server, lambda: app.monitor.raw_count >= 1)
            await pilot.press("escape")
            await pilot.pause()
            assert app.current_mode == "dashboard"
            status = lambda: plain(app.screen.query_one("StatusBar"))  # noqa: E731
            await wait_until(pilot, lambda: "RECEIVING" in status())
            assert server.url in status()

            server.drop()
            await wait_until(pilot, lambda: "DISCONNECTED" in status())
            assert "reconnecting in" in status()
            assert app.screen.query_one("#tariffs").has_class("-stale")

            server.wait_connection(2)
            await meter_sends_until(pilot, server, lambda: app.monitor.raw_count >= 2)
            await wait_until(pilot, lambda: "RECEIVING" in status())
            assert "156.167" in plain(app.screen.query_one("#tariffs"))
    finally:
        server.close()


async def test_detect_fills_the_form_with_what_the_detector_found(make_app):
    tried = []

    def detector(port: str, stop: threading.Event) -> SerialSettings:
        tried.append(port)
        return SerialSettings(port, 9600, 7, "E", 1)

    app = make_app(detector=detector)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s", "ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert tried == ["/dev/ttyUSB0"]
        assert app.screen.read_form() == SerialSettings("/dev/ttyUSB0", 9600, 7, "E", 1)


async def test_help_opens_from_a_text_field_with_f1_and_closes(make_app):
    app = make_app(settings=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")  # in the port field: typed, not a key binding
        assert app.screen.query_one("#port").value == "?"
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("f1")
        assert app.current_mode == "settings" and type(app.screen).__name__ == "SettingsScreen"
