"""The DSMR P1 protocol, sans I/O: bytes in, telegrams out.

No threads, no sockets, no UI. Feed a :class:`Framer` whatever bytes arrive, and
:func:`parse` each :class:`Frame` it returns into a typed :class:`Telegram`. A link that
runs for long uses a :class:`Decoder` (framer, parser caches and an optional decryptor in
one object per stream), which is faster on a meter's repeated lines.
"""

from .crc import crc16_arc
from .decoder import ByteStage, Decoded, Decoder, DecoderStats
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
from .parser import Parser, parse, parse_bytes

__all__ = [
    "ByteStage",
    "CrcStatus",
    "DSMRError",
    "DataObject",
    "Decoded",
    "Decoder",
    "DecoderStats",
    "Frame",
    "Framer",
    "FramerStats",
    "MBusDevice",
    "ObisInfo",
    "ParseError",
    "Parser",
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
