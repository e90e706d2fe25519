"""Turn one frame into a :class:`~p1tui.dsmr.model.Telegram`.

Two layers. The generic layer splits the text into data lines (OBIS reference plus its
value groups) and keeps every one, known or not, coping with what real meters send:
DSMR 2.2/3.0 readings on a continuation line, values wrapped over lines, ``.255`` and
``*255`` suffixes, ``((ER11))`` double brackets, spaces before ``(``. The interpreting
layer then reads the catalogue's objects into typed fields in one pass.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from itertools import compress
from operator import is_not, itemgetter
from typing import Any, TypeVar

from . import values as v
from .errors import ParseError
from .framer import CrcStatus, Frame, Framer
from .model import (
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
    """Parse a frame from the :class:`~p1tui.dsmr.framer.Framer` (valid or not).

    Stateless: each call starts with empty caches. A link that parses telegram after
    telegram uses a :class:`Parser` (a :class:`~p1tui.dsmr.decoder.Decoder` owns one).
    """
    return Parser().parse(frame)


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


Line = tuple[str, str]
"""A data line as ``(obis, body)``: body is the text between its first ``(`` and last ``)``,
so its value groups are ``body.split(")(")``."""


def split_lines(raw: bytes) -> tuple[str, tuple[Line, ...]]:
    """Split a telegram into its header line and its data lines, as sent."""
    text = raw.decode("latin-1")
    if not text.startswith("/"):
        raise ParseError("a telegram starts with '/'")
    # Fast path: when every line between the header's blank line and '!' is a simple
    # one-line object, one regex pass in C does the splitting. The count only proves that
    # when the blank line is there: without it, one line the regex skipped (a DSMR 2.2
    # continuation, a space before '(') would take the blank line's place and be lost.
    simple = _SIMPLE_LINE.findall(text)
    end = text.find("\n")
    if (
        len(simple) == text.count("\n") - 2
        and text.startswith(("\n", "\r\n"), end + 1)
        and "((" not in text
        and ") " not in text
    ):
        return text[:end].rstrip("\r"), tuple(simple)
    return _split_general(text)


def _split_general(text: str) -> tuple[str, tuple[Line, ...]]:
    """The line-by-line splitter for everything the fast path does not cover."""
    lines = text.replace("\r", "").split("\n")
    header = lines[0]
    objects: list[tuple[str, tuple[str, ...]]] = []
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
            obis, groups = objects[-1]  # continuation: DSMR 2.2/3.0 reading on the next line
            objects[-1] = (obis, groups + _groups(line))
            continue
        paren = line.find("(")
        if paren < 0:
            objects.append((line.strip(), ()))
            continue
        obis = line[:paren].rstrip()
        if obis.endswith((".255", "*255")):
            obis = obis[:-4]
        objects.append((obis, _groups(line[paren:])))
    if pending:
        objects.append((pending.partition("(")[0].strip(), _groups(pending)))
    return header, tuple((obis, ")(".join(groups)) for obis, groups in objects)


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
# One table maps every OBIS reference the typed fields use (M-Bus ones for each channel)
# to (key, converter). Reading a telegram costs one dict lookup and one converter call
# per line: ``found[key] = converter(body)``; _build then assembles the Telegram.
# Converters take the whole line body; the one-group ones are cached in values.

Key = str
"""What a line means: a field name, or a section and its field (``"phase0.voltage_v"``).
Interned strings: their hash is computed once, and a lookup by the very same object is
decided by identity (a tuple key would be hashed anew at every lookup)."""


def _key(*parts: object) -> Key:
    return sys.intern(".".join(map(str, parts)))


Converter = Callable[[str], Any]
_Built = dict[Hashable, tuple[tuple[Any, ...], Any]]
"""Per section (a register set, an M-Bus channel): its inputs and what was built from
them last time (see ``_reuse``)."""


def _version(body: str) -> str | None:
    return v.first_group(body) or None


def _failure_log(body: str) -> tuple[PowerFailure, ...]:
    pairs = body.split(")(")[2:]  # (count)(0-0:96.7.19) then (end)(duration) pairs
    return tuple(
        PowerFailure(v.timestamp(pairs[i]), v.integer(pairs[i + 1]))
        for i in range(0, len(pairs) - 1, 2)
    )


def _text_message(body: str) -> str | None:
    return v.hex_text(body.replace(")(", "")) or None


def _month_max(body: str) -> tuple[datetime | None, Decimal | None]:
    vals = body.split(")(")
    if len(vals) >= 2:
        return v.timestamp(vals[0]), v.kilo(vals[1])
    return None, v.kilo(body)


def _peak_history(body: str) -> tuple[PeakMonth, ...] | None:
    # Belgian form only: (count)(1-0:1.6.0)(1-0:1.6.0) then rows of (month)(at)(kW).
    # Hungary sends a billing snapshot under the same code; it stays in the objects.
    vals = body.split(")(")
    if len(vals) < 3 or not vals[0].isdigit() or vals[1] != "1-0:1.6.0":
        return None
    rows = vals[3:]
    return tuple(
        PeakMonth(v.timestamp(rows[i]), v.timestamp(rows[i + 1]), v.kilo(rows[i + 2]))
        for i in range(0, len(rows) - 2, 3)
    )


_Reading = tuple[datetime | None, Decimal | None, str | None]


def _mbus_reading(body: str) -> _Reading:
    vals = body.split(")(")
    if len(vals) < 2:
        return (None, *v.split_number(body))
    return (v.timestamp(vals[0]), *v.split_number(vals[1]))


def _mbus_profile(body: str) -> _Reading:
    # (TST12)(status)(period)(count)(captured OBIS)(unit) + (reading) on the next line
    vals = body.split(")(")
    if len(vals) < 7:
        return v.timestamp(vals[0]), None, None
    reading, unit = v.split_number(vals[6])
    return v.timestamp(vals[0]), reading, unit or (v.canonical_unit(vals[5]) or None)


_PHASES = ("l1", "l2", "l3")
_PHASE_CODES = (
    ("32.7.0", "31.7.0", "21.7.0", "22.7.0", "32.32.0", "32.36.0"),
    ("52.7.0", "51.7.0", "41.7.0", "42.7.0", "52.32.0", "52.36.0"),
    ("72.7.0", "71.7.0", "61.7.0", "62.7.0", "72.32.0", "72.36.0"),
)
_PHASE_FIELDS = ("voltage_v", "current_a", "power_import_kw", "power_export_kw")
_MBUS_FIELDS: dict[str, tuple[str, Converter]] = {
    "24.1.0": ("device_type", v.integer),
    "96.1.0": ("equipment_id", v.equipment_id),
    "96.1.1": ("equipment_id", v.equipment_id),
    "24.2.1": ("reading", _mbus_reading),
    "24.2.3": ("reading", _mbus_reading),
    "24.3.0": ("reading", _mbus_profile),
    "24.4.0": ("valve", v.integer),
}


def _table() -> dict[str, tuple[Key, Converter]]:
    table: dict[str, tuple[Key, Converter]] = {
        "1-3:0.2.8": ("version_nl", _version),
        "0-0:96.1.4": ("version_be", _version),
        "0-0:1.0.0": ("timestamp", v.timestamp),
        "0-0:96.1.1": ("equipment_id", v.equipment_id),
        "0-0:42.0.0": ("logical_name", v.equipment_id),
        "0-0:96.14.0": ("tariff", v.integer),
        "1-0:1.7.0": ("power_import_kw", v.kilo),
        "1-0:2.7.0": ("power_export_kw", v.kilo),
        "0-0:96.7.21": ("power_failures", v.integer),
        "0-0:96.7.9": ("long_power_failures", v.integer),
        "1-0:99.97.0": ("power_failure_log", _failure_log),
        "0-0:96.13.0": ("text_message", _text_message),
        "1-0:1.4.0": ("current_average_kw", v.kilo),
        "1-0:1.6.0": ("month_max", _month_max),
        "0-0:98.1.0": ("history", _peak_history),
    }
    for direction in (1, 2):
        for tariff in range(10):
            table[f"1-0:{direction}.8.{tariff}"] = (_key("register", direction, tariff), v.kilo)
    for index, codes in enumerate(_PHASE_CODES):
        for code, name in zip(codes, _PHASE_FIELDS, strict=False):
            table[f"1-0:{code}"] = (_key("phase", index, name), v.kilo)
        table[f"1-0:{codes[4]}"] = (_key("sags", _PHASES[index]), v.integer)
        table[f"1-0:{codes[5]}"] = (_key("swells", _PHASES[index]), v.integer)
    for channel in MBUS_CHANNELS:
        for code, (name, converter) in _MBUS_FIELDS.items():
            table[f"0-{channel}:{code}"] = (_key("mbus", int(channel), name), converter)
    return table


_TABLE = _table()
_PEAK_KEYS = ("current_average_kw", "month_max", "history")


def interpret(
    header: str,
    lines: tuple[Line, ...],
    crc_status: CrcStatus = CrcStatus.UNCHECKED,
    crc_received: int | None = None,
    crc_computed: int | None = None,
) -> Telegram:
    """Read the catalogue's lines into the typed fields of a telegram (no caches)."""
    crc = (crc_status, crc_received, crc_computed)
    return _build(header, lines, _meanings(lines), crc, {})


