"""The error every front end (the monitor's launcher, the subcommands) raises for the user."""

from __future__ import annotations


class CommandError(Exception):
    """A problem on the command line or with its files: one sentence for the user."""
