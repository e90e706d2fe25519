"""Drive the real app on fixed telegrams: no reader thread, a fixed clock, a temp config."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.notifications import Notify

os.environ["TEXTUAL_ANIMATIONS"] = "none"
os.environ["TZ"] = "Europe/Amsterdam"
time.tzset()

from p1tui.dsmr import Decoder, Framer, parse  # noqa: E402
from p1tui.link.events import LinkEvent, LinkStats, StatsUpdated, TelegramReceived  # noqa: E402
from p1tui.link.settings import SerialSettings  # noqa: E402
from p1tui.link.status import LinkStatus  # noqa: E402
from p1tui.ui.app import P1App  # noqa: E402
from p1tui.ui.messages import LinkActivity  # noqa: E402

TELEGRAMS = Path(__file__).parent.parent / "telegrams"
NOW = 1_764_072_000.0
"""2025-11-25 13:00:00 CET: the fixed 'now' of every UI test."""
USB = SerialSettings("/dev/ttyUSB0")
PORTS = [("/dev/ttyUSB0", "FT232R USB UART"), ("/dev/ttyAMA0", "ttyAMA0")]


def events_from(raw: bytes, received_at: float = NOW) -> list[TelegramReceived]:
    """Frame and parse ``raw`` the way the reader does, as reader events."""
    framer = Framer()
    return [
        TelegramReceived(frame, parse(frame), received_at)
        for frame in framer.feed(raw) + framer.close()
    ]


def telegram_events(name: str, received_at: float = NOW) -> list[TelegramReceived]:
    return events_from((TELEGRAMS / name).read_bytes(), received_at)


def link_events(*arrivals: tuple[bytes, float], now: float | None = None) -> list[LinkEvent]:
    """What the reader publishes for bytes arriving at these times, verdicts included.

    One decoder and one :class:`LinkStatus` over all of them, as on one link opened when
    the first bytes arrive: each telegram, the state changes and diagnoses it causes,
    then what the link says at ``now`` when given (stale after a silence), then the
    link's statistics.
    """
    decoder, status = Decoder(), LinkStatus(USB)
    events: list[LinkEvent] = status.opened(USB.describe(), arrivals[0][1])
    for raw, at in arrivals:
        status.data(raw)
        for frame, telegram in decoder.feed(raw) + decoder.flush():
            events.append(TelegramReceived(frame, telegram, at))
            events += status.frame(frame.valid, at)
    if now is not None:
        events += status.tick(now)
    stats = decoder.stats.framer
    totals = LinkStats(
        telegrams_ok=stats.frames_ok,
        crc_failures=stats.crc_failures,
        last_telegram_at=arrivals[-1][1],
    )
    return [*events, StatsUpdated(totals)]


class Clock:
    """A settable wall clock."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file in a temp dir; P1TUI_CONFIG points there so nothing touches ~/.config."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("P1TUI_CONFIG", str(path))
    return path


@pytest.fixture
def make_app(clock: Clock, config_path: Path, tmp_path: Path) -> Callable[..., P1App]:
    def make(settings=USB, **options) -> P1App:
        options.setdefault("reader_factory", None)
        options.setdefault("list_ports", lambda: list(PORTS))
        options.setdefault("config_path", config_path)
        options.setdefault("clock", clock)
        options.setdefault("save_dir", tmp_path)
        return P1App(settings, **options)

    return make


def publish(app: P1App, *events: LinkEvent) -> None:
    """Publish ``events`` as the reader does, through the app's real subscription.

    The feed's own thread wakes the app for them, in its own time; the wake-up posted here
    as well lets the next ``pilot.pause()`` find them handled.
    """
    for event in events:
        app.link_events.publish(event)
    app.post_message(LinkActivity())


def plain(widget) -> str:
    """What a Static shows, without styles."""
    return str(widget.render())


async def wait_until(pilot, predicate, timeout: float = 5.0) -> None:
    """Poll ``predicate`` while the app runs: data from a reader thread comes in its own time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def screen_text(app) -> str:
    """The screen as a person sees it, one line per terminal row (Textual's compositor)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class Notes:
    """The app's notifications, as a ``message_hook`` for ``run_test`` collects them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: object) -> None:
        if isinstance(message, Notify):
            self.messages.append(message.notification.message)

    def any(self, text: str) -> bool:
        """True when some notification so far contains ``text``."""
        return any(text in message for message in self.messages)
