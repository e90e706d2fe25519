"""Series: the unbroken runs of one meter's counters, and how readings join them.

A series is one meter (equipment ID) on one slot (the electricity meter, or an M-Bus
channel with its medium) from its first reading on. A new series starts when the
equipment ID changes (a meter swap) or when a counter goes back or leaps and the next
reading confirms it (a reset). Queries count what each series' own counters moved
(:mod:`.tracks`), so the movement of both meters is counted and the jump between them
never is, whichever way it goes, even when two meters' readings interleave in time.

A single implausible reading (a counter that drops, to 0 or anywhere, or that moves
faster than any household could, and comes back with the next reading) is dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

Counters = tuple[int | None, ...]
"""Thousandths of the unit (Wh, litres, MJ), one per register; None when not sent."""

ELECTRICITY = "electricity"


class Slot(NamedTuple):
    """Where a meter is: 0 for the electricity meter, else its M-Bus channel and medium."""

    number: int
    medium: str
    unit: str | None

    @property
    def name(self) -> str:
        return self.medium if self.number == 0 else f"M-Bus channel {self.number} ({self.medium})"


@dataclass(slots=True)
class Series:
    """The in-memory mirror of one ``series`` row."""

    id: int
    slot: int
    medium: str
    unit: str | None
    equipment_id: str | None
    first_ts: int
    last_ts: int
    first: Counters
    reason: str
    header: str | None = None
    version: str | None = None
    variant: str | None = None
    dirty: bool = True
    """Not yet written as it is now."""

    def row(self) -> tuple:
        counters = (*self.first, *(None,) * (6 - len(self.first)))
        return (
            self.id, self.slot, self.medium, self.unit, self.equipment_id, self.header,
            self.version, self.variant, self.first_ts, self.last_ts, *counters, self.reason,
        )  # fmt: skip


_COLUMNS = (
    "id, slot, medium, unit, equipment_id, header, version, variant, first_ts, last_ts, "
    "c1, c2, c3, c4, c5, c6, reason"
)
UPSERT_SERIES = f"INSERT OR REPLACE INTO series ({_COLUMNS}) VALUES ({', '.join('?' * 17)})"


class Registry:
    """Every series of the store, loaded once (there are a handful) and kept current."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_id: dict[int, Series] = {}
        for row in conn.execute(f"SELECT {_COLUMNS} FROM series ORDER BY id"):
            (sid, slot, medium, unit, eid, header, version, variant, first_ts, last_ts) = row[:10]
            counters = row[10:16]
            size = 6 if slot == 0 else 1
            self.by_id[sid] = Series(
                sid, slot, medium, unit, eid, first_ts, last_ts, tuple(counters[:size]),
                row[16], header, version, variant, dirty=False,
            )  # fmt: skip
        self.events: list[tuple[int, str, str]] = []

    def of_slot(self, slot: int, medium: str) -> list[Series]:
        """The slot's series in time order."""
        found = [s for s in self.by_id.values() if s.slot == slot and s.medium == medium]
        return sorted(found, key=lambda s: s.first_ts)

    def start(
        self, slot: Slot, equipment_id: str | None, ts: int, counters: Counters, reason: str
    ) -> Series:
        """The series a run starting at ``ts`` belongs to: the one already stored (the
        same data imported again, or an earlier capture of a meter whose later data is
        in), else a new one."""
        later = [
            s
            for s in self.of_slot(slot.number, slot.medium)
            if s.first_ts >= ts and s.equipment_id == equipment_id
        ]
        for series in later[:1]:
            if series.first_ts == ts or _precedes(counters, series.first):
                if series.first_ts != ts:
                    series.first_ts, series.first, series.dirty = ts, counters, True
                return series
        series = Series(
            max(self.by_id, default=0) + 1, slot.number, slot.medium, slot.unit, equipment_id,
            ts, ts, counters, reason,
        )  # fmt: skip
        self.by_id[series.id] = series
        if reason != "first":
            what = "a new meter" if reason == "swap" else "its counters restarted"
            detail = f"{slot.name} {equipment_id or '(no ID)'}: {what}"
            self.events.append((ts, reason, detail))
        return series

    def dirty(self) -> list[Series]:
        """The series to write, now marked clean."""
        changed = [s for s in self.by_id.values() if s.dirty]
        for series in changed:
            series.dirty = False
        return changed


