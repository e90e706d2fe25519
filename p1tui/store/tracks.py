"""A slot's counters as one continuous line through time, across meter swaps and resets.

Each series continues from the previous one's last counters (offsets computed here, at
query time, so an earlier capture imported later simply slots in). The value at any
moment is then the counter of the last reading at or before it; across a gap in the
record (longer than :data:`GAP`) the electricity counters are interpolated, so what
was used during the gap is shared over it rather than piled on the hour it ended.
Every period's energy is a difference of these values, so consecutive periods always
add up to exactly what the counters moved.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from dataclasses import dataclass

from .series import Counters

GAP = 300
"""Seconds without a reading after which a boundary is interpolated, not held."""


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: int
    slot: int
    medium: str
    first_ts: int
    first: Counters


def slots(conn: sqlite3.Connection) -> dict[tuple[int, str], list[SeriesInfo]]:
    """Every slot's series in time order."""
    found: dict[tuple[int, str], list[SeriesInfo]] = {}
    for row in conn.execute(
        "SELECT id, slot, medium, first_ts, c1, c2, c3, c4, c5, c6 FROM series "
        "ORDER BY first_ts, id"
    ):
        size = 6 if row[1] == 0 else 1
        info = SeriesInfo(row[0], row[1], row[2], row[3], tuple(row[4 : 4 + size]))
        found.setdefault((info.slot, info.medium), []).append(info)
    return found


def _last_counters(conn: sqlite3.Connection, series: SeriesInfo) -> Counters | None:
    if series.slot == 0:
        row = conn.execute(
            "SELECT i1, i2, i0, e1, e2, e0 FROM hour WHERE series = ? AND cts IS NOT NULL "
            "ORDER BY t DESC LIMIT 1",
            (series.id,),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT value FROM mbus WHERE series = ? ORDER BY t DESC LIMIT 1", (series.id,)
        ).fetchone()
    return None if row is None else tuple(row)


def offsets(conn: sqlite3.Connection, chain: list[SeriesInfo]) -> dict[int, Counters]:
    """What to add to each series' raw counters so the chain never jumps."""
    result: dict[int, Counters] = {}
    previous: tuple[Counters, Counters] | None = None  # (offset, last raw counters)
    for series in chain:
        if previous is None:
            offset: Counters = tuple(0 for _ in series.first)
        else:
            before, last = previous
            offset = tuple(
                o + b - a if a is not None and b is not None and o is not None else o
                for o, a, b in zip(before, series.first, last, strict=False)
            )
        result[series.id] = offset
        last_raw = _last_counters(conn, series)
        previous = (offset, last_raw if last_raw is not None else series.first)
    return result


class Track:
    """Readings of one slot as ``(time, continuous counters)``, in time order."""

    def __init__(
        self,
        points: list[tuple[int, Counters]],
        *,
        interpolate: bool,
        spans: list[tuple[int, int]] | None = None,
    ) -> None:
        """``spans``: the first and last reading of each stored row (for :meth:`covered`)."""
        points.sort(key=lambda p: p[0])
        self.times = [p[0] for p in points]
        self.values = [p[1] for p in points]
        self._interpolate = interpolate
        self._spans = sorted(spans if spans is not None else ((t, t) for t in self.times))
        self._span_ends = [last for _first, last in self._spans]

    def __bool__(self) -> bool:
        return bool(self.times)

    def at(self, t: int) -> Counters | None:
        """The counters at ``t``: before the first reading, the first reading's."""
        times = self.times
        i = bisect_right(times, t)
        if i == 0:
            return self.values[0] if times else None
        before = self.values[i - 1]
        t0 = times[i - 1]
        if not self._interpolate or t - t0 <= GAP or i == len(times):
            return before
        t1, after = times[i], self.values[i]
        share = (t - t0) / (t1 - t0)
        return tuple(
            a if a is None or b is None else a + round((b - a) * share)
            for a, b in zip(before, after, strict=False)
        )

    def covered(self, a: int, b: int) -> bool:
        """Whether readings were taken during ``(a, b)``.

        A reading exactly at a boundary only closes the period before it: the first
        telegram of a record taken at midnight says nothing about the day before.
        """
        spans = self._spans
        i = bisect_right(self._span_ends, a)  # the first row whose last reading is after a
        return i < len(spans) and spans[i][0] < b

    def moved(self, a: int, b: int) -> Counters | None:
        """What each counter moved from ``a`` to ``b``."""
        start, end = self.at(a), self.at(b)
        if start is None or end is None:
            return None
        return tuple(
            None if x is None or y is None else y - x for x, y in zip(start, end, strict=False)
        )


