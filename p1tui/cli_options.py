"""Argument types shared by the commands that take serial settings (and the monitor)."""

from __future__ import annotations

import argparse


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
