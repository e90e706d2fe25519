"""M-Bus meters (gas, water, heat, cooling): one entry per channel, whatever its number."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from ...dsmr import MBusDevice, Telegram
from ..format import duration, number, short_time
from ..live import Flow
from ..view import View
from .panel import TelegramPanel, line, lines

VALVES = {0: "closed", 1: "open", 2: "ready to reopen"}
"""Valve / switch position (0-n:24.4.0)."""
ONE_LINE_WIDTH = 70
"""From this content width on, a channel fits on one line."""
ID_WIDTH = 50
"""From this content width on, the meter's equipment ID is shown too."""


class MBusPanel(TelegramPanel):
    """Reading, capture time and age, valve, and the flow derived from the last readings."""

    TITLE = "Gas, water, heat (M-Bus)"

    def telegram_content(self, t: Telegram, view: View) -> Content:
        if not t.mbus:
            return Content("no M-Bus meter coupled")
        width = self.content_size.width
        meter_now = view.meter_now
        return lines(
            _row(device, view.monitor.flows.flow(device.channel), meter_now, width)
            for device in t.mbus
        )


def _row(device: MBusDevice, flow: Flow | None, meter_now: float | None, width: int) -> Content:
    medium = device.medium.replace("_", " ") if device.medium else f"type {device.device_type}"
    head = (f"ch{device.channel} {medium:<6}", "bold")
    if device.empty:
        return line(head, " announced, no meter coupled")
    reading = (number(device.reading, device.unit or ""), "bold")
    rate = "flow -" if flow is None else f"{flow.per_hour:.3f} {flow.unit}"
    details = []
    if device.timestamp is not None and meter_now is not None:
        age = max(0.0, meter_now - device.timestamp.timestamp())
        today = datetime.fromtimestamp(meter_now, device.timestamp.tzinfo)
        details.append(f"at {short_time(device.timestamp, today)}, {duration(age)} ago")
    elif device.timestamp is not None:
        details.append(f"at {short_time(device.timestamp)}")  # no meter clock to age it by
    else:
        details.append("capture time unknown")
    if device.valve is not None:
        details.append(f"valve {VALVES.get(device.valve, str(device.valve))}")
    if device.equipment_id and width >= ID_WIDTH:
        details.append(f"id {device.equipment_id}")
    separator = Content("  " if width >= ONE_LINE_WIDTH else "\n  ")
    return line(head, " ", reading, f"  {rate}", separator, " · ".join(details))
