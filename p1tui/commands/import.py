"""``p1tui import``: raw captures into the history, with a one-line summary."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import BinaryIO

from ..dsmr import Decoded, Decoder, FramerStats
from ..dsmr.dlms import decryptor_for
from ..keys import add_key_options, meter_keys
from ..store import HistoryWriter
from ..store.periods import local_date, zone_info
from ..words import count
from .history_db import add_db_option, database_errors, history_settings, open_history, read_config
from .termination import sigterm_as_ctrl_c

CHUNK = 1 << 16


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` subcommand."""
    parser = subparsers.add_parser(
        "import",
        help="add raw captures (from `p1tui record`, or any file of telegrams) to the history",
        description=(
            "Read raw P1 data and add every valid telegram to the history, placed by the "
            "meter's own time stamps. Importing the same telegrams again adds nothing; "
            "telegrams whose CRC fails are left out. Ends with a one-line summary. A "
            "recording of an encrypting meter is read with its key (--key, P1TUI_KEY or "
            "[meter] key in the config file)."
        ),
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="files to read; none or '-' reads stdin"
    )
    add_db_option(parser)
    add_key_options(parser)
    parser.set_defaults(run=run)


class Tally:
    """The hours the telegrams fell in (for the days the summary line names)."""

    def __init__(self) -> None:
        self.hours: set[int] = set()

    def days(self, zone_name: str) -> list[date]:
        zone = zone_info(zone_name)
        return sorted({local_date(hour * 3600, zone) for hour in self.hours})


def _import_stream(stream: BinaryIO, decoder: Decoder, writer: HistoryWriter, tally: Tally) -> None:
    now = time.time()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        _add(decoder.feed(chunk), writer, tally, now)
    _add(decoder.close(), writer, tally, now)


def _add(decoded: list[Decoded], writer: HistoryWriter, tally: Tally, now: float) -> None:
    add = writer.add
    for frame, telegram in decoded:
        if telegram is None or not frame.valid:
            continue  # counted by the decoder as a CRC failure
        stamp = telegram.timestamp
        if stamp is None:
            writer.skipped += 1  # a capture without time stamps cannot be placed in time
            continue
        before = writer.telegrams
        add(telegram, now)
        if writer.telegrams > before:  # taken (it had counters)
            tally.hours.add(int(stamp.timestamp()) // 3600)


def _summary(writer: HistoryWriter, tally: Tally, stats: list[FramerStats], zone: str) -> str:
    """One line: telegrams read, minutes new to the store and already in it, days, CRC."""
    days = tally.days(zone)
    failures = sum(s.crc_failures for s in stats)
    text = (
        f"{count(writer.telegrams, 'telegram')} read, "
        f"{count(writer.minutes_new, 'minute')} new, "
        f"{writer.minutes_known} already in the store"
        + (" (not counted again)" if writer.minutes_known else "")
        + f", {count(len(days), 'day')} covered"
    )
    if days:
        text += f" ({days[0]}" + (f" to {days[-1]})" if len(days) > 1 else ")")
    if writer.skipped:
        text += f", {writer.skipped} without time stamp or counters skipped"
    return text + f", {count(failures, 'CRC failure')}"


def run(args: argparse.Namespace) -> int:
    """Import every input; 0 when all were read, 2 when one could not be, 130 on ctrl+c."""
    config = read_config("import")
    settings = history_settings(args, config)
    keys = meter_keys(args, config.section("meter"))
    store = open_history(settings, readonly=False)
    stats: list[FramerStats] = []
    tally = Tally()
    writer = HistoryWriter(
        store, keep_minutes_days=settings.keep_minutes_days, flush_every=settings.batch_seconds
    )
    status = 0
    try:
        with database_errors(settings.db), sigterm_as_ctrl_c():
            try:
                for name in args.files or ["-"]:
                    decoder = Decoder(decryptor_for(keys))  # one per input: its own stream
                    stats.append(decoder.stats.framer)
                    if not _import_one(name, decoder, writer, tally):
                        status = 2
            except KeyboardInterrupt:
                status = 130
            writer.close()
    finally:
        store.close()
    stopped = "stopped; " if status == 130 else ""
    zone = settings.timezone or writer.zone
    print(f"p1tui import: {stopped}{_summary(writer, tally, stats, zone)}", file=sys.stderr)
    return status


def _import_one(name: str, decoder: Decoder, writer: HistoryWriter, tally: Tally) -> bool:
    """Import one input; False (after saying why) when it cannot be read."""
    try:
        if name == "-":
            _import_stream(sys.stdin.buffer, decoder, writer, tally)
        else:
            with open(name, "rb") as stream:
                _import_stream(stream, decoder, writer, tally)
    except OSError as error:
        print(f"p1tui import: cannot read {name}: {error.strerror or error}", file=sys.stderr)
        return False
    return True
