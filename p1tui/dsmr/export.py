"""A telegram as one line of JSON (JSON Lines), for ``p1tui decode`` and other programs.

Numbers stay exact: a reading sent as ``000123.450`` is written ``123.450``, never through
a binary float. Times are ISO 8601 with their UTC offset. A field whose line the meter
did not send is null; a line sent with no entries gives ``[]`` or ``{}``.

The writer is hand-made rather than ``json.dumps`` of a dict: the standard encoder cannot
write a Decimal as a number, and at one telegram a second on a Pi (or 100,000 in a
capture) the cost matters. A :class:`JsonWriter` keeps the last telegram's JSON in
pieces and writes again only what changed, since from one telegram to the next most
lines are sent unchanged; one writer serves one stream, and :func:`to_json` uses a fresh
one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from itertools import compress, filterfalse
from operator import attrgetter, is_not, itemgetter
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


def _entry_head(obis: str) -> str:
    """The start of a data line's entry in ``objects``, up to its values."""
    return f'{{"obis":{_str(obis)},"values":['


def _or_null(write: Callable[[T], str]) -> Callable[[T | None], str]:
    def write_or_null(value: T | None) -> str:
        return "null" if value is None else write(value)

    return write_or_null


def _counts(counts: dict[str, int | None]) -> str:
    return "{" + ",".join([f'"{name}":{_num(n)}' for name, n in counts.items()]) + "}"


def _devices(devices: tuple[MBusDevice, ...]) -> str:
    return _array(map(_mbus, devices))


_FIELDS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("header", "header", _str),
    ("variant", "variant", _str),  # a str enum: its value
    ("dsmr_version", "dsmr_version", _text),
    ("crc_ok", "crc_status", _CRC_OK.__getitem__),
    ("crc_received", "crc_received", _crc),
    ("crc_computed", "crc_computed", _crc),
    ("problem", "", _text),  # the frame's, not the telegram's
    ("timestamp", "timestamp", _time),
    ("equipment_id", "equipment_id", _text),
    ("tariff", "tariff", _num),
    ("power_import_kw", "power_import_kw", _num),
    ("power_export_kw", "power_export_kw", _num),
    ("energy_import_kwh", "energy_import_kwh", _registers),
    ("energy_export_kwh", "energy_export_kwh", _registers),
    ("phases", "phases", _phases),
    ("power_failures", "power_failures", _num),
    ("long_power_failures", "long_power_failures", _num),
    ("power_failure_log", "power_failure_log", _or_null(_failure_log)),
    ("voltage_sags", "voltage_sags", _or_null(_counts)),
    ("voltage_swells", "voltage_swells", _or_null(_counts)),
    ("text_message", "text_message", _text),
    ("peak_demand", "peak_demand", _peak),
    ("mbus", "mbus", _devices),
)
"""The JSON's keys in order, each with the telegram field it is written from and how;
``unknown_obis`` and ``objects`` (from the lines) follow."""
_TELEGRAM_FIELDS = tuple((index, field) for index, (_, field, _) in enumerate(_FIELDS) if field)
_values_of = attrgetter(*(field for _, field in _TELEGRAM_FIELDS))
_WRITERS = tuple(_FIELDS[index][2] for index, _ in _TELEGRAM_FIELDS)
_SLOTS = tuple(2 * index + 1 for index, _ in _TELEGRAM_FIELDS)
"""Where each field's JSON goes in the skeleton (keys at even places, values at odd)."""
_PROBLEM_SLOT = 2 * next(i for i, (key, _, _) in enumerate(_FIELDS) if key == "problem") + 1
_UNKNOWN_SLOT = 2 * len(_FIELDS) + 1
_OBJECTS_SLOT = _UNKNOWN_SLOT + 2
_SKELETON = [
    *(
        text
        for i, (key, _, _) in enumerate(_FIELDS)
        for text in (f'{"," if i else "{"}"{key}":', "")
    ),
    ',"unknown_obis":',
    "",
    ',"objects":[',
    "",
    "]}",
]


def to_json(telegram: Telegram, frame: Frame | None = None) -> str:
    """One line of JSON (no line ending) for the telegram; ``frame`` adds its problem."""
    return JsonWriter().write(telegram, frame)


class JsonWriter:
    """Writes the telegrams of one stream, writing again only what changed since the last.

    From one telegram to the next a meter changes a few lines, and a
    :class:`~p1tui.dsmr.Parser` hands out the very same objects for everything else: the
    writer keeps the last telegram's JSON in pieces and writes again the fields and the
    ``objects`` entries that are not the very same objects as last time. Values are
    immutable, so the same object always gives the same JSON.

    Not thread-safe: one writer per stream (``p1tui decode`` makes one per input).
    """

    __slots__ = ("_entries", "_heads", "_last", "_lines", "_parts", "_unknown")

    def __init__(self) -> None:
        self._parts = _SKELETON.copy()
        """The last telegram's JSON in pieces: keys, and each field's value."""
        self._last: tuple[Any, ...] | None = None
        """The last telegram's field values, in the order of :data:`_TELEGRAM_FIELDS`."""
        self._lines: tuple[tuple[str, str], ...] | None = None
        self._entries: list[str] = []
        """The last telegram's ``objects`` entries, one per line."""
        self._heads = _Memo(_entry_head)
        """OBIS code -> the start of its entries."""
        self._unknown = _Memo(_unknown)
        """The OBIS codes of a telegram's lines, in order -> its ``unknown_obis``."""

    def write(self, telegram: Telegram, frame: Frame | None = None) -> str:
        """One line of JSON (no line ending) for the telegram; ``frame`` adds its problem."""
        parts = self._parts
        values = _values_of(telegram)
        last = self._last
        changed = (
            range(len(values)) if last is None else compress(_INDICES, map(is_not, values, last))
        )
        for i in changed:
            parts[_SLOTS[i]] = _WRITERS[i](values[i])
        self._last = values
        problem = None if frame is None else frame.problem
        parts[_PROBLEM_SLOT] = "null" if problem is None else _str(problem)
        self._write_lines(telegram.lines)
        return "".join(parts)

    def _entry(self, line: tuple[str, str]) -> str:
        """A data line's entry in ``objects``."""
        obis, body = line
        values = ",".join(map(_str, body.split(")("))) if ")(" in body else _str(body)
        return f"{self._heads[obis]}{values}]}}"

    def _write_lines(self, lines: tuple[tuple[str, str], ...]) -> None:
        last = self._lines
        entries = self._entries
        if last is None or len(lines) != len(last):
            entries[:] = map(self._entry, lines)
            self._parts[_UNKNOWN_SLOT] = self._unknown[tuple(map(_obis_of, lines))]
        else:
            same_codes = True
            for i in compress(range(len(lines)), map(is_not, lines, last)):
                line = lines[i]
                entries[i] = self._entry(line)
                same_codes = same_codes and line[0] == last[i][0]
            if not same_codes:
                self._parts[_UNKNOWN_SLOT] = self._unknown[tuple(map(_obis_of, lines))]
        self._parts[_OBJECTS_SLOT] = ",".join(entries)
        self._lines = lines


_INDICES = range(len(_TELEGRAM_FIELDS))
