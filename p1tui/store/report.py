"""Periods read back: energy per tariff, gas, water and costs, as the commands show them."""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from . import tracks
from .periods import Period, iso, local_date, midnight
from .prices import CONTRACT, DYNAMIC, PriceRow, Prices, dynamic_prices
from .series import Counters

HOUR = 3600


def figure(value: float | None, digits: int = 3) -> str:
    """A quantity as shown in tables and on screen: ``12.345``, ``-`` when unknown."""
    return "-" if value is None else f"{value:.{digits}f}"


def _units(value: int | float | None) -> float | None:
    """Thousandths (Wh, litres) to the unit (kWh, m3), as a plain number."""
    return None if value is None else round(value / 1000, 3)


@dataclass(frozen=True, slots=True)
class Energy:
    """What moved over a time range, in thousandths; None where nothing is known."""

    imported: Counters
    """Tariff 1, tariff 2, total."""
    exported: Counters
    gas: int | None
    water: int | None

    def as_dict(self) -> dict:
        return {
            "import_kwh": dict(
                zip(("tariff1", "tariff2", "total"), map(_units, self.imported), strict=True)
            ),
            "export_kwh": dict(
                zip(("tariff1", "tariff2", "total"), map(_units, self.exported), strict=True)
            ),
            "gas_m3": _units(self.gas),
            "water_m3": _units(self.water),
        }


_NOTHING = (None, None, None)


class Reading:
    """The store's counters over one time range, read once and asked for any part of it."""

    def __init__(self, conn: sqlite3.Connection, start: int, end: int, table: str = "hour") -> None:
        self.start, self.end = start, end
        self.electricity = tracks.electricity(conn, table, start, end)
        step = 60 if table == "minute" else HOUR
        self.gas = tracks.mbus(conn, "gas", start, end, step)
        self.water = tracks.mbus(conn, "water", start, end, step)

    def covered(self, a: int, b: int) -> bool:
        """Whether the meter was heard from in ``(a, b]``."""
        return self.electricity.covered(a, b)

    def energy(self, a: int, b: int) -> Energy | None:
        """What moved from ``a`` to ``b``; None when nothing was recorded in between."""
        if not self.covered(a, b):
            return None
        moved = self.electricity.moved(a, b) or (None,) * 6
        return Energy(
            moved[:3], moved[3:], _sum_moved(self.gas, a, b), _sum_moved(self.water, a, b)
        )


def _sum_moved(meters: tracks.Meters, a: int, b: int) -> int | None:
    """What the M-Bus meters of one medium moved from ``a`` to ``b``, together."""
    moved = meters.moved(a, b)
    return None if moved is None else moved[0]


# --- costs ---------------------------------------------------------------------------


@dataclass
class _Part:
    amount: float = 0.0
    sources: set[str] = field(default_factory=set)
    unpriced: bool = False

    def add(self, amount: float, source: str) -> None:
        self.amount += amount
        self.sources.add(source)


_COMPONENTS = ("import", "export", "gas", "water", "fixed")