def electricity(
    conn: sqlite3.Connection, table: str, start: int, end: int, *, ending_every: int = 60
) -> Track:
    """The electricity counters around ``[start, end]`` from ``minute`` or ``hour`` rows.

    ``ending_every`` (minute rows): only the rows that end on such a boundary (900: the
    quarters), when only those boundaries are asked for.
    """
    chain = slots(conn).get((0, "electricity"), [])
    shifts = offsets(conn, chain)
    points: list[tuple[int, Counters]] = []
    spans: list[tuple[int, int]] = []
    columns = "cts, i1, i2, i0, e1, e2, e0, coalesce(first_ts, cts)"
    for series in chain:
        shift = shifts[series.id]
        rows = conn.execute(
            f"SELECT {columns} FROM {table} WHERE series = ? AND t >= ? AND t < ? "
            "AND cts IS NOT NULL AND (t + 60) % ? = 0",
            (series.id, start - 3600, end + 3600, ending_every),
        ).fetchall()
        for edge in (
            "t < ? AND cts IS NOT NULL ORDER BY t DESC",
            "t >= ? AND cts IS NOT NULL ORDER BY t",
        ):
            row = conn.execute(
                f"SELECT {columns} FROM {table} WHERE series = ? AND {edge} LIMIT 1",
                (series.id, start - 3600 if edge.startswith("t <") else end + 3600),
            ).fetchone()
            if row is not None:
                rows.append(row)
        points += [(row[0], _shifted(row[1:7], shift)) for row in rows]
        spans += [(min(row[7], row[0]), row[0]) for row in rows]
    return Track(points, interpolate=True, spans=spans)


def mbus(conn: sqlite3.Connection, medium: str, start: int, end: int, step: int) -> list[Track]:
    """One track per M-Bus channel that carried a meter of ``medium`` (gas, water...).

    Only the last reading of each ``step`` (60 or 3600 s) is read: the values at the
    boundaries the caller asks for are all there, for a fraction of the rows.
    """
    tracks = []
    for (slot, kind), chain in slots(conn).items():
        if slot == 0 or kind != medium:
            continue
        shifts = offsets(conn, chain)
        points: list[tuple[int, Counters]] = []
        for series in chain:
            (shift,) = shifts[series.id]
            # A bare column next to max() comes from the row holding the max (SQLite).
            rows = conn.execute(
                "SELECT max(t), value FROM mbus WHERE series = ? AND t > ? AND t <= ? "
                "GROUP BY (t - 1) / ?",
                (series.id, start, end, step),
            ).fetchall()
            for edge in ("t <= ? ORDER BY t DESC", "t > ? ORDER BY t"):
                row = conn.execute(
                    f"SELECT t, value FROM mbus WHERE series = ? AND {edge} LIMIT 1",
                    (series.id, start if edge.startswith("t <=") else end),
                ).fetchone()
                if row is not None:
                    rows.append(row)
            points += [(t, (value + (shift or 0),)) for t, value in rows]
        tracks.append(Track(points, interpolate=False))
    return tracks


def _shifted(raw: tuple, shift: Counters) -> Counters:
    return tuple(None if r is None else r + (s or 0) for r, s in zip(raw, shift, strict=False))
