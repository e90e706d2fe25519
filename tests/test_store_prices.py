"""Costs: contract prices that change on a date, dynamic hourly and quarter-hourly prices,
and which source each figure used. Expected costs are energy x price, figured here from
the history's own (separately verified) energies and the prices the test chose."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from store_helpers import sim_bytes, write_capture

from p1tui.cli import main
from p1tui.sim.legal_time import parse_iso

START = "2026-06-08T00:00:00+02:00"  # Monday
CONFIG = """
[prices]
currency = "EUR"
gas = 1.40
water = 1.10

[[prices.contract]]
from = 2026-01-01
import_tariff1 = 0.21
import_tariff2 = 0.27
export = 0.05
fixed_per_day = 1.25

[[prices.contract]]
from = 2026-06-10
import_tariff1 = 0.19
fixed_per_day = -0.50
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prices")
    capture = write_capture(folder / "june.txt", sim_bytes(START, 4 * 8640 + 1))  # 4 days
    db = folder / "h.sqlite3"
    assert main(["import", "--db", str(db), str(capture)]) == 0
    return db


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("P1TUI_CONFIG", str(path))
    return path


def _json(capsys: pytest.CaptureFixture, *args: str) -> dict:
    capsys.readouterr()
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_contract_prices_take_effect_on_their_date(store: Path, config: Path, capsys) -> None:
    for day, tariff1, fixed in (("2026-06-09", 0.21, 1.25), ("2026-06-10", 0.19, -0.50)):
        result = _json(capsys, "history", "--db", str(store), "--day", day)
        imported, exported, cost = result["import_kwh"], result["export_kwh"], result["cost"]
        assert cost["currency"] == "EUR"
        assert cost["import"] == pytest.approx(
            imported["tariff1"] * tariff1 + imported["tariff2"] * 0.27, abs=1e-4
        )
        assert cost["export"] == pytest.approx(-exported["total"] * 0.05, abs=1e-4)
        assert cost["gas"] == pytest.approx(result["gas_m3"] * 1.40, abs=1e-4)
        assert cost["water"] == pytest.approx(result["water_m3"] * 1.10, abs=1e-4)
        assert cost["fixed"] == fixed  # may be negative
        parts = [cost[k] for k in ("import", "export", "gas", "water", "fixed")]
        assert cost["total"] == pytest.approx(sum(parts), abs=1e-3)
        assert set(cost["sources"].values()) == {"contract"}
        assert imported["tariff1"] > 0 and imported["tariff2"] > 0  # both tariffs priced


def test_a_week_costs_the_sum_of_its_days(store: Path, config: Path, capsys) -> None:
    week = _json(capsys, "history", "--db", str(store), "--week", "2026-06-08")
    days = [
        _json(capsys, "history", "--db", str(store), "--day", f"2026-06-{d:02d}")["cost"]
        for d in range(8, 15)
    ]
    priced = [d for d in days if d is not None]
    assert len(priced) == 4  # Monday to Thursday recorded; no cost for days without data
    assert week["cost"]["total"] == pytest.approx(sum(d["total"] for d in priced), abs=1e-3)


def test_dynamic_hourly_prices_where_they_cover_the_hours(
    store: Path, config: Path, tmp_path: Path, capsys
) -> None:
    day = _json(capsys, "history", "--db", str(store), "--day", "2026-06-09")
    prices = {h["from"]: round(0.10 + 0.01 * i, 4) for i, h in enumerate(day["hours"])}
    csv = tmp_path / "prices.csv"
    csv.write_text(
        "start,import,export\n"
        + "".join(f"{start},{price},0.02\n" for start, price in prices.items()),
        encoding="utf-8",
    )
    assert main(["prices", "import", "--db", str(store), str(csv)]) == 0
    assert "24 hourly prices stored" in capsys.readouterr().err
    result = _json(capsys, "history", "--db", str(store), "--day", "2026-06-09")
    expected = sum(h["import_kwh"] * prices[h["from"]] for h in result["hours"])
    assert result["cost"]["import"] == pytest.approx(expected, abs=1e-4)
    expected_export = -sum(h["export_kwh"] * 0.02 for h in result["hours"])
    assert result["cost"]["export"] == pytest.approx(expected_export, abs=1e-4)
    assert result["cost"]["sources"]["import"] == "dynamic"
    assert result["cost"]["sources"]["gas"] == "contract"
    week = _json(capsys, "history", "--db", str(store), "--week", "2026-06-08")
    assert week["cost"]["sources"]["import"] == "contract+dynamic"
    table = capsys.readouterr()
    assert main(["history", "--db", str(store), "--day", "2026-06-09"]) == 0
    assert "(dynamic)" in capsys.readouterr().out
    del table


