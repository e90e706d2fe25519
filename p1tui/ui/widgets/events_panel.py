"""Events: power failures and their log, voltage sags and swells, the meter's message,
and the Belgian capacity-tariff peaks."""

from __future__ import annotations

from datetime import timedelta

from textual.content import Content

from ...dsmr import PeakDemand, PowerFailure, Telegram
from ..format import number, seconds
from ..view import View
from .panel import TelegramPanel, line, lines

DAY = timedelta(days=1)
BOLD = "bold"


class EventsPanel(TelegramPanel):
    """Everything the meter reports that is not a counter or a live value."""

    TITLE = "Events"

    def telegram_content(self, t: Telegram, view: View) -> Content:
        rows = _failures(t) + _quality(t) + _message(t)
        if t.peak_demand is not None:
            rows += _peaks(t.peak_demand)
        return lines(rows) if rows else Content("the meter reports no events")


def _failures(t: Telegram) -> list[Content]:
    if t.power_failures is None and t.long_power_failures is None and not t.power_failure_log:
        return []
    counts = []
    if t.power_failures is not None:
        counts.append(f"{t.power_failures} short")
    if t.long_power_failures is not None:
        counts.append(f"{t.long_power_failures} long")
    rows = [line(("power failures", BOLD), " ", ", ".join(counts) or "-")]
    if t.power_failure_log:
        rows.append(line(("long failures, newest first (ended):", "italic")))
    for entry in _newest_first(t.power_failure_log or ()):
        when = "unknown time" if entry.end is None else f"{entry.end:%Y-%m-%d %H:%M}"
        lasted = "unknown" if entry.duration_s is None else seconds(entry.duration_s)
        rows.append(line(f"  {when}  lasted {lasted}"))
    return rows


def _newest_first(log: tuple[PowerFailure, ...]) -> list[PowerFailure]:
    """Meters list the log in either order; newest first reads best, unknown times last."""
    return sorted(log, key=lambda e: e.end.timestamp() if e.end else float("-inf"), reverse=True)


def _quality(t: Telegram) -> list[Content]:
    rows = []
    for label, counts in (("voltage sags", t.voltage_sags), ("voltage swells", t.voltage_swells)):
        if counts:
            per_phase = " · ".join(f"{phase.upper()} {n}" for phase, n in sorted(counts.items()))
            rows.append(line((label, BOLD), " ", per_phase))
    return rows


def _message(t: Telegram) -> list[Content]:
    return [line(("message", BOLD), " ", t.text_message)] if t.text_message else []


def _peaks(peak: PeakDemand) -> list[Content]:
    rows = [line(("quarter-hour average", BOLD), " ", number(peak.current_average_kw, "kW"))]
    if peak.month_max_kw is not None:
        at = "" if peak.month_max_at is None else f" at {peak.month_max_at:%m-%d %H:%M}"
        rows.append(line(("month peak", BOLD), f" {number(peak.month_max_kw, 'kW')}{at}"))
    if peak.history is not None:
        if not peak.history:
            rows.append(line(("monthly peaks", BOLD), " none recorded yet"))
        else:
            rows.append(line(("monthly peaks", BOLD)))
            for row in peak.history:
                # A row is stamped at the end of its month (midnight on the 1st of the next).
                month = "unknown month" if row.month is None else f"{row.month - DAY:%Y-%m}"
                at = "" if row.at is None else f" ({row.at:%m-%d %H:%M})"
                rows.append(line(f"  {month} {number(row.kw, 'kW')}{at}"))
    return rows