class CostCalculator:
    """Costs of time ranges from the contract and the imported dynamic prices."""

    def __init__(
        self, conn: sqlite3.Connection, prices: Prices, reading: Reading, zone: ZoneInfo
    ) -> None:
        self.prices = prices
        self.reading = reading
        self.zone = zone
        self.dynamic = dynamic_prices(conn, reading.start, reading.end)
        self._fine = reading.electricity
        if any(row.end - row.start < HOUR for row in self.dynamic):
            # Quarter-hour prices: each quarter's energy from the minute rows where kept.
            fine = tracks.electricity(conn, "minute", reading.start, reading.end, ending_every=900)
            if fine:
                self._fine = fine

    @property
    def known(self) -> bool:
        return not self.prices.empty or bool(self.dynamic)

    def cost(self, start: int, end: int) -> dict | None:
        """``{"currency", "import", "export", "gas", "water", "fixed", "total", "sources"}``."""
        if not self.known:
            return None
        parts = {name: _Part() for name in _COMPONENTS}
        day = local_date(start, self.zone)
        while (day_start := max(midnight(day, self.zone), start)) < end:
            day_end = min(midnight(day + timedelta(days=1), self.zone), end)
            self._day(parts, day, day_start, day_end)
            day += timedelta(days=1)
        result: dict = {"currency": self.prices.currency}
        total = 0.0
        for name, part in parts.items():
            value = round(part.amount, 4) if part.sources else None
            result[name] = value
            total += value or 0.0
        # Nothing priced in the range (dynamic prices cover other hours only): unknown, not 0.
        priced = any(part.sources for part in parts.values())
        result["total"] = round(total, 4) if priced else None
        result["sources"] = {
            name: "+".join(sorted(part.sources)) if part.sources else None
            for name, part in parts.items()
        }
        return result

    def _day(self, parts: dict[str, _Part], day, start: int, end: int) -> None:
        reading = self.reading
        if not reading.covered(start, end):
            return
        dynamic = [row for row in self.dynamic if row.start < end and row.end > start]
        if dynamic:
            for hour in range(start, end, HOUR):
                self._hour(parts, day, hour, min(hour + HOUR, end), dynamic)
        else:
            self._contract(parts, day, start, end, ("import", "export"))
        prices = self.prices
        for name, found in (("gas", reading.gas), ("water", reading.water)):
            moved = _sum_moved(found, start, end)
            price = prices.price(name, day)
            if moved:
                if price is None:
                    parts[name].unpriced = True
                else:
                    parts[name].add(moved / 1000 * price, CONTRACT)
        fixed = prices.price("fixed_per_day", day)
        if fixed is not None and end - start >= midnight(
            day + timedelta(days=1), self.zone
        ) - midnight(day, self.zone):
            parts["fixed"].add(fixed, CONTRACT)
        elif fixed is not None:
            day_length = midnight(day + timedelta(days=1), self.zone) - midnight(day, self.zone)
            parts["fixed"].add(fixed * (end - start) / day_length, CONTRACT)

    def _contract(self, parts: dict[str, _Part], day, start: int, end: int, directions) -> None:
        moved = self.reading.electricity.moved(start, end)
        if moved is None:
            return
        for direction in directions:
            registers = moved[:3] if direction == "import" else moved[3:]
            sign = 1 if direction == "import" else -1
            split = registers[0] is not None and registers[1] is not None
            pieces = ((1, registers[0]), (2, registers[1])) if split else ((1, registers[2]),)
            for tariff, wh in pieces:
                if not wh:
                    continue
                price = self.prices.tariff_price(direction, tariff, day)
                if price is None:
                    parts[direction].unpriced = True
                else:
                    parts[direction].add(sign * wh / 1000 * price, CONTRACT)

    def _hour(
        self, parts: dict[str, _Part], day, start: int, end: int, rows: list[PriceRow]
    ) -> None:
        inside = [r for r in rows if r.start < end and r.end > start]
        covered = sum(min(r.end, end) - max(r.start, start) for r in inside)
        if covered < end - start:
            self._contract(parts, day, start, end, ("import", "export"))
            return
        electricity = self._fine
        export_known = all(r.export_price is not None for r in inside)
        for row in inside:
            moved = electricity.moved(max(row.start, start), min(row.end, end))
            if moved is None:
                continue
            if moved[2]:
                parts["import"].add(moved[2] / 1000 * row.import_price, DYNAMIC)
            if export_known and moved[5]:
                parts["export"].add(-moved[5] / 1000 * row.export_price, DYNAMIC)  # type: ignore[operator]
        if not export_known:
            self._contract(parts, day, start, end, ("export",))


# --- the history of one period -------------------------------------------------------


def summary(
    conn: sqlite3.Connection, period: Period, prices: Prices, *, part_costs: bool = False
) -> dict:
    """The period as ``p1tui history --format json`` prints it.

    Each hour, day or month has a ``note`` (:data:`PARTIAL`, :data:`IN_GAP` or None) and
    ``coverage`` says where the record starts, ends and pauses (:func:`_coverage`).
    ``part_costs`` adds ``"part_costs"``: each hour's, day's or month's total cost (None
    where unknown), for the table and the CSV, which show a cost on every line.
    """
    start, end = period.start, period.end
    reading = Reading(conn, start, end)
    totals = reading.energy(start, end)
    result: dict = {"from": iso(start, period.zone), "to": iso(end, period.zone)}
    if totals is None:
        result.update(Energy(_NOTHING, _NOTHING, None, None).as_dict())
    else:
        result.update(totals.as_dict())
    calculator = CostCalculator(conn, prices, reading, period.zone)
    result["cost"] = calculator.cost(start, end) if totals is not None else None
    parts = period.parts()
    energies = [reading.energy(a, b) for a, b in parts]
    notes, result["coverage"] = _coverage(reading, period, totals, energies)
    entries = [
        {
            "from": iso(a, period.zone),
            "import_kwh": None if energy is None else _units(energy.imported[2]),
            "export_kwh": None if energy is None else _units(energy.exported[2]),
            "gas_m3": None if energy is None else _units(energy.gas),
            "note": note,
        }
        for (a, _b), energy, note in zip(parts, energies, notes, strict=True)
    ]
    result[period.parts_name] = entries
    result["peaks"] = month_peaks(conn, period)
    if part_costs:
        result["part_costs"] = [
            cost["total"] if (cost := calculator.cost(a, b)) and reading.covered(a, b) else None
            for a, b in parts
        ]
    return result


