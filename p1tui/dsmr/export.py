"""A telegram as one line of JSON (JSON Lines), for ``p1tui decode`` and other programs.

Numbers stay exact: a reading sent as ``000123.450`` is written ``123.450``, never through
a binary float. Times are ISO 8601 with their UTC offset. A field whose line the meter
did not send is null; a line sent with no entries gives ``[]`` or ``{}``.

The writer is hand-made rather than ``json.dumps`` of a dict: the standard encoder cannot
write a Decimal as a number, and at one telegram a second on a Pi (or 100,000 in a
capture) the cost matters. A :class:`JsonWriter` remembers each data line's entry in
``objects``, since from one telegram to the next most lines are sent unchanged; one
writer serves one stream, and :func:`to_json` uses a fresh one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from itertools import filterfalse
from operator import itemgetter
from typing import Any, TypeVar

from .framer import CrcStatus, Frame
from .model import MBusDevice, PeakDemand, Phase, PowerFailure, Registers, Telegram
from .obis import KNOWN

T = TypeVar("T")
_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _text(value: str | None) -> str:
    return "null" if value is None else _str(value)


def _num(value: Decimal | int | None) -> str:
    if value is None:
        return "null"
    text = str(value)
    return format(value, "f") if "E" in text else text


def _bool(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


def _time(value: datetime | None) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'


def _crc(value: int | None) -> str:
    return "null" if value is None else f'"{value:04X}"'


def _array(items: Iterable[str]) -> str:
    return f"[{','.join(items)}]"


def _registers(r: Registers) -> str:
    if r.tariff1 is None and r.tariff2 is None and r.total is None:
        return "null"
    return f'{{"tariff1":{_num(r.tariff1)},"tariff2":{_num(r.tariff2)},"total":{_num(r.total)}}}'


def _phase(p: Phase) -> str:
    return (
        f'{{"voltage_v":{_num(p.voltage_v)},"current_a":{_num(p.current_a)},'
        f'"power_import_kw":{_num(p.power_import_kw)},'
        f'"power_export_kw":{_num(p.power_export_kw)}}}'
    )


def _phases(phases: dict[str, Phase]) -> str:
    if not phases:
        return "null"
    return "{" + ",".join([f'"{name}":{_phase(p)}' for name, p in phases.items()]) + "}"


def _counts(counts: tuple[tuple[str, int | None], ...]) -> str:
    return "{" + ",".join([f'"{name}":{_num(n)}' for name, n in counts]) + "}"


def _failure_log(log: tuple[PowerFailure, ...]) -> str:
    return _array([f'{{"end":{_time(e.end)},"duration_s":{_num(e.duration_s)}}}' for e in log])


def _peak(peak: PeakDemand | None) -> str:
    if peak is None:
        return "null"
    history = (
        "null"
        if peak.history is None
        else _array(
            f'{{"month":{_time(r.month)},"at":{_time(r.at)},"kw":{_num(r.kw)}}}'
            for r in peak.history
        )
    )
    return (
        f'{{"current_average_kw":{_num(peak.current_average_kw)},'
        f'"month_max_kw":{_num(peak.month_max_kw)},'
        f'"month_max_at":{_time(peak.month_max_at)},"history":{history}}}'
    )


def _mbus(m: MBusDevice) -> str:
    return (
        f'{{"channel":{m.channel},"device_type":{_num(m.device_type)},'
        f'"medium":{_text(m.medium)},"equipment_id":{_text(m.equipment_id)},'
        f'"reading":{_num(m.reading)},"unit":{_text(m.unit)},'
        f'"timestamp":{_time(m.timestamp)},"valve":{_num(m.valve)},'
        f'"empty":{_bool(m.empty)}}}'
    )


_obis_of = itemgetter(0)
_is_known = KNOWN.__contains__


def _unknown(codes: tuple[str, ...]) -> str:
    """The OBIS codes the catalogue does not know, in order, each once."""
    unknown = dict.fromkeys(filterfalse(_is_known, codes))
    return _array(map(_str, unknown)) if unknown else "[]"


_CRC_OK = {status: _bool(status.verdict) for status in CrcStatus}
_MEMO_MAX = 4096


class _Memo(dict[Hashable, str]):
    """``key -> write(key)``, written on first lookup (bounded): for what a meter sends the
    same way telegram after telegram."""

    __slots__ = ("_write",)

    def __init__(self, write: Callable[[Any], str]) -> None:
        super().__init__()
        self._write = write

    def __missing__(self, key: Hashable) -> str:
        text = self._write(key)
        if len(self) >= _MEMO_MAX:
            self.clear()
        self[key] = text
        return text


def _line(line: tuple[str, str]) -> str:
    """A data line's entry in ``objects``."""
    obis, body = line
    values = ",".join(map(_str, body.split(")(")))
    return f'{{"obis":{_str(obis)},"values":[{values}]}}'


