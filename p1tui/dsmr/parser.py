"""Turn one frame into a :class:`~p1tui.dsmr.model.Telegram`.

Two layers. The generic layer splits the text into data lines (OBIS reference plus its
value groups) and keeps every one, known or not, coping with what real meters send:
DSMR 2.2/3.0 readings on a continuation line, values wrapped over lines, ``.255`` and
``*255`` suffixes, ``((ER11))`` double brackets, spaces before ``(``. The interpreting
layer then reads the catalogue's objects into typed fields in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from . import values as v
from .errors import ParseError
from .framer import CrcStatus, Frame, Framer
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
from .obis import MBUS_CHANNELS, MEDIA, MEDIUM_UNITS


def parse(frame: Frame) -> Telegram:
    """Parse a frame from the :class:`~p1tui.dsmr.framer.Framer` (valid or not)."""
    header, objects = split_objects(frame.raw)
    return interpret(header, objects, frame.crc_status, frame.crc_received, frame.crc_computed)


def parse_bytes(data: bytes, *, allow_invalid: bool = False) -> Telegram:
    """Frame and parse the first telegram in ``data``; ParseError if there is none.

    A telegram whose CRC fails raises ParseError unless ``allow_invalid`` is set.
    """
    framer = Framer()
    frames = framer.feed(data) + framer.close()
    if not frames:
        raise ParseError("no telegram found (nothing from '/' to a '!' end line)")
    frame = frames[0]
    if not frame.valid and not allow_invalid:
        raise ParseError(frame.problem or "telegram rejected")
    return parse(frame)


# --- generic layer -----------------------------------------------------------------


# One well-formed data line: OBIS, optional .255/*255, groups, nothing after the last ')'.
_SIMPLE_LINE = re.compile(r"^([0-9]+-[0-9]+:[0-9]+\.[0-9]+\.[0-9]+)(?:[.*]255)?\((.*)\)\r?$", re.M)


def split_objects(raw: bytes) -> tuple[str, tuple[DataObject, ...]]:
    """Split a telegram into its header line and its data lines, as sent."""
    text = raw.decode("latin-1")
    if not text.startswith("/"):
        raise ParseError("a telegram starts with '/'")
    # Fast path: when every line between the header's blank line and '!' is a simple
    # one-line object, one regex pass in C does the splitting.
    simple = _SIMPLE_LINE.findall(text)
    if len(simple) == text.count("\n") - 2 and "((" not in text and ") (" not in text:
        header = text[: text.index("\n")].rstrip("\r")
        new = tuple.__new__
        return header, tuple([new(DataObject, (o, tuple(b.split(")(")))) for o, b in simple])
    return _split_lines(text)


def _split_lines(text: str) -> tuple[str, tuple[DataObject, ...]]:
    """The general line-by-line splitter for everything the fast path does not cover."""
    lines = text.replace("\r", "").split("\n")
    header = lines[0]
    objects: list[DataObject] = []
    pending = ""
    for next_line in lines[1:]:
        line = pending + next_line if pending else next_line
        pending = ""
        if not line:
            continue
        first = line[0]
        if first == "!":
            break
        if not line.endswith(")") and line.count("(") > line.count(")"):
            pending = line  # a value wrapped over lines (DSMR 3.0 text message)
            continue
        if first == "(" and objects:
            last = objects[-1]  # continuation: DSMR 2.2/3.0 reading on the next line
            objects[-1] = DataObject(last.obis, last.values + _groups(line))
            continue
        paren = line.find("(")
        if paren < 0:
            objects.append(DataObject(line.strip(), ()))
            continue
        obis = line[:paren].rstrip()
        if obis.endswith((".255", "*255")):
            obis = obis[:-4]
        objects.append(DataObject(obis, _groups(line[paren:])))
    if pending:
        objects.append(DataObject(pending.partition("(")[0].strip(), _groups(pending)))
    return header, tuple(objects)


def _groups(body: str) -> tuple[str, ...]:
    """``"(a)(b)"`` -> ``("a", "b")``, allowing nested ``((x))`` and junk between groups."""
    if body[-1:] == ")" and "((" not in body and ") " not in body:
        return tuple(body[1:-1].split(")("))
    groups: list[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(body):
        if char == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append(body[start:i])
    if depth:
        groups.append(body[start:])
    return tuple(groups)


# --- interpreting layer ------------------------------------------------------------
#
# One dispatch table maps every OBIS reference the typed fields use (M-Bus ones for each
# channel) to a handler, so reading a telegram costs one dict lookup and one call per
# line. Handlers store into a scratch _Collector; _build turns it into a Telegram.

Handler = Callable[["_Collector", tuple[str, ...]], None]

_PHASES = ("l1", "l2", "l3")
_MARKERS = frozenset(("1-3:0.2.8", "0-0:96.1.4", "0-0:42.0.0", "0-0:96.1.1", "0-0:1.0.0"))
"""Codes whose presence tells the variant apart."""


class _Collector:
    """Mutable scratch state for one telegram while its objects are read."""

    __slots__ = ("fields", "kilo", "mbus", "peak", "phases", "present", "sags", "swells")

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.kilo: dict[tuple[int, int], Decimal | None] = {}
        self.phases: dict[int, dict[str, Decimal | None]] = {}
        self.sags: dict[str, int | None] = {}
        self.swells: dict[str, int | None] = {}
        self.peak: dict[str, Any] = {}
        self.mbus: dict[int, dict[str, Any]] = {}
        self.present: set[str] = set()


def _first(values: tuple[str, ...]) -> str:
    return values[0] if values else ""


def _marker(obis: str, then: Handler | None = None) -> Handler:
    def handle(c: _Collector, vals: tuple[str, ...]) -> None:
        c.present.add(obis)
        if then is not None:
            then(c, vals)

    return handle


def _version(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["dsmr_version"] = _first(vals) or None


def _timestamp(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["timestamp"] = v.timestamp(_first(vals))


def _equipment(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["equipment_id"] = v.equipment_id(_first(vals))


def _logical_name(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["logical_name"] = v.equipment_id(_first(vals))


def _tariff(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["tariff"] = v.integer(_first(vals))


def _kilo_field(name: str, c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields[name] = v.kilo(_first(vals))


def _integer_field(name: str, c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields[name] = v.integer(_first(vals))


def _register(key: tuple[int, int], c: _Collector, vals: tuple[str, ...]) -> None:
    c.kilo[key] = v.kilo(_first(vals))


def _phase_value(index: int, name: str, c: _Collector, vals: tuple[str, ...]) -> None:
    phase = c.phases.get(index)
    if phase is None:
        phase = c.phases[index] = {}
    phase[name] = v.kilo(_first(vals))


def _sag(phase: str, c: _Collector, vals: tuple[str, ...]) -> None:
    c.sags[phase] = v.integer(_first(vals))


def _swell(phase: str, c: _Collector, vals: tuple[str, ...]) -> None:
    c.swells[phase] = v.integer(_first(vals))


def _failure_log(c: _Collector, vals: tuple[str, ...]) -> None:
    pairs = vals[2:]
    c.fields["power_failure_log"] = tuple(
        PowerFailure(v.timestamp(pairs[i]), v.integer(pairs[i + 1]))
        for i in range(0, len(pairs) - 1, 2)
    )


def _text_message(c: _Collector, vals: tuple[str, ...]) -> None:
    c.fields["text_message"] = v.hex_text("".join(vals)) or None


def _average_demand(c: _Collector, vals: tuple[str, ...]) -> None:
    c.peak["current_average_kw"] = v.kilo(_first(vals))


def _month_max(c: _Collector, vals: tuple[str, ...]) -> None:
    if len(vals) >= 2:
        c.peak["month_max_at"] = v.timestamp(vals[0])
        c.peak["month_max_kw"] = v.kilo(vals[1])
    else:
        c.peak["month_max_kw"] = v.kilo(_first(vals))


def _peak_history(c: _Collector, vals: tuple[str, ...]) -> None:
    # Belgian form only: (count)(1-0:1.6.0)(1-0:1.6.0) then rows of (month)(at)(kW).
    # Hungary sends a billing snapshot under the same code; it stays in the objects.
    if len(vals) < 3 or not vals[0].isdigit() or vals[1] != "1-0:1.6.0":
        return
    rows = vals[3:]
    c.peak["history"] = tuple(
        PeakMonth(v.timestamp(rows[i]), v.timestamp(rows[i + 1]), v.kilo(rows[i + 2]))
        for i in range(0, len(rows) - 2, 3)
    )


def _mbus_type(m: dict[str, Any], vals: tuple[str, ...]) -> None:
    m["device_type"] = v.integer(_first(vals))


def _mbus_id(m: dict[str, Any], vals: tuple[str, ...]) -> None:
    m["equipment_id"] = v.equipment_id(_first(vals))


def _mbus_reading(m: dict[str, Any], vals: tuple[str, ...]) -> None:
    stamp, reading = (vals[0], vals[1]) if len(vals) >= 2 else ("", _first(vals))
    m["timestamp"] = v.timestamp(stamp) if stamp else None
    m["reading"], m["unit"] = v.split_number(reading)


def _mbus_profile(m: dict[str, Any], vals: tuple[str, ...]) -> None:
    # (TST12)(status)(period)(count)(captured OBIS)(unit) + (reading) on the next line
    m["timestamp"] = v.timestamp(_first(vals))
    if len(vals) >= 7:
        reading, unit = v.split_number(vals[6])
        m["reading"] = reading
        m["unit"] = unit or (v.canonical_unit(vals[5]) if vals[5] else None)


def _mbus_valve(m: dict[str, Any], vals: tuple[str, ...]) -> None:
    m["valve"] = v.integer(_first(vals))


def _on_channel(
    channel: int, handler: Callable[[dict[str, Any], tuple[str, ...]], None]
) -> Handler:
    def handle(c: _Collector, vals: tuple[str, ...]) -> None:
        device = c.mbus.get(channel)
        if device is None:
            device = c.mbus[channel] = {}
        handler(device, vals)

    return handle


def _dispatch_table() -> dict[str, Handler]:
    table: dict[str, Handler] = {
        "1-3:0.2.8": _marker("1-3:0.2.8", _version),
        "0-0:96.1.4": _marker("0-0:96.1.4", _version),
        "0-0:1.0.0": _marker("0-0:1.0.0", _timestamp),
        "0-0:96.1.1": _marker("0-0:96.1.1", _equipment),
        "0-0:42.0.0": _marker("0-0:42.0.0", _logical_name),
        "0-0:96.14.0": _tariff,
        "1-0:1.7.0": partial(_kilo_field, "power_import_kw"),
        "1-0:2.7.0": partial(_kilo_field, "power_export_kw"),
        "0-0:96.7.21": partial(_integer_field, "power_failures"),
        "0-0:96.7.9": partial(_integer_field, "long_power_failures"),
        "1-0:99.97.0": _failure_log,
        "0-0:96.13.0": _text_message,
        "1-0:1.4.0": _average_demand,
        "1-0:1.6.0": _month_max,
        "0-0:98.1.0": _peak_history,
    }
    for direction in (1, 2):
        for tariff in range(10):
            table[f"1-0:{direction}.8.{tariff}"] = partial(_register, (direction, tariff))
    for index, (volt, amp, imp, exp, sag, swell) in enumerate(
        (
            ("32.7.0", "31.7.0", "21.7.0", "22.7.0", "32.32.0", "32.36.0"),
            ("52.7.0", "51.7.0", "41.7.0", "42.7.0", "52.32.0", "52.36.0"),
            ("72.7.0", "71.7.0", "61.7.0", "62.7.0", "72.32.0", "72.36.0"),
        )
    ):
        table[f"1-0:{volt}"] = partial(_phase_value, index, "voltage_v")
        table[f"1-0:{amp}"] = partial(_phase_value, index, "current_a")
        table[f"1-0:{imp}"] = partial(_phase_value, index, "power_import_kw")
        table[f"1-0:{exp}"] = partial(_phase_value, index, "power_export_kw")
        table[f"1-0:{sag}"] = partial(_sag, _PHASES[index])
        table[f"1-0:{swell}"] = partial(_swell, _PHASES[index])
    mbus_handlers = {
        "24.1.0": _mbus_type,
        "96.1.0": _mbus_id,
        "96.1.1": _mbus_id,
        "24.2.1": _mbus_reading,
        "24.2.3": _mbus_reading,
        "24.3.0": _mbus_profile,
        "24.4.0": _mbus_valve,
    }
    for channel in MBUS_CHANNELS:
        for code, handler in mbus_handlers.items():
            table[f"0-{channel}:{code}"] = _on_channel(int(channel), handler)
    return table


_DISPATCH = _dispatch_table()


def interpret(
    header: str,
    objects: tuple[DataObject, ...],
    crc_status: CrcStatus = CrcStatus.UNCHECKED,
    crc_received: int | None = None,
    crc_computed: int | None = None,
) -> Telegram:
    """Read the catalogue's objects into the typed fields of a telegram."""
    c = _Collector()
    dispatch = _DISPATCH.get
    for obis, vals in objects:
        handler = dispatch(obis)
        if handler is not None:
            handler(c, vals)
    return _build(header, objects, c, (crc_status, crc_received, crc_computed))