def _meanings(lines: tuple[Line, ...]) -> dict[Key, Any]:
    """``{key: value}`` for every line the table knows (the last one wins)."""
    found: dict[Key, Any] = {}
    entry_for = _TABLE.get
    for obis, body in lines:
        entry = entry_for(obis)
        if entry is not None:
            found[entry[0]] = entry[1](body)
    return found


# Consecutive telegrams of one meter repeat most of their lines exactly (IDs, counters,
# registers between increments, the failure log), so a Parser remembers each whole line
# with its meaning: reading a telegram is then mostly one dict lookup per line. Values are
# immutable, so sharing them between telegrams is safe.
SEEN_MAX = 4096
"""Lines a Parser remembers; it forgets them all when full (bounded memory)."""
_OBIS_HEAD = re.compile(r"([0-9]+-[0-9]+:[0-9]+\.[0-9]+\.[0-9]+)(?:[.*]255)?")

_Meaning = tuple[Key, Any]
_Known = tuple[Line, _Meaning]
"""A remembered line: ``(obis, body)`` and its ``(key, value)``; ``_UNKNOWN`` when the
table does not know it."""
_NO_MEANING = object()
_UNKNOWN = (_NO_MEANING, None)


class _NotSimple(Exception):
    """A line the fast path does not read: the telegram goes to the general splitter."""


