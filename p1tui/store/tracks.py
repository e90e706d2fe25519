"""Each meter's counters as a line through time, and periods read as what every meter moved.

A series is one meter's unbroken run of counters (:mod:`.series`). Each series is read
as its own track: the value at any moment is the counter of its last reading at or
before it (before its first reading, the first one's; after its last, the last one's);
across a gap in its record (longer than :data:`GAP`) the electricity counters are
interpolated, so what was used during the gap is shared over it rather than piled on
the hour it ended. A period's energy is the sum over the series of what each one's own
counters moved within it: a meter swap is one meter ending and another beginning, and
two meters whose readings interleave in time (two captures of different meters in one
store) each count their own movement, never a jump from one's counters to the other's.
Consecutive periods always add up to exactly what the counters moved.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right

from .series import Counters

GAP = 300
"""Seconds without a reading after which a boundary is interpolated, not held."""


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

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The first and last reading of each stored row, in time order."""
        return self._spans

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


class Meters:
    """The tracks of several series read as one: what each of them moved, added up."""

    def __init__(self, tracks: list[Track]) -> None:
        self.tracks = [track for track in tracks if track]

    def __bool__(self) -> bool:
        return bool(self.tracks)

    def covered(self, a: int, b: int) -> bool:
        """Whether any of the meters was read during ``(a, b)``."""
        return any(track.covered(a, b) for track in self.tracks)

    def stretches(self) -> list[tuple[int, int]]:
        """The first and last reading of each stretch of readings (any meter's) with no
        pause longer than :data:`GAP` inside it, in time order."""
        merged: list[tuple[int, int]] = []
        for first, last in sorted(span for track in self.tracks for span in track.spans):
            if merged and first - merged[-1][1] <= GAP:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged

    def bridged(self, a: int, b: int) -> bool:
        """Whether one meter was read before ``a`` and after ``b``: what it moved in
        between is counted (shared over the time without readings)."""
        return any(t.spans[0][0] <= a and t.spans[-1][1] >= b for t in self.tracks)

    def moved(self, a: int, b: int) -> Counters | None:
        """Per register, the sum of what each meter's own counter moved from ``a`` to ``b``
        (None where no meter sends that register); None without any reading."""
        total: Counters | None = None
        for track in self.tracks:
            moved = track.moved(a, b)
            if moved is None:
                continue
            if total is None:
                total = moved
            else:
                total = tuple(
                    y if x is None else x if y is None else x + y
                    for x, y in zip(total, moved, strict=True)
                )
        return total


def electricity(
    conn: sqlite3.Connection, table: str, start: int, end: int, *, ending_every: int = 60
) -> Meters:
    """The electricity counters around ``[start, end]`` from ``minute`` or ``hour`` rows.

    ``ending_every`` (minute rows): only the rows that end on such a boundary (900: the
    quarters), when only those boundaries are asked for.
    """
    found = []
    columns = "cts, i1, i2, i0, e1, e2, e0, coalesce(first_ts, cts)"
    # A row holds the counters at its end: the series' first reading (its row in
    # ``series``) is where what the meter moved in its first minute or hour starts.
    for series, *first in conn.execute(
        "SELECT id, first_ts, c1, c2, c3, c4, c5, c6, first_ts FROM series "
        "WHERE slot = 0 ORDER BY id"
    ).fetchall():
        rows = [tuple(first)]
        rows += conn.execute(
            f"SELECT {columns} FROM {table} WHERE series = ? AND t >= ? AND t < ? "
            "AND cts IS NOT NULL AND (t + 60) % ? = 0",
            (series, start - 3600, end + 3600, ending_every),
        ).fetchall()
        for edge in (
            "t < ? AND cts IS NOT NULL ORDER BY t DESC",
            "t >= ? AND cts IS NOT NULL ORDER BY t",
        ):
            row = conn.execute(
                f"SELECT {columns} FROM {table} WHERE series = ? AND {edge} LIMIT 1",
                (series, start - 3600 if edge.startswith("t <") else end + 3600),
            ).fetchone()
            if row is not None:
                rows.append(row)
        found.append(
            Track(
                [(row[0], tuple(row[1:7])) for row in rows],
                interpolate=True,
                spans=[(min(row[7], row[0]), row[0]) for row in rows],
            )
        )
    return Meters(found)


def mbus(conn: sqlite3.Connection, medium: str, start: int, end: int, step: int) -> Meters:
    """Every M-Bus meter of ``medium`` (gas, water...), on whichever channel it was.

    Only the last reading of each ``step`` (60 or 3600 s) is read: the values at the
    boundaries the caller asks for are all there, for a fraction of the rows. The
    series' first reading is read too: what the meter moved in its first step starts there.
    """
    found = []
    for series, *first in conn.execute(
        "SELECT id, first_ts, c1 FROM series WHERE slot > 0 AND medium = ? ORDER BY id",
        (medium,),
    ).fetchall():
        rows = [tuple(first)]
        # A bare column next to max() comes from the row holding the max (SQLite).
        rows += conn.execute(
            "SELECT max(t), value FROM mbus WHERE series = ? AND t > ? AND t <= ? "
            "GROUP BY (t - 1) / ?",
            (series, start, end, step),
        ).fetchall()
        for edge in ("t <= ? ORDER BY t DESC", "t > ? ORDER BY t"):
            row = conn.execute(
                f"SELECT t, value FROM mbus WHERE series = ? AND {edge} LIMIT 1",
                (series, start if edge.startswith("t <=") else end),
            ).fetchone()
            if row is not None:
                rows.append(row)
        found.append(Track([(t, (value,)) for t, value in rows], interpolate=False))
    return Meters(found)
