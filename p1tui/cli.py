"""The ``p1tui`` command line: the monitor by default, and the subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import CommandError

COMMANDS = (
    "serve",
    "decode",
    "simulate",
    "record",
    "detect",
    "ports",
    "import",
    "history",
    "export",
    "prices",
)
"""Subcommand modules in p1tui.commands, in the order ``--help`` lists them."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser: every subcommand and the monitor's options, or ``command`` alone.

    A command line that starts with a subcommand's name needs that subcommand only: the
    other modules and the monitor's (config, link settings) are then not imported, which
    is a good part of the start-up of ``p1tui decode`` on a small file.
    """
    parser = argparse.ArgumentParser(
        prog="p1tui",
        description="Watch a DSMR smart meter's P1 port from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"p1tui {__version__}")
    if command is None:
        from .ui import launch  # noqa: PLC0415 - only the monitor needs its options

        launch.add_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if command is None else (command,):
        importlib.import_module(f"p1tui.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run p1tui; return the exit status (0 ok, 1 failure, 2 bad usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        from .ui import launch  # noqa: PLC0415 - imported above with the monitor's options

        try:
            return launch.run(args)
        except CommandError as error:
            print(f"p1tui: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    try:
        return args.run(args)
    except CommandError as error:
        print(f"p1tui {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
