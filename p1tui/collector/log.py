"""The collector's log: plain lines on stderr, one per event that matters.

Under systemd (``JOURNAL_STREAM`` set) the journal stamps each line itself, so the lines
carry no time; in a terminal they start with the local time. Warnings (a link down, a
client dropped) are marked as such, which journald also understands through the
``<4>`` style prefix it reads from services.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

NAME = "p1tui.serve"
QUIET, NORMAL, VERBOSE = logging.WARNING, logging.INFO, logging.DEBUG

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class _JournalFormatter(logging.Formatter):
    """``<6>message``: journald takes the priority from the prefix and stamps the time."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{record.getMessage()}"


class _TerminalFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if record.levelno >= logging.WARNING:
            date, clock, message = line.split(" ", 2)
            line = f"{date} {clock} {record.levelname.lower()}: {message}"
        return line


def collector_log(level: int = NORMAL, stream: TextIO | None = None) -> logging.Logger:
    """The collector's logger, writing to ``stream`` (stderr) at ``level``."""
    logger = logging.getLogger(NAME)
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(level)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        _JournalFormatter() if os.environ.get("JOURNAL_STREAM") else _TerminalFormatter()
    )
    logger.addHandler(handler)
    return logger