class _LineMemory(dict[str, _Known]):
    """Lines as received -> what they mean; a line not seen before is learned on lookup.

    Looking a whole telegram's lines up is then one ``map`` in C: Python code runs only
    for the few lines that changed since the last telegram. Those are read through what
    their head (the text before ``(``) was found to mean the first time, so a changed
    line costs little more than its converter.
    """

    __slots__ = ("_heads",)

    def __init__(self) -> None:
        super().__init__()
        self._heads: dict[str, tuple[str, tuple[Key, Converter] | None]] = {}
        """``"1-0:1.8.1*255"`` -> the OBIS reference and its table entry."""

    def __missing__(self, part: str) -> _Known:
        # ``OBIS[.255|*255](body)`` and an optional CR, no ``((`` or ``) ``: what the
        # general splitter reads as one line with these very groups.
        paren = part.find("(")
        if paren < 0 or "((" in part or ") " in part:
            raise _NotSimple
        if part[-1:] == ")":
            body = part[paren + 1 : -1]
        elif part[-2:] == ")\r":
            body = part[paren + 1 : -2]
        else:
            raise _NotSimple
        head = part[:paren]
        obis, entry = self._heads.get(head) or self._learn(head)
        known = ((obis, body), _UNKNOWN if entry is None else (entry[0], entry[1](body)))
        if len(self) >= SEEN_MAX:
            self.clear()
        self[part] = known
        return known

    def _learn(self, head: str) -> tuple[str, tuple[Key, Converter] | None]:
        match = _OBIS_HEAD.fullmatch(head)
        if match is None:
            raise _NotSimple
        if len(self._heads) >= SEEN_MAX:
            self._heads.clear()
        obis = match[1]
        learned = self._heads[head] = (obis, _TABLE.get(obis))
        return learned