def to_json(telegram: Telegram, frame: Frame | None = None) -> str:
    """One line of JSON (no line ending) for the telegram; ``frame`` adds its problem."""
    return JsonWriter().write(telegram, frame)


class JsonWriter:
    """Writes the telegrams of one stream, remembering what repeats between them.

    Not thread-safe: one writer per stream (``p1tui decode`` makes one per input).
    """

    __slots__ = ("_counts", "_fields", "_objects", "_unknown", "_written")

    def __init__(self) -> None:
        self._written: dict[int, tuple[object, str]] = {}
        """JSON of recent immutable sections by identity: a :class:`~p1tui.dsmr.Parser`
        hands out the very same Registers or MBusDevice object while its lines do not
        change."""
        self._objects = _Memo(_line)
        """Data line -> its entry in ``objects``: a telegram's entries are then one ``map``
        in C, since from one telegram to the next most lines are sent unchanged."""
        self._unknown = _Memo(_unknown)
        """The OBIS codes of a telegram's lines, in order -> its ``unknown_obis``."""
        self._counts = _Memo(_counts)
        """Sag or swell counts by phase -> their JSON: they seldom change."""
        self._fields = _Memo(_fields)
        """The fields that stay the same telegram after telegram (header, IDs, counters)."""

    def _once(self, obj: T, write: Callable[[T], str]) -> str:
        """``write(obj)``, remembered for as long as the parser keeps handing out ``obj``."""
        written = self._written
        known = written.get(id(obj))
        if known is not None and known[0] is obj:
            return known[1]
        if len(written) > 64:
            written.clear()
        text = write(obj)
        written[id(obj)] = (obj, text)  # holding obj keeps its id from being reused
        return text

    def write(self, telegram: Telegram, frame: Frame | None = None) -> str:
        """One line of JSON (no line ending) for the telegram; ``frame`` adds its problem."""
        t = telegram
        once = self._once
        log = t.power_failure_log
        problem = None if frame is None else frame.problem
        objects = ",".join(map(self._objects.__getitem__, t.lines))
        stamp = "null" if t.timestamp is None else f'"{t.timestamp.isoformat()}"'
        sags, swells = t.voltage_sags, t.voltage_swells
        header, variant, version, meter, tariff, failures, long_failures, text = self._fields[
            t.header,
            t.variant,
            t.dsmr_version,
            t.equipment_id,
            t.tariff,
            t.power_failures,
            t.long_power_failures,
            t.text_message,
        ]
        return (
            f'{{"header":{header},"variant":{variant},'
            f'"dsmr_version":{version},"crc_ok":{_CRC_OK[t.crc_status]},'
            f'"crc_received":{_crc(t.crc_received)},"crc_computed":{_crc(t.crc_computed)},'
            f'"problem":{_text(problem)},"timestamp":{stamp},'
            f'"equipment_id":{meter},"tariff":{tariff},'
            f'"power_import_kw":{_num(t.power_import_kw)},'
            f'"power_export_kw":{_num(t.power_export_kw)},'
            f'"energy_import_kwh":{once(t.energy_import_kwh, _registers)},'
            f'"energy_export_kwh":{once(t.energy_export_kwh, _registers)},'
            f'"phases":{_phases(t.phases)},'
            f'"power_failures":{failures},'
            f'"long_power_failures":{long_failures},'
            f'"power_failure_log":{"null" if log is None else once(log, _failure_log)},'
            f'"voltage_sags":{"null" if sags is None else self._counts[(*sags.items(),)]},'
            f'"voltage_swells":{"null" if swells is None else self._counts[(*swells.items(),)]},'
            f'"text_message":{text},"peak_demand":{_peak(t.peak_demand)},'
            f'"mbus":{_array([once(device, _mbus) for device in t.mbus])},'
            f'"unknown_obis":{self._unknown[tuple(map(_obis_of, t.lines))]},'
            f'"objects":[{objects}]}}'
        )


_Fields = tuple[str, str, str | None, str | None, int | None, int | None, int | None, str | None]


def _fields(fields: _Fields) -> tuple[str, ...]:
    """The JSON of the telegram's text and integer fields (compared by value: exact)."""
    header, variant, version, meter, tariff, failures, long_failures, text = fields
    return (
        _str(header),
        _str(variant),  # a str enum: its value
        _text(version),
        _text(meter),
        _num(tariff),
        _num(failures),
        _num(long_failures),
        _text(text),
    )
