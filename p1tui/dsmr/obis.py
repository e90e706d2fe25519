"""The OBIS catalogue: what each data line means, for the raw log and the JSON output.

Covers the Dutch DSMR 2.2 to 5.0 sets, Belgian e-MUCS, Luxembourg Smarty and what the
Lithuanian, Hungarian and Austrian telegrams carry where it is unambiguous. M-Bus lines
are listed once with ``n`` for the channel (1-4). A code that is not here is still
parsed and kept; it is only marked unknown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ObisInfo:
    """The meaning of one OBIS reference."""

    name: str
    """A short snake_case key, stable for programs."""
    description: str
    unit: str | None = None


def _phase_rows(codes: tuple[str, str, str], name: str, text: str, unit: str) -> dict:
    return {
        f"1-0:{code}": ObisInfo(f"{name}_l{i}", f"{text} L{i}", unit)
        for i, code in enumerate(codes, start=1)
    }


_E = {
    "1-3:0.2.8": ObisInfo("dsmr_version", "P1 version (DSMR 4+)"),
    "0-0:96.1.4": ObisInfo("dsmr_version_be", "P1 version (Belgian e-MUCS)"),
    "0-0:1.0.0": ObisInfo("timestamp", "Telegram time stamp"),
    "0-0:96.1.1": ObisInfo("equipment_id", "Electricity meter equipment ID"),
    "0-0:96.1.0": ObisInfo("meter_serial", "Electricity meter serial number (HU)"),
    "0-0:42.0.0": ObisInfo("logical_device_name", "Logical device name (LU, HU, DSMR 2.2)"),
    "1-0:1.8.0": ObisInfo("energy_import_total", "Energy imported, total", "kWh"),
    "1-0:2.8.0": ObisInfo("energy_export_total", "Energy exported, total", "kWh"),
    "0-0:96.14.0": ObisInfo("tariff", "Tariff indicator"),
    "1-0:1.7.0": ObisInfo("power_import", "Power imported now (+P)", "kW"),
    "1-0:2.7.0": ObisInfo("power_export", "Power exported now (-P)", "kW"),
    "0-0:17.0.0": ObisInfo("threshold", "Power limiter threshold"),
    "0-0:96.3.10": ObisInfo("breaker_state", "Breaker / switch position"),
    "0-0:96.7.21": ObisInfo("power_failures", "Power failures in any phase"),
    "0-0:96.7.9": ObisInfo("long_power_failures", "Long power failures in any phase"),
    "1-0:99.97.0": ObisInfo("power_failure_log", "Long power failure event log"),
    "0-0:96.7.19": ObisInfo("power_failure_event", "Power failure event (log entry)"),
    "0-0:96.13.1": ObisInfo("message_code", "Message code"),
    "0-0:96.13.0": ObisInfo("text_message", "Text message"),
    "1-0:31.4.0": ObisInfo("fuse_threshold", "Fuse supervision threshold", "A"),
    "1-1:31.4.0": ObisInfo("fuse_threshold_lu", "Current limit import / export (LU)", "A"),
    "1-0:1.4.0": ObisInfo("demand_current_average", "Current quarter-hour average demand", "kW"),
    "1-0:1.6.0": ObisInfo("demand_month_max", "Maximum demand this month", "kW"),
    "0-0:98.1.0": ObisInfo("demand_history", "Monthly history (BE peaks; HU billing)"),
    "1-0:0.2.0": ObisInfo("firmware_core", "Firmware version, core"),
    "1-0:0.2.8": ObisInfo("firmware_core_checksum", "Firmware checksum, core"),
    "1-1:0.2.0": ObisInfo("firmware_module", "Firmware version, module"),
    "1-1:0.2.8": ObisInfo("firmware_module_checksum", "Firmware checksum, module"),
    "1-0:3.8.0": ObisInfo("reactive_energy_import", "Reactive energy imported (+R)", "kvarh"),
    "1-0:4.8.0": ObisInfo("reactive_energy_export", "Reactive energy exported (-R)", "kvarh"),
    "1-0:3.7.0": ObisInfo("reactive_power_import", "Reactive power imported (+Q)", "kvar"),
    "1-0:4.7.0": ObisInfo("reactive_power_export", "Reactive power exported (-Q)", "kvar"),
    "1-0:9.7.0": ObisInfo("apparent_power_import", "Apparent power imported (+S)", "kVA"),
    "1-0:10.7.0": ObisInfo("apparent_power_export", "Apparent power exported (-S)", "kVA"),
    "1-0:13.7.0": ObisInfo("power_factor", "Power factor"),
    "1-0:14.7.0": ObisInfo("frequency", "Supply frequency", "Hz"),
    "1-0:15.7.0": ObisInfo("power_absolute", "Absolute active power (|+P| + |-P|)", "kW"),
    "1-0:15.8.0": ObisInfo("energy_absolute", "Absolute active energy", "kWh"),
}
for _t in range(1, 5):
    _E[f"1-0:1.8.{_t}"] = ObisInfo(f"energy_import_t{_t}", f"Energy imported, tariff {_t}", "kWh")
    _E[f"1-0:2.8.{_t}"] = ObisInfo(f"energy_export_t{_t}", f"Energy exported, tariff {_t}", "kWh")
for _q in range(1, 5):
    _E[f"1-0:{_q + 4}.8.0"] = ObisInfo(f"reactive_energy_q{_q}", f"Reactive energy Q{_q}", "kvarh")
    _E[f"1-0:{_q + 4}.7.0"] = ObisInfo(f"reactive_power_q{_q}", f"Reactive power Q{_q}", "kvar")
for _i, _code in enumerate(("2", "3", "4", "5"), start=2):
    _E[f"0-0:96.13.{_code}"] = ObisInfo(f"text_message_{_i - 1}", f"Text message {_i - 1} (LU)")
_E.update(_phase_rows(("32.7.0", "52.7.0", "72.7.0"), "voltage", "Voltage", "V"))
_E.update(_phase_rows(("31.7.0", "51.7.0", "71.7.0"), "current", "Current", "A"))
_E.update(_phase_rows(("21.7.0", "41.7.0", "61.7.0"), "power_import", "Power imported", "kW"))
_E.update(_phase_rows(("22.7.0", "42.7.0", "62.7.0"), "power_export", "Power exported", "kW"))
_E.update(_phase_rows(("32.32.0", "52.32.0", "72.32.0"), "voltage_sags", "Voltage sags", ""))
_E.update(_phase_rows(("32.36.0", "52.36.0", "72.36.0"), "voltage_swells", "Voltage swells", ""))
_E.update(_phase_rows(("23.7.0", "43.7.0", "63.7.0"), "reactive_import", "Reactive +Q", "kvar"))
_E.update(_phase_rows(("24.7.0", "44.7.0", "64.7.0"), "reactive_export", "Reactive -Q", "kvar"))
_E.update(_phase_rows(("33.7.0", "53.7.0", "73.7.0"), "power_factor", "Power factor", ""))
# 1-0:31.4.0 is one threshold for all phases in BE; HU adds 51.4.0 and 71.4.0 per phase.
_E["1-0:51.4.0"] = ObisInfo("current_limit_l2", "Current limit L2 (HU)", "A")
_E["1-0:71.4.0"] = ObisInfo("current_limit_l3", "Current limit L3 (HU)", "A")

_MBUS = {
    "24.1.0": ObisInfo("mbus_device_type", "M-Bus device type"),
    "96.1.0": ObisInfo("mbus_equipment_id", "M-Bus equipment ID"),
    "96.1.1": ObisInfo("mbus_equipment_id_2", "M-Bus equipment ID (BE)"),
    "24.2.1": ObisInfo("mbus_reading", "M-Bus last reading (gas temperature-corrected)"),
    "24.2.3": ObisInfo("mbus_reading_raw", "M-Bus last reading, not temperature-corrected"),
    "24.3.0": ObisInfo("mbus_profile", "M-Bus hourly reading (DSMR 2.2/3.0, two lines)"),
    "24.3.1": ObisInfo("mbus_cold_reading", "M-Bus cold reading (DSMR 3.0)", "GJ"),
    "24.4.0": ObisInfo("mbus_valve", "M-Bus valve position"),
    "96.3.10": ObisInfo("relay_state", "Relay state (LU)"),
}

MBUS_CHANNELS = "1234"

KNOWN = frozenset(_E) | frozenset(f"0-{n}:{code}" for n in MBUS_CHANNELS for code in _MBUS)
"""Every reduced OBIS reference the catalogue knows, M-Bus ones for each channel."""


def lookup(obis: str) -> ObisInfo | None:
    """The catalogue entry for a reduced OBIS reference, or None when unknown."""
    info = _E.get(obis)
    if info is None and obis[:2] == "0-" and obis[2:3] in MBUS_CHANNELS and obis[3:4] == ":":
        info = _MBUS.get(obis[4:])
    return info


# EN 13757-3 medium codes as sent in 0-n:24.1.0, as one lowercase word each (for
# programs; the UI shows them with spaces).
MEDIA = {
    0: "other", 1: "oil", 2: "electricity", 3: "gas", 4: "heat", 5: "steam",
    6: "warm_water", 7: "water", 8: "heat_cost_allocator", 9: "compressed_air",
    10: "cooling", 11: "cooling", 12: "heat", 13: "heat_cooling", 14: "bus_component",
    15: "unknown", 20: "calorific_value", 21: "hot_water", 22: "cold_water", 23: "water",
    24: "pressure", 25: "ad_converter", 26: "smoke_detector", 27: "room_sensor",
    28: "gas_detector", 32: "breaker", 33: "valve", 40: "waste_water",
}  # fmt: skip

MEDIUM_UNITS = {
    "gas": "m3", "water": "m3", "warm_water": "m3", "hot_water": "m3", "cold_water": "m3",
    "waste_water": "m3", "heat": "GJ", "cooling": "GJ", "heat_cooling": "GJ",
    "electricity": "kWh",
}  # fmt: skip
