"""Per-phase voltage, current and power, for the phases the meter reports."""

from __future__ import annotations

from decimal import Decimal

from textual.content import Content

from ...dsmr import Telegram
from ..format import watts
from ..view import View
from .panel import TelegramPanel, line, lines


class PhasesPanel(TelegramPanel):
    """One row per phase present (L1 only on a single-phase meter)."""

    TITLE = "Phases"

    def telegram_content(self, t: Telegram, view: View) -> Content:
        if not t.phases:
            return Content("meter sends no per-phase values")
        rows = [line((f"{'':3}{'V':>7}{'A':>6}{'import W':>10}{'export W':>10}", "bold"))]
        for name, phase in sorted(t.phases.items()):
            rows.append(
                line(
                    f"{name.upper():3}{_plain(phase.voltage_v):>7}{_plain(phase.current_a):>6}"
                    f"{_w(phase.power_import_kw):>10}{_w(phase.power_export_kw):>10}"
                )
            )
        return lines(rows)


def _plain(value: Decimal | None) -> str:
    return "-" if value is None else str(value)


def _w(kw: Decimal | None) -> str:
    return "-" if kw is None else watts(kw)
