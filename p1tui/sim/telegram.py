"""Write the meter's state as a telegram, in the line set and formats of real meters.

One function per variant, each the line set of a real meter of that family (copied from
the captures in tests/telegrams/): an Iskra AM550 for DSMR 5, a Kaifa MA304 for 4.2, an
Iskra MT382 for 2.2, a Fluvius/Sagemcom T211 for Belgium and a Smarty (Sagemcom T210-D)
for Luxembourg. The lines they have in
common are built by the shared helpers below. Numbers are formatted from integers
(watts, watt-seconds, litres, decivolts), so no float rounding reaches the telegram.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dsmr.crc import crc16_arc
from .legal_time import Moment
from .mbus import MBusMeter
from .meter import EXPORT, IMPORT, ElectricityMeter
from .peak import PeakDemand


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a telegram shows, at one moment."""

    now: Moment
    header: str
    equipment_id: str
    meter: ElectricityMeter
    mbus: tuple[MBusMeter, ...]
    peak: PeakDemand | None = None


def finish(lines: list[str], with_crc: bool) -> bytes:
    """Join the lines with CRLF and close with ``!`` and the CRC (or a bare ``!``)."""
    data = ("\r\n".join(lines) + "\r\n!").encode("ascii")
    if with_crc:
        return data + b"%04X\r\n" % crc16_arc(data)
    return data + b"\r\n"


# --- value formats --------------------------------------------------------------------


def kwh(ws: int, digits: int = 6) -> str:
    """F9(3,3) kWh from watt-seconds, truncated to whole Wh (a register never rounds up)."""
    wh = ws // 3600
    return f"{wh // 1000:0{digits}d}.{wh % 1000:03d}*kWh"


def kw(w: int) -> str:
    """F5(3,3) kW from watts."""
    return f"{w // 1000:02d}.{w % 1000:03d}*kW"


def kw_dsmr2(w: int) -> str:
    """DSMR 2.2's kW with two decimals (10 W steps), as an Iskra MT382 sends it."""
    return f"{w // 1000:04d}.{w % 1000 // 10:02d}*kW"


def m3(litres: int, unit: bool = True) -> str:
    """F8(3,3) m3 from litres; DSMR 2.2 puts the unit in the profile line instead."""
    return f"{litres // 1000:05d}.{litres % 1000:03d}" + ("*m3" if unit else "")


def volts(dv: int) -> str:
    return f"{dv // 10:03d}.{dv % 10}*V"


def amps(a: float, decimals: bool) -> str:
    """Whole amperes (DSMR 4/5, F3(0,0)) or with two decimals (Fluvius)."""
    if decimals:
        ca = round(a * 100)
        return f"{ca // 100:03d}.{ca % 100:02d}*A"
    return f"{round(a):03d}*A"


def hex_id(text: str) -> str:
    return text.encode("ascii").hex().upper()


# --- lines shared by several variants ---------------------------------------------------


def registers(meter: ElectricityMeter, digits: int = 6) -> list[str]:
    r = meter.registers_ws
    return [
        f"1-0:1.8.1({kwh(r[IMPORT][0], digits)})",
        f"1-0:1.8.2({kwh(r[IMPORT][1], digits)})",
        f"1-0:2.8.1({kwh(r[EXPORT][0], digits)})",
        f"1-0:2.8.2({kwh(r[EXPORT][1], digits)})",
    ]


def tariff(meter: ElectricityMeter) -> str:
    return f"0-0:96.14.0({meter.tariff:04d})"


def power_totals(meter: ElectricityMeter) -> list[str]:
    return [f"1-0:1.7.0({kw(meter.import_w)})", f"1-0:2.7.0({kw(meter.export_w)})"]


def failures(meter: ElectricityMeter) -> list[str]:
    log = "".join(f"({e.end.tst})({e.duration_s:010d}*s)" for e in meter.failure_log)
    return [
        f"0-0:96.7.21({meter.short_failures:05d})",
        f"0-0:96.7.9({meter.long_failures:05d})",
        f"1-0:99.97.0({len(meter.failure_log)})(0-0:96.7.19){log}",
    ]


def sags_swells(meter: ElectricityMeter) -> list[str]:
    sag, swell = meter.sags, meter.swells
    return [
        f"1-0:32.32.0({sag[0]:05d})",
        f"1-0:52.32.0({sag[1]:05d})",
        f"1-0:72.32.0({sag[2]:05d})",
        f"1-0:32.36.0({swell[0]:05d})",
        f"1-0:52.36.0({swell[1]:05d})",
        f"1-0:72.36.0({swell[2]:05d})",
    ]


def voltages(meter: ElectricityMeter) -> list[str]:
    p = meter.phases
    return [
        f"1-0:32.7.0({volts(p[0].voltage_dv)})",
        f"1-0:52.7.0({volts(p[1].voltage_dv)})",
        f"1-0:72.7.0({volts(p[2].voltage_dv)})",
    ]