SLACK = 60
"""Seconds at a period's edge without readings that still count as covered (a meter
sends every 1 or 10 s: its first telegram is never exactly on the hour)."""
PARTIAL = "partial"
"""A part's note: readings start or end inside it, so its figure covers only part of it."""
IN_GAP = "gap"
"""A part's note: no readings inside it, but before and after it: what the meter moved
meanwhile is in the totals around it (shared over the gap), not in this part."""


def _coverage(
    reading: Reading, period: Period, totals: Energy | None, energies: list[Energy | None]
) -> tuple[list[str | None], dict]:
    """Each part's note, and the period's ``coverage`` object.

    ``coverage``: ``first_reading`` and ``last_reading`` (ISO) where the record starts
    or ends (so far) inside the period, more than :data:`SLACK` from its edge, else
    None; ``gaps``, each ``{"from", "to", "counted"}``: the last reading before and the
    first after each pause inside the period longer than a few minutes, ``counted``
    when one meter was read on both sides (what it moved across the gap is in the
    totals); ``not_in_parts``: what the totals hold that no part does (the share of the
    parts inside gaps), per quantity, when a part lies in a gap.
    """
    electricity = reading.electricity
    stretches = electricity.stretches()
    start, end, zone = period.start, period.end, period.zone
    coverage: dict = {"first_reading": None, "last_reading": None, "gaps": [], "not_in_parts": None}
    if not stretches:
        return [None] * len(energies), coverage
    first, last = stretches[0][0], stretches[-1][1]
    holes = [
        (before[1], after[0], electricity.bridged(before[1], after[0]))
        for before, after in pairwise(stretches)
        if before[1] < end and after[0] > start
    ]
    if start + SLACK < first < end:
        coverage["first_reading"] = iso(first, zone)
    if start < last < end - SLACK:
        coverage["last_reading"] = iso(last, zone)
    coverage["gaps"] = [
        {"from": iso(a, zone), "to": iso(b, zone), "counted": counted} for a, b, counted in holes
    ]
    notes: list[str | None] = []
    for (a, b), energy in zip(period.parts(), energies, strict=True):
        if energy is None:
            inside = any(counted and x <= a and y >= b for x, y, counted in holes)
            notes.append(IN_GAP if inside else None)
        else:
            cut = (
                first > a + SLACK
                or last < b - SLACK
                or any(min(y, b) - max(x, a) > SLACK and not counted for x, y, counted in holes)
            )
            notes.append(PARTIAL if cut else None)
    if IN_GAP in notes and totals is not None:
        known = [energy for energy in energies if energy is not None]
        coverage["not_in_parts"] = {
            "import_kwh": _rest(totals.imported[2], [e.imported[2] for e in known]),
            "export_kwh": _rest(totals.exported[2], [e.exported[2] for e in known]),
            "gas_m3": _rest(totals.gas, [e.gas for e in known]),
        }
    return notes, coverage


def _rest(total: int | None, parts: list[int | None]) -> float | None:
    """The total less its parts, in the unit (None where the total is unknown)."""
    return None if total is None else _units(total - sum(p for p in parts if p is not None))


def _clock(ts_iso: str, period: Period) -> str:
    """``14:37`` on the day shown, else ``Wed 2026-10-21 14:37``."""
    moment = datetime.fromisoformat(ts_iso)
    if period.kind == "day" and moment.date() == period.first:
        return moment.strftime("%H:%M")
    return moment.strftime("%a %Y-%m-%d %H:%M")


MAX_GAP_LINES = 3
"""More gaps than this in a period are told in one line (the longest named)."""


def _seconds_in(gap: dict, period: Period) -> float:
    """How long the gap lasts inside the period (a gap may begin before it or end after)."""
    start = max(datetime.fromisoformat(gap["from"]).timestamp(), period.start)
    end = min(datetime.fromisoformat(gap["to"]).timestamp(), period.end)
    return max(0.0, end - start)


