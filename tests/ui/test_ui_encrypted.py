"""The monitor on an encrypting meter: the raw log shows each telegram's frame envelope."""

from __future__ import annotations

import dataclasses
import functools

from conftest import plain, publish, wait_until

from p1tui.dsmr.dlms import MeterKeys
from p1tui.link.reader import Reader
from p1tui.link.settings import SimulatorSettings
from p1tui.sim.simulator import Simulator
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
        rows = raw.splitlines()
        at = next(i for i, row in enumerate(rows) if row.startswith("decrypted"))
        assert rows[at].startswith("decrypted from system title LUX ")
        counters = {f"frame counter {e.envelope.frame_counter}" for e in app.monitor.raw}
        counter, security = rows[at + 1].split(" · ")
        assert counter in counters and security == "security 0x30"
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


async def test_a_frame_counter_that_did_not_increase_is_flagged_in_the_raw_log(make_app):
    from conftest import NOW, events_from

    from p1tui.dsmr.dlms import Envelope

    plain = Simulator("lu", 2, 1_780_000_000).next_telegram()
    (event,) = events_from(plain)
    title = b"SAG\x10\x30\x79\x00\x02"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        publish(app, dataclasses.replace(event, envelope=Envelope(title, 7, 0x30)))
        publish(
            app,
            dataclasses.replace(
                event, received_at=NOW + 10, envelope=Envelope(title, 7, 0x30, False)
            ),
        )
        await pilot.press("l")
        await pilot.pause()
        rows = plain_rows(app)
        assert "decrypted from system title SAG 1030790002" in rows
        assert "frame counter 7 · security 0x30 · NOT INCREASING" in rows
        await pilot.press("up")
        await pilot.pause()
        assert "frame counter 7 · security 0x30" in plain_rows(app)


def plain_rows(app) -> list[str]:
    return plain(app.screen.query_one("#raw-text")).splitlines()