class _Meanings(dict[Line, _Meaning]):
    """Data lines -> what they mean, for telegrams the general splitter reads (bounded)."""

    __slots__ = ()

    def __missing__(self, line: Line) -> _Meaning:
        entry = _TABLE.get(line[0])
        meaning = _UNKNOWN if entry is None else (entry[0], entry[1](line[1]))
        if len(self) >= SEEN_MAX:
            self.clear()
        self[line] = meaning
        return meaning


class Parser:
    """Frames to telegrams for one stream, remembering what repeats from one to the next.

    Its caches belong to one link: two meters read in one process (or in two threads)
    each have their own Parser, so neither evicts the other's lines. Not thread-safe:
    one thread feeds it.
    """

    __slots__ = ("_built", "_last", "_meanings", "_seen")

    def __init__(self) -> None:
        self._seen = _LineMemory()
        self._meanings = _Meanings()
        self._built: _Built = {}
        self._last: _Last | None = None

    @property
    def remembered(self) -> int:
        """Lines remembered now (at most :data:`SEEN_MAX`)."""
        return len(self._seen)

    def parse(self, frame: Frame) -> Telegram:
        """Parse a frame (valid or not) into a telegram."""
        crc = (frame.crc_status, frame.crc_received, frame.crc_computed)
        read = self._read_known_lines(frame.raw.decode("latin-1"))
        if read is None:  # double brackets, wrapped values...: the general path
            self._last = None
            header, lines = split_lines(frame.raw)
            found = dict(map(self._meanings.__getitem__, lines))
            found.pop(_NO_MEANING, None)
            return _build(header, lines, found, crc, self._built)
        header, known = read
        last = self._last
        if last is not None and header == last.header:
            telegram = last.patch(known, crc, self._built)
            if telegram is not None:
                return telegram
        lines = tuple(map(_line_of, known))
        meanings = tuple(map(_meaning_of, known))
        found = dict(meanings)
        found.pop(_NO_MEANING, None)
        telegram = _build(header, lines, found, crc, self._built)
        self._last = _Last.after(telegram, known, meanings, found)
        return telegram

    def _read_known_lines(self, text: str) -> tuple[str, list[_Known]] | None:
        """Header and remembered lines of a telegram whose lines are all simple; else None.

        Simple: the blank line after the header, then one ``OBIS(groups)`` per line up to
        the ``!`` line, a DSMR 2.2/3.0 reading on its own line joined to its object.
        Anything else (spaces, double brackets, wrapped values) is for the general splitter.
        """
        if "\n(" in text:  # a continuation line: its groups belong to the line before
            text = text.replace("\r\n(", "(").replace("\n(", "(")
        parts = text.split("\n")
        if len(parts) < 3 or parts[1] not in ("", "\r") or parts[-1][:1] != "!":
            return None
        try:
            return parts[0].rstrip("\r"), list(map(self._seen.__getitem__, parts[2:-1]))
        except _NotSimple:
            return None


_line_of = itemgetter(0)
_meaning_of = itemgetter(1)


