"""A telegram as a JSON-ready object and as one line of JSON Lines.

Numbers stay exact: a reading sent as ``000123.450`` is written ``123.450``, never through
a binary float. Times are ISO 8601 with their UTC offset. A field whose line the meter
did not send is null; a line sent with no entries gives ``[]`` or ``{}``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from .framer import Frame
from .model import MBusDevice, PeakDemand, Registers, Telegram
from .obis import lookup

_encode_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _registers(registers: Registers) -> dict[str, Any] | None:
    if registers.tariff1 is None and registers.tariff2 is None and registers.total is None:
        return None
    return {"tariff1": registers.tariff1, "tariff2": registers.tariff2, "total": registers.total}


def _peak(peak: PeakDemand | None) -> dict[str, Any] | None:
    if peak is None:
        return None
    history = None
    if peak.history is not None:
        history = [{"month": _iso(r.month), "at": _iso(r.at), "kw": r.kw} for r in peak.history]
    return {
        "current_average_kw": peak.current_average_kw,
        "month_max_kw": peak.month_max_kw,
        "month_max_at": _iso(peak.month_max_at),
        "history": history,
    }


def _mbus(device: MBusDevice) -> dict[str, Any]:
    return {
        "channel": device.channel,
        "device_type": device.device_type,
        "medium": device.medium,
        "equipment_id": device.equipment_id,
        "reading": device.reading,
        "unit": device.unit,
        "timestamp": _iso(device.timestamp),
        "valve": device.valve,
        "empty": device.empty,
    }


def _crc_hex(value: int | None) -> str | None:
    return None if value is None else f"{value:04X}"


def telegram_to_dict(telegram: Telegram, frame: Frame | None = None) -> dict[str, Any]:
    """The telegram as plain data (Decimal numbers, ISO time strings), keys in a fixed order."""
    t = telegram
    log = t.power_failure_log
    return {
        "header": t.header,
        "variant": t.variant.value,
        "dsmr_version": t.dsmr_version,
        "crc_ok": t.crc_ok,
        "crc_received": _crc_hex(t.crc_received),
        "crc_computed": _crc_hex(t.crc_computed),
        "problem": None if frame is None else frame.problem,
        "timestamp": _iso(t.timestamp),
        "equipment_id": t.equipment_id,
        "tariff": t.tariff,
        "power_import_kw": t.power_import_kw,
        "power_export_kw": t.power_export_kw,
        "energy_import_kwh": _registers(t.energy_import_kwh),
        "energy_export_kwh": _registers(t.energy_export_kwh),
        "phases": {
            name: {
                "voltage_v": p.voltage_v,
                "current_a": p.current_a,
                "power_import_kw": p.power_import_kw,
                "power_export_kw": p.power_export_kw,
            }
            for name, p in t.phases.items()
        }
        or None,
        "power_failures": t.power_failures,
        "long_power_failures": t.long_power_failures,
        "power_failure_log": None
        if log is None
        else [{"end": _iso(e.end), "duration_s": e.duration_s} for e in log],
        "voltage_sags": t.voltage_sags,
        "voltage_swells": t.voltage_swells,
        "text_message": t.text_message,
        "peak_demand": _peak(t.peak_demand),
        "mbus": [_mbus(m) for m in t.mbus],
        "objects": [
            {"obis": o.obis, "values": list(o.values), "known": lookup(o.obis) is not None}
            for o in t.objects
        ],
    }


def _write(value: Any, out: list[str]) -> None:
    """Append the JSON text of ``value``; Decimal written exactly, never in exponent form."""
    if value is None:
        out.append("null")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(telegram: Telegram, frame: Frame | None = None) -> str:
    """One line of JSON (no line ending) for the telegram."""
    data = telegram_to_dict(telegram, frame)
    objects = data.pop("objects")
    out: list[str] = []
    _write(data, out)
    # The raw objects hold only strings and booleans: the C encoder does them in one go.
    out[-1] = ',"objects":' + json.dumps(objects, separators=(",", ":")) + "}"
    return "".join(out)
