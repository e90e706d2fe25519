"""Regenerate ``screenshots/*.svg`` from the built-in meter: ``python -m p1tui.ui.screenshots``.

The demo household runs with a fixed seed from a fixed start (a sunny June midday, so
the sparkline shows the solar swing), fed straight into the app with a matching clock:
the pictures only change when the app or the meter model does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from ..dsmr import Decoder
from ..link.events import LinkState, StateChanged, TelegramReceived
from ..link.settings import SerialSettings, SimulatorSettings
from ..sim.simulator import iter_telegrams
from ..store import HistoryWriter, open_store
from ..store.browse import HistoryAccess
from ..store.prices import Contract, Prices
from .app import P1App
from .messages import LinkActivity

DEMO = SimulatorSettings(variant="nl5", seed=1, start="2026-06-21T11:45:00+02:00")
MINUTES = 15
SHOTS = (
    # file name, terminal size, keys pressed before the shot
    ("dashboard-80x24.svg", (80, 24), ()),
    ("dashboard-120x40.svg", (120, 40), ()),
    ("log-80x24.svg", (80, 24), ("l",)),
    ("settings-80x24.svg", (80, 24), ("s",)),
    ("help-80x24.svg", (80, 24), ("question_mark",)),
    ("history-80x24.svg", (80, 24), ("h",)),
)
PORTS = [("/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZ8F3-if00-port0", "FT232R USB UART")]


def demo_events(settings: SimulatorSettings = DEMO, minutes: int = MINUTES) -> list:
    """The reader's events for ``minutes`` of the demo meter, received 0.3 s after each stamp."""
    decoder = Decoder()  # one stream: what the reader does
    events: list = []
    for raw in iter_telegrams(settings, minutes * 60):
        for frame, telegram in decoder.feed(raw):
            if telegram is None:
                continue  # the built-in meter sends none such; keeps the types honest
            at = telegram.timestamp.timestamp() + 0.3 if telegram.timestamp else 0.0
            if not events:
                events.append(StateChanged(LinkState.RECEIVING, "telegrams arrive", at))
            events.append(TelegramReceived(frame, telegram, at))
    return events


PRICES = Prices(
    "EUR",
    (Contract(date(2026, 1, 1), {"import_tariff1": 0.24, "import_tariff2": 0.27, "export": 0.07,
                                 "gas": 1.35, "water": 1.10, "fixed_per_day": 0.85}),),
)  # fmt: skip


def demo_history(db: Path, settings: SimulatorSettings = DEMO, minutes: int = MINUTES) -> None:
    """The demo meter's day so far (up to the screenshots' moment) recorded into ``db``."""
    start = datetime.fromisoformat(settings.start)
    midnight = start.replace(hour=0, minute=0, second=0)
    so_far = int((start - midnight).total_seconds()) + minutes * 60
    with open_store(db) as store:
        writer = HistoryWriter(store)
        decoder = Decoder()
        for raw in iter_telegrams(replace(settings, start=midnight.isoformat()), so_far):
            for _frame, telegram in decoder.feed(raw):
                if telegram is not None:
                    writer.add(telegram, 0.0)
        writer.close()


async def shoot(
    out: Path, name: str, size: tuple[int, int], keys: tuple[str, ...], events, *, history: Path
) -> None:
    now = events[-1].received_at + 0.7
    app = P1App(
        SerialSettings(PORTS[0][0]),
        reader_factory=None,
        list_ports=lambda: list(PORTS),
        clock=lambda: now,
        history_access=HistoryAccess(history, prices=PRICES),
    )
    async with app.run_test(size=size) as pilot:
        for event in events:
            app.link_events.publish(event)  # as the reader does
        app.post_message(LinkActivity())
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False
        await pilot.pause()
        app.save_screenshot(name, str(out))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TZ", "Europe/Amsterdam")  # the meter's zone: stable pictures
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    time.tzset()
    events = demo_events()
    with tempfile.TemporaryDirectory(prefix="p1tui-screenshots-") as folder:
        history = Path(folder) / "history.sqlite3"
        demo_history(history)
        for name, size, keys in SHOTS:
            asyncio.run(shoot(out, name, size, keys, events, history=history))
            print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
