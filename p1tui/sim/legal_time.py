"""Legal time in the Netherlands and Belgium, computed without a time-zone database.

Both countries keep Central European Time with the EU summer-time rule (in force since
1996): summer time (UTC+2, the meters' ``S`` flag) from 01:00 UTC on the last Sunday of
March to 01:00 UTC on the last Sunday of October, winter time (UTC+1, ``W``) otherwise.
Doing this arithmetic here keeps the simulator exact on hosts without tzdata and cheap:
the calendar fields of a day are computed once per day, not once per telegram.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

WINTER_OFFSET = 3600
SUMMER_OFFSET = 7200
DAY = 86400
FIRST_YEAR, LAST_YEAR = 2000, 2098
"""The years a simulation may start in: DSMR time stamps carry two year digits."""


def _last_sunday_0100_utc(year: int, month: int) -> int:
    last = date(year, month, 31)  # March and October both have 31 days
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    return calendar.timegm((sunday.year, sunday.month, sunday.day, 1, 0, 0))


@lru_cache(maxsize=64)
def summer_time_span(year: int) -> tuple[int, int]:
    """UTC epoch seconds at which summer time starts and ends in ``year``."""
    return _last_sunday_0100_utc(year, 3), _last_sunday_0100_utc(year, 10)


def utc_offset(t: float) -> int:
    """Seconds to add to UTC epoch time ``t`` to get legal time (3600 or 7200)."""
    year = datetime.fromtimestamp(t, timezone.utc).year
    start, end = summer_time_span(year)
    return SUMMER_OFFSET if start <= t < end else WINTER_OFFSET


@dataclass(frozen=True, slots=True)
class LocalDay:
    """The calendar fields of one legal-time day."""

    index: int
    """Days since 1970-01-01 in legal time: changes exactly at local midnight."""
    year: int
    month: int
    day: int
    weekday: int
    """0 = Monday ... 6 = Sunday."""
    yday: int
    """Day of the year, 1 = 1 January."""
    stamp: str
    """``YYMMDD``, the date part of a DSMR timestamp."""

    @property
    def weekend(self) -> bool:
        return self.weekday >= 5


@lru_cache(maxsize=8)
def local_day(index: int) -> LocalDay:
    """The calendar fields of legal-time day number ``index``."""
    d = date(1970, 1, 1) + timedelta(days=index)
    return LocalDay(
        index=index,
        year=d.year,
        month=d.month,
        day=d.day,
        weekday=d.weekday(),
        yday=d.timetuple().tm_yday,
        stamp=f"{d.year % 100:02d}{d.month:02d}{d.day:02d}",
    )


@dataclass(frozen=True, slots=True)
class Moment:
    """One instant, in UTC and in legal time, with its DSMR timestamps."""

    t: int
    """UTC epoch seconds."""
    offset: int
    """Legal time minus UTC, seconds."""
    day: LocalDay
    second: int
    """Seconds since local midnight."""
    tst12: str
    """The DSMR 2.2/3.0 timestamp ``YYMMDDhhmmss`` (no summer-time flag)."""
    tst: str
    """The DSMR 4/5 timestamp ``YYMMDDhhmmssX`` with X = S (summer) or W (winter)."""

    def isoformat(self) -> str:
        """``2026-06-21T13:00:00+02:00``: legal time with its offset."""
        d, s = self.day, self.second
        clock = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{clock}+{self.offset // 3600:02d}:00"


def moment(t: int) -> Moment:
    """The :class:`Moment` of UTC epoch second ``t``."""
    offset = utc_offset(t)
    index, second = divmod(t + offset, DAY)
    day = local_day(index)
    tst12 = f"{day.stamp}{second // 3600:02d}{second // 60 % 60:02d}{second % 60:02d}"
    return Moment(t, offset, day, second, tst12, tst12 + ("S" if offset == SUMMER_OFFSET else "W"))


def parse_iso(text: str) -> int:
    """UTC epoch seconds of an ISO 8601 time; a time without offset is legal time.

    Raises ValueError with a readable message when ``text`` is not an ISO time.
    """
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO time such as 2026-06-21T00:00:00+02:00") from None
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        # A meter writes the year in two digits: another century would read back wrong.
        raise ValueError(f"{text!r} is not in the years {FIRST_YEAR} to {LAST_YEAR}")
    if when.tzinfo is not None:
        return int(when.timestamp())
    return from_legal(calendar.timegm(when.timetuple()))


def from_legal(local: int) -> int:
    """UTC epoch seconds of a legal time given as seconds since 1970-01-01 00:00 local.

    The repeated autumn hour resolves to its first (summer) occurrence; a time in the
    skipped spring hour does not exist and lands an hour later.
    """
    for offset in (SUMMER_OFFSET, WINTER_OFFSET):
        if utc_offset(local - offset) == offset:
            return local - offset
    return local - WINTER_OFFSET


def legal_midnight(year: int, month: int, day: int = 1) -> int:
    """UTC epoch seconds of local midnight starting the given date."""
    return from_legal(calendar.timegm((year, month, day, 0, 0, 0)))
