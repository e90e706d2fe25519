"""A telegram as MQTT messages: one plain number per reading, and Home Assistant discovery.

Pure functions of the telegram (no broker, no threads), so the topics and the discovery
configs are tested without a network. Only the readings a telegram carries become topics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .. import __version__
from ..dsmr import Frame, MBusDevice, Phase, Telegram, Variant
from ..dsmr.export import to_json
from .settings import topic_name


@dataclass(frozen=True, slots=True)
class Sensor:
    """What Home Assistant is told about one reading."""

    key: str
    """The last topic level and the end of the unique ID."""
    name: str
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    diagnostic: bool = False
    channel: int | None = None
    """The M-Bus channel whose meter sends it; None for the electricity meter."""


Reading = tuple[Sensor, "Decimal | int"]
"""A sensor and its value in one telegram (a plain tuple: dozens are made per telegram)."""


POWER_IMPORT = Sensor("power_import_kw", "Power import", "kW", "power", "measurement")
POWER_EXPORT = Sensor("power_export_kw", "Power export", "kW", "power", "measurement")
TARIFF = Sensor("tariff", "Active tariff")
POWER_FAILURES = Sensor("power_failures", "Power failures", None, None, "total_increasing", True)
LONG_POWER_FAILURES = Sensor(
    "long_power_failures", "Long power failures", None, None, "total_increasing", True
)
PEAK_QUARTER = Sensor(
    "peak_current_quarter_kw", "Current quarter-hour average demand", "kW", "power", "measurement"
)
PEAK_MONTH = Sensor("peak_month_max_kw", "Month's peak demand", "kW", "power", "measurement")

_TARIFF_MEANING = {
    Variant.NL2: ("low", "normal"),
    Variant.NL4: ("low", "normal"),
    Variant.NL5: ("low", "normal"),
    Variant.BE: ("day", "night"),
}
"""Dutch meters count the low (night, weekend) tariff in register 1; Belgian ones day."""

_PHASE_QUANTITIES = {
    "voltage_v": ("voltage", "V", "voltage"),
    "current_a": ("current", "A", "current"),
    "power_import_kw": ("power import", "kW", "power"),
    "power_export_kw": ("power export", "kW", "power"),
}

_MBUS_UNITS = {"m3": "m³", "m³": "m³"}
_ENERGY_UNITS = frozenset({"Wh", "kWh", "MWh", "MJ", "GJ"})


@lru_cache(maxsize=16)
def _energy(direction: str, variant: Variant) -> tuple[Sensor, Sensor, Sensor]:
    """Tariff 1, tariff 2 and total, named with the tariffs' meaning in the variant's country."""
    meaning = _TARIFF_MEANING.get(variant)
    sensors = []
    for number in (1, 2):
        suffix = f" ({meaning[number - 1]})" if meaning else ""
        sensors.append(
            Sensor(
                f"energy_{direction}_tariff{number}_kwh",
                f"Energy {direction} tariff {number}{suffix}",
                "kWh",
                "energy",
                "total_increasing",
            )
        )
    total = Sensor(
        f"energy_{direction}_total_kwh",
        f"Energy {direction} total",
        "kWh",
        "energy",
        "total_increasing",
    )
    return sensors[0], sensors[1], total


@lru_cache(maxsize=8)
def _phase(phase: str) -> tuple[Sensor, ...]:
    """The phase's sensors in the order of :class:`~p1tui.dsmr.Phase`'s fields."""
    sensors = []
    for quantity in Phase._fields:
        words, unit, device_class = _PHASE_QUANTITIES[quantity]
        name = f"{phase.upper()} {words}"
        sensors.append(Sensor(f"{phase}_{quantity}", name, unit, device_class, "measurement"))
    return tuple(sensors)


@lru_cache(maxsize=16)
def _phase_count(kind: str, phase: str) -> Sensor:
    words = kind.replace("_", " ").capitalize()
    return Sensor(
        f"{kind}_{phase}", f"{words} {phase.upper()}", None, None, "total_increasing", True
    )


@lru_cache(maxsize=32)
def _mbus(channel: int, medium: str | None, unit: str | None) -> Sensor:
    medium = medium or "unknown"
    unit = _MBUS_UNITS.get(unit or "", unit)
    device_class = None
    if unit == "m³" and medium in ("gas", "water"):
        device_class = medium
    elif unit in _ENERGY_UNITS:
        device_class = "energy"
    return Sensor(
        f"mbus{channel}_{topic_name(medium)}",
        medium.capitalize(),
        unit,
        device_class,
        "total_increasing",
        channel=channel,
    )


def _coupled(device: MBusDevice) -> bool:
    return not device.empty and device.reading is not None


def readings(telegram: Telegram) -> list[Reading]:
    """Every reading the telegram carries, in a fixed order."""
    t = telegram
    found: list[Reading] = []
    add = found.append
    if t.power_import_kw is not None:
        add((POWER_IMPORT, t.power_import_kw))
    if t.power_export_kw is not None:
        add((POWER_EXPORT, t.power_export_kw))
    for direction, registers in (("import", t.energy_import_kwh), ("export", t.energy_export_kwh)):
        tariff1, tariff2, total = _energy(direction, t.variant)
        if registers.tariff1 is not None:
            add((tariff1, registers.tariff1))
        if registers.tariff2 is not None:
            add((tariff2, registers.tariff2))
        if registers.total is not None:
            add((total, registers.total))
    if t.tariff is not None:
        add((TARIFF, t.tariff))
    for phase, values in t.phases.items():
        for sensor, value in zip(_phase(phase), values, strict=True):
            if value is not None:
                add((sensor, value))
    if t.power_failures is not None:
        add((POWER_FAILURES, t.power_failures))
    if t.long_power_failures is not None:
        add((LONG_POWER_FAILURES, t.long_power_failures))
    for kind, counts in (("voltage_sags", t.voltage_sags), ("voltage_swells", t.voltage_swells)):
        for phase, count in (counts or {}).items():
            if count is not None:
                add((_phase_count(kind, phase), count))
    peak = t.peak_demand
    if peak is not None and peak.current_average_kw is not None:
        add((PEAK_QUARTER, peak.current_average_kw))
    if peak is not None and peak.month_max_kw is not None:
        add((PEAK_MONTH, peak.month_max_kw))
    for device in t.mbus:
        if _coupled(device):
            add((_mbus(device.channel, device.medium, device.unit), device.reading))
    return found


def plain(value: Decimal | int) -> str:
    """A number as the meter sent it, without exponent: ``123.450``, ``2``."""
    text = str(value)  # twice as fast as format(value, "f"), which is only needed for 1E+3
    return format(value, "f") if "E" in text else text


@dataclass(frozen=True, slots=True)
class MeterTopics:
    """The topics of one meter: ``PREFIX/METER/...`` and its discovery configs."""

    prefix: str
    meter: str
    """The meter's topic level: its equipment ID as sent, or the configured name."""
    discovery_prefix: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.meter}"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def telegram(self) -> str:
        return f"{self.base}/telegram"

    @property
    def device_id(self) -> str:
        """The electricity meter's identifier in Home Assistant."""
        return f"p1tui_{self.meter}"

    def state(self, key: str) -> str:
        return f"{self.base}/{key}"

    def config(self, key: str) -> str:
        return f"{self.discovery_prefix}/sensor/{self.device_id}/{key}/config"