def test_quarter_hour_prices_use_each_quarters_energy(
    store: Path, config: Path, tmp_path: Path, capsys
) -> None:
    minutes = _json(
        capsys, "export", "--db", str(store), "--from", "2026-06-10", "--to", "2026-06-10",
        "--resolution", "minute",
    )["rows"]  # fmt: skip
    assert len(minutes) == 1440
    quarters: dict[str, float] = {}
    for i, row in enumerate(minutes):
        start = minutes[i - i % 15]["from"]
        quarters[start] = quarters.get(start, 0.0) + row["import_kwh"]
    prices = {start: 0.05 + (n % 7) / 100 for n, start in enumerate(quarters)}
    csv = tmp_path / "quarters.csv"
    csv.write_text(
        "".join(f"{start};{str(price).replace('.', ',')}\n" for start, price in prices.items()),
        encoding="utf-8",
    )
    assert main(["prices", "import", "--db", str(store), str(csv)]) == 0
    assert "96 quarter-hourly prices" in capsys.readouterr().err
    result = _json(capsys, "history", "--db", str(store), "--day", "2026-06-10")
    expected = sum(quarters[q] * prices[q] for q in quarters)
    assert result["cost"]["import"] == pytest.approx(expected, abs=1e-3)
    assert result["cost"]["sources"]["import"] == "dynamic"
    # without export prices in the file, the contract's compensation applies
    assert result["cost"]["sources"]["export"] == "contract"


def test_a_bad_price_file_is_named_and_stores_nothing(store: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("start,import\n2026-06-11T00:00:00+02:00,0.2\n2026-06-11T01:00,cheap\n")
    capsys.readouterr()
    assert main(["prices", "import", "--db", str(store), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "'cheap' is not an import price" in err
    assert "Traceback" not in err
    conn = sqlite3.connect(store)
    stored = conn.execute(
        "SELECT count(*) FROM price WHERE start_ts = ?", (parse_iso("2026-06-11T00:00:00+02:00"),)
    )
    assert stored.fetchone() == (0,)
    conn.close()


def test_a_bad_prices_section_is_named(store: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[prices]\nimport_tariff1 = 'cheap'\n", encoding="utf-8")
    monkeypatch.setenv("P1TUI_CONFIG", str(path))
    capsys.readouterr()
    assert main(["history", "--db", str(store), "--day", "2026-06-09"]) == 2
    assert "[prices] section: prices.import_tariff1 must be a number" in capsys.readouterr().err


def test_without_prices_the_cost_is_null(store: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("P1TUI_CONFIG", str(tmp_path / "none.toml"))
    fresh = tmp_path / "fresh.sqlite3"
    assert (
        main(
            [
                "import",
                "--db",
                str(fresh),
                str(write_capture(tmp_path / "d.txt", sim_bytes(START, 100))),
            ]
        )
        == 0
    )
    assert _json(capsys, "history", "--db", str(fresh), "--day", "2026-06-08")["cost"] is None


def test_the_config_declares_exactly_the_keys_the_store_reads() -> None:
    from p1tui import config
    from p1tui.store import prices, settings

    assert config.KNOWN_KEYS["history"] == set(settings.KNOWN_KEYS)
    assert config.KNOWN_KEYS["prices"] == set(prices.KNOWN_KEYS)


def test_each_line_of_the_table_and_csv_has_its_cost(store: Path, config: Path, capsys) -> None:
    total = _json(capsys, "history", "--db", str(store), "--day", "2026-06-09")["cost"]["total"]
    assert main(["history", "--db", str(store), "--day", "2026-06-09", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "from,import_kwh,export_kwh,gas_m3,cost,note"
    assert len(rows) == 25
    assert sum(float(row.split(",")[4]) for row in rows[1:]) == pytest.approx(total, abs=1e-3)
    assert main(["history", "--db", str(store), "--day", "2026-06-09"]) == 0
    table = capsys.readouterr().out
    assert "EUR" in table.splitlines()[2]  # the column heading


def test_a_reader_that_goes_away_ends_the_output_quietly(store: Path, config: Path) -> None:
    import subprocess
    import sys

    for command in (
        ["history", "--week", "2026-06-08", "--format", "csv"],
        ["export", "--from", "2026-06-08", "--to", "2026-06-10", "--resolution", "minute"],
    ):
        done = subprocess.run(
            f"{sys.executable} -m p1tui {' '.join(command)} --db {store} | head -1",
            shell=True, capture_output=True, text=True, check=True,
            env={**os.environ, "P1TUI_CONFIG": str(config)},
        )  # fmt: skip
        assert done.stdout.startswith("from,")
        assert "Traceback" not in done.stderr and done.stderr == ""


def test_an_hour_without_any_price_has_no_cost_not_zero(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("P1TUI_CONFIG", str(tmp_path / "none.toml"))  # no contract prices
    db = tmp_path / "h.sqlite3"
    capture = write_capture(tmp_path / "c.txt", sim_bytes(START, 3 * 360 + 1))  # three hours
    assert main(["import", "--db", str(db), str(capture)]) == 0
    csv = tmp_path / "prices.csv"
    csv.write_text("start,import\n2026-06-08 01:00,0.30\n", encoding="utf-8")
    assert main(["prices", "import", "--db", str(db), str(csv)]) == 0
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--day", "2026-06-08", "--format", "csv"]) == 0
    rows = [row.split(",") for row in capsys.readouterr().out.splitlines()[1:4]]
    assert [row[4] for row in (rows[0], rows[2])] == ["", ""]  # 00:00 and 02:00: unpriced
    assert float(rows[1][4]) == pytest.approx(float(rows[1][1]) * 0.30, abs=1e-4)
    assert main(["history", "--db", str(db), "--day", "2026-06-08"]) == 0
    midnight = next(line for line in capsys.readouterr().out.splitlines() if line[:5] == "00:00")
    assert midnight.split()[-1] == "-"
