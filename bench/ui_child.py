"""The measured process of bench/bench_ui.py: one app, one run, figures as JSON.

``python bench/ui_child.py floor|app RESULT.json --warmup S --seconds S [--port PATH]``
runs a Textual app in the terminal it is given (bench_ui.py gives it a pseudo-terminal
of 80x24 unless told) with Textual's real Linux driver, so each repaint is rendered all the way to
escape sequences written to the terminal, as over SSH. The process measures itself over
a window that starts ``--warmup`` seconds after the first paint (start-up excluded) and
lasts ``--seconds``; then the app exits and the figures go to RESULT.json.

- ``floor``: the least any Textual dashboard does: once a second a Label, a Sparkline and
  a Log get new content and are repainted.
- ``app``: the real p1tui app (:class:`P1App` with the real :class:`Reader` thread) reading
  the serial port ``--port`` (a pseudo-terminal bench_ui.py writes telegrams into). It
  notes when each telegram was handled (the app's ``LinkActivity`` handler drained it)
  and when the screen update showing it was handed to the terminal driver.

``python bench/ui_child.py day RESULT.json --telegrams N`` feeds N one-second telegrams
of the built-in meter to the real app (headless, ``--size``), published as the reader
publishes them and taken through the app's own subscription, a minute of telegrams per
repaint, and records resident memory and the bounded structures' sizes at each quarter.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import time
from collections import deque
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Label, Log, Sparkline

from p1tui.dsmr import Decoder
from p1tui.link.events import (
    LinkState,
    LinkStats,
    StateChanged,
    StatsUpdated,
    TelegramReceived,
)
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings, SimulatorSettings
from p1tui.sim.simulator import iter_telegrams
from p1tui.ui.app import P1App
from p1tui.ui.messages import LinkActivity

DAY_START = "2026-06-21T00:00:00+02:00"
DAY_BATCH = 60
"""Telegrams fed per repaint in the day run: a minute of a 1 s meter."""


def proc_status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Window:
    """CPU time and wall time of this process over the measured window."""

    def __init__(self) -> None:
        self.start_wall = self.start_cpu = self.end_wall = self.end_cpu = 0.0
        self.ready_wall = 0.0

    def begin(self) -> None:
        self.start_wall, self.start_cpu = time.monotonic(), time.process_time()

    def end(self) -> None:
        self.end_wall, self.end_cpu = time.monotonic(), time.process_time()

    def figures(self) -> dict:
        return {
            "ready": self.ready_wall,
            "window_start": self.start_wall,
            "window_end": self.end_wall,
            "wall_seconds": self.end_wall - self.start_wall,
            "cpu_seconds": self.end_cpu - self.start_cpu,
            "startup_cpu_seconds": self.start_cpu,
            "rss_kib": proc_status_kib("VmRSS"),
            "peak_rss_kib": proc_status_kib("VmHWM"),
        }


def schedule_window(app: App, window: Window, warmup: float, seconds: float) -> None:
    """From the first paint: wait ``warmup``, measure ``seconds``, then exit the app."""

    def ready() -> None:
        window.ready_wall = time.monotonic()
        app.set_timer(warmup, start)

    def start() -> None:
        window.begin()
        app.set_timer(seconds, stop)

    def stop() -> None:
        window.end()
        app.exit()

    app.call_after_refresh(ready)


class FloorApp(App[None]):
    """A Label, a Sparkline and a Log, all given new content once a second."""

    CSS = "Sparkline { height: 3; } Log { height: 1fr; }"

    def __init__(self, window: Window, warmup: float, seconds: float) -> None:
        super().__init__()
        self._window, self._warmup, self._seconds = window, warmup, seconds
        self._random = random.Random(1)
        self._values: deque[float] = deque(maxlen=120)
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Label("", id="label")
        yield Sparkline((), id="spark")
        yield Log(max_lines=200, id="log")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        schedule_window(self, self._window, self._warmup, self._seconds)

    def _tick(self) -> None:
        self._ticks += 1
        watts = self._random.uniform(-3000, 5000)
        self._values.append(watts)
        self.query_one("#label", Label).update(f"tick {self._ticks}: {watts:8.0f} W")
        self.query_one("#spark", Sparkline).data = list(self._values)
        self.query_one("#log", Log).write_line(f"{time.strftime('%H:%M:%S')} {watts:8.0f} W")


class TimedApp(P1App):
    """The real app, noting when each telegram is handled and when it reaches the screen.

    "On screen" is the first screen update after the handler that Textual renders to
    escape sequences and hands to the terminal driver (``App._display``, outside a batch).
    """

    def __init__(self, window: Window, warmup: float, seconds: float, **options) -> None:
        super().__init__(**options)
        self._window, self._warmup, self._seconds = window, warmup, seconds
        self.handled: dict[str, float] = {}
        """Meter time stamp of each telegram -> when the handler took it."""
        self.shown: dict[str, float] = {}
        """Meter time stamp of each telegram -> when it went to the terminal driver."""
        self._unshown: list[str] = []

    def on_mount(self) -> None:
        schedule_window(self, self._window, self._warmup, self._seconds)

    def on_link_activity(self, message: LinkActivity) -> None:
        before = self.monitor.raw_count
        super().on_link_activity(message)
        message.prevent_default()  # the base class's handler has just run
        now = time.monotonic()
        added = self.monitor.raw_count - before
        for entry in list(self.monitor.raw)[-added:] if added else ():
            stamp = meter_stamp(entry.frame.raw)
            self.handled[stamp] = now
            self._unshown.append(stamp)

    def _display(self, screen, renderable) -> None:
        """Textual's private hook where a screen update goes to the terminal driver."""
        super()._display(screen, renderable)
        if self._unshown and renderable is not None and not self._batch_count:
            now = time.monotonic()
            self.shown.update((stamp, now) for stamp in self._unshown)
            self._unshown.clear()


