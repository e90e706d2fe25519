"""The serial ports of this computer, named the way that survives a reboot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from serial.tools import list_ports

BY_ID = Path("/dev/serial/by-id")


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One serial port."""

    device: str
    """The name to use: the stable /dev/serial/by-id link when there is one."""
    kernel_name: str
    """What the kernel calls it today (/dev/ttyUSB0), which can change after a replug."""
    description: str
    hwid: str


def serial_ports(by_id: Path = BY_ID) -> list[PortInfo]:
    """Every serial port pyserial finds, stable by-id names first."""
    aliases: dict[str, str] = {}
    if by_id.is_dir():
        for link in sorted(by_id.iterdir()):
            aliases.setdefault(str(link.resolve()), str(link))
    ports = []
    for port in list_ports.comports():
        known = port.description not in (None, "", "n/a")
        ports.append(
            PortInfo(
                device=aliases.get(port.device, port.device),
                kernel_name=port.device,
                description=port.description if known else "",
                hwid=port.hwid if port.hwid not in (None, "n/a") else "",
            )
        )
    ports.sort(key=lambda p: (not p.device.startswith(str(by_id)), p.device))
    return ports
