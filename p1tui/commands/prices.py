"""``p1tui prices import``: dynamic hourly or quarter-hourly prices into the history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import CommandError
from ..store.periods import iso, store_zone
from ..store.prices import PriceFileError, read_price_csv, store_prices
from .history_db import (
    add_db_option,
    database_errors,
    history_settings,
    open_history,
    read_config,
)

EXAMPLE = """\
The file has one line per hour or quarter: start time, import price per kWh and,
optionally, export price per kWh. A header line is skipped; comma or semicolon
separated (a decimal comma with semicolons); times without an offset are the
meter's local time. For example:

  start,import,export
  2026-03-29T00:00:00+01:00,0.2211,0.0712
  2026-03-29T01:00:00+01:00,0.2105,0.0650

Where imported prices cover an hour, its cost uses them; elsewhere the [prices]
contract in the config applies. Importing a corrected file replaces the prices of the
same start times.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``prices`` subcommand (with ``import``)."""
    parser = subparsers.add_parser(
        "prices",
        help="load dynamic (hourly or quarter-hourly) prices for the history's costs",
        description="Manage the dynamic prices the history's costs use.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import",
        help="load a CSV file of hourly or quarter-hourly prices",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=EXAMPLE,
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    add_db_option(load)
    load.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise CommandError(f"cannot read {args.file}: {reason}") from None
    config = read_config("prices")
    settings = history_settings(args, config)
    with open_history(settings, readonly=False) as store, database_errors(settings.db):
        zone = store_zone(store.conn, settings.timezone)
        try:
            rows = read_price_csv(text, zone)
        except PriceFileError as error:
            raise CommandError(f"{args.file}: {error}") from None
        with store.transaction() as conn:
            store_prices(conn, rows)
    lengths = {row.end - row.start for row in rows}
    kind = "quarter-hourly" if lengths == {900} else "hourly" if lengths == {3600} else "dynamic"
    exports = sum(1 for row in rows if row.export_price is not None)
    print(
        f"p1tui prices: {len(rows)} {kind} prices stored, from {iso(rows[0].start, zone)} "
        f"to {iso(rows[-1].end, zone)} ({exports} with an export price)",
        file=sys.stderr,
    )
    return 0
