"""The history writer: telegrams in, minute and hour rows out, one transaction a batch.

:meth:`HistoryWriter.add` is cheap (a few dict lookups and integer sums per telegram):
it folds each telegram into the delta of its minute, decides about swaps and glitches
(:mod:`.series`) and remembers M-Bus readings that changed. Every few seconds
:meth:`HistoryWriter.flush` writes all of it in one transaction, so a kill loses at most
that batch and the file stays consistent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from ..dsmr import Registers, Telegram, Variant
from .buckets import HOUR, MINUTE, Delta, bucket, upsert
from .periods import meter_zone
from .series import ELECTRICITY, UPSERT_SERIES, Chain, Counters, Registry, Series, Slot
from .settings import BATCH_SECONDS, KEEP_MINUTES_DAYS
from .store import Store

MAX_PENDING_MINUTES = 20_000
"""A batch never holds more minutes than this (an import runs through days per second)."""
MAX_PER_HOUR = {ELECTRICITY: 100_000, "gas": 40_000, "water": 30_000}
"""The fastest a counter can move, in thousandths of its unit per hour: 100 kWh (a
100 kW connection), 40 m3 of gas (a G25 meter), 30 m3 of water. Others: 10 units."""
MAX_PER_HOUR_OTHER = 10_000
PRUNE_EVERY = 3600.0

_MINUTE_SQL = upsert("minute")
_HOUR_SQL = upsert("hour")


def epoch(stamp: datetime) -> int:
    return int(stamp.timestamp())


def _milli(value: Decimal | None) -> int | None:
    return None if value is None else int(value.scaleb(3))


def _counters(imported: Registers, exported: Registers) -> Counters:
    return (
        _milli(imported.tariff1), _milli(imported.tariff2), _milli(imported.total),
        _milli(exported.tariff1), _milli(exported.tariff2), _milli(exported.total),
    )  # fmt: skip


def _latest(
    found: list[tuple[Series, int, Counters]], equipment_id: str | None
) -> tuple[Series, int, Counters] | None:
    """The meter's own latest reading among ``found``, else the latest of any meter."""
    return max(found, key=lambda r: (r[0].equipment_id == equipment_id, r[1]), default=None)