def meter_stamp(raw: bytes) -> str:
    """The telegram's time stamp as sent (``0-0:1.0.0``): it names a telegram in the feed."""
    start = raw.find(b"0-0:1.0.0(") + len(b"0-0:1.0.0(")
    return raw[start : raw.find(b")", start)].decode("ascii", "replace")


def run_floor(args: argparse.Namespace) -> dict:
    window = Window()
    FloorApp(window, args.warmup, args.seconds).run()
    return window.figures()


def run_app(args: argparse.Namespace) -> dict:
    window = Window()
    app = TimedApp(
        window,
        args.warmup,
        args.seconds,
        settings=SerialSettings(args.port),
        reader_factory=Reader,
        list_ports=list,
        config_path=Path(args.result).with_suffix(".toml"),
        save_dir=Path(args.result).parent,
    )
    app.run()
    return window.figures() | {
        "handled": app.handled,
        "shown": app.shown,
        "raw_log": len(app.monitor.raw),
    }


class SimClock:
    """The app's wall clock in the day run: the time of the last telegram fed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def structure_sizes(app: P1App) -> dict:
    monitor = app.monitor
    return {
        "raw_log": len(monitor.raw),
        "sparkline_buckets": len(monitor.power.series(10**9)),
        "feed_queued": app.feed.subscription.pending,
        "allocated_blocks": sys.getallocatedblocks(),
    }


async def handled(pilot, app: P1App) -> None:
    """Until the app has taken what was published (its feed's thread wakes it), and painted."""
    while app.feed.subscription.pending:
        await pilot.pause(0.01)
    await pilot.pause()


async def feed_day(count: int, size: tuple[int, int]) -> dict:
    clock = SimClock()
    app = P1App(
        SerialSettings("/dev/ttyP1bench"),
        reader_factory=None,
        list_ports=list,
        config_path=Path("/nonexistent/p1tui-bench.toml"),
        clock=clock,
    )
    decoder = Decoder()  # one stream: what the reader does
    marks = {count * q // 4 for q in range(1, 5)}
    samples = []
    started = time.perf_counter()
    async with app.run_test(headless=True, size=size) as pilot:
        await pilot.pause()
        gc.collect()
        samples.append({"telegrams": 0, "rss_kib": proc_status_kib("VmRSS")} | structure_sizes(app))
        fed, publish = 0, app.link_events.publish
        for raw in iter_telegrams(SimulatorSettings(start=DAY_START, speed=0), count):
            for frame, telegram in decoder.feed(raw):
                assert telegram is not None
                at = telegram.timestamp.timestamp()
                clock.now = at
                if fed == 0:
                    publish(StateChanged(LinkState.RECEIVING, "telegrams arriving", at))
                publish(TelegramReceived(frame, telegram, at))
                stats = LinkStats(
                    telegrams_ok=fed + 1,
                    bytes_received=(fed + 1) * len(raw),
                    bytes_per_second=len(raw),
                    last_telegram_at=at,
                )
                publish(StatsUpdated(stats))
                fed += 1
            if fed % DAY_BATCH == 0 or fed in marks:
                await handled(pilot, app)
            if fed in marks:
                gc.collect()
                samples.append(
                    {"telegrams": fed, "rss_kib": proc_status_kib("VmRSS")} | structure_sizes(app)
                )
    return {"samples": samples, "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("floor", "app", "day"))
    parser.add_argument("result", help="where to write the figures (JSON)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", help="app: the serial port (pseudo-terminal) to read")
    parser.add_argument("--telegrams", type=int, default=86_400)
    parser.add_argument("--size", default="80x24", help="day: the screen, COLUMNSxROWS")
    args = parser.parse_args()
    if args.mode == "floor":
        figures = run_floor(args)
    elif args.mode == "app":
        figures = run_app(args)
    else:
        columns, _, rows = args.size.partition("x")
        figures = asyncio.run(feed_day(args.telegrams, (int(columns), int(rows))))
    Path(args.result).write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