class _Last:
    """The last telegram of a stream read from remembered lines, to patch the next one.

    From one telegram to the next a meter changes a few lines (the clock, the powers, a
    register) and keeps the rest, each line at its place. When the next telegram has the
    same header and its lines the same meanings in the same order, only the sections of
    the telegram that the changed lines feed are built again; every other field is the
    previous telegram's (immutable values, or containers built anew when they change).
    """

    __slots__ = ("args", "found", "header", "known")

    def __init__(
        self, header: str, known: list[_Known], found: dict[Key, Any], args: list[Any]
    ) -> None:
        self.header = header
        self.known = known
        self.found = found
        """What the lines mean, updated in place as lines change."""
        self.args = args
        """The telegram's fields, in order."""

    @classmethod
    def after(
        cls,
        telegram: Telegram,
        known: list[_Known],
        meanings: tuple[_Meaning, ...],
        found: dict[Key, Any],
    ) -> _Last | None:
        """What to keep of a telegram built in full; None when its lines cannot be patched
        (a meaning sent twice: which line wins is the full build's business)."""
        if len(found) + meanings.count(_UNKNOWN) != len(meanings):
            return None
        args = [getattr(telegram, name) for name in _TELEGRAM_FIELDS]
        return cls(telegram.header, known, found, args)

    def patch(
        self,
        known: list[_Known],
        crc: tuple[CrcStatus, int | None, int | None],
        built: _Built,
    ) -> Telegram | None:
        """The next telegram, patched from this one; None when its lines do not line up."""
        last_known = self.known
        if len(known) != len(last_known):
            return None
        changed = list(compress(range(len(known)), map(is_not, known, last_known)))
        for i in changed:  # all checked first: nothing is touched when one does not fit
            if known[i][1][0] is not last_known[i][1][0]:
                return None
        args = self.args.copy()
        lines = list(args[_LINES])
        found = self.found
        rebuild: set[_Section] = set()
        for i in changed:
            line, (key, value) = known[i]
            lines[i] = line
            if key is _NO_MEANING:
                continue
            found[key] = value
            target = _PATCH[key]
            if type(target) is int:
                args[target] = value
            else:
                rebuild.update(target)
        if crc[0] is not args[_CRC_STATUS]:
            rebuild.add(_VARIANT)
        args[_LINES] = tuple(lines)
        args[_CRC_STATUS : _CRC_STATUS + 3] = crc
        for index, make in rebuild:
            args[index] = make(found, built, args)
        self.known = known
        self.args = args
        return Telegram(*args)


def _build(
    header: str,
    lines: tuple[Line, ...],
    found: dict[Key, Any],
    crc: tuple[CrcStatus, int | None, int | None],
    built: _Built,
) -> Telegram:
    get = found.get
    crc_status, crc_received, crc_computed = crc
    return Telegram(  # positional, in the order of the fields: one of these per telegram
        header,
        lines,
        crc_status,
        crc_received,
        crc_computed,
        detect_variant(header, found, crc_status),
        _dsmr_version(found),
        get("timestamp"),
        _meter_id(found),
        get("tariff"),
        get("power_import_kw"),
        get("power_export_kw"),
        _registers(found, 1, built),
        _registers(found, 2, built),
        _phases(found),
        get("power_failures"),
        get("long_power_failures"),
        get("power_failure_log"),
        _per_phase(found, "sags"),
        _per_phase(found, "swells"),
        get("text_message"),
        _peak_demand(found),
        _mbus(found, built),
    )


def _dsmr_version(found: dict[Key, Any]) -> str | None:
    return found.get("version_be") or found.get("version_nl")


def _meter_id(found: dict[Key, Any]) -> str | None:
    return found.get("equipment_id") or found.get("logical_name")


