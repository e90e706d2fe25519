"""The main screen: power, counters, phases, M-Bus meters and events at a glance."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.widgets import Footer

from ..view import View
from ..widgets.events_panel import EventsPanel
from ..widgets.mbus_panel import MBusPanel
from ..widgets.phases_panel import PhasesPanel
from ..widgets.power_panel import PowerPanel
from ..widgets.status_bar import StatusBar
from ..widgets.tariff_panel import TariffPanel
from .base import MonitorScreen


class DashboardScreen(MonitorScreen):
    """Two columns: what flows now on the left, counters and meters on the right.

    Below 80x24 the panels stack in one column that scrolls, power and counters first
    (the classes ``-narrow`` and ``-short`` switch the layout in app.tcss).
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (80, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (24, "-tall")]
    AUTO_FOCUS = "#events-box"
    """Arrows scroll the events; where the events cannot scroll, the stacked dashboard."""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with ScrollableContainer(id="dashboard", can_focus=False):
            with Vertical(id="left"):
                yield PowerPanel()
                yield TariffPanel(id="tariffs")
            with Vertical(id="right"):
                yield PhasesPanel(id="phases")
                yield MBusPanel(id="mbus")
                with VerticalScroll(id="events-box"):
                    yield EventsPanel(id="events")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#events-box").border_title = EventsPanel.TITLE

    def show(self, view: View) -> None:
        super().show(view)
        self.query_one(PowerPanel).show(view)
        for panel in (TariffPanel, PhasesPanel, MBusPanel, EventsPanel):
            self.query_one(panel).show(view)
        # The events scroll inside a box that draws their border: it shows their age.
        events, box = self.query_one(EventsPanel), self.query_one("#events-box")
        box.set_class(events.has_class("-stale"), "-stale")
        if box.border_subtitle != events.border_subtitle:
            box.border_subtitle = events.border_subtitle
