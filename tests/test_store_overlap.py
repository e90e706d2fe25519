"""Two meters whose telegrams overlap in time, in one store.

Two captures of different meters (equipment IDs) covering the same hours are imported
into one history: every hour and the day must be the sum over the meters of what each
one's own counters moved, never a jump from one meter's counters to the other's. The
expected figures come from the telegrams themselves, meter by meter.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from store_helpers import telegrams, write_capture

from p1tui.cli import main
from p1tui.sim.legal_time import parse_iso
from p1tui.sim.simulator import Simulator

DAY = "2026-10-24"


@dataclass
class Meters:
    """The meters of one medium: each one's ``(time, counters)`` in time order, by
    equipment ID."""

    readings: dict[str, list[tuple[int, tuple[int, ...]]]]

    def moved(self, a: int, b: int) -> tuple[int, ...]:
        """Summed over the meters: the counter of the last reading at or before ``b``
        minus that at or before ``a`` (before a meter's first reading, its first)."""
        total: list[int] = []
        for readings in self.readings.values():

            def at(t: int, readings=readings) -> tuple[int, ...]:
                before = [values for ts, values in readings if ts <= t]
                return before[-1] if before else readings[0][1]

            moved = [y - x for x, y in zip(at(a), at(b), strict=True)]
            total = moved if not total else [s + m for s, m in zip(total, moved, strict=True)]
        return tuple(total)


def _capture(variant: str, seed: int, start: str, count: int, *, fresh: bool) -> list[bytes]:
    simulator = Simulator(variant, seed, parse_iso(start))
    if fresh:  # a new meter at zero, next to one with years on its counters
        simulator.meter.registers_ws = [[0, 0], [0, 0]]
        simulator.mbus[0]._total = simulator.mbus[0].captured = 5_000
    return [simulator.next_telegram() for _ in range(count)]


def _milli(value) -> int:
    return int(value * 1000)


def _meters(raw: list[bytes]) -> tuple[Meters, Meters, Meters]:
    """Electricity (import, export totals), gas and water readings per meter."""
    electricity: dict[str, list] = {}
    mbus: dict[str, dict[str, list]] = {"gas": {}, "water": {}}
    for telegram in telegrams(raw):
        ts = int(telegram.timestamp.timestamp())
        counters = (telegram.energy_import_kwh.total, telegram.energy_export_kwh.total)
        electricity.setdefault(telegram.equipment_id, []).append((ts, tuple(map(_milli, counters))))
        for device in telegram.mbus:
            found = mbus[device.medium].setdefault(device.equipment_id, [])
            stamp = int(device.timestamp.timestamp())
            if not found or found[-1][0] != stamp:
                found.append((stamp, (_milli(device.reading),)))
    for readings in (electricity, *mbus.values()):
        for meter in readings.values():
            meter.sort()
    return Meters(electricity), Meters(mbus["gas"]), Meters(mbus["water"])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes], list[bytes]]:
    """An nl5 meter (a telegram a second, from 18:00 for two hours) and an nl4 meter
    (every 10 s, from 17:00 to 21:00), imported one capture after the other."""
    folder = tmp_path_factory.mktemp("overlap")
    nl5 = _capture("nl5", 7, f"{DAY}T18:00:00+02:00", 7200, fresh=True)
    nl4 = _capture("nl4", 8, f"{DAY}T17:00:00+02:00", 1440, fresh=False)
    db = folder / "history.sqlite3"
    files = [write_capture(folder / "nl5.txt", nl5), write_capture(folder / "nl4.txt", nl4)]
    assert main(["import", "--db", str(db), *map(str, files)]) == 0
    return db, nl5, nl4


def _day(db: Path, capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--format", "json", "--day", DAY]) == 0
    return json.loads(capsys.readouterr().out)


def _kwh(milli: int) -> float:
    return round(milli / 1000, 3)


def _assert_each_meter_counted(result: dict, raw: list[bytes]) -> None:
    electricity, gas, water = _meters(raw)
    ids = {eid for meter in (electricity, gas, water) for eid in meter.readings}
    assert len(ids) == 6  # two electricity, two gas and two water meters
    start, end = parse_iso(result["from"]), parse_iso(result["to"])
    imported, exported = electricity.moved(start, end)
    assert result["import_kwh"]["total"] == _kwh(imported) > 0
    assert result["export_kwh"]["total"] == _kwh(exported) >= 0
    assert result["gas_m3"] == _kwh(gas.moved(start, end)[0]) > 0
    assert result["water_m3"] == _kwh(water.moved(start, end)[0]) > 0
    heard = 0
    for hour in result["hours"]:
        if hour["import_kwh"] is None:
            assert not 17 <= int(hour["from"][11:13]) < 21  # outside both captures
            continue
        heard += 1
        a = parse_iso(hour["from"])
        imported, exported = electricity.moved(a, a + 3600)
        assert hour["import_kwh"] == _kwh(imported) >= 0, hour["from"]
        assert hour["export_kwh"] == _kwh(exported) >= 0, hour["from"]
        assert hour["gas_m3"] == _kwh(gas.moved(a, a + 3600)[0]) >= 0, hour["from"]
    assert heard == 4  # 17:00 and 20:00 (the nl4 meter), 18:00 and 19:00 (both)


def test_overlapping_meters_each_count_their_own_movement(store, capsys) -> None:
    db, nl5, nl4 = store
    _assert_each_meter_counted(_day(db, capsys), nl5 + nl4)


def test_reimporting_one_meter_in_the_middle_counts_nothing_twice(
    store, tmp_path: Path, capsys
) -> None:
    db, nl5, nl4 = store
    copy = tmp_path / "again.sqlite3"
    source = sqlite3.connect(db)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    series = sqlite3.connect(copy).execute("SELECT count(*) FROM series").fetchone()[0]
    # Starting at 18:40, when the other meter's readings lie just before it.
    tail = write_capture(tmp_path / "tail.txt", nl4[1 * 360 + 240 :])
    assert main(["import", "--db", str(copy), str(tail)]) == 0
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM series").fetchone()[0] == series
    _assert_each_meter_counted(_day(copy, capsys), nl5 + nl4)