def _registers(kilo: dict[tuple[int, int], Decimal | None], direction: int) -> Registers:
    tariffs = [value for (d, t), value in kilo.items() if d == direction and t]
    total = kilo.get((direction, 0))
    if total is None and tariffs and None not in tariffs:
        total = sum(tariffs, Decimal(0))
    return Registers(kilo.get((direction, 1)), kilo.get((direction, 2)), total)


def _mbus_device(channel: int, m: dict[str, Any]) -> MBusDevice:
    device_type = m.get("device_type")
    medium = MEDIA.get(device_type, "unknown") if device_type is not None else None
    unit = m.get("unit") or (MEDIUM_UNITS.get(medium) if medium else None)
    return MBusDevice(
        channel=channel,
        device_type=device_type,
        medium=medium,
        equipment_id=m.get("equipment_id"),
        reading=m.get("reading"),
        unit=unit,
        timestamp=m.get("timestamp"),
        valve=m.get("valve"),
    )


def detect_variant(
    header: str, present: set[str], version: str | None, crc_status: CrcStatus
) -> Variant:
    """Tell the telegram's family from its header and the objects it carries."""
    if "0-0:96.1.4" in present:
        return Variant.BE
    if header.startswith("/Lux") or (
        "1-3:0.2.8" in present and "0-0:42.0.0" in present and "0-0:96.1.1" not in present
    ):
        return Variant.LU
    if version and "1-3:0.2.8" in present and "0-0:96.1.1" in present:
        if version.startswith("5"):
            return Variant.NL5
        if version.startswith("4"):
            return Variant.NL4
    if (
        crc_status is CrcStatus.UNCHECKED
        and version is None
        and "0-0:96.1.1" in present
        and "0-0:1.0.0" not in present
    ):
        return Variant.NL2
    return Variant.OTHER


