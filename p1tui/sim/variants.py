"""The four meters the simulator can be: what differs between NL 5, NL 4.2, NL 2.2 and BE.

Tariff hours:
* NL: tariff 1 (low) from 23:00 to 07:00 on weekdays and all weekend, tariff 2 (normal)
  otherwise. Some grid areas start the low tariff at 21:00; 23:00 is the common rule.
  Public holidays (low in most areas) are not modelled.
* BE: tariff 1 is day, 2 is night (the Dutch meaning reversed); night from 22:00 to 07:00
  on weekdays and all weekend, the most common Fluvius programme.
* LU: the Smarty sends totals only: one register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .legal_time import Moment
from .sky import BE_SITE, LU_SITE, NL_SITE, Site
from .telegram import Snapshot, write_be, write_lu, write_nl2, write_nl4, write_nl5


def nl_tariff(m: Moment) -> int:
    """1 = low (nights and weekends), 2 = normal."""
    hour = m.second // 3600
    return 1 if m.day.weekend or hour < 7 or hour >= 23 else 2


def be_tariff(m: Moment) -> int:
    """1 = day, 2 = night (nights and weekends)."""
    hour = m.second // 3600
    return 2 if m.day.weekend or hour < 7 or hour >= 22 else 1


def single_register(m: Moment) -> int:
    """A meter without tariffs: everything in one register."""
    return 1


@dataclass(frozen=True, slots=True)
class VariantProfile:
    """One kind of meter."""

    name: str
    header: str
    period_s: int
    write: Callable[[Snapshot], bytes]
    tariff_of: Callable[[Moment], int]
    site: Site
    power_step_w: int
    """Resolution of the power values: 1 W (3 decimals of kW), 10 W on DSMR 2.2."""
    mbus_capture_s: int
    """How often the M-Bus readings are refreshed."""
    id_prefixes: tuple[str, str, str]
    """Start of the E-meter, gas and water equipment IDs (before hex encoding)."""
    id_length: int = 17
    water: bool = True
    """Whether the variant can carry a water meter."""
    serial: tuple[int, int, str, float] = (115200, 8, "N", 1)
    """Line settings: baudrate, bytesize, parity, stopbits."""


VARIANTS: dict[str, VariantProfile] = {
    "nl5": VariantProfile(
        name="nl5",
        header="/ISK5\\2M550T-1012",
        period_s=1,
        write=write_nl5,
        tariff_of=nl_tariff,
        site=NL_SITE,
        power_step_w=1,
        mbus_capture_s=300,
        id_prefixes=("E00440071", "G00390019", "W00290031"),
    ),
    "nl4": VariantProfile(
        name="nl4",
        header="/KFM5KAIFA-METER",
        period_s=10,
        write=write_nl4,
        tariff_of=nl_tariff,
        site=NL_SITE,
        power_step_w=1,
        mbus_capture_s=3600,
        id_prefixes=("E00260000", "G00160000", "W00260000"),
    ),
    "nl2": VariantProfile(
        name="nl2",
        header="/ISk5\\2MT382-1000",
        period_s=10,
        write=write_nl2,
        tariff_of=nl_tariff,
        site=NL_SITE,
        power_step_w=10,
        mbus_capture_s=3600,
        id_prefixes=("ZBEV00510", "28011008", ""),
        water=False,
        serial=(9600, 7, "E", 1),
    ),
    "be": VariantProfile(
        name="be",
        header="/FLU5\\253769484_A",
        period_s=1,
        write=write_be,
        tariff_of=be_tariff,
        site=BE_SITE,
        power_step_w=1,
        mbus_capture_s=300,
        id_prefixes=("1SAG310", "7FLO212", "8SET000"),
        id_length=14,
    ),
    "lu": VariantProfile(
        name="lu",
        header="/Lux5\\253663629_D",
        period_s=10,
        write=write_lu,
        tariff_of=single_register,
        site=LU_SITE,
        power_step_w=1,
        mbus_capture_s=300,
        id_prefixes=("SAG10307", "FLO18237", ""),
        id_length=16,
        water=False,
    ),
}