def _part_of(stamp: str, result: dict, period: Period) -> int:
    """The index of the part (hour, day, month) that holds the moment ``stamp``."""
    moment = datetime.fromisoformat(stamp)
    starts = [datetime.fromisoformat(entry["from"]) for entry in result[period.parts_name]]
    return bisect_right(starts, moment) - 1


def coverage_notes(result: dict, period: Period, mark: str = "*") -> list[str]:
    """What the figures do not show at first sight, in sentences (the table's footnotes
    and the History screen's): a record that starts or ends inside the period, gaps.

    ``mark`` starts the notes about the parts marked partial (the table's ``*``)."""
    coverage = result["coverage"]
    name = {"hours": "hour", "days": "day", "months": "month"}[period.parts_name]
    marked = f"{mark} " if any(e["note"] == PARTIAL for e in result[period.parts_name]) else ""
    lines = []
    if coverage["first_reading"]:
        lines.append(
            f"{marked}Readings start at {_clock(coverage['first_reading'], period)}: "
            "the figures count from then."
        )
    if coverage["last_reading"]:
        lines.append(
            f"{marked}Latest reading at {_clock(coverage['last_reading'], period)}: "
            "the figures go up to then."
        )
    gaps = coverage["gaps"]
    if len(gaps) > MAX_GAP_LINES:
        hours = sum(_seconds_in(gap, period) for gap in gaps) / 3600
        longest = max(gaps, key=lambda gap: _seconds_in(gap, period))
        text = (
            f"{len(gaps)} gaps without readings, {hours:.1f} hours in all, the longest from "
            f"{_clock(longest['from'], period)} to {_clock(longest['to'], period)}."
        )
        if any(gap["counted"] for gap in gaps):
            text += (
                " What the counters moved across them is in the totals, shared by time "
                f"with the {name}s at their ends."
            )
        lines.append(text)
        gaps = [gap for gap in gaps if not gap["counted"]][:MAX_GAP_LINES]
    for gap in gaps:
        span = f"no readings from {_clock(gap['from'], period)} to {_clock(gap['to'], period)}"
        if not gap["counted"]:
            lines.append(
                f"{marked}Gap: {span}, another meter or restarted counters after it: "
                "nothing counted for it."
            )
        elif _part_of(gap["from"], result, period) == _part_of(gap["to"], result, period):
            lines.append(
                f"Gap: {span}. What the counters moved across it is in the {name} it lies in."
            )
        else:
            lines.append(
                f"Gap: {span}. What the counters moved across it is in the totals; the {name}s "
                "at its ends hold a share by time."
            )
    rest = coverage["not_in_parts"]
    if rest is not None:
        moved = [f"{figure(rest['import_kwh'])} kWh import", f"{figure(rest['export_kwh'])} export"]
        if rest["gas_m3"]:
            moved.append(f"{figure(rest['gas_m3'])} m3 gas")
        across = "that" if len(coverage["gaps"]) == 1 else "what moved across the gaps"
        lines.append(f"Of {across}, {', '.join(moved)} is in no {name} (those marked gap).")
    return lines


def month_peaks(conn: sqlite3.Connection, period: Period) -> list[dict]:
    """The Belgian capacity tariff's peaks of the local months the period lies in.

    One entry per month, ``{"month": "YYYY-MM", "kw", "at"}``: the month's highest
    quarter-hour average import and when that quarter was (ISO, the meter's zone);
    ``kw`` and ``at`` are None where the store holds no peak for the month (a meter of
    another country, or a month it was not heard from).
    """
    last = period.end_day - timedelta(days=1)
    months = [
        f"{index // 12:04d}-{index % 12 + 1:02d}"
        for index in range(
            period.first.year * 12 + period.first.month - 1, last.year * 12 + last.month
        )
    ]
    stored = {
        month: (at, watts)
        for month, at, watts in conn.execute(
            "SELECT month, at, watts FROM peak WHERE month BETWEEN ? AND ?",
            (months[0], months[-1]),
        )
    }
    peaks = []
    for month in months:
        at, watts = stored.get(month, (None, None))
        peaks.append(
            {
                "month": month,
                "kw": _units(watts),
                "at": None if at is None else iso(at, period.zone),
            }
        )
    return peaks


def _moment(stamp: str) -> str:
    """``Fri 2026-02-20 18:45`` from an ISO time with its offset (already the meter's zone)."""
    return datetime.fromisoformat(stamp).strftime("%a %Y-%m-%d %H:%M")


