"""The History screen: a day's hours (or a week's, month's days, a year's months) as bars,
with totals per tariff, net, gas, water and costs. The store is read in a worker thread."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from ...dsmr import Variant
from ...store.browse import HistoryAccess, PeriodResult, read_period
from ...store.periods import Period, period_of
from ...store.report import figure, peak_lines
from ..format import tariff_names
from ..messages import HistoryRead
from ..widgets.history_chart import HistoryChart
from ..widgets.status_bar import StatusBar
from .base import MonitorScreen

REFRESH = 10.0
"""Seconds between re-reads while the period on screen is the current one."""
KEYS = "← → previous/next · 1 day · 2 week · 3 month · 4 year · t now · ? help"


def totals_text(result: PeriodResult) -> str:
    """The period's totals in a few short lines (fits 78 columns)."""
    summary, period = result.summary, result.period
    assert summary is not None and period is not None
    names = tariff_names(Variant(result.variant) if result.variant else None)
    imported, exported = summary["import_kwh"], summary["export_kwh"]
    net = (
        None
        if imported["total"] is None or exported["total"] is None
        else imported["total"] - exported["total"]
    )
    lines = [
        f"Import {figure(imported['total'])} kWh   {names[0]} {figure(imported['tariff1'])}"
        f"   {names[1]} {figure(imported['tariff2'])}",
        f"Export {figure(exported['total'])} kWh   {names[0]} {figure(exported['tariff1'])}"
        f"   {names[1]} {figure(exported['tariff2'])}   Net {figure(net)} kWh",
        f"Gas {figure(summary['gas_m3'])} m3   Water {figure(summary['water_m3'])} m3",
        *peak_lines(summary["peaks"], period.kind),
    ]
    cost = summary["cost"]
    if cost is not None:
        parts = [
            f"{name} {cost[name]:.2f}"
            for name in ("import", "export", "gas", "water", "fixed")
            if cost[name] is not None
        ]
        sources = sorted({s for s in cost["sources"].values() if s})
        lines.append(
            f"Cost {cost['currency']} {figure(cost['total'], 2)}: {', '.join(parts)} "
            f"({' + '.join(sources)})"
        )
    return "\n".join(lines)


class HistoryScreen(MonitorScreen):
    """Bars and totals of one period; arrows step, 1-4 switch day/week/month/year."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous"),
        Binding("right", "step(1)", "Next"),
        Binding("1", "kind('day')", "Day", show=False),
        Binding("2", "kind('week')", "Week", show=False),
        Binding("3", "kind('month')", "Month", show=False),
        Binding("4", "kind('year')", "Year", show=False),
        Binding("t", "current", "Current", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind = "day"
        self.period: Period | None = None
        self.result: PeriodResult | None = None
        self._following = True
        """Showing the meter's current period: re-read it as the record grows."""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="history-source", markup=False)
        yield Static("Reading the history…", id="history-title", markup=False)
        yield HistoryChart(id="history-chart")
        yield Static("", id="history-totals", markup=False)
        yield Static(KEYS, id="history-keys", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH, self._refresh_current)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.read()

    def meter_time(self) -> float:
        """The meter's now: the last telegram's time stamp (a replay's day), else the clock."""
        monitor = self.app.monitor  # type: ignore[attr-defined]
        telegram = monitor.telegram
        if telegram is not None and telegram.timestamp is not None:
            return telegram.timestamp.timestamp()
        return self.app.clock()  # type: ignore[attr-defined]

    def read(self) -> None:
        access, note = self.app.history_source()  # type: ignore[attr-defined]
        source = self.query_one("#history-source", Static)
        source.display = note is not None
        source.update(note or "")
        if access is None:
            self.query_one("#history-title", Static).update("No history store: see [history].")
            return
        day = None if self._following or self.period is None else self.period.first
        self._read(access, self.kind, day, self.meter_time())

    @work(thread=True, exclusive=True, group="history")
    def _read(self, access: HistoryAccess, kind: str, day, at: float) -> None:
        self.post_message(HistoryRead(read_period(access, kind, day, at)))

    def on_history_read(self, message: HistoryRead) -> None:
        result = message.result
        self.result = result
        title = self.query_one("#history-title", Static)
        totals = self.query_one("#history-totals", Static)
        chart = self.query_one(HistoryChart)
        if result.period is None or result.summary is None:
            title.update(result.problem or "No history yet.")
            chart.show([], [], [])
            totals.update("")
            return
        self.period = result.period
        summary = result.summary
        entries = summary[result.period.parts_name]
        heading = _heading(result.period)
        if all(entry["import_kwh"] is None for entry in entries):
            title.update(f"{heading}: no data for this period   (left/right: other periods)")
            chart.show([], [], [])
            totals.update("")
            return
        unit = {"hours": "per hour", "days": "per day", "months": "per month"}[
            result.period.parts_name
        ]
        title.update(f"{heading}   kWh {unit}: import up, export down")
        chart.show(
            [e["import_kwh"] for e in entries],
            [e["export_kwh"] for e in entries],
            [_short(e["from"], result.period.kind) for e in entries],
        )
        totals.update(totals_text(result))

    def _refresh_current(self) -> None:
        if self._following and self.is_current_screen:
            self.read()

    def action_step(self, count: int) -> None:
        if self.period is None:
            return
        self.period = self.period.step(count)
        self._following = False
        self.read()

    def action_kind(self, kind: str) -> None:
        self.kind = kind
        period = self.period
        if period is not None:
            # The meter's day when it is in the period on screen, else the period's start.
            today = datetime.fromtimestamp(self.meter_time(), period.zone).date()
            anchor = today if period.first <= today < period.end_day else period.first
            self.period = period_of(kind, anchor, period.zone)
        self.read()

    def action_current(self) -> None:
        self._following = True
        self.read()

    @property
    def is_current_screen(self) -> bool:
        return self.app.screen is self


def _short(stamp: str, kind: str) -> str:
    """The label under a bar: the hour (a day), the day (a week, a month), the month."""
    if kind == "day":
        return stamp[11:13]
    if kind == "year":
        return stamp[5:7]
    return stamp[8:10]


def _heading(period: Period) -> str:
    if period.kind == "day":
        return f"{period.first.strftime('%A %Y-%m-%d')} ({period.zone.key})"
    return f"{period.kind.capitalize()} {period.label}"