class HistoryWriter:
    """Records telegrams into a writable :class:`~p1tui.store.store.Store`.

    Not thread-safe: one thread calls :meth:`add`, :meth:`flush` and :meth:`close`.
    """

    def __init__(
        self,
        store: Store,
        *,
        keep_minutes_days: int = KEEP_MINUTES_DAYS,
        flush_every: float = BATCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if store.readonly:
            raise ValueError("a HistoryWriter needs a store opened for writing")
        self.store = store
        self._keep_s = keep_minutes_days * 86400
        self._flush_every = flush_every
        self._clock = clock
        self._last_flush = clock()
        self._last_prune: float | None = None
        self._registry = Registry(store.conn)
        self._electricity = Chain(
            self._registry,
            Slot(0, ELECTRICITY, "kWh"),
            MAX_PER_HOUR[ELECTRICITY],
            self._seek_buckets,
        )
        self._mbus: dict[tuple[int, str], Chain] = {}
        self._mbus_seen: dict[int, datetime | None] = {}
        self._mbus_rows: dict[tuple[int, int], int] = {}
        self._deltas: dict[tuple[int, int], Delta] = {}
        self._delta_key: tuple[int, int] | None = None
        self._delta: Delta | None = None
        self._registers: tuple[Registers, Registers] | None = None
        self._counters: Counters = ()
        self._failures: dict[int, int | None] = {}
        self._failure_log: object = None
        self._peaks: dict[str, tuple[int | None, int]] = {}
        self._peak_seen: object = None
        self._identity: tuple[int, str, str | None, Variant] | None = None
        self.telegrams = 0
        """Telegrams taken into the history."""
        self.skipped = 0
        """Telegrams that could not be placed in time (no time stamp, no counters)."""
        self.minutes_new = 0
        """Minutes the store held no reading of before this writer's telegrams."""
        self.minutes_known = 0
        """Minutes the store already held (the same telegrams again): nothing counted twice."""
        self._last_keys: set[tuple[int, int]] = set()
        """The minute rows of the previous batch: a minute split across two is counted once."""

    # --- taking telegrams in ---------------------------------------------------

    def add(self, telegram: Telegram, received_at: float) -> None:
        """Take one telegram; the meter's own time stamp places it, else ``received_at``."""
        stamp = telegram.timestamp
        ts = epoch(stamp) if stamp is not None else int(received_at)
        registers = (telegram.energy_import_kwh, telegram.energy_export_kwh)
        if self._registers is None or (
            registers[0] is not self._registers[0] or registers[1] is not self._registers[1]
        ):
            self._registers = registers
            self._counters = _counters(*registers)
        counters = self._counters
        chain = self._electricity
        if counters[2] is None and counters[5] is None:
            self.skipped += 1  # no energy registers: nothing to place
            return
        self.telegrams += 1
        for series, rts, values in chain.feed(ts, telegram.equipment_id, counters):
            self._delta_for(series.id, bucket(rts, MINUTE)).set_counters(rts, values)
        current = chain.current
        if current is not None:
            self._note_identity(current, telegram)
            self._delta_for(current.id, bucket(ts, MINUTE)).add_power(ts, telegram)
        if telegram.mbus:
            self._add_mbus(telegram, ts)
        if telegram.power_failure_log is not self._failure_log:
            self._failure_log = telegram.power_failure_log
            for failure in telegram.power_failure_log or ():
                if failure.end is not None:
                    self._failures[epoch(failure.end)] = failure.duration_s
        if telegram.peak_demand is not None:
            self._add_peaks(telegram)
        if len(self._deltas) > MAX_PENDING_MINUTES:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        """Flush when the last one is a batch interval ago (call it when the line is quiet)."""
        if self._clock() - self._last_flush >= self._flush_every:
            self.flush()

    def _delta_for(self, series: int, minute: int) -> Delta:
        key = (series, minute)
        if key == self._delta_key:
            return self._delta  # type: ignore[return-value]
        delta = self._deltas.get(key)
        if delta is None:
            delta = self._deltas[key] = Delta()
        self._delta_key, self._delta = key, delta
        return delta

    def _note_identity(self, series: Series, telegram: Telegram) -> None:
        identity = (series.id, telegram.header, telegram.dsmr_version, telegram.variant)
        if identity != self._identity:
            self._identity = identity
            series.header, series.version, series.variant = (
                telegram.header, telegram.dsmr_version, telegram.variant.value,
            )  # fmt: skip
            series.dirty = True

    def _add_mbus(self, telegram: Telegram, ts: int) -> None:
        for device in telegram.mbus:
            if device.reading is None or device.empty:
                continue
            if self._mbus_seen.get(device.channel, 0) == device.timestamp and (
                device.timestamp is not None
            ):
                continue  # the same capture, repeated in every telegram until the next
            self._mbus_seen[device.channel] = device.timestamp
            medium = device.medium or "other"
            key = (device.channel, medium)
            chain = self._mbus.get(key)
            if chain is None:
                rate = MAX_PER_HOUR.get(medium, MAX_PER_HOUR_OTHER)
                seek = self._mbus_seeker(device.channel, medium)
                slot = Slot(device.channel, medium, device.unit)
                chain = self._mbus[key] = Chain(self._registry, slot, rate, seek)
            rts = epoch(device.timestamp) if device.timestamp is not None else ts
            before, last = chain.current, chain.last
            for series, when, values in chain.feed(
                rts, device.equipment_id, (_milli(device.reading),)
            ):
                if series is not before or values != last:  # stored when it changes
                    self._mbus_rows[(series.id, when)] = values[0]  # type: ignore[assignment]
                before, last = series, values

    def _add_peaks(self, telegram: Telegram) -> None:
        peak = telegram.peak_demand
        if peak is self._peak_seen or peak is None:
            return
        self._peak_seen = peak
        # A history row is stamped with the start of the month after its month; the
        # current month's peak with the end of its quarter: a second earlier is inside.
        rows = [(m.month, m.at, m.kw) for m in peak.history or ()]
        rows.append((peak.month_max_at, peak.month_max_at, peak.month_max_kw))
        for stamp, at, kw in rows:
            if stamp is None or kw is None:
                continue
            inside = stamp - timedelta(seconds=1)
            label = f"{inside.year:04d}-{inside.month:02d}"
            self._peaks[label] = (None if at is None else epoch(at), int(kw.scaleb(3)))

    # --- reading back what is stored (to continue a series) --------------------

    def _seek_buckets(
        self, ts: int, equipment_id: str | None, flush: bool
    ) -> tuple[Series, int, Counters] | None:
        if flush:
            self.flush()
        found = []
        conn = self.store.conn
        for series in self._registry.of_slot(0, ELECTRICITY):
            if series.first_ts > ts:
                continue
            for table in ("minute", "hour"):
                row = conn.execute(
                    f"SELECT cts, i1, i2, i0, e1, e2, e0 FROM {table} "
                    "WHERE series = ? AND t <= ? AND cts <= ? AND cts IS NOT NULL "
                    "ORDER BY t DESC LIMIT 1",
                    (series.id, bucket(ts, MINUTE), ts),
                ).fetchone()
                if row is not None:
                    found.append((series, row[0], tuple(row[1:])))
                    break
        return _latest(found, equipment_id)

    def _mbus_seeker(self, channel: int, medium: str):
        def seek(
            ts: int, equipment_id: str | None, flush: bool
        ) -> tuple[Series, int, Counters] | None:
            if flush:
                self.flush()
            found = []
            for series in self._registry.of_slot(channel, medium):
                row = self.store.conn.execute(
                    "SELECT t, value FROM mbus WHERE series = ? AND t <= ? ORDER BY t DESC LIMIT 1",
                    (series.id, ts),
                ).fetchone()
                if row is not None:
                    found.append((series, row[0], (row[1],)))
            return _latest(found, equipment_id)

        return seek

    # --- writing -----------------------------------------------------------------

    def flush(self) -> None:
        """Write everything taken in since the last flush, in one transaction."""
        self._last_flush = self._clock()
        deltas, self._deltas = self._deltas, {}
        self._delta_key = self._delta = None
        hours: dict[tuple[int, int], Delta] = {}
        for (series, minute), delta in deltas.items():
            key = (series, bucket(minute + 1, HOUR))
            hour = hours.get(key)
            if hour is None:
                hours[key] = hour = Delta()
            hour.merge(delta)
        mbus, self._mbus_rows = self._mbus_rows, {}
        failures, self._failures = self._failures, {}
        peaks, self._peaks = self._peaks, {}
        events, self._registry.events = self._registry.events, []
        series = self._registry.dirty()
        prune = self._last_prune is None or self._last_flush - self._last_prune >= PRUNE_EVERY
        if not (deltas or mbus or failures or peaks or events or series or prune):
            return
        with self.store.transaction() as conn:
            self._count_minutes(conn, deltas)
            conn.executemany(UPSERT_SERIES, [s.row() for s in series])
            conn.executemany(_MINUTE_SQL, [d.row(s, t) for (s, t), d in deltas.items()])
            conn.executemany(_HOUR_SQL, [d.row(s, t) for (s, t), d in hours.items()])
            conn.executemany(
                "INSERT OR IGNORE INTO mbus (series, t, value) VALUES (?, ?, ?)",
                [(s, t, v) for (s, t), v in mbus.items()],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO power_failure (end_ts, duration_s) VALUES (?, ?)",
                failures.items(),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO peak (month, at, watts) VALUES (?, ?, ?)",
                [(m, at, w) for m, (at, w) in peaks.items()],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO event (t, kind, detail) VALUES (?, ?, ?)", events
            )
            if prune:
                self._last_prune = self._last_flush
                self._prune(conn)

    def _count_minutes(self, conn, deltas: dict[tuple[int, int], Delta]) -> None:
        """Count the batch's minutes as new or already stored, before it is written.

        A minute is stored when its row is; past the minute rows' retention (an old
        capture imported again), when its hour row's readings reach into it.
        """
        previous, self._last_keys = self._last_keys, set(deltas)
        by_series: dict[int, list[int]] = {}
        for series, minute in deltas:
            if (series, minute) not in previous:
                by_series.setdefault(series, []).append(minute)
        for series, minutes in by_series.items():
            low, high = min(minutes), max(minutes)
            stored = {
                t
                for (t,) in conn.execute(
                    "SELECT t FROM minute WHERE series = ? AND t BETWEEN ? AND ?",
                    (series, low, high),
                )
            }
            oldest = conn.execute(
                "SELECT min(t) FROM minute WHERE series = ?", (series,)
            ).fetchone()[0]
            pruned = [t for t in minutes if t not in stored and (oldest is None or t < oldest)]
            if pruned:
                stored.update(self._in_hours(conn, series, pruned))
            known = sum(1 for t in minutes if t in stored)
            self.minutes_known += known
            self.minutes_new += len(minutes) - known

    @staticmethod
    def _in_hours(conn, series: int, minutes: list[int]) -> set[int]:
        """The minutes (gone from the minute rows) that a stored hour row's readings span."""
        spans = conn.execute(
            "SELECT coalesce(first_ts, cts), max(coalesce(last_ts, cts), coalesce(cts, last_ts)) "
            "FROM hour WHERE series = ? AND t BETWEEN ? AND ?",
            (series, bucket(min(minutes) + 1, HOUR), bucket(max(minutes) + 1, HOUR)),
        ).fetchall()
        return {
            t
            for t in minutes
            if any(a is not None and b is not None and a <= t + MINUTE and b > t for a, b in spans)
        }

    def _prune(self, conn) -> None:
        """Minute rows past their retention go; M-Bus readings are thinned to one an hour.

        Retention counts back from the newest minute stored, not from the clock, so a
        collector that was off for a while, or an old capture imported, keeps its detail.
        """
        newest = conn.execute("SELECT max(t) FROM minute").fetchone()[0]
        if newest is None:
            return
        cutoff = newest - self._keep_s
        conn.execute("DELETE FROM minute WHERE t < ?", (cutoff,))
        conn.execute(
            "DELETE FROM mbus WHERE t < ? AND EXISTS (SELECT 1 FROM mbus later "
            "WHERE later.series = mbus.series AND later.t > mbus.t "
            "AND (later.t - 1) / 3600 = (mbus.t - 1) / 3600)",
            (cutoff,),
        )

    @property
    def zone(self) -> str:
        """The zone of the meter's country, from the latest electricity meter's variant."""
        meters = self._registry.of_slot(0, ELECTRICITY)
        return meter_zone(meters[-1].variant if meters else None)

    def close(self) -> None:
        """Write what is pending (the store stays open: its owner closes it)."""
        self.flush()
