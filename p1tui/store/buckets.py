"""Minute and hour rows as deltas: what one batch adds to a bucket, merged by SQL.

Every flush writes what arrived since the previous one, as a delta per bucket, and the
upsert merges it into the stored row: the counters of the later reading win, and the
power statistics add up when the delta's time range is new to the row. Importing the
same telegrams again brings ranges the row already covers, so nothing counts twice.
"""

from __future__ import annotations

from decimal import Decimal

from ..dsmr import Telegram
from .series import Counters

MINUTE = 60
HOUR = 3600
MAX_POWER_W = 250_000
"""Power beyond this (a glitch: a 3x80 A connection tops out near 55 kW) is not averaged."""


def bucket(ts: int, length: int) -> int:
    """The start of the bucket holding a reading at ``ts``: buckets are ``(t, t + length]``."""
    return (ts - 1) // length * length


def _watts(kw: Decimal | None) -> int | None:
    if kw is None:
        return None
    watts = int(kw.scaleb(3))
    return watts if 0 <= watts <= MAX_POWER_W else None


class Delta:
    """What a batch adds to one (series, bucket) row."""

    __slots__ = (
        "counters",
        "cts",
        "first_ts",
        "last_ts",
        "n",
        "nph",
        "pe_max",
        "pe_min",
        "pe_sum",
        "phase_sums",
        "pi_max",
        "pi_min",
        "pi_sum",
    )  # fmt: skip

    def __init__(self) -> None:
        self.cts: int | None = None
        self.counters: Counters = (None,) * 6
        self.n = 0
        self.first_ts: int | None = None
        self.last_ts: int | None = None
        self.pi_sum = self.pe_sum = 0
        self.pi_min: int | None = None
        self.pi_max: int | None = None
        self.pe_min: int | None = None
        self.pe_max: int | None = None
        self.phase_sums = [0, 0, 0, 0, 0, 0]
        """Net power of L1-L3 in W, then their voltages in tenths of a volt."""
        self.nph = 0

    def set_counters(self, ts: int, counters: Counters) -> None:
        if self.cts is None or ts > self.cts:
            self.cts, self.counters = ts, counters

    def add_power(self, ts: int, telegram: Telegram) -> None:
        """One telegram's instantaneous values."""
        pi = _watts(telegram.power_import_kw)
        pe = _watts(telegram.power_export_kw)
        if pi is None and pe is None:
            return
        pi = pi or 0
        pe = pe or 0
        if self.n == 0:
            self.first_ts = self.last_ts = ts
            self.pi_min = self.pi_max = pi
            self.pe_min = self.pe_max = pe
        else:
            self.last_ts = max(self.last_ts or ts, ts)
            self.first_ts = min(self.first_ts or ts, ts)
            if pi < self.pi_min:  # type: ignore[operator]
                self.pi_min = pi
            elif pi > self.pi_max:  # type: ignore[operator]
                self.pi_max = pi
            if pe < self.pe_min:  # type: ignore[operator]
                self.pe_min = pe
            elif pe > self.pe_max:  # type: ignore[operator]
                self.pe_max = pe
        self.n += 1
        self.pi_sum += pi
        self.pe_sum += pe
        phases = telegram.phases
        if phases:
            sums = self.phase_sums
            for i, name in enumerate(("l1", "l2", "l3")):
                phase = phases.get(name)
                if phase is None:
                    continue
                net = (_watts(phase.power_import_kw) or 0) - (_watts(phase.power_export_kw) or 0)
                sums[i] += net
                if phase.voltage_v is not None:
                    sums[3 + i] += int(phase.voltage_v.scaleb(1))
            self.nph += 1

    def merge(self, other: Delta) -> None:
        """Fold another delta of the same row in (minutes into their hour)."""
        if other.cts is not None:
            self.set_counters(other.cts, other.counters)
        if other.n == 0:
            return
        if self.n == 0:
            self.first_ts, self.last_ts = other.first_ts, other.last_ts
            self.pi_min, self.pi_max = other.pi_min, other.pi_max
            self.pe_min, self.pe_max = other.pe_min, other.pe_max
        else:
            self.first_ts = min(self.first_ts, other.first_ts)  # type: ignore[type-var]
            self.last_ts = max(self.last_ts, other.last_ts)  # type: ignore[type-var]
            self.pi_min = min(self.pi_min, other.pi_min)  # type: ignore[type-var]
            self.pi_max = max(self.pi_max, other.pi_max)  # type: ignore[type-var]
            self.pe_min = min(self.pe_min, other.pe_min)  # type: ignore[type-var]
            self.pe_max = max(self.pe_max, other.pe_max)  # type: ignore[type-var]
        self.n += other.n
        self.pi_sum += other.pi_sum
        self.pe_sum += other.pe_sum
        self.phase_sums = [a + b for a, b in zip(self.phase_sums, other.phase_sums, strict=True)]
        self.nph += other.nph

    def row(self, series: int, t: int) -> tuple:
        return (
            series, t, self.cts, *self.counters, self.n, self.first_ts, self.last_ts,
            self.pi_sum, self.pi_min, self.pi_max, self.pe_sum, self.pe_min, self.pe_max,
            *self.phase_sums, self.nph,
        )  # fmt: skip


_COUNTER_COLUMNS = ("i1", "i2", "i0", "e1", "e2", "e0")
_COLUMNS = (
    "series", "t", "cts", *_COUNTER_COLUMNS, "n", "first_ts", "last_ts",
    "pi_sum", "pi_min", "pi_max", "pe_sum", "pe_min", "pe_max",
    "p1_sum", "p2_sum", "p3_sum", "v1_sum", "v2_sum", "v3_sum", "nph",
)  # fmt: skip


def upsert(table: str) -> str:
    """The statement that merges a :meth:`Delta.row` into ``table`` (minute or hour).

    In an upsert's SET every expression sees the stored row as it was, so the
    conditions below all test the old values.
    """
    later = "excluded.cts > coalesce(cts, -1)"
    fresh = (
        "excluded.n > 0 AND (n = 0 OR excluded.first_ts > last_ts OR excluded.last_ts < first_ts)"
    )
    sets = [
        f"{c} = CASE WHEN {later} THEN excluded.{c} ELSE {c} END"
        for c in ("cts", *_COUNTER_COLUMNS)
    ]
    adding = (
        "n",
        "pi_sum",
        "pe_sum",
        "p1_sum",
        "p2_sum",
        "p3_sum",
        "v1_sum",
        "v2_sum",
        "v3_sum",
        "nph",
    )
    sets += [f"{c} = CASE WHEN {fresh} THEN {c} + excluded.{c} ELSE {c} END" for c in adding]
    for c, pick in (("first_ts", "min"), ("last_ts", "max"), ("pi_min", "min"), ("pi_max", "max"),
                    ("pe_min", "min"), ("pe_max", "max")):  # fmt: skip
        sets.append(
            f"{c} = CASE WHEN NOT ({fresh}) THEN {c} WHEN n = 0 THEN excluded.{c} "
            f"ELSE {pick}({c}, excluded.{c}) END"
        )
    columns = ", ".join(_COLUMNS)
    marks = ", ".join("?" * len(_COLUMNS))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (series, t) DO UPDATE SET {', '.join(sets)}"
    )