_TARIFFS = range(1, 5)  # NL/BE send 1 and 2; Hungary and Lithuania up to 4
# Per direction: the meter's own total (x.8.0), then tariffs 1 to 4.
_REGISTER_KEYS = {d: tuple(_key("register", d, t) for t in (0, *_TARIFFS)) for d in (1, 2)}
_PHASE_KEYS = tuple(
    (phase, tuple(_key("phase", i, name) for name in _PHASE_FIELDS))
    for i, phase in enumerate(_PHASES)
)
_COUNT_KEYS = {kind: tuple((p, _key(kind, p)) for p in _PHASES) for kind in ("sags", "swells")}
_MBUS_NAMES = ("device_type", "equipment_id", "reading", "valve")
_MBUS_KEYS = tuple(
    (int(n), tuple(_key("mbus", int(n), name) for name in _MBUS_NAMES)) for n in MBUS_CHANNELS
)

# The builders below run for every telegram: plain local lookups, no generators.

T = TypeVar("T")


def _reuse(built: _Built, section: Hashable, build: Callable[..., T], inputs: tuple[Any, ...]) -> T:
    """``build(*inputs)``, or the object built last time from the very same input objects.

    Repeated lines give the very same value objects (see :class:`Parser`), so a section that did
    not change (an M-Bus reading between its 5-minute updates, registers between
    increments) is found by identity, and its immutable object is shared.
    """
    last = built.get(section)
    if last is not None:
        for new, old in zip(inputs, last[0]):  # noqa: B905 - same section, same length
            if new is not old:
                break
        else:
            return last[1]
    made = build(*inputs)
    built[section] = (inputs, made)
    return made


def _registers(found: dict[Key, Any], direction: int, built: _Built) -> Registers:
    inputs = tuple(map(found.get, _REGISTER_KEYS[direction]))
    return _reuse(built, ("registers", direction), _register_set, inputs)


def _register_set(total: Decimal | None, *tariffs: Decimal | None) -> Registers:
    if total is None:
        for value in tariffs:
            if value is not None:
                total = value if total is None else total + value
    return Registers(tariffs[0], tariffs[1], total)


_new_phase = tuple.__new__  # what Phase(...) does, without its Python-level __new__


def _phases(found: dict[Key, Any]) -> dict[str, Phase]:
    get = found.get
    phases = {}
    for name, (k_voltage, k_current, k_import, k_export) in _PHASE_KEYS:
        voltage, current = get(k_voltage), get(k_current)
        power_import, power_export = get(k_import), get(k_export)
        if not (voltage is current is power_import is power_export is None):
            phases[name] = _new_phase(Phase, (voltage, current, power_import, power_export))
    return phases


def _per_phase(found: dict[Key, Any], kind: str) -> dict[str, int | None] | None:
    counts = {}
    for phase, key in _COUNT_KEYS[kind]:
        if key in found:
            counts[phase] = found[key]
    return counts or None


def _peak_demand(found: dict[Key, Any]) -> PeakDemand | None:
    history = found.get("history")  # None also when 0-0:98.1.0 is not the Belgian form
    if not ("current_average_kw" in found or "month_max" in found or history is not None):
        return None
    at, month_max = found.get("month_max", (None, None))
    return PeakDemand(found.get("current_average_kw"), month_max, at, history)


def _mbus(found: dict[Key, Any], built: _Built) -> tuple[MBusDevice, ...]:
    """One device per announced channel: any of its lines sent, even empty ones."""
    devices = []
    for channel, (k_type, k_id, k_reading, k_valve) in _MBUS_KEYS:
        if k_type in found or k_id in found or k_reading in found or k_valve in found:
            get = found.get
            inputs = (channel, get(k_type), get(k_id), get(k_reading), get(k_valve))
            devices.append(_reuse(built, ("mbus", channel), _mbus_device, inputs))
    return tuple(devices)


def _mbus_device(
    channel: int,
    device_type: int | None,
    equipment_id: str | None,
    reading: _Reading | None,
    valve: int | None,
) -> MBusDevice:
    medium = MEDIA.get(device_type, "unknown") if device_type is not None else None
    timestamp, value, unit = reading or (None, None, None)
    unit = unit or (MEDIUM_UNITS.get(medium) if medium else None)
    return MBusDevice(channel, device_type, medium, equipment_id, value, unit, timestamp, valve)


