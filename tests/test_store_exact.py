"""A simulated week in the history: every period's energy is what the counters moved.

The week (nl4, a telegram every 10 s) crosses tariff switches, midnights, the October
daylight-saving change with its repeated hour, two meter swaps (counters jumping down,
then up; the gas meter the other way round), gaps, and two glitches. The expected
figures are computed here from the telegrams themselves: per meter, the counter of the
last reading at or before each boundary.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from store_helpers import telegrams, with_value, write_capture

from p1tui.cli import main
from p1tui.sim.legal_time import parse_iso
from p1tui.sim.simulator import Simulator

START = "2026-10-21T00:00:00+02:00"  # a Wednesday; summer time ends on Sunday the 25th
SWAPS = ("2026-10-23T12:00:00+02:00", "2026-10-25T09:00:00+01:00")
GAPS = (
    ("2026-10-22T02:00:00+02:00", "2026-10-22T05:30:00+02:00"),  # inside a day
    ("2026-10-26T22:10:00+01:00", "2026-10-27T01:20:00+01:00"),  # over midnight
)
GLITCHES = {
    "2026-10-24T15:00:10+02:00": b"000000.000",  # a counter read as 0
    "2026-10-26T10:00:30+01:00": b"999999.999",  # a leap that comes back
}
DAYS = 7


@dataclass
class Reading:
    ts: int
    meter: str
    values: tuple[int, ...]


def _milli(value) -> int:
    return int(value * 1000)


def _week() -> list[bytes]:
    start = parse_iso(START)
    end = start + DAYS * 86400 + 3600
    edges = [start, *(parse_iso(s) for s in SWAPS), end]
    raw: list[tuple[int, bytes]] = []
    for seed, (a, b) in enumerate(pairwise(edges), start=1):
        simulator = Simulator("nl4", seed, a)
        gas = simulator.mbus[0]
        if seed == 2:  # a new electricity meter at zero; a new gas meter reading higher
            simulator.meter.registers_ws = [[0, 0], [0, 0]]
            gas._total = gas.captured = 9_900_000  # litres
        if seed == 3:  # a meter with years on its counters; a gas meter nearly new
            gas._total = gas.captured = 50_000
        while simulator.now.t < b - simulator.period_s:
            telegram = simulator.next_telegram()
            raw.append((simulator.now.t, telegram))
    gaps = [(parse_iso(a), parse_iso(b)) for a, b in GAPS]
    glitches = {parse_iso(k): v for k, v in GLITCHES.items()}
    kept = []
    for ts, telegram in raw:
        if any(a <= ts < b for a, b in gaps):
            continue
        glitch = glitches.get(ts)
        kept.append(telegram if glitch is None else with_value(telegram, b"1-0:1.8.2", glitch))
    return kept


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Reading], list[Reading]]:
    """The week imported with `p1tui import`, and the readings the test expects from it."""
    raw = _week()
    folder = tmp_path_factory.mktemp("week")
    capture = write_capture(folder / "week.txt", raw)
    db = folder / "history.sqlite3"
    assert main(["import", "--db", str(db), str(capture)]) == 0
    glitched = {parse_iso(k) for k in GLITCHES}
    electricity, gas = [], []
    for telegram in telegrams(raw):
        ts = int(telegram.timestamp.timestamp())
        if ts not in glitched:
            imported, exported = telegram.energy_import_kwh, telegram.energy_export_kwh
            registers = (imported.tariff1, imported.tariff2, exported.tariff1, exported.tariff2)
            electricity.append(Reading(ts, telegram.equipment_id, tuple(map(_milli, registers))))
        device = telegram.mbus[0]
        stamp = int(device.timestamp.timestamp())
        if not gas or gas[-1].ts != stamp:
            gas.append(Reading(stamp, device.equipment_id, (_milli(device.reading),)))
    return db, electricity, gas


def _moved(readings: list[Reading], a: int, b: int) -> tuple[int, ...]:
    """Per meter: its counter at b minus its counter at a (its first reading before it)."""
    runs: list[list[Reading]] = []
    for reading in readings:
        if runs and runs[-1][0].meter == reading.meter:
            runs[-1].append(reading)
        else:
            runs.append([reading])
    total = [0] * len(readings[0].values)
    for run in runs:

        def at(t: int, run: list[Reading] = run) -> tuple[int, ...]:
            before = [r for r in run if r.ts <= t]
            return (before[-1] if before else run[0]).values

        for i, (x, y) in enumerate(zip(at(a), at(b), strict=True)):
            total[i] += y - x
    return tuple(total)


def _steady(readings: list[Reading], t: int) -> bool:
    """A reading within a telegram period or two of ``t`` (no gap there)."""
    return any(t - 20 <= r.ts <= t for r in readings)


def _history(db: Path, *args: str, capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _kwh(milli: int) -> float:
    return round(milli / 1000, 3)


def test_every_day_is_exactly_what_the_counters_moved(week, capsys) -> None:
    db, electricity, gas = week
    first = date(2026, 10, 21)
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        result = _history(db, "--day", day.isoformat(), capsys=capsys)
        a, b = parse_iso(result["from"]), parse_iso(result["to"])
        if not (_steady(electricity, a) and _steady(electricity, b)):
            continue  # a boundary inside a gap: checked by the next test
        i1, i2, e1, e2 = _moved(electricity, a, b)
        assert result["import_kwh"] == {
            "tariff1": _kwh(i1),
            "tariff2": _kwh(i2),
            "total": _kwh(i1 + i2),
        }, day
        assert result["export_kwh"] == {
            "tariff1": _kwh(e1),
            "tariff2": _kwh(e2),
            "total": _kwh(e1 + e2),
        }, day
        assert result["gas_m3"] == _kwh(_moved(gas, a, b)[0]), day
        assert i1 + i2 > 0 and (e1 + e2) >= 0


def test_the_week_and_the_days_across_a_gap_add_up_exactly(week, capsys) -> None:
    db, electricity, _gas = week
    result = _history(db, "--week", "2026-10-21", capsys=capsys)
    assert result["from"] == "2026-10-19T00:00:00+02:00"  # Monday: the ISO week
    assert [d["from"][:10] for d in result["days"]] == [
        (date(2026, 10, 19) + timedelta(days=i)).isoformat() for i in range(7)
    ]
    # The week starts before the record (Monday, Tuesday: no data) and ends inside it.
    assert result["days"][0]["import_kwh"] is None and result["days"][1]["import_kwh"] is None
    a, b = parse_iso("2026-10-21T00:00:00+02:00"), parse_iso(result["to"])
    i1, i2, _e1, _e2 = _moved(electricity, a, b)
    assert result["import_kwh"]["total"] == _kwh(i1 + i2)
    days = [d["import_kwh"] for d in result["days"] if d["import_kwh"] is not None]
    assert round(sum(days), 3) == _kwh(i1 + i2)
    # Monday 26th and Tuesday 27th share the gap over their midnight; together exact.
    monday = _history(db, "--day", "2026-10-26", capsys=capsys)
    tuesday = _history(db, "--day", "2026-10-27", capsys=capsys)
    both = _moved(electricity, parse_iso(monday["from"]), parse_iso(tuesday["to"]))
    together = monday["import_kwh"]["total"] + tuesday["import_kwh"]["total"]
    assert round(together, 3) == _kwh(both[0] + both[1])


def test_the_day_summer_time_ends_has_25_exact_hours(week, capsys) -> None:
    db, electricity, gas = week
    result = _history(db, "--day", "2026-10-25", capsys=capsys)
    hours = result["hours"]
    assert len(hours) == 25
    starts = [h["from"] for h in hours]
    assert starts[2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]
    assert result["to"] == "2026-10-26T00:00:00+01:00"
    for hour in hours:
        a = parse_iso(hour["from"])
        if not (_steady(electricity, a) and _steady(electricity, a + 3600)):
            continue
        i1, i2, e1, e2 = _moved(electricity, a, a + 3600)
        assert hour["import_kwh"] == _kwh(i1 + i2), hour["from"]
        assert hour["export_kwh"] == _kwh(e1 + e2), hour["from"]
        assert hour["gas_m3"] == _kwh(_moved(gas, a, a + 3600)[0]), hour["from"]
    assert round(sum(h["import_kwh"] for h in hours), 3) == result["import_kwh"]["total"]


def test_hours_without_a_telegram_are_null(week, capsys) -> None:
    db, _electricity, _gas = week
    hours = _history(db, "--day", "2026-10-22", capsys=capsys)["hours"]
    empty = [h["from"][11:16] for h in hours if h["import_kwh"] is None]
    assert empty == ["02:00", "03:00", "04:00"]  # the gap from 02:00 to 05:30
    assert all(h["gas_m3"] is None for h in hours if h["import_kwh"] is None)


def test_swaps_and_glitches_leave_no_jump_and_are_logged(week, capsys) -> None:
    db, _electricity, _gas = week

    conn = sqlite3.connect(db)
    events = conn.execute("SELECT kind, detail FROM event ORDER BY t").fetchall()
    series = conn.execute("SELECT slot, reason FROM series ORDER BY slot, first_ts").fetchall()
    conn.close()
    electric = [kind for kind, detail in events if detail.startswith("electricity")]
    assert electric == ["swap", "glitch", "swap", "glitch"]
    assert [kind for kind, detail in events if "(gas)" in detail] == ["swap", "swap"]
    assert [s for s in series if s[0] < 2] == [
        (0, "first"), (0, "swap"), (0, "swap"), (1, "first"), (1, "swap"), (1, "swap"),
    ]  # fmt: skip
    for day in ("2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"):
        result = _history(db, "--day", day, capsys=capsys)
        # A household, not a jump of thousands of kWh or m3 either way.
        assert 0 < result["import_kwh"]["total"] < 60, day
        assert 0 <= result["gas_m3"] < 30, day
        assert all(h["import_kwh"] is None or 0 <= h["import_kwh"] < 15 for h in result["hours"])


def test_the_host_time_zone_changes_nothing(week, capsys) -> None:
    db, _electricity, _gas = week
    here = _history(db, "--day", "2026-10-25", capsys=capsys)
    for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
        done = subprocess.run(
            [sys.executable, "-m", "p1tui", "history", "--db", str(db), "--format", "json",
             "--day", "2026-10-25"],
            capture_output=True, text=True, check=True, env={**os.environ, "TZ": zone},
        )  # fmt: skip
        assert json.loads(done.stdout) == here


def test_the_march_day_has_23_hours(tmp_path: Path, capsys) -> None:
    simulator = Simulator("nl4", 4, parse_iso("2026-03-28T22:00:00+01:00"))
    raw = [simulator.next_telegram() for _ in range(6 * 360 * 5)]  # 30 hours
    db = tmp_path / "h.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(tmp_path / "m.txt", raw))]) == 0
    result = _history(db, "--day", "2026-03-29", capsys=capsys)
    assert [h["from"][11:] for h in result["hours"][1:3]] == ["01:00:00+01:00", "03:00:00+02:00"]
    assert len(result["hours"]) == 23
    readings = [
        Reading(int(t.timestamp.timestamp()), t.equipment_id, (_milli(t.energy_import_kwh.total),))
        for t in telegrams(raw)
    ]
    expected = _moved(readings, parse_iso(result["from"]), parse_iso(result["to"]))[0]
    assert result["import_kwh"]["total"] == _kwh(expected)


def test_every_meter_of_a_swap_keeps_its_identity(week) -> None:
    db, _electricity, _gas = week
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT equipment_id, header, version, variant FROM series WHERE slot = 0 ORDER BY first_ts"
    ).fetchall()
    conn.close()
    assert len({row[0] for row in rows}) == 3
    assert all(row[1].startswith("/KFM5") and row[2] == "42" and row[3] == "nl4" for row in rows)


def test_the_table_names_the_swaps_and_glitches_of_the_day(week, capsys) -> None:
    db, _electricity, _gas = week
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--day", "2026-10-24"]) == 0
    table = capsys.readouterr().out
    events = table[table.index("\nEvents\n") :].splitlines()[2:]
    assert events == ["  2026-10-24 15:00  electricity: one implausible reading ignored"]
