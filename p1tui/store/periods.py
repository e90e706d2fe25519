"""Local days, weeks, months and years of the meter's country, whatever the host's zone.

Boundaries are UTC epoch seconds of local midnights, so the day daylight saving starts
has 23 hours and the day it ends 25 (the repeated hour shows twice, with its offsets).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .settings import check_zone

ZONES = {"be": "Europe/Brussels", "lu": "Europe/Luxembourg"}
DEFAULT_ZONE = "Europe/Amsterdam"
"""Dutch meters, and any other telegram (the others keep the same legal time)."""
KINDS = ("day", "week", "month", "year")


def meter_zone(variant: str | None) -> str:
    """The zone of a meter's country, from its telegram variant."""
    return ZONES.get(variant or "", DEFAULT_ZONE)


def zone_info(name: str) -> ZoneInfo:
    return check_zone(name)


def midnight(day: date, zone: ZoneInfo) -> int:
    """UTC epoch seconds of the local midnight that starts ``day``."""
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())


def iso(ts: int, zone: ZoneInfo) -> str:
    """``2026-10-25T02:00:00+01:00``: local time with its offset."""
    return datetime.fromtimestamp(ts, zone).isoformat()


def local_date(ts: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, zone).date()


@dataclass(frozen=True, slots=True)
class Period:
    """One local day, ISO week (Monday to Sunday), month or year."""

    kind: str
    first: date
    """Its first day."""
    zone: ZoneInfo

    @property
    def end_day(self) -> date:
        """The day after its last day."""
        first = self.first
        if self.kind == "day":
            return first + timedelta(days=1)
        if self.kind == "week":
            return first + timedelta(days=7)
        if self.kind == "month":
            return date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return date(first.year + 1, 1, 1)

    @property
    def start(self) -> int:
        return midnight(self.first, self.zone)

    @property
    def end(self) -> int:
        return midnight(self.end_day, self.zone)

    @property
    def label(self) -> str:
        first = self.first
        if self.kind == "day":
            return first.isoformat()
        if self.kind == "week":
            year, week, _ = first.isocalendar()
            last = self.end_day - timedelta(days=1)
            return f"{year}-W{week:02d} ({first.isoformat()} to {last.isoformat()})"
        if self.kind == "month":
            return f"{first.year:04d}-{first.month:02d}"
        return f"{first.year:04d}"

    def step(self, count: int) -> Period:
        """The period ``count`` periods later (earlier when negative)."""
        first = self.first
        if self.kind == "day":
            return Period("day", first + timedelta(days=count), self.zone)
        if self.kind == "week":
            return Period("week", first + timedelta(days=7 * count), self.zone)
        if self.kind == "month":
            index = first.year * 12 + first.month - 1 + count
            return Period("month", date(index // 12, index % 12 + 1, 1), self.zone)
        return Period("year", date(first.year + count, 1, 1), self.zone)

    def parts(self) -> list[tuple[int, int]]:
        """Its hours (a day: 23, 24 or 25), days (a week or month) or months (a year)."""
        if self.kind == "day":
            return [(t, t + 3600) for t in range(self.start, self.end, 3600)]
        if self.kind == "year":
            months = [Period("month", date(self.first.year, m, 1), self.zone) for m in range(1, 13)]
            return [(p.start, p.end) for p in months]
        days = (self.end_day - self.first).days
        edges = [midnight(self.first + timedelta(days=i), self.zone) for i in range(days + 1)]
        return list(pairwise(edges))

    @property
    def parts_name(self) -> str:
        return {"day": "hours", "week": "days", "month": "days", "year": "months"}[self.kind]


def period_of(kind: str, day: date, zone: ZoneInfo) -> Period:
    """The period of ``kind`` holding ``day``."""
    if kind == "day":
        return Period("day", day, zone)
    if kind == "week":
        return Period("week", day - timedelta(days=day.weekday()), zone)
    if kind == "month":
        return Period("month", day.replace(day=1), zone)
    return Period("year", date(day.year, 1, 1), zone)


def store_zone(conn: sqlite3.Connection, override: str | None) -> ZoneInfo:
    """The zone a store's days are counted in: the setting, else the meter's country."""
    if override:
        return zone_info(override)
    return zone_info(meter_zone(meter_variant(conn)))


def meter_variant(conn: sqlite3.Connection) -> str | None:
    """The telegram variant (``nl5``, ``be`` ...) of the store's latest electricity meter."""
    row = conn.execute(
        "SELECT variant FROM series WHERE slot = 0 ORDER BY first_ts DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None
