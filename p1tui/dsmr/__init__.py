"""The DSMR P1 protocol, sans I/O: bytes in, telegrams out.

No threads, no sockets, no UI. Feed a :class:`Framer` whatever bytes arrive, and
:func:`parse` each :class:`Frame` it returns into a typed :class:`Telegram`.
"""

from .crc import crc16_arc
from .errors import DSMRError, ParseError
from .framer import CrcStatus, Frame, Framer, FramerStats
from .model import (
    DataObject,
    MBusDevice,
    PeakDemand,
    PeakMonth,
    Phase,
    PowerFailure,
    Registers,
    Telegram,
    Variant,
)
from .obis import ObisInfo, lookup
from .parser import parse, parse_bytes

__all__ = [
    "CrcStatus",
    "DSMRError",
    "DataObject",
    "Frame",
    "Framer",
    "FramerStats",
    "MBusDevice",
    "ObisInfo",
    "ParseError",
    "PeakDemand",
    "PeakMonth",
    "Phase",
    "PowerFailure",
    "Registers",
    "Telegram",
    "Variant",
    "crc16_arc",
    "lookup",
    "parse",
    "parse_bytes",
]