UNNAMED = "meter"
"""The METER level of a meter that sends no equipment ID, when no name is configured."""


def meter_level(telegram: Telegram, meter_name: str | None) -> str:
    """The METER topic level: the configured name, else the equipment ID, else ``meter``."""
    if meter_name:
        return meter_name
    return topic_name(telegram.equipment_id or "") or UNNAMED


def state_messages(telegram: Telegram, frame: Frame | None, topics: MeterTopics) -> dict[str, str]:
    """Topic -> payload: one plain number per reading, and the telegram as ``decode`` writes it."""
    base = topics.base + "/"
    messages = {base + sensor.key: plain(value) for sensor, value in readings(telegram)}
    messages[topics.telegram] = to_json(telegram, frame)
    return messages


MANUFACTURERS = {
    "ACE": "Itron",
    "ADN": "Aidon",
    "CTA": "ZIV",
    "EST": "Sagemcom",
    "ENE": "Sagemcom",
    "ESO": "ESO",
    "ESY": "EasyMeter",
    "FLU": "Fluvius",
    "ISK": "Iskraemeco",
    "KFM": "Kaifa",
    "KMP": "Kamstrup",
    "LUX": "Smarty (Creos)",
    "NWA": "NWA (Warmtelink)",
    "SAG": "Sagemcom",
    "XMX": "Landis+Gyr",
}
"""The header's three-letter FLAG code (case aside) -> who made the meter."""