def currents(meter: ElectricityMeter, decimals: bool = False) -> list[str]:
    p = meter.phases
    return [
        f"1-0:31.7.0({amps(p[0].current_a, decimals)})",
        f"1-0:51.7.0({amps(p[1].current_a, decimals)})",
        f"1-0:71.7.0({amps(p[2].current_a, decimals)})",
    ]


def phase_powers(meter: ElectricityMeter) -> list[str]:
    """Imports of L1-L3, then exports (Iskra, Fluvius order)."""
    p = meter.phases
    return [
        f"1-0:21.7.0({kw(p[0].import_w)})",
        f"1-0:41.7.0({kw(p[1].import_w)})",
        f"1-0:61.7.0({kw(p[2].import_w)})",
        f"1-0:22.7.0({kw(p[0].export_w)})",
        f"1-0:42.7.0({kw(p[1].export_w)})",
        f"1-0:62.7.0({kw(p[2].export_w)})",
    ]


def phase_powers_paired(meter: ElectricityMeter) -> list[str]:
    """Import and export per phase, L1 first (Kaifa order)."""
    p = meter.phases
    return [
        f"1-0:21.7.0({kw(p[0].import_w)})",
        f"1-0:22.7.0({kw(p[0].export_w)})",
        f"1-0:41.7.0({kw(p[1].import_w)})",
        f"1-0:42.7.0({kw(p[1].export_w)})",
        f"1-0:61.7.0({kw(p[2].import_w)})",
        f"1-0:62.7.0({kw(p[2].export_w)})",
    ]


def mbus_lines(device: MBusMeter, id_code: str, reading_code: str, valve: bool) -> list[str]:
    """A channel as DSMR 4/5 and Fluvius send it: type, ID, [valve,] reading."""
    n = device.identity.channel
    lines = [
        f"0-{n}:24.1.0({device.identity.device_type:03d})",
        f"0-{n}:{id_code}({device.identity.equipment_id})",
    ]
    if valve:
        lines.append(f"0-{n}:24.4.0(1)")
    lines.append(f"0-{n}:{reading_code}({device.captured_at.tst})({m3(device.captured)})")
    return lines


# --- the variants ----------------------------------------------------------------------


def write_nl5(s: Snapshot) -> bytes:
    """DSMR 5.0, as an Iskra AM550 sends it."""
    meter = s.meter
    lines = [
        s.header,
        "",
        "1-3:0.2.8(50)",
        f"0-0:1.0.0({s.now.tst})",
        f"0-0:96.1.1({s.equipment_id})",
        *registers(meter),
        tariff(meter),
        *power_totals(meter),
        *failures(meter),
        *sags_swells(meter),
        "0-0:96.13.0()",
        *voltages(meter),
        *currents(meter),
        *phase_powers(meter),
    ]
    for device in s.mbus:
        lines += mbus_lines(device, "96.1.0", "24.2.1", valve=False)
    return finish(lines, with_crc=True)


def write_nl4(s: Snapshot) -> bytes:
    """DSMR 4.2, as a Kaifa MA304 sends it (no voltage lines; hourly M-Bus readings)."""
    meter = s.meter
    lines = [
        s.header,
        "",
        "1-3:0.2.8(42)",
        f"0-0:1.0.0({s.now.tst})",
        f"0-0:96.1.1({s.equipment_id})",
        *registers(meter),
        tariff(meter),
        *power_totals(meter),
        *failures(meter),
        *sags_swells(meter),
        "0-0:96.13.1()",
        "0-0:96.13.0()",
        *currents(meter),
        *phase_powers_paired(meter),
    ]
    for device in s.mbus:
        lines += mbus_lines(device, "96.1.0", "24.2.1", valve=False)
    return finish(lines, with_crc=True)


def write_nl2(s: Snapshot) -> bytes:
    """DSMR 2.2, as an Iskra MT382 sends it: no CRC, no clock, two-line gas reading."""
    meter = s.meter
    lines = [
        s.header,
        "",
        f"0-0:96.1.1({s.equipment_id})",
        *registers(meter, digits=5),
        tariff(meter),
        f"1-0:1.7.0({kw_dsmr2(meter.import_w)})",
        f"1-0:2.7.0({kw_dsmr2(meter.export_w)})",
        "0-0:17.0.0(0999.00*kW)",
        "0-0:96.3.10(1)",
        "0-0:96.13.1()",
        "0-0:96.13.0()",
    ]
    for device in s.mbus:
        n = device.identity.channel
        lines += [
            f"0-{n}:24.1.0({device.identity.device_type})",
            f"0-{n}:96.1.0({device.identity.equipment_id})",
            f"0-{n}:24.3.0({device.captured_at.tst12})(00)(60)(1)(0-{n}:24.2.1)(m3)",
            f"({m3(device.captured, unit=False)})",
            f"0-{n}:24.4.0(1)",
        ]
    return finish(lines, with_crc=False)