def _build(
    header: str,
    objects: tuple[DataObject, ...],
    c: _Collector,
    crc: tuple[CrcStatus, int | None, int | None],
) -> Telegram:
    crc_status, crc_received, crc_computed = crc
    fields = c.fields
    logical_name = fields.pop("logical_name", None)
    if fields.get("equipment_id") is None:
        fields["equipment_id"] = logical_name
    if c.phases:
        fields["phases"] = {_PHASES[i]: Phase(**c.phases[i]) for i in sorted(c.phases)}
    if c.sags:
        fields["voltage_sags"] = c.sags
    if c.swells:
        fields["voltage_swells"] = c.swells
    if c.peak:
        fields["peak_demand"] = PeakDemand(**c.peak)
    if c.mbus:
        fields["mbus"] = tuple(_mbus_device(n, c.mbus[n]) for n in sorted(c.mbus))
    if c.kilo:
        fields["energy_import_kwh"] = _registers(c.kilo, 1)
        fields["energy_export_kwh"] = _registers(c.kilo, 2)
    variant = detect_variant(header, c.present, fields.get("dsmr_version"), crc_status)
    return Telegram(
        header=header,
        objects=objects,
        crc_status=crc_status,
        crc_received=crc_received,
        crc_computed=crc_computed,
        variant=variant,
        **fields,
    )
