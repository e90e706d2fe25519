"""``p1tui history``: what was used and delivered in a day, week, month or year, and its cost."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import textwrap
from datetime import date, datetime

from ..dsmr import Variant
from ..store.periods import Period, meter_variant, period_of
from ..store.prices import Prices
from ..store.report import IN_GAP, PARTIAL, coverage_notes, events, figure, peak_lines, summary
from ..ui.format import tariff_names
from .history_db import add_db_option, reading_history, standard_output


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``history`` subcommand."""
    parser = subparsers.add_parser(
        "history",
        help="energy, gas, water and costs of a day, week, month or year",
        description=(
            "Show what the house imported and exported per tariff, the gas and water it "
            "used, and what it cost (with [prices] in the config or `p1tui prices import`), "
            "for one local day (default: today), ISO week, month or year."
        ),
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--day", type=parse_day, metavar="DATE", help="YYYY-MM-DD (default: today)")
    which.add_argument(
        "--week", type=parse_day, metavar="DATE", help="the week (Monday-Sunday) of DATE"
    )
    which.add_argument("--month", type=_month, metavar="YYYY-MM")
    which.add_argument("--year", type=_year, metavar="YYYY")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_db_option(parser)
    parser.set_defaults(run=run)


def parse_day(text: str) -> date:
    """An argparse type: ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-03-29") from None


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month such as 2026-03") from None


def _year(text: str) -> date:
    if not (text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year such as 2026")
    return date(int(text), 1, 1)


def chosen_period(args: argparse.Namespace, zone) -> Period:
    for kind in ("week", "month", "year", "day"):
        day = getattr(args, kind)
        if day is not None:
            return period_of(kind, day, zone)
    return period_of("day", datetime.now(zone).date(), zone)


def run(args: argparse.Namespace) -> int:
    with reading_history(args, "history") as (store, zone, prices):
        period = chosen_period(args, zone)
        result = summary(store.conn, period, prices, part_costs=args.format != "json")
        noted = events(store.conn, period)
        variant = meter_variant(store.conn)
    names = tariff_names(Variant(variant) if variant else None)
    with standard_output():
        if args.format == "json":
            print(json.dumps(result))
        elif args.format == "csv":
            _csv(result, period)
        else:
            print(table(result, period, prices, names))
            if noted:
                print("\nEvents\n" + "\n".join(f"  {line}" for line in noted))
    return 0


def _csv(result: dict, period: Period) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    priced = result["cost"] is not None
    columns = ["from", "import_kwh", "export_kwh", "gas_m3"]
    writer.writerow([*columns, *(["cost"] if priced else []), "note"])
    for entry, cost in zip(result[period.parts_name], result["part_costs"], strict=True):
        values = [*(entry[c] for c in columns), *([cost] if priced else []), entry["note"]]
        writer.writerow(["" if v is None else v for v in values])


MARKS = {PARTIAL: " *"}
"""After a line's label: its figure covers only part of it (a footnote says which)."""


def _part_label(entry: dict, period: Period) -> str:
    stamp = entry["from"]
    if period.kind == "day":
        return f"{stamp[11:16]} {stamp[19:22]}"  # 02:00 +02 and 02:00 +01 on the long day
    if period.kind == "year":
        return stamp[:7]
    day = date.fromisoformat(stamp[:10])
    return f"{day.strftime('%a')} {stamp[:10]}"


def _peak_grid(peaks: list[dict]) -> list[str]:
    """A year's monthly peaks in kW, six months a line (``-``: none for that month)."""
    cells = [
        f"{date.fromisoformat(peak['month'] + '-01').strftime('%b')} {figure(peak['kw']):>6}"
        for peak in peaks
    ]
    return ["         " + "  ".join(cells[i : i + 6]) for i in range(0, len(cells), 6)]


def table(result: dict, period: Period, prices: Prices, tariff_names: tuple[str, str]) -> str:
    """The period as a table for the terminal (fits 80 columns)."""
    name = (
        f"{period.kind.capitalize()} {period.label}"
        if period.kind != "day"
        else period.first.strftime("%A %Y-%m-%d")
    )
    lines = [f"{name}  ({period.zone.key})", ""]
    entries = result[period.parts_name]
    if all(e["import_kwh"] is None for e in entries):
        lines.append("No data for this period.")
        return "\n".join(lines)
    priced = result["cost"] is not None
    money = f"{result['cost']['currency']:>9}" if priced else ""
    lines.append(
        f"{'':<18}{'import kWh':>12}{'export kWh':>12}{'net kWh':>12}{'gas m3':>10}{money}"
    )
    for entry, cost in zip(entries, result["part_costs"], strict=True):
        imported, exported = entry["import_kwh"], entry["export_kwh"]
        label = _part_label(entry, period) + MARKS.get(entry["note"], "")
        if entry["note"] == IN_GAP:
            lines.append(f"{label:<18}{'gap':>12}")
            continue
        net = None if imported is None or exported is None else imported - exported
        lines.append(
            f"{label:<18}{figure(imported):>12}{figure(exported):>12}"
            f"{figure(net):>12}{figure(entry['gas_m3']):>10}"
            + (f"{figure(cost, 2):>9}" if priced else "")
        )
    lines.append("")
    for label, key in (("Import", "import_kwh"), ("Export", "export_kwh")):
        values = result[key]
        lines.append(
            f"{label:<8} {tariff_names[0]} {figure(values['tariff1'])}  "
            f"{tariff_names[1]} {figure(values['tariff2'])}  total {figure(values['total'])} kWh"
        )
    imported, exported = result["import_kwh"]["total"], result["export_kwh"]["total"]
    if imported is not None and exported is not None:
        lines.append(f"{'Net':<8} {figure(imported - exported)} kWh")
    lines.append(
        f"{'Gas':<8} {figure(result['gas_m3'])} m3     Water {figure(result['water_m3'])} m3"
    )
    lines += peak_lines(result["peaks"], period.kind, 8)
    if period.kind == "year" and any(peak["kw"] is not None for peak in result["peaks"]):
        lines += _peak_grid(result["peaks"])
    cost = result["cost"]
    if cost is not None:
        lines.append(f"{'Cost':<8} {cost['currency']} {figure(cost['total'], 2)} in total")
        shown = [
            f"{name:<7}{cost[name]:>8.2f} ({cost['sources'][name]})"
            for name in ("import", "export", "gas", "water", "fixed")
            if cost[name] is not None
        ]
        for i in range(0, len(shown), 2):
            lines.append(
                "         " + "  ".join(f"{item:<31}" for item in shown[i : i + 2]).rstrip()
            )
    notes = coverage_notes(result, period)
    if notes:
        lines.append("")
        lines += [textwrap.fill(note, 78, subsequent_indent="  ") for note in notes]
    return "\n".join(lines)
