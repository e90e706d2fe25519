"""``p1tui ports``: the serial ports of this computer, stable names first."""

from __future__ import annotations

import argparse

from ..link.ports import serial_ports


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ports`` subcommand."""
    parser = subparsers.add_parser(
        "ports",
        help="list the serial ports of this computer",
        description=(
            "List the serial ports pyserial finds, with the stable /dev/serial/by-id name "
            "where there is one (use that: /dev/ttyUSB0 can become /dev/ttyUSB1 after a "
            "replug), what the kernel calls it now, and what is known about the device."
        ),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one port per line; exit 1 when there is none."""
    ports = serial_ports()
    if not ports:
        print("No serial ports found. Is the P1 cable plugged in? (`dmesg` tells.)")
        return 1
    for port in ports:
        about = [port.description] if port.description else []
        if port.kernel_name != port.device:
            about.insert(0, port.kernel_name)
        if port.hwid:
            about.append(port.hwid)
        print(port.device + (f"  ({'; '.join(about)})" if about else ""))
    return 0
