"""M-Bus meters (gas, water, heat, cooling): one entry per channel, whatever its number."""

from __future__ import annotations

from datetime import datetime

from textual.markup import escape

from ...dsmr import MBusDevice, Telegram
from ..format import duration, number, short_time
from ..live import Flow
from ..view import View
from .panel import TelegramPanel

VALVES = {0: "closed", 1: "open", 2: "ready to reopen"}
"""Valve / switch position (0-n:24.4.0)."""
ONE_LINE_WIDTH = 70
"""From this content width on, a channel fits on one line."""
ID_WIDTH = 50
"""From this content width on, the meter's equipment ID is shown too."""


class MBusPanel(TelegramPanel):
    """Reading, capture time and age, valve, and the flow derived from the last readings."""

    TITLE = "Gas, water, heat (M-Bus)"

    def telegram_markup(self, t: Telegram, view: View) -> str:
        if not t.mbus:
            return "no M-Bus meter on this electricity meter"
        width = self.content_size.width
        rows = []
        for device in t.mbus:
            flow = view.monitor.flows.flow(device.channel)
            rows.append(_row(device, flow, view.now, width))
        return "\n".join(rows)


def _row(device: MBusDevice, flow: Flow | None, now: float, width: int) -> str:
    medium = escape(
        device.medium.replace("_", " ") if device.medium else f"type {device.device_type}"
    )
    head = f"[b]ch{device.channel} {medium:<6}[/]"
    if device.empty:
        return f"{head} announced, no meter coupled"
    reading = f"[b]{number(device.reading, device.unit or '')}[/]"
    rate = "flow -" if flow is None else _rate(flow)
    details = []
    if device.timestamp is not None:
        age = max(0.0, now - device.timestamp.timestamp())
        today = datetime.fromtimestamp(now, device.timestamp.tzinfo)
        details.append(f"at {short_time(device.timestamp, today)}, {duration(age)} ago")
    else:
        details.append("capture time unknown")
    if device.valve is not None:
        details.append(f"valve {VALVES.get(device.valve, str(device.valve))}")
    if device.equipment_id and width >= ID_WIDTH:
        details.append(f"id {escape(device.equipment_id)}")
    if width >= ONE_LINE_WIDTH:
        return f"{head} {reading}  {rate}  " + " · ".join(details)
    return f"{head} {reading}  {rate}\n  " + " · ".join(details)


def _rate(flow: Flow) -> str:
    return f"{flow.per_hour:.3f} {escape(flow.unit)}"
