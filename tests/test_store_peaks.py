"""Belgian monthly peaks: stored from the built-in meter's ``be`` telegrams, shown by
``p1tui history`` (json and table) for the months a period lies in.

The expected peaks are read here from the telegrams themselves: the running month's
maximum demand (1-0:1.6.0) of the last telegram sent in a month, and the 13-month
history (0-0:98.1.0) of the last telegram.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from store_helpers import sim_bytes, telegrams, write_capture

from p1tui.cli import main

BRUSSELS = ZoneInfo("Europe/Brussels")
START = "2026-02-28T23:00:00+01:00"  # two hours across the end of February


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P1TUI_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture(scope="module")
def belgian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple]]:
    """The store, and the peak (kW, when) the telegrams gave for each month."""
    folder = tmp_path_factory.mktemp("peaks")
    raw = sim_bytes(START, 2 * 3600, variant="be")
    db = folder / "be.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(folder / "be.txt", raw))]) == 0
    expected: dict[str, tuple] = {}
    parsed = list(telegrams(raw))
    for telegram in parsed:
        peak = telegram.peak_demand
        month = telegram.timestamp.astimezone(BRUSSELS).strftime("%Y-%m")
        expected[month] = (peak.month_max_kw, peak.month_max_at)
    for row in parsed[-1].peak_demand.history:
        inside = (row.month - timedelta(seconds=1)).astimezone(BRUSSELS)
        expected.setdefault(inside.strftime("%Y-%m"), (row.kw, row.at))
    return db, expected


def _history(db: Path, capsys: pytest.CaptureFixture, *args: str) -> str:
    capsys.readouterr()
    assert main(["history", "--db", str(db), *args]) == 0
    return capsys.readouterr().out


def _entry(month: str, kw, at) -> dict:
    return {
        "month": month,
        "kw": None if kw is None else float(kw),
        "at": None if at is None else at.astimezone(BRUSSELS).isoformat(),
    }


def test_a_month_has_its_peak_and_its_time(belgian, capsys) -> None:
    db, expected = belgian
    assert {"2026-02", "2026-03"} <= expected.keys()  # the running month changed
    for month in ("2026-02", "2026-03"):
        result = json.loads(_history(db, capsys, "--month", month, "--format", "json"))
        assert result["peaks"] == [_entry(month, *expected[month])]


def test_a_year_has_twelve_months_null_where_none(belgian, capsys) -> None:
    db, expected = belgian
    result = json.loads(_history(db, capsys, "--year", "2026", "--format", "json"))
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    assert result["peaks"] == [_entry(m, *expected.get(m, (None, None))) for m in months]
    assert result["peaks"][0]["kw"] is not None  # January, from the meter's history
    assert result["peaks"][11] == {"month": "2026-12", "kw": None, "at": None}


def test_a_week_over_two_months_has_both(belgian, capsys) -> None:
    db, expected = belgian
    result = json.loads(_history(db, capsys, "--week", "2026-02-28", "--format", "json"))
    assert result["peaks"] == [_entry(m, *expected[m]) for m in ("2026-02", "2026-03")]


def test_the_table_says_the_peak_in_kw_with_its_time(belgian, capsys) -> None:
    db, expected = belgian
    kw, at = expected["2026-03"]
    shown = _history(db, capsys, "--day", "2026-03-01")
    line = next(line for line in shown.splitlines() if line.startswith("Peak "))
    assert f"{float(kw):.3f} kW" in line
    assert at.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") in line
    assert "2026-03" in line
    year = _history(db, capsys, "--year", "2026")
    peaks = [float(kw) for kw, _ in (expected[m] for m in expected if m.startswith("2026"))]
    assert f"highest {max(peaks):.3f} kW" in year
    assert f"mean {sum(peaks) / len(peaks):.3f} kW of {len(peaks)} months" in year
    assert all(len(line) <= 80 for line in year.splitlines())


def test_a_meter_without_peaks_has_nulls_and_no_peak_line(tmp_path: Path, capsys) -> None:
    db = tmp_path / "nl.sqlite3"
    capture = write_capture(tmp_path / "nl.txt", sim_bytes(START, 360, variant="nl4"))
    assert main(["import", "--db", str(db), str(capture)]) == 0
    result = json.loads(_history(db, capsys, "--month", "2026-02", "--format", "json"))
    assert result["peaks"] == [{"month": "2026-02", "kw": None, "at": None}]
    assert "Peak" not in _history(db, capsys, "--month", "2026-02")
