"""Meter bytes, port names and link reasons are shown as the characters they are.

A ``[`` in a Belgian text message once ended the app with a MarkupError; an ESC would
have driven the user's terminal. The property test puts any byte into every text field
and every raw line, any text into the port name and the link's reasons and advice, and
shows each on every screen of one running app.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from conftest import PORTS, USB, Clock, events_from, plain, publish
from hypothesis import given, settings
from hypothesis import strategies as st

from p1tui.link.events import Diagnosis, LinkState, StateChanged
from p1tui.link.settings import SerialSettings
from p1tui.ui.app import P1App
from p1tui.ui.format import printable
from p1tui.ui.screens.help import HelpScreen

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import BE, NL5, telegram, with_crc

ESO = "dsmrparser__eso-lt-3ph__1.txt"
"""Lithuanian: unknown OBIS lines, marked in the raw log."""
KAIFA = "athombv__kaifa-3ph-solar-gas__1.txt"
"""A power failure log with a placeholder duration."""
CORPUS = (BE, NL5, ESO, KAIFA)
SCREENS = ("dashboard", "log", "settings", "help")
Step = Callable[..., Awaitable[object]]
HEX_TEXT_FIELDS = (b"0-0:96.13.0", b"0-0:96.1.1", b"0-1:96.1.1", b"0-2:96.1.1")
"""Fields the meter sends as hex-coded text: they decode to any byte."""


def with_field(raw: bytes, obis: bytes, value: bytes) -> bytes:
    """``raw`` with the first value of ``obis`` replaced (the line added when missing)."""
    line = re.compile(rb"^" + re.escape(obis) + rb"\([^)\r\n]*\)", re.MULTILINE)
    if line.search(raw):
        return line.sub(lambda _: obis + b"(" + value + b")", raw, count=1)
    bang = raw.rindex(b"\n!")
    return raw[: bang + 1] + obis + b"(" + value + b")\r\n" + raw[bang + 1 :]


def text_message(raw: bytes, text: bytes) -> bytes:
    """``raw`` carrying ``text`` as its meter message (0-0:96.13.0), CRC recomputed."""
    return with_crc(with_field(raw, b"0-0:96.13.0", text.hex().upper().encode()))


async def show_screen(pilot, name: str) -> str:
    """Paint one screen (a mode, or the help over the current one); what it showed."""
    app: P1App = pilot.app
    if name == "help":
        await app.push_screen(HelpScreen())
        await pilot.pause()
        shown = app.export_screenshot()
        app.pop_screen()
    else:
        if app.current_mode != name:
            await app.switch_mode(name)
            await pilot.pause()
        if name == "settings":
            app.screen.action_rescan()
            await app.workers.wait_for_complete()
        app.refresh_view()
        await pilot.pause()
        shown = app.export_screenshot()
    assert app.is_running and app.return_code is None, "the app ended"
    return shown


async def show_everywhere(pilot) -> None:
    """Paint every screen: the three modes and the help."""
    for name in SCREENS:
        await show_screen(pilot, name)


class RunningApp:
    """One app running headless in its own event loop thread.

    Hypothesis calls a plain function per example; each example is a step run inside the
    app's own task (where Textual finds its active app), so all examples drive the same
    app: starting one per example would make the test slow.
    """

    def __init__(self, app: P1App, size: tuple[int, int] = (80, 24)) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._steps: asyncio.Queue[tuple[Step, Future] | None] | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._run(size),)
        )
        self._thread.start()
        assert self._started.wait(30), "the app did not start"

    async def _run(self, size: tuple[int, int]) -> None:
        async with self.app.run_test(size=size) as pilot:
            self._steps = asyncio.Queue()
            self._started.set()
            while (item := await self._steps.get()) is not None:
                step, done = item
                try:
                    done.set_result(await step(pilot))
                except BaseException as error:  # handed to the test thread, raised there
                    done.set_exception(error)

    def run(self, step: Step) -> object:
        """Run ``step(pilot)`` in the app's task and return its result."""
        assert self._steps is not None
        done: Future = Future()
        self._loop.call_soon_threadsafe(self._steps.put_nowait, (step, done))
        return done.result(60)

    def close(self) -> None:
        if self._steps is not None:
            self._loop.call_soon_threadsafe(self._steps.put_nowait, None)
        self._thread.join(30)
        self._loop.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[RunningApp]:
    ports: list[tuple[str, str]] = list(PORTS)
    app = P1App(
        USB,
        reader_factory=None,
        list_ports=lambda: list(ports),
        config_path=tmp_path_factory.mktemp("config") / "config.toml",
        clock=Clock(),
    )
    app.ports = ports  # type: ignore[attr-defined]  # the examples change what a rescan finds
    running = RunningApp(app)
    yield running
    running.close()


anything = st.text(max_size=40)
"""Any text: brackets, dollar signs, control characters, any script."""


