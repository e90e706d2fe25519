"""Events: power failures and their log, voltage sags and swells, the meter's message,
and the Belgian capacity-tariff peaks."""

from __future__ import annotations

from datetime import timedelta

from textual.markup import escape

from ...dsmr import PeakDemand, PowerFailure, Telegram
from ..format import duration, number
from ..view import View
from .panel import TelegramPanel

DAY = timedelta(days=1)


class EventsPanel(TelegramPanel):
    """Everything the meter reports that is not a counter or a live value."""

    TITLE = "Events"

    def telegram_markup(self, t: Telegram, view: View) -> str:
        lines = _failures(t) + _quality(t) + _message(t)
        if t.peak_demand is not None:
            lines += _peaks(t.peak_demand)
        return "\n".join(lines) if lines else "the meter reports no events"


def _failures(t: Telegram) -> list[str]:
    if t.power_failures is None and t.long_power_failures is None and not t.power_failure_log:
        return []
    counts = []
    if t.power_failures is not None:
        counts.append(f"{t.power_failures} short")
    if t.long_power_failures is not None:
        counts.append(f"{t.long_power_failures} long")
    lines = [f"[b]power failures[/] {', '.join(counts) or '-'}"]
    if t.power_failure_log:
        lines.append("[i]long failures, newest first (ended):[/]")
    for entry in _newest_first(t.power_failure_log or ()):
        when = "unknown time" if entry.end is None else f"{entry.end:%Y-%m-%d %H:%M}"
        lasted = "?" if entry.duration_s is None else duration(entry.duration_s)
        lines.append(f"  {when}  lasted {lasted}")
    return lines


def _newest_first(log: tuple[PowerFailure, ...]) -> list[PowerFailure]:
    """Meters list the log in either order; newest first reads best, unknown times last."""
    return sorted(log, key=lambda e: e.end.timestamp() if e.end else float("-inf"), reverse=True)


def _quality(t: Telegram) -> list[str]:
    lines = []
    for label, counts in (("voltage sags", t.voltage_sags), ("voltage swells", t.voltage_swells)):
        if counts:
            per_phase = " · ".join(f"{phase.upper()} {n}" for phase, n in sorted(counts.items()))
            lines.append(f"[b]{label}[/] {per_phase}")
    return lines


def _message(t: Telegram) -> list[str]:
    return [f"[b]message[/] {escape(t.text_message)}"] if t.text_message else []


def _peaks(peak: PeakDemand) -> list[str]:
    lines = [f"[b]quarter-hour average[/] {number(peak.current_average_kw, 'kW')}"]
    if peak.month_max_kw is not None:
        at = "" if peak.month_max_at is None else f" at {peak.month_max_at:%m-%d %H:%M}"
        lines.append(f"[b]month peak[/] {number(peak.month_max_kw, 'kW')}{at}")
    if peak.history is not None:
        if not peak.history:
            lines.append("[b]monthly peaks[/] none recorded yet")
        else:
            lines.append("[b]monthly peaks[/]")
            for row in peak.history:
                # A row is stamped at the end of its month (midnight on the 1st of the next).
                month = "unknown month" if row.month is None else f"{row.month - DAY:%Y-%m}"
                at = "" if row.at is None else f" ({row.at:%m-%d %H:%M})"
                lines.append(f"  {month} {number(row.kw, 'kW')}{at}")
    return lines
