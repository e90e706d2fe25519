"""The monitor on an encrypting meter: the raw log shows each telegram's frame envelope."""

from __future__ import annotations

import functools

from conftest import plain, wait_until

from p1tui.dsmr.dlms import MeterKeys
from p1tui.link.reader import Reader
from p1tui.link.settings import SimulatorSettings
from p1tui.sources import make_any_source

KEYS = MeterKeys(bytes.fromhex("5A" * 16))


def reading(keys: MeterKeys):
    """The reader the monitor makes, with the meter's keys (the demo meter included)."""
    return functools.partial(Reader, source_factory=make_any_source, keys=keys)


async def test_the_raw_log_shows_title_counter_and_security_of_a_decrypted_telegram(make_app):
    smarty = SimulatorSettings(variant="lu", seed=3, speed=50, keys=KEYS)
    app = make_app(smarty, reader_factory=reading(KEYS))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.monitor.raw_count >= 2, timeout=20)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        raw = plain(app.screen.query_one("#raw-text"))
        assert raw.startswith("CRC ok")
        entries = list(app.monitor.raw)
        counter = entries[-1].envelope.frame_counter
        assert entries[-2].envelope.frame_counter == counter - 1
        line = next(line for line in raw.splitlines() if line.startswith("decrypted: "))
        assert line.startswith("decrypted: system title ") and "security 0x30" in line
        assert "frame counter " in line and "not increasing" not in line
        assert "/Lux5\\253663629_D" in raw
        assert "5A5A" not in raw.upper()


async def test_a_key_that_does_not_fit_is_said_in_the_status_bar(make_app):
    smarty = SimulatorSettings(variant="lu", seed=3, speed=50, keys=KEYS)
    wrong = MeterKeys(bytes(16))
    app = make_app(smarty, reader_factory=reading(wrong))
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one("StatusBar")
        await wait_until(pilot, lambda: "the key does not match" in plain(status), timeout=30)
        await wait_until(pilot, lambda: "not decrypted " in plain(status), timeout=10)
        text = plain(status)
        assert "⚠ the key does not match this meter" in text
        assert "speed" not in text and "0000" not in text
        assert app.monitor.telegram is None