@st.composite
def damaged_telegrams(draw) -> bytes:
    """A real telegram with any bytes in one field, or one byte changed anywhere."""
    raw = telegram(draw(st.sampled_from(CORPUS)))
    kind = draw(st.sampled_from(("hex text", "field", "byte")))
    if kind == "hex text":
        obis = draw(st.sampled_from(HEX_TEXT_FIELDS))
        raw = with_field(raw, obis, draw(st.binary(max_size=40)).hex().upper().encode())
    elif kind == "field":
        lines = raw.split(b"\r\n")
        index = draw(st.integers(1, len(lines) - 2))
        head, _, rest = lines[index].partition(b"(")
        value = draw(st.binary(max_size=40))
        lines[index] = head + b"(" + value + b")" + rest.partition(b")")[2]
        raw = b"\r\n".join(lines)
    else:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    # A changed byte can be the line end before "!": then there is no footer to re-sign.
    return with_crc(raw) if b"\n!" in raw and draw(st.booleans()) else raw


@settings(max_examples=40, deadline=None)
@given(
    screen=st.sampled_from(SCREENS),
    raws=st.lists(damaged_telegrams(), min_size=1, max_size=3),
    found=st.lists(st.tuples(anything, anything), max_size=2),
    words=st.fixed_dictionaries(
        {"port": anything, "reason": anything, "problem": anything, "advice": anything}
    ),
)
def test_any_bytes_on_every_screen_leave_the_app_up(running, screen, raws, found, words):
    app = running.app
    app.ports[:] = found  # type: ignore[attr-defined]

    async def step(pilot) -> None:
        app.apply(SerialSettings(words["port"] or "/dev/ttyUSB0"))
        for event in events_from(b"\r\n".join(raws) + b"\r\n"):
            publish(app, event)
        publish(app, Diagnosis(words["problem"], words["advice"]))
        publish(app, StateChanged(LinkState.DISCONNECTED, words["reason"], 0.0, retry_in=5.0))
        await pilot.pause()
        await show_screen(pilot, screen)
        if screen == "help":
            return
        # what was sent is what is shown, character for character
        status = plain(app.screen.query_one("StatusBar"))
        assert printable(words["reason"]) in status
        if words["problem"]:
            assert printable(words["problem"]) in status
        last = app.monitor.telegram
        if screen == "dashboard" and last is not None and last.text_message:
            events = plain(app.screen.query_one("#events"))
            assert f"message {printable(last.text_message)}" in events

    running.run(step)


async def test_a_bracket_in_a_belgian_text_message_is_shown_as_sent(make_app):
    message = "Storing [zie fluvius.be"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in events_from(text_message(telegram(BE), message.encode())):
            assert event.frame.valid
            publish(app, event)
        await pilot.pause()
        await show_everywhere(pilot)
        await app.switch_mode("dashboard")
        await pilot.pause()
        assert f"message {message}" in plain(app.screen.query_one("#events"))


async def test_a_damaged_header_byte_is_shown_in_the_raw_log(make_app):
    raw = telegram(ESO).replace(b"_A", b"[A", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in events_from(raw):
            publish(app, event)
        await pilot.press("l")
        await pilot.pause()
        shown = plain(app.screen.query_one("#raw-text"))
        assert "CRC failed" in shown and "/ESO5\\253880853[A" in shown


async def test_control_bytes_from_the_meter_are_shown_not_sent_to_the_terminal(make_app):
    raw = with_crc(with_field(telegram(BE), b"0-0:96.1.4", b"\x1b[2J\x9b31m\rbye"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in events_from(raw):
            assert event.frame.valid
            publish(app, event)
        await pilot.press("l")
        await pilot.pause()
        assert "0-0:96.1.4(␛[2J\\x9b31m␍bye)" in plain(app.screen.query_one("#raw-text"))
        assert not set(app.export_screenshot()) & {"\x1b", "\x9b", "\r"}


async def test_a_port_name_with_markup_is_shown_as_typed(make_app):
    port = "/dev/[b $warning]odd[/]"
    app = make_app(settings=SerialSettings(port))
    async with app.run_test(size=(120, 40)) as pilot:
        publish(app, StateChanged(LinkState.DISCONNECTED, f"cannot open {port}: [/]", 0.0))
        publish(app, Diagnosis("bytes [arrive] but", "try [b]9600[/b] 7E1"))
        await pilot.pause()
        app.refresh_view()
        status = plain(app.screen.query_one("StatusBar"))
        assert f"{port} 115200 8N1" in status
        assert f"cannot open {port}: [/]" in status
        assert "bytes [arrive] but try [b]9600[/b] 7E1" in status
        await show_everywhere(pilot)


def test_printable_keeps_text_and_shows_controls():
    assert printable("Storing [zie] é €") == "Storing [zie] é €"
    assert printable("\x1b\x00\x7f\x9b\t") == "␛␀␡\\x9b␉"
