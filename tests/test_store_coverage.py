"""What `p1tui history` says about the parts of a period its figures do not fully cover:
a record that starts or ends inside an hour (a fresh store, the ongoing hour) and hours
inside a gap (the collector stopped, the cable out), in JSON, CSV and the table.

Expectations come from the telegrams themselves: their time stamps and counters.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from store_helpers import sim_bytes, telegrams, write_capture

from p1tui.cli import main
from p1tui.sim.legal_time import parse_iso

ZONE_DAY = "2026-06-21"
ZONE = ZoneInfo("Europe/Amsterdam")  # a Dutch meter's days


def _stamps(raw: list[bytes]) -> list[int]:
    return [int(t.timestamp.timestamp()) for t in telegrams(raw)]


def _import(tmp_path: Path, raw: list[bytes]) -> Path:
    db = tmp_path / "h.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(tmp_path / "c.txt", raw))]) == 0
    return db


def _history(db: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--day", ZONE_DAY, *args]) == 0
    return capsys.readouterr().out


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, ZONE).isoformat()


def _hour_of(ts: int) -> int:
    return datetime.fromtimestamp(ts, ZONE).hour


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, list[int]]:
    """A store that starts at 14:37:20 and was last heard from two hours later."""
    raw = sim_bytes(f"{ZONE_DAY}T14:37:20+02:00", 720)  # a 10 s meter
    return _import(tmp_path, raw), _stamps(raw)


def test_a_fresh_stores_first_and_last_hour_are_marked_partial(fresh, capsys) -> None:
    db, stamps = fresh
    result = json.loads(_history(db, capsys, "--format", "json"))
    first, last = stamps[0], stamps[-1]
    assert result["coverage"] == {
        "first_reading": _iso(first),
        "last_reading": _iso(last),
        "gaps": [],
        "not_in_parts": None,
    }
    notes = {int(h["from"][11:13]): h["note"] for h in result["hours"]}
    partial = {_hour_of(first), _hour_of(last)}
    assert {hour for hour, note in notes.items() if note == "partial"} == partial
    assert not any(note == "gap" for note in notes.values())  # before and after: no data
    for hour in result["hours"]:
        covered = _hour_of(first) <= int(hour["from"][11:13]) <= _hour_of(last)
        assert (hour["import_kwh"] is not None) == covered, hour
    # Nothing left out: the day is the sum of its (partial) hours.
    known = [h["import_kwh"] for h in result["hours"] if h["import_kwh"] is not None]
    assert round(sum(known), 3) == result["import_kwh"]["total"]


def test_a_fresh_stores_figures_count_from_its_first_reading(fresh, capsys) -> None:
    """The note says the figures count from the first reading: so do they, in the day's
    totals and in its first (partial) hour, to the last counter."""
    db, _stamps = fresh
    raw = sim_bytes(f"{ZONE_DAY}T14:37:20+02:00", 720)
    first, *_, last = telegrams(raw)
    result = json.loads(_history(db, capsys, "--format", "json"))
    for key, name in (("import_kwh", "energy_import_kwh"), ("export_kwh", "energy_export_kwh")):
        moved = getattr(last, name).total - getattr(first, name).total
        assert result[key]["total"] == float(moved), key
    first_hour_end = parse_iso(f"{ZONE_DAY}T15:00:00+02:00")
    at_hour_end = [t for t in telegrams(raw) if t.timestamp.timestamp() <= first_hour_end][-1]
    for key, name in (("import_kwh", "energy_import_kwh"), ("export_kwh", "energy_export_kwh")):
        moved = getattr(at_hour_end, name).total - getattr(first, name).total
        assert result["hours"][14][key] == float(moved), key
    assert result["hours"][14]["export_kwh"] > 0  # the June sun: not a test of zeros


def test_a_fresh_stores_gas_counts_from_its_first_reading(tmp_path: Path, capsys) -> None:
    """A DSMR 5 gas meter's first reading (every 5 minutes) starts the count, not the
    last one of its first hour."""
    raw = sim_bytes(f"{ZONE_DAY}T10:30:00+02:00", 2700, variant="nl5")  # to 11:15
    db = _import(tmp_path, raw)
    gas = [(t.mbus[0].timestamp.timestamp(), t.mbus[0].reading) for t in telegrams(raw)]
    first, last = gas[0][1], gas[-1][1]
    at_eleven = [value for ts, value in gas if ts <= parse_iso(f"{ZONE_DAY}T11:00:00+02:00")][-1]
    assert at_eleven > first  # the sample house heats water then: not a test of zeros
    result = json.loads(_history(db, capsys, "--format", "json"))
    assert result["gas_m3"] == float(last - first)
    assert result["hours"][10]["gas_m3"] == float(at_eleven - first)


def test_a_fresh_stores_first_day_is_marked_partial_in_its_week(fresh, capsys) -> None:
    db, stamps = fresh
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--week", ZONE_DAY, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [day["note"] for day in result["days"]] == [None] * 6 + ["partial"]  # Sunday
    assert result["coverage"]["first_reading"] == _iso(stamps[0])


def test_the_table_and_csv_say_where_the_record_starts_and_ends(fresh, capsys) -> None:
    db, stamps = fresh
    table = _history(db, capsys)
    start = datetime.fromtimestamp(stamps[0], ZONE).strftime("%H:%M")
    end = datetime.fromtimestamp(stamps[-1], ZONE).strftime("%H:%M")
    marked = [line[:9] for line in table.splitlines() if line[9:12] == " * "]
    assert marked == [f"{_hour_of(stamps[0]):02d}:00 +02", f"{_hour_of(stamps[-1]):02d}:00 +02"]
    assert f"* Readings start at {start}: the figures count from then." in table
    assert f"* Latest reading at {end}: the figures go up to then." in table
    assert max(len(line) for line in table.splitlines()) <= 80
    rows = list(csv.DictReader(io.StringIO(_history(db, capsys, "--format", "csv"))))
    assert [r["from"][11:13] for r in rows if r["note"] == "partial"] == [
        f"{_hour_of(stamps[0]):02d}",
        f"{_hour_of(stamps[-1]):02d}",
    ]


def test_a_day_with_no_edge_in_it_has_no_notes(tmp_path: Path, capsys) -> None:
    raw = sim_bytes(f"{ZONE_DAY}T00:00:00+02:00", 8640 + 60)  # the day and a bit more
    db = _import(tmp_path, raw)
    result = json.loads(_history(db, capsys, "--format", "json"))
    assert all(hour["note"] is None for hour in result["hours"])
    assert result["coverage"]["gaps"] == [] and result["coverage"]["first_reading"] is None
    assert result["coverage"]["last_reading"] is None
    table = _history(db, capsys)
    assert "*" not in table and "Gap" not in table and "Readings start" not in table


GAP = ("02:00:00", "05:30:00")


@pytest.fixture
def gapped(tmp_path: Path) -> tuple[Path, list[bytes]]:
    """A whole day of a 10 s meter with no telegrams from 02:00 to 05:30."""
    raw = sim_bytes("2026-06-20T23:00:00+02:00", 8640 + 720)  # 23:00 the day before to 01:00
    a, b = (parse_iso(f"{ZONE_DAY}T{t}+02:00") for t in GAP)
    kept = [r for r, ts in zip(raw, _stamps(raw), strict=True) if not a <= ts < b]
    return _import(tmp_path, kept), kept


def _counter_at(raw: list[bytes], t: int) -> int:
    """The import counter (Wh) of the last reading at or before ``t``."""
    before = [x for x in telegrams(raw) if x.timestamp.timestamp() <= t]
    return int(before[-1].energy_import_kwh.total * 1000)


def test_hours_inside_a_gap_are_marked_and_what_they_hold_is_told(gapped, capsys) -> None:
    db, raw = gapped
    result = json.loads(_history(db, capsys, "--format", "json"))
    hours = result["hours"]
    assert [h["from"][11:13] for h in hours if h["note"] == "gap"] == ["02", "03", "04"]
    assert all(h["import_kwh"] is None for h in hours if h["note"] == "gap")
    assert all(h["note"] is None for h in hours if h["note"] != "gap")
    stamps = _stamps(raw)
    a, b = (parse_iso(f"{ZONE_DAY}T{t}+02:00") for t in GAP)
    before, after = max(t for t in stamps if t < a), min(t for t in stamps if t >= b)
    assert result["coverage"]["gaps"] == [
        {"from": _iso(before), "to": _iso(after), "counted": True}
    ]
    # The day is still what the counters moved; the hours inside the gap hold the rest.
    start, end = parse_iso(result["from"]), parse_iso(result["to"])
    assert result["import_kwh"]["total"] == round(
        (_counter_at(raw, end) - _counter_at(raw, start)) / 1000, 3
    )
    shown = sum(round(h["import_kwh"] * 1000) for h in hours if h["import_kwh"] is not None)
    rest = result["coverage"]["not_in_parts"]
    assert rest["import_kwh"] > 0
    assert round(result["import_kwh"]["total"] * 1000) == shown + round(rest["import_kwh"] * 1000)


def test_the_table_shows_the_gap_and_its_share(gapped, capsys) -> None:
    db, _raw = gapped
    result = json.loads(_history(db, capsys, "--format", "json"))
    rest = result["coverage"]["not_in_parts"]
    table = _history(db, capsys)
    lines = table.splitlines()
    assert [line[:9] for line in lines if line.split()[2:] == ["gap"]] == [
        "02:00 +02",
        "03:00 +02",
        "04:00 +02",
    ]
    gap = result["coverage"]["gaps"][0]
    text = " ".join(table.split())
    assert f"Gap: no readings from {gap['from'][11:16]} to {gap['to'][11:16]}." in text
    assert "What the counters moved across it is in the totals; the hours at its ends" in text
    assert f"Of that, {rest['import_kwh']:.3f} kWh import" in text
    assert "is in no hour (those marked gap)." in text
    assert max(len(line) for line in lines) <= 80
    rows = list(csv.DictReader(io.StringIO(_history(db, capsys, "--format", "csv"))))
    assert [r["from"][11:13] for r in rows if r["note"] == "gap"] == ["02", "03", "04"]
    assert all(r["import_kwh"] == "" for r in rows if r["note"] == "gap")


def test_another_meter_after_a_gap_is_not_counted_across_it(tmp_path: Path, capsys) -> None:
    """A meter swapped while nothing was recorded: nothing is shared over that time."""
    old = sim_bytes(f"{ZONE_DAY}T00:00:00+02:00", 360 * 10, seed=1)  # to 10:00
    new = sim_bytes(f"{ZONE_DAY}T13:20:00+02:00", 360 * 11, seed=2)  # another meter
    db = _import(tmp_path, old + new)
    result = json.loads(_history(db, capsys, "--format", "json"))
    (gap,) = result["coverage"]["gaps"]
    assert gap["counted"] is False and result["coverage"]["not_in_parts"] is None
    notes = {h["from"][11:13]: h["note"] for h in result["hours"]}
    assert [hour for hour, note in notes.items() if note] == ["13"]  # it starts at 13:20
    assert all(result["hours"][h]["import_kwh"] is None for h in (10, 11, 12))
    table = " ".join(_history(db, capsys).split())
    assert "another meter or restarted counters after it: nothing counted for it." in table


def test_restarted_counters_after_a_gap_are_not_called_another_meter(
    tmp_path: Path, capsys
) -> None:
    """The same meter (same equipment ID) whose counters start again lower after a gap:
    the note must not say a meter was swapped that was not."""
    before = sim_bytes(f"{ZONE_DAY}T00:00:00+02:00", 360 * 10, seed=1)  # to 10:00
    after = sim_bytes(f"{ZONE_DAY}T13:20:00+02:00", 360, seed=1)  # from the same counters
    assert next(telegrams(before)).equipment_id == next(telegrams(after)).equipment_id
    db = _import(tmp_path, before + after)
    table = " ".join(_history(db, capsys).split())
    assert "nothing counted for it." in table and "another meter after it" not in table


def _many_gaps(seeds: tuple[int, ...]) -> list[bytes]:
    """Five minutes of a 10 s meter from 22:00:30 the evening before, then from 01:00:30,
    02:00:30, 03:00:30 and 04:00:30 (no reading on the hour: each gap ends inside an
    hour, where an hour row shows it): four gaps, the first reaching back out of the
    day. ``seeds``: the meter of each stretch (one seed: one meter read throughout)."""
    starts = ["2026-06-20T22:00", *(f"{ZONE_DAY}T0{h}:00" for h in range(1, 5))]
    if len(seeds) == 1:
        raw = sim_bytes(f"{starts[0]}:30+02:00", 6 * 60 * 6 + 30, seed=seeds[0])
        return [t for h in range(5) for t in raw[360 * (h + 2 if h else 0) :][:30]]
    return [
        t
        for start, seed in zip(starts, seeds, strict=True)
        for t in sim_bytes(f"{start}:30+02:00", 30, seed=seed)
    ]


def test_many_gaps_count_their_hours_inside_the_period(tmp_path: Path, capsys) -> None:
    raw = _many_gaps((1,))
    stamps = _stamps(raw)
    db = _import(tmp_path, raw)
    result = json.loads(_history(db, capsys, "--format", "json"))
    assert len(result["coverage"]["gaps"]) == 4
    day_start = parse_iso(f"{ZONE_DAY}T00:00:00+02:00")
    breaks = [(a, b) for a, b in pairwise(stamps) if b - a > 300]
    inside = sum(b - max(a, day_start) for a, b in breaks) / 3600
    table = " ".join(_history(db, capsys).split())
    assert f"4 gaps without readings, {inside:.1f} hours in all" in table
    assert "What the counters moved across them is in the totals" in table


def test_many_gaps_between_other_meters_do_not_claim_a_share(tmp_path: Path, capsys) -> None:
    db = _import(tmp_path, _many_gaps((1, 2, 3, 4, 5)))
    result = json.loads(_history(db, capsys, "--format", "json"))
    assert [gap["counted"] for gap in result["coverage"]["gaps"]] == [False] * 4
    table = " ".join(_history(db, capsys).split())
    assert "4 gaps without readings" in table
    assert "moved across them is in the totals" not in table
