"""Argument types shared by the commands that take serial settings (and the monitor)."""

from __future__ import annotations

import argparse
from typing import Any

PARITIES = ("N", "E", "O", "M", "S")
BYTESIZES = (5, 6, 7, 8)
STOPBITS = (1, 1.5, 2)
"""The serial line settings pyserial takes (the config file is checked against them too)."""


def baudrate(text: str) -> int:
    """``--baudrate``: a whole number above 0 (baud 0 would hang up a real UART)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a baud rate (a whole number above 0, such as 115200 or 9600)"
        )
    return value


def add_line_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    dest_prefix: str = "",
    defaults: tuple[int, int, str, float] | None = None,
) -> None:
    """``--baudrate``, ``--bytesize``, ``--parity``, ``--stopbits``; None when not given
    (the saved settings apply), or ``defaults`` (baud rate, data bits, parity, stop bits)."""
    given: list[Any] = list(defaults) if defaults else [None] * 4
    parser.add_argument(
        "--baudrate", dest=f"{dest_prefix}baudrate", type=baudrate, default=given[0], metavar="N"
    )
    parser.add_argument(
        "--bytesize", dest=f"{dest_prefix}bytesize", type=int, default=given[1], choices=BYTESIZES
    )
    parser.add_argument(
        "--parity", dest=f"{dest_prefix}parity", type=str.upper, default=given[2], choices=PARITIES
    )
    parser.add_argument(
        "--stopbits", dest=f"{dest_prefix}stopbits", type=float, default=given[3], choices=STOPBITS
    )
