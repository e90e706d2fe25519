"""Turn the text inside one value group into Python values.

Real meters deviate from the spec's formats (integer Wh, ``kVar``, missing units,
placeholder times), so every function here is lenient about form and strict about
meaning: a value it cannot read becomes None, never a guess.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINTER = timezone(timedelta(hours=1))
SUMMER = timezone(timedelta(hours=2))

try:
    METER_ZONE: timezone | ZoneInfo = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database: the meters' winter time is the better guess
    METER_ZONE = WINTER
"""NL, BE and LU meters keep Central European legal time."""

_UNITS = {
    u.lower(): u
    for u in (
        "kWh",
        "Wh",
        "kW",
        "W",
        "kvarh",
        "varh",
        "kvar",
        "var",
        "kVAh",
        "VAh",
        "kVA",
        "VA",
        "V",
        "A",
        "s",
        "m3",
        "GJ",
        "MJ",
        "Hz",
        "MWh",
    )
}
_HEX_DIGITS = frozenset(string.hexdigits)
_PLACEHOLDER_DAYS = ("000101", "700101")
_ZONE_MARKS = {"W": WINTER, "w": WINTER, "S": SUMMER, "s": SUMMER}


def first_group(body: str) -> str:
    """The first value group of a line body (``"a)(b"`` -> ``"a"``); a group as it is."""
    return body.partition(")(")[0]


def canonical_unit(unit: str) -> str:
    """The unit in its usual spelling (``kVar`` -> ``kvar``); unknown units as sent."""
    return _UNITS.get(unit.lower(), unit)


_NUMERAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
"""What meters send: ASCII digits, a sign, a point. Decimal() would also take exponents
(``9E999999`` overflows in any sum), ``NaN``, ``1_000``, spaces and non-ASCII digits."""


def _numeral(text: str) -> bool:
    """Whether ``text`` is a :data:`_NUMERAL` (unsigned ones checked without the regex)."""
    return (text.isascii() and text.replace(".", "", 1).isdigit()) or bool(_NUMERAL.fullmatch(text))


def split_number(group: str) -> tuple[Decimal | None, str | None]:
    """``"000123.456*kWh"`` -> ``(Decimal("123.456"), "kWh")``; no unit gives None.

    Like every converter here it takes a value group or a whole line body, whose first
    group it reads. Nothing here is cached: a :class:`~p1tui.dsmr.parser.Parser`
    remembers whole lines, which is where a meter's repetition is.
    """
    number, _, unit = group.partition(")(")[0].partition("*")
    value = Decimal(number) if _numeral(number) else None
    return value, (_UNITS.get(unit.lower(), unit) if unit else None)


def number(group: str) -> Decimal | None:
    """The number in a value group, unit ignored."""
    digits = group.partition(")(")[0].partition("*")[0]
    return Decimal(digits) if _numeral(digits) else None


_TO_KILO = {"W": -3, "Wh": -3, "var": -3, "varh": -3, "VA": -3, "VAh": -3, "MWh": 3}
_SHIFT = {unit.lower(): shift for unit, shift in _TO_KILO.items()}
"""The same, by the unit's lowercase spelling (every unit in it is a known one)."""


def kilo(group: str) -> Decimal | None:
    """A power or energy group in k-units (kW, kWh): integer W/Wh meters are scaled."""
    number, _, unit = group.partition(")(")[0].partition("*")
    if not _numeral(number):
        return None
    shift = _SHIFT.get(unit.lower()) if unit else None
    return Decimal(number) if shift is None else Decimal(number).scaleb(shift)


def integer(group: str) -> int | None:
    """An integer group (counters, tariff indicator, device type), unit ignored."""
    digits = group.partition(")(")[0].partition("*")[0]
    if digits.isascii() and digits.isdigit():
        return int(digits)
    value = number(digits)  # "12.0", "+5": through Decimal
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def timestamp(group: str) -> datetime | None:
    """A meter time stamp as an aware datetime, or None for placeholders.

    ``YYMMDDhhmmssX`` with X = W (winter, +01:00) or S (summer, +02:00); 12 digits
    without X (DSMR 2.2/3.0) are resolved in the meter's local zone; a 24-hex-digit DLMS
    date-time (seen on some meters) is decoded. ``632525252525``, ``000101...`` and
    ``700101...`` mean "no time" and give None, as does anything that is not a date.
    """
    text = first_group(group).strip()
    size = len(text)
    zone: timezone | ZoneInfo | None
    if size == 13:
        zone = _ZONE_MARKS.get(text[12])
        if zone is None:
            return None
        text = text[:12]
    elif size == 12:
        zone = METER_ZONE
    elif size == 24 and _HEX_DIGITS.issuperset(text):
        return _dlms_datetime(bytes.fromhex(text))
    else:
        return None
    if not (text.isascii() and text.isdigit()) or text.startswith(_PLACEHOLDER_DAYS):
        return None
    rest, second = divmod(int(text), 100)  # one int() for the six two-digit fields
    rest, minute = divmod(rest, 100)
    rest, hour = divmod(rest, 100)
    rest, day = divmod(rest, 100)
    year, month = divmod(rest, 100)
    try:
        stamp = datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
    if zone is METER_ZONE:
        # Pin the offset the zone gives (the first of a repeated autumn hour): a datetime
        # whose tzinfo is a zone compares unequal to every other zone in that hour (PEP 495)
        offset = stamp.utcoffset()
        pinned = SUMMER if offset == SUMMER.utcoffset(None) else WINTER
        if offset != pinned.utcoffset(None):
            pinned = timezone(offset)  # type: ignore[arg-type]
        stamp = stamp.replace(tzinfo=pinned)
    return stamp


def _dlms_datetime(raw: bytes) -> datetime | None:
    """Decode a 12-byte DLMS COSEM date-time (deviation in minutes, UTC = local + dev)."""
    year = int.from_bytes(raw[0:2], "big")
    month, day, _weekday, hour, minute, second = raw[2:8]
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    if deviation == -0x8000:  # "not specified"
        zone = WINTER
    elif -720 <= deviation <= 720:  # the DLMS range, in minutes
        zone = timezone(timedelta(minutes=-deviation))
    else:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def hex_text(group: str) -> str:
    """Decode a hex-encoded octet string when it is printable text; else return it as sent.

    IDs and messages are hex on most meters but plain text on some (Iskra IE,
    NWA Warmtelink), and some hex IDs are binary: only a clean decode is trusted.
    """
    if len(group) % 2 or not group or not _HEX_DIGITS.issuperset(group):
        return group
    try:
        text = bytes.fromhex(group).decode("ascii")
    except UnicodeDecodeError:
        return group
    return text if text.isprintable() else group


def equipment_id(group: str) -> str | None:
    """An equipment ID: decoded when it is hex text; None when empty or all zeros."""
    text = hex_text(first_group(group))
    if not text.strip().strip("0"):
        return None
    return text
