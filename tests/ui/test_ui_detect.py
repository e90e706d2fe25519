"""Detect in the settings form: on a real (silent) pseudo-terminal, cancellable, one at a
time, and the Preset follows what it found."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from conftest import Notes, screen_text, wait_until

from p1tui.link.detect import detect_settings
from p1tui.link.settings import PRESETS, SerialSettings

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import serial_pty

DSMR5 = next(label for label, values in PRESETS.items() if values == (115200, 8, "N", 1))
DSMR4_7E1 = next(label for label, values in PRESETS.items() if values == (115200, 7, "E", 1))


class CountingDetector:
    """The real detector, counting how many detections started and how many are running."""

    def __init__(self) -> None:
        self.started = 0
        self.running = 0
        self._lock = threading.Lock()

    def __call__(self, port: str, stop: threading.Event) -> SerialSettings | None:
        with self._lock:
            self.started += 1
            self.running += 1
        try:
            return detect_settings(port, stop)
        finally:
            with self._lock:
                self.running -= 1


async def test_detect_on_a_silent_port_is_cancelled_with_escape_and_runs_once(make_app):
    detector = CountingDetector()
    with serial_pty() as (_master, port):
        app = make_app(settings=SerialSettings(port), detector=detector)
        notes = Notes()
        async with app.run_test(size=(80, 24), message_hook=notes) as pilot:
            await pilot.press("s", "ctrl+t")
            await wait_until(pilot, lambda: detector.running == 1)
            await pilot.press("ctrl+t")  # a second detection is refused, not started
            await wait_until(pilot, lambda: notes.any("already running"))
            assert detector.started == 1
            await wait_until(pilot, lambda: "esc Cancel detect" in screen_text(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: notes.any(f"detection on {port} cancelled"), 10)
            assert detector.running == 0 and detector.started == 1
            assert app.current_mode == "settings"  # escape cancelled, it did not go back
            await wait_until(pilot, lambda: "Cancel detect" not in screen_text(app))
            await pilot.press("escape")  # with nothing to cancel, escape goes back
            await wait_until(pilot, lambda: app.current_mode == "dashboard")


async def test_escape_closes_an_open_dropdown_before_it_cancels_detect(make_app):
    detector = CountingDetector()
    with serial_pty() as (_master, port):
        app = make_app(settings=SerialSettings(port), detector=detector)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("s", "ctrl+t")
            await wait_until(pilot, lambda: detector.running == 1)
            preset = app.screen.query_one("#preset")
            preset.focus()
            await pilot.press("enter")  # open the Preset's list
            await wait_until(pilot, lambda: preset.expanded)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not preset.expanded)
            assert app.current_mode == "settings"
            assert detector.running == 1  # the list closed; the detection goes on
            await wait_until(pilot, lambda: "esc Cancel detect" in screen_text(app))
            await pilot.press("escape")  # now escape cancels it
            await wait_until(pilot, lambda: detector.running == 0, 10)
            assert app.current_mode == "settings"


async def test_quitting_during_detect_stops_it(make_app):
    detector = CountingDetector()
    with serial_pty() as (_master, port):
        app = make_app(settings=SerialSettings(port), detector=detector)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("s", "ctrl+t")
            await wait_until(pilot, lambda: detector.running == 1)
            await pilot.press("ctrl+q")
        # A detection on a silent port runs 48 s; a stopped one ends at its next read.
        deadline = time.monotonic() + 10
        while detector.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert detector.running == 0


async def test_the_preset_follows_the_serial_fields(make_app):
    def detector(port: str, stop: threading.Event) -> SerialSettings:
        return SerialSettings(port, 115200, 8, "N", 1)

    app = make_app(detector=detector)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        preset = app.screen.query_one("#preset")
        assert preset.value == DSMR5  # the form starts with 115200 8N1
        preset.value = DSMR4_7E1
        await pilot.pause()
        assert app.screen.read_form().line == "115200 7E1"
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: app.screen.read_form().line == "115200 8N1")
        await wait_until(pilot, lambda: preset.value == DSMR5)
        app.screen.query_one("#baudrate").value = 19200  # no preset has 19200 8N1
        await wait_until(pilot, preset.is_blank)