def peak_lines(peaks: list[dict], kind: str, label_width: int = 0) -> list[str]:
    """The monthly peaks in words (fits 78 columns); none when no month has one.

    A year: its highest peak and the mean of its months' peaks (what the Belgian
    capacity tariff bills on); a shorter period: each of its months' peak.
    """
    known = [peak for peak in peaks if peak["kw"] is not None]
    if not known:
        return []

    def when(peak: dict) -> str:
        return f" on {_moment(peak['at'])}" if peak["at"] else ""

    if kind == "year":
        top = max(known, key=lambda peak: peak["kw"])
        mean = sum(peak["kw"] for peak in known) / len(known)
        months = "month" if len(known) == 1 else f"{len(known)} months"
        return [
            f"{'Peaks':<{label_width}} highest {top['kw']:.3f} kW{when(top)}, "
            f"mean {mean:.3f} kW of {months}"
        ]
    return [
        f"{'Peak':<{label_width}} {peak['kw']:.3f} kW{when(peak)}, "
        f"the highest quarter-hour of {peak['month']}"
        for peak in known
    ]


def events(conn: sqlite3.Connection, period: Period) -> list[str]:
    """The period's meter swaps, counter resets and ignored glitches, one line each."""
    return [
        f"{iso(t, period.zone)[:16].replace('T', ' ')}  {detail}"
        for t, detail in conn.execute(
            "SELECT t, detail FROM event WHERE t >= ? AND t < ? ORDER BY t",
            (period.start, period.end),
        )
    ]


# --- rows for spreadsheets -----------------------------------------------------------

RESOLUTIONS = {"minute": 60, "hour": HOUR}
EXPORT_COLUMNS = (
    "from", "to", "import_tariff1_kwh", "import_tariff2_kwh", "import_kwh",
    "export_tariff1_kwh", "export_tariff2_kwh", "export_kwh", "gas_m3", "water_m3",
    "power_import_mean_w", "power_import_max_w", "power_export_mean_w", "power_export_max_w",
    "cost",
)  # fmt: skip


def _edges(start: int, end: int, resolution: str, zone: ZoneInfo) -> list[int]:
    if resolution == "day":
        day, edges = local_date(start, zone), []
        while (edge := midnight(day, zone)) < end:
            edges.append(edge)
            day += timedelta(days=1)
        return [*edges, end]
    step = RESOLUTIONS[resolution]
    return [*range(start, end, step), end]


def _power(conn: sqlite3.Connection, table: str, edges: list[int]) -> list[list[int]]:
    """Per part: samples, import sum and max, export sum and max (from the stored rows)."""
    parts = [[0, 0, 0, 0, 0] for _ in edges[:-1]]
    for t, n, pi_sum, pi_max, pe_sum, pe_max in conn.execute(
        f"SELECT t, n, pi_sum, pi_max, pe_sum, pe_max FROM {table} "
        "WHERE t >= ? AND t < ? AND n > 0",
        (edges[0], edges[-1]),
    ):
        part = parts[bisect_right(edges, t) - 1]
        part[0] += n
        part[1] += pi_sum
        part[2] = max(part[2], pi_max)
        part[3] += pe_sum
        part[4] = max(part[4], pe_max)
    return parts


def export_rows(
    conn: sqlite3.Connection,
    start: int,
    end: int,
    resolution: str,
    *,
    zone: ZoneInfo,
    prices: Prices,
) -> list[dict]:
    """One row per minute, hour or local day of ``[start, end)``; missing data is None."""
    table = "minute" if resolution == "minute" else "hour"
    reading = Reading(conn, start, end, table)
    costs = CostCalculator(conn, prices, reading, zone)
    edges = _edges(start, end, resolution, zone)
    power = _power(conn, table, edges)
    rows = []
    for (a, b), (n, pi_sum, pi_max, pe_sum, pe_max) in zip(pairwise(edges), power, strict=True):
        energy = reading.energy(a, b)
        cost = costs.cost(a, b) if energy is not None else None
        imported = energy.imported if energy else _NOTHING
        exported = energy.exported if energy else _NOTHING
        values = (
            iso(a, zone), iso(b, zone), *map(_units, imported), *map(_units, exported),
            _units(energy.gas) if energy else None, _units(energy.water) if energy else None,
            round(pi_sum / n) if n else None, pi_max if n else None,
            round(pe_sum / n) if n else None, pe_max if n else None,
            None if cost is None else cost["total"],
        )  # fmt: skip
        rows.append(dict(zip(EXPORT_COLUMNS, values, strict=True)))
    return rows
