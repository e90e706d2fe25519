"""``p1tui simulate``: the built-in meter's raw stream, to stdout, a file, a port or TCP."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from ..errors import CommandError
from ..keys import meter_keys
from ..sim.legal_time import Moment, parse_iso
from ..sim.outputs import Output, OutputError, TcpOutput, open_output
from ..sim.pacing import Pacer
from ..sim.simulator import Simulator
from ..sim.variants import VARIANTS
from .termination import sigterm_as_ctrl_c, uninterrupted

DESCRIPTION = """\
Run the built-in meter (a simulated household with solar panels, gas heating and
a water meter) and write its raw P1 stream: to standard output, a file, a serial
port or pseudo-terminal (115200 8N1, or 9600 7E1 for nl2), or to every client of
a TCP server (the meter starts when the first client connects). Ctrl+C or
`kill` stops it.
"""
EXAMPLES = """\
examples:
  p1tui simulate --count 3 | p1tui decode
  p1tui simulate --start 2026-06-21T00:00:00+02:00 --count 86400 --speed 0 --out june.txt
  p1tui simulate --out /dev/ttyUSB1                # a serial port (null-modem cable)
  p1tui simulate --out tcp://127.0.0.1:2323        # then: p1tui --port socket://127.0.0.1:2323
  p1tui simulate --variant lu --key 000102030405060708090A0B0C0D0E0F --count 3 \\
      | P1TUI_KEY=000102030405060708090A0B0C0D0E0F p1tui decode   # an encrypting Smarty
"""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of telegrams (1 or more)")
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a speed (1 = real pace, 10 = ten times faster, 0 = flat out)"
        )
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="run the built-in meter and write its raw telegrams (stdout, file, port, TCP)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=DESCRIPTION,
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "--count", type=_count, metavar="N", help="stop after N telegrams (default: never)"
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="FACTOR",
        help="1 = the meter's own pace (default), 10 = ten times faster, 0 = as fast as possible",
    )
    parser.add_argument(
        "--seed", type=int, default=1, metavar="N", help="which household (default 1)"
    )
    parser.add_argument(
        "--start",
        metavar="ISO_TIME",
        help="meter time of the first telegram, e.g. 2026-06-21T00:00:00+02:00; a time "
        "without offset is Dutch/Belgian legal time (default: now)",
    )
    parser.add_argument(
        "--variant",
        choices=tuple(VARIANTS),
        default="nl5",
        help="nl5 = DSMR 5 (default), nl4 = DSMR 4.2, nl2 = DSMR 2.2, be = Belgian Fluvius, "
        "lu = Luxembourg Smarty (every 10 s)",
    )
    parser.add_argument(
        "--key",
        metavar="HEX",
        help="encrypt every telegram with this key (32 hex digits of your choosing), as "
        "Luxembourg and Austrian meters do",
    )
    parser.add_argument(
        "--auth-key",
        metavar="HEX",
        help="with --key: the authentication key (default: Luxembourg's fixed key)",
    )
    parser.add_argument(
        "--no-water", action="store_true", help="leave out the water meter on M-Bus channel 2"
    )
    parser.add_argument(
        "--out",
        metavar="PATH_OR_URL",
        help="a file, a serial device or pseudo-terminal, a pyserial URL (socket://...), "
        "or tcp://HOST:PORT to serve TCP clients (default: standard output)",
    )
    parser.set_defaults(run=run)


@dataclass(slots=True)
class Progress:
    """What has been written so far, kept up to date so ctrl+c can report it."""

    sent: int = 0
    first: Moment | None = None
    last: Moment | None = None

    def summary(self, variant: str, output: Output) -> str:
        text = f"{self.sent} telegram{'s' if self.sent != 1 else ''} from the {variant} meter"
        text += f" to {output.describe()}"
        if self.first is not None and self.last is not None:
            text += f", meter time {self.first.isoformat()} to {self.last.isoformat()}"
        return text

    def add(self, taken_at: Moment | None) -> None:
        """Count one telegram written, stamped ``taken_at`` by the meter."""
        self.last = taken_at
        if self.first is None:
            self.first = taken_at
        self.sent += 1


def stream(pacer: Pacer, output: Output, count: int | None, progress: Progress) -> None:
    """Write telegrams as they fall due, until ``count`` are written (never when None)."""
    while count is None or progress.sent < count:
        wait = pacer.until_due()
        if wait > 0:
            output.idle(min(wait, 0.5))
            continue
        output.wait_ready()
        with uninterrupted():  # a ctrl+c now is handled once the telegram is counted
            output.write(pacer.take())
            progress.add(pacer.taken_at)


def run(args: argparse.Namespace) -> int:
    """Run the meter until ``--count`` telegrams are written, ctrl+c or SIGTERM."""
    try:
        start = None if args.start is None else parse_iso(args.start)
    except ValueError as error:
        raise CommandError(f"--start: {error}") from None
    # The built-in meter's key is made up: no config, no environment, no warning.
    keys = meter_keys(args, environ={}, warn=None) if args.key or args.auth_key else None
    try:
        output = open_output(args.out, VARIANTS[args.variant].serial, flat_out=args.speed == 0)
    except OutputError as error:
        print(f"p1tui simulate: {error}", file=sys.stderr)
        return 1
    status = 0
    progress = Progress()
    try:
        with sigterm_as_ctrl_c():
            if isinstance(output, TcpOutput):
                print(
                    f"p1tui simulate: serving on {output.url}; waiting for a client",
                    file=sys.stderr,
                )
                output.wait_for_client()
            # The meter's clock starts now, once someone listens (without --start).
            simulator = Simulator(
                args.variant, args.seed, start, water=not args.no_water, keys=keys
            )
            stream(Pacer(simulator, args.speed), output, args.count, progress)
    except KeyboardInterrupt:
        pass  # the usual way to end an endless stream
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OutputError as error:
        print(f"p1tui simulate: {error}", file=sys.stderr)
        status = 1
    finally:
        output.close()
    print(f"p1tui simulate: {progress.summary(args.variant, output)}", file=sys.stderr)
    return status
