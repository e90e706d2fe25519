"""``p1tui export``: the history per minute, hour or day, for spreadsheets (CSV or JSON)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import timedelta

from ..errors import CommandError
from ..store.periods import midnight
from ..store.report import EXPORT_COLUMNS, export_rows
from .history import parse_day
from .history_db import add_db_option, reading_history, standard_output

MAX_MINUTE_DAYS = 92
"""Minute rows are kept for 90 days by default: a longer minute export would be empty."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="the history per minute, hour or day as CSV or JSON (for spreadsheets)",
        description=(
            "Write energy per tariff, gas, water, power (mean and highest) and cost for "
            "every minute, hour or local day from --from to --to (both included) to "
            "standard output. Periods without data have empty cells (null in JSON)."
        ),
    )
    parser.add_argument("--from", dest="first", type=parse_day, required=True, metavar="DATE")
    parser.add_argument("--to", dest="last", type=parse_day, required=True, metavar="DATE")
    parser.add_argument("--resolution", choices=("minute", "hour", "day"), default="hour")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    add_db_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.last < args.first:
        raise CommandError("--to is before --from")
    if args.resolution == "minute" and (args.last - args.first).days >= MAX_MINUTE_DAYS:
        raise CommandError(
            f"a minute export covers at most {MAX_MINUTE_DAYS} days (minute rows are kept "
            "for [history] keep_minutes_days); use --resolution hour for longer spans"
        )
    with reading_history(args, "export") as (store, zone, prices):
        start = midnight(args.first, zone)
        end = midnight(args.last + timedelta(days=1), zone)
        rows = export_rows(store.conn, start, end, args.resolution, zone=zone, prices=prices)
    with standard_output():
        if args.format == "json":
            document = {"resolution": args.resolution, "currency": prices.currency, "rows": rows}
            json.dump(document, sys.stdout)
            sys.stdout.write("\n")
        else:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row.values()])
    return 0
