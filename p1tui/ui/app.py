"""The p1tui monitor: a Textual app fed by the reader thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Select

from .. import config as config_file
from ..link.events import LinkEvent, StatsUpdated
from ..link.fanout import FanOut
from ..link.settings import CollectorSettings, SerialSettings, SourceSettings
from ..link.source import LinkError
from ..store.browse import HistoryAccess
from ..store.recorder import Recorder
from ..store.settings import HistorySettings
from .feed import LinkFeed
from .live import Monitor
from .messages import ApplySettings, DetectionDone, HistoryNotice, LinkActivity, SaveSettings
from .screens.base import MonitorScreen
from .screens.dashboard import DashboardScreen
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.log import LogScreen
from .screens.settings import SettingsScreen
from .view import View

EXIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""End the monitor like ctrl+q, restoring the terminal: ``kill``, a closed SSH session."""
EXIT_GRACE = 5.0
"""Seconds the monitor may take to end once asked; then the process ends anyway (see
:meth:`P1App.exit`)."""


class ReaderLike(Protocol):
    """What the app needs from :class:`p1tui.link.reader.Reader`."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 1.0) -> None: ...
    def change_settings(self, settings: SourceSettings) -> None: ...


ReaderFactory = Callable[[SourceSettings, Callable[[LinkEvent], None]], ReaderLike]
PortLister = Callable[[], list[tuple[str, str]]]
Detector = Callable[[str, threading.Event], SerialSettings | None]
"""Tries the usual serial settings on a port; the settings that gave telegrams, or None.
It stops soon (with None) once the event is set."""


class AttachedHistory(NamedTuple):
    """What the History screen reads while the monitor is attached to a collector."""

    access: HistoryAccess
    note: str
    """Which store that is, in words (and how to show another), above the bars."""


class P1App(App[None]):
    """Dashboard, raw log and settings over one reader.

    Everything the outside world provides is injected, so tests run the real app on
    fixed telegrams: ``reader_factory=None`` runs without a reader (publish events into
    :attr:`link_events`), ``clock`` fixes the time, ``config_path`` keeps the user's file out.
    ``exit_on_signals`` (the command line's app; an app run in a test's thread cannot
    take signals) quits on SIGTERM and SIGHUP.
    """

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "p1tui"
    ENABLE_COMMAND_PALETTE = False
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "dashboard": DashboardScreen,
        "log": LogScreen,
        "settings": SettingsScreen,
        "history": HistoryScreen,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "switch_mode('dashboard')", "Dashboard"),
        Binding("l", "switch_mode('log')", "Log"),
        Binding("s", "switch_mode('settings')", "Settings"),
        Binding("h", "switch_mode('history')", "History"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("escape", "cancel_detect", "Cancel detect", priority=True),
    ]
    TICK = 1.0
    """How often the app checks whether ages and countdowns need a repaint."""
    IDLE_REPAINT = 1.5
    """Between telegrams, repaint (ages, countdowns) when the last paint is this old; a
    1 s meter's telegrams come sooner, so it is painted once per telegram, never twice."""

    def __init__(
        self,
        settings: SourceSettings | None,
        *,
        reader_factory: ReaderFactory | None,
        list_ports: PortLister,
        config_path: Path | None = None,
        config_notices: Sequence[str] = (),
        saved_serial: SerialSettings | None = None,
        clock: Callable[[], float] = time.time,
        save_dir: Path | None = None,
        detector: Detector | None = None,
        history_access: HistoryAccess | None = None,
        record_into: HistorySettings | None = None,
        attached_history: AttachedHistory | None = None,
        exit_on_signals: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.reader_factory = reader_factory
        self.list_ports = list_ports
        self.config_path = config_path
        self.config_notices = tuple(config_notices)
        """What is wrong with the config file, each said once when the app starts."""
        self.saved_serial = saved_serial
        self.clock = clock
        self.save_dir = Path.cwd() if save_dir is None else save_dir
        self.detector = detector
        self.history_access = history_access
        """Where the History screen reads (None: no history configured)."""
        self.record_into = record_into
        """The history a real meter's telegrams are recorded into (None: never record)."""
        self.attached_history = attached_history
        """The History screen's store while the link is a collector (None: the own one)."""
        self.recorder: Recorder | None = None
        self.exit_on_signals = exit_on_signals
        self._last_resort: threading.Timer | None = None
        self._stopping = threading.Lock()
        self._resume_after_detect = False
        self._detection: threading.Event | None = None
        """Set while a detection runs; setting the event cancels it."""
        self.monitor = Monitor()
        self.link_events = FanOut()
        """What the reader publishes; the app's :attr:`feed` is one subscriber."""
        self.feed = LinkFeed(self, self.link_events)
        self.reader: ReaderLike | None = None
        self._painted_at = float("-inf")

    @property
    def source_label(self) -> str | None:
        return None if self.settings is None else self.settings.describe()

    def history_source(self) -> tuple[HistoryAccess | None, str | None]:
        """Where the History screen reads now, and what it says about it: the collector's
        history while attached to one, else the own store."""
        if self.attached_history is not None and isinstance(self.settings, CollectorSettings):
            return self.attached_history
        return self.history_access, None

    @property
    def form_settings(self) -> SerialSettings:
        """What the settings form starts with: the serial link in use, the saved one, defaults."""
        if isinstance(self.settings, SerialSettings):
            return self.settings
        return self.saved_serial or SerialSettings("")

    def on_mount(self) -> None:
        if self.exit_on_signals:
            loop = asyncio.get_running_loop()
            for signum in EXIT_SIGNALS:
                signal.signal(signum, lambda *_: self._signalled(loop))
        for notice in self.config_notices:
            self.notify(notice, title="Config file", severity="warning", timeout=15, markup=False)
        self.feed.start()
        if self.settings is None:
            self.switch_mode("settings")
        else:
            self.switch_mode("dashboard")
            self._start_reader(self.settings)
        self.set_interval(self.TICK, self._tick)

    def on_unmount(self) -> None:
        if self.exit_on_signals:
            for signum in EXIT_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)
        self._stop_links()

    def _stop_links(self) -> None:
        """Stop the detection, the reader, the feed and the history recorder (its last batch
        is written); once is enough, from whichever thread comes first."""
        with self._stopping:
            if self._detection is not None:
                self._detection.set()  # the detection closes the port and its thread ends
            if self.reader is not None:
                self.reader.stop(timeout=1.0)
            self.feed.close()
            self._record(False)

    def _signalled(self, loop: asyncio.AbstractEventLoop) -> None:
        """SIGTERM or SIGHUP: quit as ctrl+q does. A plain signal handler rather than the
        loop's: it runs even while the loop is stuck on a terminal that went away."""
        self._end_anyway_after(EXIT_GRACE)
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is ending
            loop.call_soon_threadsafe(self.exit)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """End the app; the command line's app ends its process :data:`EXIT_GRACE` seconds
        later if Textual has not finished by then."""
        self._end_anyway_after(EXIT_GRACE)
        super().exit(*args, **kwargs)

    def _end_anyway_after(self, seconds: float) -> None:
        """Textual's shutdown can wait for ever on a terminal that went away (a closed SSH
        session stops its writer thread, textual#6692): the process must end all the same,
        after the links are stopped and the history's last batch is written."""
        if not self.exit_on_signals or self._last_resort is not None:
            return

        def end() -> None:
            self._stop_links()
            os._exit(self.return_code or 0)

        self._last_resort = threading.Timer(seconds, end)
        self._last_resort.daemon = True
        self._last_resort.start()

    def _start_reader(self, settings: SourceSettings) -> None:
        self._record(isinstance(settings, SerialSettings))
        if self.reader_factory is None:
            return
        self.reader = self.reader_factory(settings, self.link_events.publish)
        self.reader.start()

    def _record(self, live: bool) -> None:
        """Record a real meter (serial or network) into the history; never a demo or replay."""
        if live and self.recorder is None and self.record_into is not None:
            subscription = self.link_events.subscribe("history")
            self.recorder = Recorder(self.record_into, subscription, self._history_problem)
            self.recorder.start()
        elif not live and self.recorder is not None:
            recorder, self.recorder = self.recorder, None
            recorder.stop()

    def _history_problem(self, problem: str | None) -> None:
        if problem is not None:
            self.post_message(HistoryNotice(problem))

    def on_history_notice(self, message: HistoryNotice) -> None:
        self.notify(message.text, title="History", severity="warning", timeout=10, markup=False)

    def on_link_activity(self, _: LinkActivity) -> None:
        events = self.feed.drain()
        if events:
            self.monitor.dropped = self.feed.dropped
            self.monitor.apply_all(events, self.clock())
            # The reader's once-a-second statistics come out of step with the telegrams:
            # repainting for them alone would paint a 1 s meter twice a second. The ages
            # they move are kept current by the idle tick.
            if not all(isinstance(event, StatsUpdated) for event in events):
                self.refresh_view()

    def _tick(self) -> None:
        if time.monotonic() - self._painted_at >= self.IDLE_REPAINT:
            self.refresh_view()

    def refresh_view(self) -> None:
        """Repaint the current screen from the monitor's state, in one batch.

        Not once the app stops running: Textual takes the screens down while the link's
        wake-ups (and a screen's pending resume) are still being handled, and the feed
        only closes at unmount, after the screens are gone.
        """
        if not self.is_running:
            return
        screen = self.screen
        if not isinstance(screen, MonitorScreen) or not screen.is_mounted:
            return
        self._painted_at = time.monotonic()
        with self.batch_update():
            screen.show(View(self.monitor, self.clock(), self.source_label))

    def apply(self, settings: SourceSettings) -> None:
        """Switch the link to ``settings`` now."""
        self.settings = settings
        # What the old link said is applied first, then forgotten: the status bar shows the
        # new port as connecting, never the old port's verdict. The new link's first event
        # ("opening ...") comes after anything the old one still says, so it has the last word.
        self.monitor.apply_all(self.feed.drain(), self.clock())
        self.monitor.new_link()
        self._record(isinstance(settings, SerialSettings))
        if self.reader is None:
            self._start_reader(settings)
        else:
            self.reader.change_settings(settings)
        self.notify(f"reading {settings.describe()}", markup=False)
        self.refresh_view()

    def on_apply_settings(self, message: ApplySettings) -> None:
        self.apply(message.settings)

    def on_save_settings(self, message: SaveSettings) -> None:
        settings = message.settings
        if settings != self.settings:
            self.apply(settings)
        if not isinstance(settings, SerialSettings):
            return
        try:
            path = config_file.save_serial(settings, self.config_path)
        except config_file.ConfigError as error:
            self.notify(str(error), severity="error", timeout=15, markup=False)
            return
        self.saved_serial = settings
        self.notify(f"saved to {path}", markup=False)

    def action_help(self) -> None:
        """Open the help, or close it when it is showing (F1 toggles)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen())

    def detect_settings(self, port: str) -> None:
        """Try the usual serial settings on ``port`` in a worker; the form gets the result."""
        if self.detector is None:
            self.notify("auto-detection is not available: try the presets", severity="warning")
        elif not port:
            self.notify("enter the port to detect first", severity="warning")
        elif self._detection is not None:
            self.notify("a detection is already running: escape cancels it", severity="warning")
        else:
            # The reader holds the port exclusively: let go of it while detection listens.
            self._resume_after_detect = self._reading_port(port)
            if self._resume_after_detect and self.reader is not None:
                self.reader.stop()
            self._detection = threading.Event()
            self.refresh_bindings()
            self.notify(
                f"trying the usual settings on {port} (up to a minute; escape cancels)…",
                timeout=10,
                markup=False,
            )
            self._detect(port, self._detection)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_detect":
            # Else escape goes to the screen (back, close), or closes an open dropdown first.
            return self._detection is not None and not self._dropdown_open()
        return True

    def _dropdown_open(self) -> bool:
        return any(select.expanded for select in self.screen.query(Select))

    def action_cancel_detect(self) -> None:
        if self._detection is not None and not self._detection.is_set():
            self._detection.set()
            self.notify("cancelling the detection…")

    def _reading_port(self, port: str) -> bool:
        return isinstance(self.settings, SerialSettings) and self.settings.port == port

    @work(thread=True, group="detect")
    def _detect(self, port: str, stop: threading.Event) -> None:
        assert self.detector is not None
        try:
            found, problem = self.detector(port, stop), None
        except LinkError as error:
            found, problem = None, str(error)
        self.post_message(DetectionDone(port, found, problem, cancelled=stop.is_set()))

    def on_detection_done(self, message: DetectionDone) -> None:
        self._detection = None
        self.refresh_bindings()
        if self._resume_after_detect and self.reader is not None:
            self.reader.start()
        self._resume_after_detect = False
        if message.cancelled:
            self.notify(f"detection on {message.port} cancelled", markup=False)
            return
        screen = self.screen
        if message.found is not None and isinstance(screen, SettingsScreen):
            screen.fill(message.found)
        if message.found is not None:
            text = f"detected {message.found.describe()}: ctrl+r applies, ctrl+s saves"
        else:
            text = message.problem or f"no usual setting gave valid telegrams on {message.port}"
        self.notify(
            text, severity="information" if message.found else "warning", timeout=10, markup=False
        )
