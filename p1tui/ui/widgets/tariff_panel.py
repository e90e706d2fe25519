"""Tariff counters: import and export per tariff and in total, the active one marked."""

from __future__ import annotations

from textual.content import Content

from ...dsmr import Telegram
from ..format import number, tariff_names
from ..view import View
from .panel import TelegramPanel, line, lines


class TariffPanel(TelegramPanel):
    """Registers 1.8.x / 2.8.x in kWh, named for the meter's country."""

    TITLE = "Energy counters (kWh)"

    def telegram_content(self, t: Telegram, view: View) -> Content:
        names = tariff_names(t.variant)
        imp, exp = t.energy_import_kwh, t.energy_export_kwh
        if imp.total is None and exp.total is None:
            return Content("meter sends no electricity counters")
        rows = [line((f"{'':11}{'import':>12}{'export':>12}", "bold"))]
        for number_, name, got, sent in (
            (1, names[0], imp.tariff1, exp.tariff1),
            (2, names[1], imp.tariff2, exp.tariff2),
        ):
            if got is None and sent is None:
                continue
            label = f"T{number_} {name}"
            if t.tariff == number_:
                rows.append(
                    line((f"▶ {label:<9}{number(got):>12}{number(sent):>12}", "reverse bold"))
                )
            else:
                rows.append(line(f"  {label:<9}{number(got):>12}{number(sent):>12}"))
        rows.append(line(f"  {'total':<9}{number(imp.total):>12}{number(exp.total):>12}"))
        if t.tariff in (1, 2):
            rows.append(line(f"now: tariff {t.tariff}, {names[t.tariff - 1]}"))
        elif t.tariff is not None:
            rows.append(line(f"now: tariff {t.tariff}"))
        return lines(rows)
