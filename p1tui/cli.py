"""The ``p1tui`` command line: the monitor by default, and the subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import CommandError
from .ui import launch

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


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser, with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="p1tui",
        description="Watch a DSMR smart meter's P1 port from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"p1tui {__version__}")
    launch.add_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"p1tui.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run p1tui; return the exit status (0 ok, 1 failure, 2 bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
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
