"""Typed results of parsing a telegram.

Numbers are :class:`~decimal.Decimal` so they keep the meter's exact decimals; every
field that the telegram did not carry is None. The generic layer (:class:`DataObject`)
keeps every line as sent, so nothing the meter sent is lost even when the catalogue
does not know it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

from .framer import CrcStatus


class Variant(str, Enum):
    """The family of telegram, told from the telegram itself."""

    NL2 = "nl2"
    """Dutch DSMR 2.2 or 3.0 (they cannot be told apart): no CRC, no version line."""
    NL4 = "nl4"
    NL5 = "nl5"
    BE = "be"
    """Belgian e-MUCS / Fluvius: tariff 1 is day, 2 is night (the Dutch meaning reversed)."""
    LU = "lu"
    """Luxembourg Smarty: totals instead of tariff registers."""
    OTHER = "other"


class DataObject(NamedTuple):
    """One data line: its OBIS reference and its value groups, exactly as sent.

    A named tuple rather than a dataclass: a telegram has dozens and they are made
    every second, and a tuple is the cheapest immutable record Python has.
    """

    obis: str
    """Reduced ID ``A-B:C.D.E``, with a ``.255`` / ``*255`` suffix removed."""
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Registers:
    """Energy registers in kWh: tariff 1 (x.8.1), tariff 2 (x.8.2) and the total."""

    tariff1: Decimal | None = None
    tariff2: Decimal | None = None
    total: Decimal | None = None
    """The meter's own x.8.0 when sent, else the sum of the tariff registers."""


class Phase(NamedTuple):
    """Instantaneous values of one phase (a named tuple: three are made per telegram)."""

    voltage_v: Decimal | None = None
    current_a: Decimal | None = None
    power_import_kw: Decimal | None = None
    power_export_kw: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PowerFailure:
    """One entry of the long power failure log."""

    end: datetime | None
    """When the failure ended; None when the meter sent a placeholder time."""
    duration_s: int | None


@dataclass(frozen=True, slots=True)
class PeakMonth:
    """One row of the Belgian 13-month peak demand history."""

    month: datetime | None
    at: datetime | None
    kw: Decimal | None


@dataclass(frozen=True, slots=True)
class PeakDemand:
    """Belgian capacity tariff data."""

    current_average_kw: Decimal | None = None
    month_max_kw: Decimal | None = None
    month_max_at: datetime | None = None
    history: tuple[PeakMonth, ...] | None = None


@dataclass(frozen=True, slots=True)
class MBusDevice:
    """A meter hung off the electricity meter's M-Bus (gas, water, heat, cooling)."""

    channel: int
    device_type: int | None = None
    medium: str | None = None
    """Lowercase EN 13757-3 medium word: gas, water, heat, cooling, electricity, ..."""
    equipment_id: str | None = None
    reading: Decimal | None = None
    unit: str | None = None
    timestamp: datetime | None = None
    valve: int | None = None

    @property
    def empty(self) -> bool:
        """Announced but not coupled: no ID, and no reading with a real time."""
        return self.equipment_id is None and (self.timestamp is None or not self.reading)


@dataclass(slots=True)
class Telegram:
    """One parsed telegram.

    Read-only by convention: the telegrams a :class:`~p1tui.dsmr.parser.Parser` reads from
    one stream share every value and container (the ``phases`` dict too) that did not
    change from one telegram to the next.
    """

    header: str
    lines: tuple[tuple[str, str], ...]
    """Every data line as ``(obis, body)``, in order, known or not (see :attr:`objects`)."""
    crc_status: CrcStatus = CrcStatus.UNCHECKED
    crc_received: int | None = None
    crc_computed: int | None = None
    variant: Variant = Variant.OTHER
    dsmr_version: str | None = None
    timestamp: datetime | None = None
    equipment_id: str | None = None
    tariff: int | None = None
    power_import_kw: Decimal | None = None
    power_export_kw: Decimal | None = None
    energy_import_kwh: Registers = field(default_factory=Registers)
    energy_export_kwh: Registers = field(default_factory=Registers)
    phases: dict[str, Phase] = field(default_factory=dict)
    power_failures: int | None = None
    long_power_failures: int | None = None
    power_failure_log: tuple[PowerFailure, ...] | None = None
    voltage_sags: dict[str, int] | None = None
    voltage_swells: dict[str, int] | None = None
    text_message: str | None = None
    peak_demand: PeakDemand | None = None
    mbus: tuple[MBusDevice, ...] = ()
    _objects: tuple[DataObject, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def crc_ok(self) -> bool | None:
        """True or False for a checked telegram, None when it carries no CRC."""
        return self.crc_status.verdict

    @property
    def objects(self) -> tuple[DataObject, ...]:
        """Every data line with its value groups split, made on first use.

        Most consumers only need the typed fields, so the split is not paid for on
        every telegram of a one-second stream.
        """
        if self._objects is None:
            self._objects = tuple(
                DataObject(obis, tuple(body.split(")("))) for obis, body in self.lines
            )
        return self._objects
