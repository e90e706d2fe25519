"""The History screen on a real store: bars and totals off the UI thread, stepping, kinds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import events_from, plain, wait_until

sys.path.insert(0, str(Path(__file__).parent.parent))
from store_helpers import sim_bytes, write_capture

from p1tui.cli import main
from p1tui.store.browse import HistoryAccess

START = "2026-10-24T00:00:00+02:00"  # Saturday; summer time ends on Sunday


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    folder = tmp_path_factory.mktemp("history-ui")
    raw = sim_bytes(START, 2 * 8640 + 360)  # two days and an hour
    db = folder / "h.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(folder / "c.txt", raw))]) == 0
    return db, raw


async def _title(app, pilot, text: str) -> str:
    def shown() -> bool:
        return text in plain(app.screen.query_one("#history-title"))

    await wait_until(pilot, shown)
    return plain(app.screen.query_one("#history-title"))


async def test_opens_on_the_meters_day_with_its_bars_and_totals(make_app, store) -> None:
    db, raw = store
    app = make_app(history_access=HistoryAccess(db))
    async with app.run_test(size=(80, 24)) as pilot:
        for event in events_from(raw[8640 + 100]):  # a telegram of Sunday: a replay's day
            app.feed(event)
        await pilot.pause()
        await pilot.press("h")
        title = await _title(app, pilot, "Sunday 2026-10-25")
        assert "import up, export down" in title
        totals = plain(app.screen.query_one("#history-totals"))
        assert "Import" in totals and "Gas" in totals and "Net" in totals
        summary = app.screen.result.summary
        assert len(summary["hours"]) == 25
        assert f"Import {summary['import_kwh']['total']:.3f} kWh" in totals
        chart = app.screen.query_one("HistoryChart")
        drawn = str(chart.render())
        assert "█" in drawn and "┼" in drawn


async def test_arrows_step_and_digits_switch_the_period(make_app, store) -> None:
    db, raw = store
    app = make_app(history_access=HistoryAccess(db))
    async with app.run_test(size=(80, 24)) as pilot:
        for event in events_from(raw[100]):
            app.feed(event)
        await pilot.pause()
        await pilot.press("h")
        await _title(app, pilot, "Saturday 2026-10-24")
        await pilot.press("right")
        await _title(app, pilot, "Sunday 2026-10-25")
        await pilot.press("right", "right")
        title = await _title(app, pilot, "Tuesday 2026-10-27")
        assert "no data for this period" in title
        await pilot.press("3")
        await _title(app, pilot, "Month 2026-10")
        assert len(app.screen.result.summary["days"]) == 31
        await pilot.press("4")
        await _title(app, pilot, "Year 2026")
        await pilot.press("2")
        await _title(app, pilot, "Week 2026-W43")
        await pilot.press("t", "1")
        await _title(app, pilot, "Saturday 2026-10-24")


async def test_says_plainly_when_there_is_no_history(make_app, tmp_path: Path) -> None:
    app = make_app(history_access=HistoryAccess(tmp_path / "none.sqlite3"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        title = await _title(app, pilot, "no history")
        assert "record or import first" in title
