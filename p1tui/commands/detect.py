"""``p1tui detect``: find the serial settings that give valid telegrams."""

from __future__ import annotations

import argparse
import sys

from ..link.detect import CANDIDATES, SECONDS_PER_CANDIDATE, Attempt, detect
from ..link.diagnosis import ENCRYPTED_NO_KEY
from ..link.settings import SerialSettings
from ..link.source import LinkError


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``detect`` subcommand."""
    tried = ", ".join(SerialSettings("", *candidate).line for candidate in CANDIDATES)
    parser = subparsers.add_parser(
        "detect",
        help="find the serial settings of a P1 port by trying the usual ones",
        description=(
            f"Listen to the port with each of the usual settings in turn ({tried}) "
            "and report the first that gives valid telegrams, with the meter variant "
            "found. A socket:// link is tried once: its serial settings are set on the "
            "far end."
        ),
    )
    parser.add_argument(
        "--port", required=True, metavar="PORT_OR_URL", help="device path or pyserial URL"
    )
    parser.add_argument(
        "--seconds",
        type=_seconds,
        default=SECONDS_PER_CANDIDATE,
        metavar="S",
        help=f"how long to listen per setting (default {SECONDS_PER_CANDIDATE:g}: longer than "
        "the 10 s period of DSMR 2.2 to 4 meters)",
    )
    parser.set_defaults(run=run)


def _report(attempt: Attempt) -> None:
    s = attempt.settings
    size = f" ({attempt.bytes_received} bytes)" if attempt.bytes_received else ""
    print(f"{s.line}: {attempt.finding}{size}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Print the settings that work; exit 1 when none does."""
    print(f"listening to {args.port}, up to {args.seconds:g} s per setting...", file=sys.stderr)
    try:
        found = detect(args.port, args.seconds, on_attempt=_report)
    except LinkError as error:
        print(f"p1tui detect: {error}", file=sys.stderr)
        if error.advice:
            print(error.advice, file=sys.stderr)
        return 1
    if found is None:
        print(
            "No setting gave a valid telegram. Check the cable and the data request line "
            "(RTS / pin 2), or try a longer --seconds.",
            file=sys.stderr,
        )
        return 1
    s, telegram = found.settings, found.telegram
    if telegram is None:  # encrypted frames: the line is right, the key is missing
        print(f"{s.port}: {s.line} works, but {ENCRYPTED_NO_KEY.problem}")
        print(ENCRYPTED_NO_KEY.advice)
        return 0
    version = f", DSMR version {telegram.dsmr_version}" if telegram.dsmr_version else ""
    print(
        f"{s.port}: {s.line} works: "
        f"{telegram.variant.value} meter{version}, header {telegram.header}"
    )
    return 0