def write_be(s: Snapshot) -> bytes:
    """Belgian e-MUCS, as a Fluvius (Sagemcom T211) sends it: peaks, gas via 24.2.3."""
    meter = s.meter
    peak = s.peak
    assert peak is not None
    history = "".join(
        f"({row.month_end.tst})({row.at.tst})({kw(row.watts)})" for row in peak.history
    )
    lines = [
        s.header,
        "",
        "0-0:96.1.4(50217)",
        f"0-0:96.1.1({s.equipment_id})",
        f"0-0:1.0.0({s.now.tst})",
        *registers(meter),
        tariff(meter),
        f"1-0:1.4.0({kw(peak.average_w)})",
        f"1-0:1.6.0({peak.month_max_at.tst})({kw(peak.month_max_w)})",
        f"0-0:98.1.0({len(peak.history)})(1-0:1.6.0)(1-0:1.6.0){history}",
        *power_totals(meter),
        *phase_powers(meter),
        *voltages(meter),
        *currents(meter, decimals=True),
        "0-0:96.3.10(1)",
        "0-0:17.0.0(999.9*kW)",
        "1-0:31.4.0(999*A)",
        "0-0:96.13.0()",
    ]
    for device in s.mbus:
        gas = device.identity.device_type == 3
        lines += mbus_lines(device, "96.1.1", "24.2.3" if gas else "24.2.1", valve=gas)
    return finish(lines, with_crc=True)


REACTIVE_RATIO = (17, 100)
"""Reactive over active energy and power on the Smarty (a power factor of about 0.99)."""


def _reactive(value: int) -> int:
    return value * REACTIVE_RATIO[0] // REACTIVE_RATIO[1]


def kvarh(ws: int) -> str:
    return kwh(_reactive(ws)).replace("kWh", "kvarh")


def kvar(w: int) -> str:
    return kw(_reactive(w)).replace("kW", "kvar")


def kva(w: int) -> str:
    """Apparent power from the active power and its reactive share."""
    return kw(round((w * w + _reactive(w) ** 2) ** 0.5)).replace("kW", "kVA")


def write_lu(s: Snapshot) -> bytes:
    """Luxembourg Smarty (Sagemcom T210-D), DSMR 5.0.2-based: totals, reactive energy, relays.

    No tariff registers (1.8.0/2.8.0 only), the logical device name 42.0.0 instead of
    96.1.1, the main breaker and the two relays, text message lines 96.13.2-5, and the
    gas valve after the reading. The version line says 42, as the real meter's does.
    """
    meter = s.meter
    r = meter.registers_ws
    imported, exported = sum(r[IMPORT]), sum(r[EXPORT])
    p = meter.phases
    lines = [
        s.header,
        "",
        "1-3:0.2.8(42)",
        f"0-0:1.0.0({s.now.tst})",
        f"0-0:42.0.0({s.equipment_id})",
        f"1-0:1.8.0({kwh(imported)})",
        f"1-0:2.8.0({kwh(exported)})",
        f"1-0:3.8.0({kvarh(imported)})",
        f"1-0:4.8.0({kvarh(exported)})",
        *power_totals(meter),
        f"1-0:3.7.0({kvar(meter.import_w)})",
        f"1-0:4.7.0({kvar(meter.export_w)})",
        "0-0:17.0.0(027.6*kVA)",
        f"1-0:9.7.0({kva(meter.import_w)})",
        f"1-0:10.7.0({kva(meter.export_w)})",
        "1-1:31.4.0(040*A)(-040*A)",
        "0-0:96.3.10(1)",
        "0-1:96.3.10(0)",
        "0-2:96.3.10(0)",
        f"0-0:96.7.21({meter.short_failures:05d})",
        *sags_swells(meter),
        "0-0:96.13.0()",
        "0-0:96.13.2()",
        "0-0:96.13.3()",
        "0-0:96.13.4()",
        "0-0:96.13.5()",
        *voltages(meter),
        *currents(meter),
        *phase_powers(meter),
        *(f"1-0:{c}.7.0({kvar(p[i].import_w)})" for i, c in enumerate((23, 43, 63))),
        *(f"1-0:{c}.7.0({kvar(p[i].export_w)})" for i, c in enumerate((24, 44, 64))),
    ]
    for device in s.mbus:
        n = device.identity.channel
        lines += [*mbus_lines(device, "96.1.0", "24.2.1", valve=False), f"0-{n}:24.4.0(1)"]
    return finish(lines, with_crc=True)