def _precedes(earlier: Counters, later: Counters) -> bool:
    """Whether ``earlier`` can be readings of the same meter before ``later``."""
    return all(a is None or b is None or a <= b for a, b in zip(earlier, later, strict=False))


Reading = tuple[Series, int, Counters]
Seek = Callable[[int, str | None, bool], tuple[Series, int, Counters] | None]
"""The last stored reading at or before a time of the meter with that equipment ID on
the slot, else of any meter on it (so a different ID there means a swap); the flag
says the stream went back in time or switched meters, so the rows still pending must
be written first."""


class Chain:
    """The readings of one slot in time order: swaps, resets and glitches decided here."""

    def __init__(self, registry: Registry, slot: Slot, max_per_hour: int, seek: Seek) -> None:
        """``max_per_hour``: the fastest a counter can move (thousandths per hour)."""
        self._registry = registry
        self.slot = slot
        self._max_per_hour = max_per_hour
        self._seek = seek
        self.current: Series | None = None
        self.last_ts = -1
        self.last: Counters = ()
        self._suspect: tuple[int, Counters] | None = None

    def feed(self, ts: int, equipment_id: str | None, counters: Counters) -> list[Reading]:
        """The readings to store (none, this one, or a confirmed earlier one and this one)."""
        if self.current is None or ts < self.last_ts or equipment_id != self.current.equipment_id:
            # Continue this meter's own series: another meter's readings may lie in between.
            self._restart_at(ts, equipment_id, flush=self.current is not None)
        elif ts == self.last_ts:
            return []  # the same reading again (a duplicate telegram)
        current = self.current
        if current is None:
            return [self._accept(self._begin(equipment_id, ts, counters, "first"), ts, counters)]
        if equipment_id != current.equipment_id:
            self._suspect = None
            return [self._accept(self._begin(equipment_id, ts, counters, "swap"), ts, counters)]
        suspect = self._suspect
        if self._plausible(self.last_ts, self.last, ts, counters):
            if suspect is not None:
                self._suspect = None
                self._registry.events.append(
                    (suspect[0], "glitch", f"{self.slot.name}: one implausible reading ignored")
                )
            return [self._accept(current, ts, counters)]
        if suspect is not None and self._plausible(*suspect, ts, counters):
            self._suspect = None
            restarted = self._begin(equipment_id, suspect[0], suspect[1], "reset")
            return [self._accept(restarted, *suspect), self._accept(restarted, ts, counters)]
        self._suspect = (ts, counters)
        return []

    def _restart_at(self, ts: int, equipment_id: str | None, *, flush: bool) -> None:
        """Pick up the stored history at ``ts`` (start-up, data older than the last, or
        another meter's)."""
        self._suspect = None
        found = self._seek(ts, equipment_id, flush)
        if found is None:
            self.current, self.last_ts, self.last = None, -1, ()
        else:
            self.current, self.last_ts, self.last = found

    def _begin(self, equipment_id: str | None, ts: int, counters: Counters, why: str) -> Series:
        return self._registry.start(self.slot, equipment_id, ts, counters, why)

    def _accept(self, series: Series, ts: int, counters: Counters) -> Reading:
        self.current, self.last_ts, self.last = series, ts, counters
        if ts > series.last_ts:
            series.last_ts = ts
            series.dirty = True
        return series, ts, counters

    def _plausible(self, ts0: int, before: Counters, ts1: int, after: Counters) -> bool:
        limit = self._max_per_hour * max(ts1 - ts0, 1) // 3600 + 2  # + rounding of the last digit
        for a, b in zip(before, after, strict=False):
            if a is not None and b is not None and not 0 <= b - a <= limit:
                return False
        return True