def manufacturer(header: str) -> str | None:
    """The maker named by the header's FLAG code; the code itself when it is not known."""
    flag = header.lstrip("/")[:3]
    if len(flag) < 3:
        return None
    return MANUFACTURERS.get(flag.upper(), flag)


def model(header: str) -> str | None:
    """The header after FLAG and the baud digit, less the ``\\2`` mode-E escape."""
    ident = header.lstrip("/")[4:]
    ident = ident[2:] if ident.startswith("\\2") else ident
    return ident.strip() or None


def _version(telegram: Telegram) -> str | None:
    version = telegram.dsmr_version
    if version is None:
        return None
    if telegram.variant is Variant.BE:
        return f"e-MUCS {version}"
    if len(version) == 2 and version.isdigit():
        return f"DSMR {version[0]}.{version[1]}"
    return f"DSMR {version}"


def meter_device(telegram: Telegram, topics: MeterTopics, name: str | None) -> dict[str, object]:
    device: dict[str, object] = {
        "identifiers": [topics.device_id],
        "name": name or "Smart meter",
    }
    made_by = manufacturer(telegram.header)
    if made_by:
        device["manufacturer"] = made_by
    made_as = model(telegram.header)
    if made_as:
        device["model"] = made_as
    version = _version(telegram)
    if version:
        device["sw_version"] = version
    if telegram.equipment_id and telegram.equipment_id.strip():
        device["serial_number"] = telegram.equipment_id.strip()
    return device


def _mbus_device(device: MBusDevice, topics: MeterTopics) -> dict[str, object]:
    medium = device.medium or "unknown"
    serial = (device.equipment_id or "").strip()
    identifier = (
        f"p1tui_{topic_name(serial)}" if serial else f"{topics.device_id}_mbus{device.channel}"
    )
    block: dict[str, object] = {
        "identifiers": [identifier],
        "name": f"{medium.capitalize()} meter",
        "model": f"M-Bus {medium} meter (channel {device.channel})",
        "via_device": topics.device_id,
    }
    if serial:
        block["serial_number"] = serial
    return block


ORIGIN = {"name": "p1tui", "sw_version": __version__}
"""Who wrote a discovery config (Home Assistant shows it)."""


def discovery_messages(
    telegram: Telegram, topics: MeterTopics, meter_name: str | None = None
) -> dict[str, str]:
    """Topic -> retained Home Assistant discovery config, one sensor per reading.

    M-Bus meters (gas, water, heat) are devices of their own, linked to the electricity
    meter through ``via_device``.
    """
    meter = meter_device(telegram, topics, meter_name)
    mbus = {d.channel: _mbus_device(d, topics) for d in telegram.mbus if _coupled(d)}
    messages = {}
    for sensor, _ in readings(telegram):
        config: dict[str, object] = {
            "name": sensor.name,
            "unique_id": f"{topics.device_id}_{sensor.key}",
            "state_topic": topics.state(sensor.key),
            "availability_topic": topics.availability,
            "device": meter if sensor.channel is None else mbus[sensor.channel],
            "origin": ORIGIN,
        }
        if sensor.unit:
            config["unit_of_measurement"] = sensor.unit
        if sensor.device_class:
            config["device_class"] = sensor.device_class
        if sensor.state_class:
            config["state_class"] = sensor.state_class
        if sensor.diagnostic:
            config["entity_category"] = "diagnostic"
        messages[topics.config(sensor.key)] = json.dumps(config, ensure_ascii=False)
    return messages