def detect_variant(header: str, found: dict[Key, Any], crc_status: CrcStatus) -> Variant:
    """Tell the telegram's family from its header and the objects it carries."""
    if "version_be" in found:
        return Variant.BE
    version = found.get("version_nl")
    has_meter_id = "equipment_id" in found
    if header.startswith("/Lux") or (
        version is not None and "logical_name" in found and not has_meter_id
    ):
        return Variant.LU
    if version and has_meter_id:
        if version.startswith("5"):
            return Variant.NL5
        if version.startswith("4"):
            return Variant.NL4
    if (
        crc_status is CrcStatus.UNCHECKED
        and version is None
        and has_meter_id
        and "timestamp" not in found
    ):
        return Variant.NL2
    return Variant.OTHER


# --- patching the last telegram (see _Last) ---------------------------------------------

_TELEGRAM_FIELDS = tuple(f.name for f in fields(Telegram) if f.init and f.name[0] != "_")
"""Telegram's fields in the order ``Telegram(*args)`` takes them."""
_FIELD = {name: index for index, name in enumerate(_TELEGRAM_FIELDS)}
_LINES = _FIELD["lines"]
_CRC_STATUS = _FIELD["crc_status"]

_Section = tuple[int, Callable[[dict[Key, Any], _Built, list[Any]], Any]]
"""A field built from several lines: its index, and ``make(found, built, args)``."""


def _section(name: str, make: Callable[[dict[Key, Any], _Built, list[Any]], Any]) -> _Section:
    return _FIELD[name], make


_VARIANT = _section("variant", lambda f, b, args: detect_variant(args[0], f, args[_CRC_STATUS]))


def _patch_table() -> dict[Key, int | tuple[_Section, ...]]:
    """Every key of the table: the field it is (an index), or the sections it feeds."""
    table: dict[Key, int | tuple[_Section, ...]] = dict.fromkeys(
        (_key("register", d, t) for d in (1, 2) for t in range(5, 10)), ()
    )  # registers x.8.5 to x.8.9 are read but feed no field
    for name in (
        "timestamp",
        "tariff",
        "power_import_kw",
        "power_export_kw",
        "power_failures",
        "long_power_failures",
        "power_failure_log",
        "text_message",
    ):
        table[name] = _FIELD[name]
    version = _section("dsmr_version", lambda f, b, a: _dsmr_version(f))
    table["version_be"] = table["version_nl"] = (version, _VARIANT)
    meter = _section("equipment_id", lambda f, b, a: _meter_id(f))
    table["equipment_id"] = table["logical_name"] = (meter,)
    imported = _section("energy_import_kwh", lambda f, b, a: _registers(f, 1, b))
    exported = _section("energy_export_kwh", lambda f, b, a: _registers(f, 2, b))
    table.update(dict.fromkeys(_REGISTER_KEYS[1], (imported,)))
    table.update(dict.fromkeys(_REGISTER_KEYS[2], (exported,)))
    phases = (_section("phases", lambda f, b, a: _phases(f)),)
    table.update(dict.fromkeys((k for _, keys in _PHASE_KEYS for k in keys), phases))
    for kind, name in (("sags", "voltage_sags"), ("swells", "voltage_swells")):
        counts = (_section(name, lambda f, b, a, kind=kind: _per_phase(f, kind)),)
        table.update(dict.fromkeys((key for _, key in _COUNT_KEYS[kind]), counts))
    peak = (_section("peak_demand", lambda f, b, a: _peak_demand(f)),)
    table.update(dict.fromkeys(_PEAK_KEYS, peak))
    mbus = (_section("mbus", lambda f, b, a: _mbus(f, b)),)
    table.update(dict.fromkeys((k for _, keys in _MBUS_KEYS for k in keys), mbus))
    return table


_PATCH = _patch_table()
