"""The History screen on a real store: bars and totals off the UI thread, stepping, kinds."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import events_from, plain, publish, screen_text, wait_until

sys.path.insert(0, str(Path(__file__).parent.parent))
from store_helpers import sim_bytes, write_capture

from p1tui.cli import main
from p1tui.link.settings import SerialSettings
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
            publish(app, event)
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
            publish(app, event)
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


async def test_a_belgian_meters_monthly_peak_is_on_screen(make_app, tmp_path: Path) -> None:
    raw = sim_bytes("2026-03-01T18:00:00+01:00", 1800, variant="be")  # a 1 s meter
    db = tmp_path / "be.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(tmp_path / "be.txt", raw))]) == 0
    last = events_from(raw[-1])
    peak = last[0].telegram.peak_demand
    app = make_app(history_access=HistoryAccess(db))
    async with app.run_test(size=(80, 24)) as pilot:
        publish(app, *last)
        await pilot.pause()
        await pilot.press("h")
        await _title(app, pilot, "Sunday 2026-03-01")
        await pilot.pause()
        line = f"Peak {peak.month_max_kw:.3f} kW on Sun 2026-03-01 {peak.month_max_at:%H:%M}"
        assert line in plain(app.screen.query_one("#history-totals"))
        assert line in screen_text(app)  # not cut off at 80x24
        await pilot.press("4")
        await _title(app, pilot, "Year 2026")
        await pilot.pause()
        assert "Peaks highest" in screen_text(app)
        assert "months" in plain(app.screen.query_one("#history-totals"))


def _axis(app) -> str:
    drawn = str(app.screen.query_one("HistoryChart").render())
    return next(line for line in drawn.splitlines() if "┼" in line)


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """Sunday 2026-06-21 of a 10 s meter with no telegrams from 02:00 to 05:30."""
    from p1tui.sim.legal_time import parse_iso

    folder = tmp_path_factory.mktemp("history-gap")
    raw = sim_bytes("2026-06-20T23:00:00+02:00", 8640 + 720)
    a, b = parse_iso("2026-06-21T02:00:00+02:00"), parse_iso("2026-06-21T05:30:00+02:00")
    kept = [r for r in raw if not a <= events_from(r)[0].telegram.timestamp.timestamp() < b]
    db = folder / "gap.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(folder / "g.txt", kept))]) == 0
    return db, kept


async def test_hours_in_a_gap_and_what_they_hold_are_explained(make_app, gapped) -> None:
    """No telegrams from 02:00 to 05:30: those hours are dotted on the axis, and the notes
    say when the gap was and how much of the day's total lies in no hour."""
    db, kept = gapped
    app = make_app(history_access=HistoryAccess(db))
    async with app.run_test(size=(80, 24)) as pilot:
        publish(app, *events_from(kept[len(kept) // 2]))  # a telegram of Sunday
        await pilot.pause()
        await pilot.press("h")
        await _title(app, pilot, "Sunday 2026-06-21")
        summary = app.screen.result.summary
        gap = summary["coverage"]["gaps"][0]
        rest = summary["coverage"]["not_in_parts"]["import_kwh"]
        notes = " ".join(plain(app.screen.query_one("#history-notes")).split())
        assert f"Gap: no readings from {gap['from'][11:16]} to {gap['to'][11:16]}." in notes
        assert f"Of that, {rest:.3f} kWh import" in notes and "is in no hour" in notes
        assert "· under no bar: in a gap" in notes
        axis = _axis(app)
        bar = 2  # 24 hours at 80 columns
        cells = [axis[7 + i * (bar + 1) : 7 + i * (bar + 1) + bar] for i in range(24)]
        assert [i for i, cell in enumerate(cells) if cell == "··"] == [2, 3, 4]
        assert all(cell == "──" for i, cell in enumerate(cells) if i not in (2, 3, 4))
        screen = " ".join(screen_text(app).split())
        assert "is in no hour (those marked gap)." in screen  # not cut off at 80x24


def _history_at(telegram: bytes):
    """``run_before`` for a snapshot: the meter sends ``telegram``, then ``h``."""
    fed = events_from(telegram)

    async def open_history(pilot) -> None:
        for event in fed:
            publish(pilot.app, event)
        await pilot.pause()
        await pilot.press("h")
        await wait_until(pilot, lambda: pilot.app.screen.result is not None)
        await pilot.pause()

    return open_history


def test_snapshot_of_a_day_with_a_gap(snap_compare, make_app, gapped) -> None:
    db, kept = gapped
    app = make_app(history_access=HistoryAccess(db))
    opened = _history_at(kept[len(kept) // 2])
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)


async def test_a_fresh_stores_first_and_ongoing_hour_are_marked(make_app, tmp_path: Path) -> None:
    raw = sim_bytes("2026-06-21T14:37:20+02:00", 720)  # two hours from 14:37:20
    db = tmp_path / "fresh.sqlite3"
    assert main(["import", "--db", str(db), str(write_capture(tmp_path / "f.txt", raw))]) == 0
    app = make_app(history_access=HistoryAccess(db))
    async with app.run_test(size=(80, 24)) as pilot:
        publish(app, *events_from(raw[-1]))
        await pilot.pause()
        await pilot.press("h")
        await _title(app, pilot, "Sunday 2026-06-21")
        last = events_from(raw[-1])[0].telegram.timestamp
        notes = plain(app.screen.query_one("#history-notes"))
        assert "╌ Readings start at 14:37: the figures count from then." in notes
        assert f"╌ Latest reading at {last:%H:%M}: the figures go up to then." in notes
        axis = _axis(app)
        cells = [axis[7 + i * 3 : 9 + i * 3] for i in range(24)]
        assert [i for i, cell in enumerate(cells) if cell == "╌╌"] == [14, last.hour]


async def test_says_plainly_when_there_is_no_history(make_app, tmp_path: Path) -> None:
    app = make_app(history_access=HistoryAccess(tmp_path / "none.sqlite3"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        title = await _title(app, pilot, "no history")
        assert "record or import first" in title


async def test_attached_to_a_collector_it_says_which_store_it_shows(
    make_app, store, tmp_path: Path
) -> None:
    """While the link is the collector, the collector's store (the note says so); once
    the form switches to a port, the monitor's own store and no note."""
    from p1tui.link.settings import CollectorSettings
    from p1tui.ui.app import AttachedHistory

    db, raw = store
    note = f"The collector's history: {db}"
    own = HistoryAccess(tmp_path / "none.sqlite3")
    app = make_app(
        CollectorSettings("127.0.0.1", 2323),
        history_access=own,
        attached_history=AttachedHistory(HistoryAccess(db), note),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        publish(app, *events_from(raw[100]))
        await pilot.pause()
        await pilot.press("h")
        await _title(app, pilot, "import up, export down")
        source = app.screen.query_one("#history-source")
        assert plain(source) == note and source.display
        await pilot.press("d")
        app.apply(SerialSettings("/dev/ttyUSB0"))
        await pilot.press("h")
        await _title(app, pilot, "no history")
        assert not app.screen.query_one("#history-source").display


def _minutes(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT coalesce(sum(n), 0) FROM minute").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


async def test_the_monitor_records_a_real_meter_and_the_day_follows_it(
    make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_link_helpers import serial_pty, write_all

    from p1tui.link.reader import Reader
    from p1tui.link.settings import SerialSettings
    from p1tui.store.settings import HistorySettings
    from p1tui.ui.screens import history

    monkeypatch.setattr(history, "REFRESH", 0.3)  # the screen re-reads the current day
    db = tmp_path / "recorded.sqlite3"
    raw = sim_bytes("2026-11-30T18:00:00+01:00", 240, variant="nl5")  # an evening's load
    with serial_pty() as (master, port):
        app = make_app(
            SerialSettings(port),
            reader_factory=Reader,
            history_access=HistoryAccess(db),
            record_into=HistorySettings(db, batch_seconds=0.2),
        )
        async with app.run_test(size=(80, 24)) as pilot:
            for telegram in raw[:60]:
                write_all(master, telegram)
            await wait_until(pilot, lambda: _minutes(db) == 60, timeout=20)
            assert app.recorder is not None and app.recorder.recording
            await pilot.press("h")
            await _title(app, pilot, "Monday 2026-11-30")
            first = app.screen.result.summary["import_kwh"]["total"]
            for telegram in raw[60:]:
                write_all(master, telegram)
            await wait_until(pilot, lambda: _minutes(db) == len(raw), timeout=20)

            def grown() -> bool:
                return app.screen.result.summary["import_kwh"]["total"] > first

            await wait_until(pilot, grown, timeout=10)
            # The ongoing hour is marked as recorded so far, not shown as a quiet hour.
            last = events_from(raw[-1])[0].telegram.timestamp

            def up_to_date() -> bool:
                stamp = app.screen.result.summary["coverage"]["last_reading"]
                return stamp is not None and datetime.fromisoformat(stamp) == last

            await wait_until(pilot, up_to_date, timeout=10)
            hours = app.screen.result.summary["hours"]
            assert [h["from"][11:13] for h in hours if h["note"]] == ["18"]
            assert hours[18]["note"] == "partial"
            await pilot.pause()
            notes = plain(app.screen.query_one("#history-notes"))
            assert f"╌ Latest reading at {last:%H:%M}: the figures go up to then." in notes
    assert _minutes(db) == len(raw)


async def test_a_demo_never_writes_into_the_history(make_app, tmp_path: Path) -> None:
    from functools import partial

    from p1tui.link.reader import Reader
    from p1tui.link.settings import SimulatorSettings
    from p1tui.sources import make_any_source
    from p1tui.store.settings import HistorySettings

    db = tmp_path / "never.sqlite3"
    app = make_app(
        SimulatorSettings(),
        reader_factory=partial(Reader, source_factory=make_any_source),
        record_into=HistorySettings(db, batch_seconds=0.2),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.monitor.telegram is not None, timeout=20)
        assert app.recorder is None
    assert not db.exists()


async def test_a_store_held_by_another_program_is_only_read(make_app, tmp_path: Path) -> None:
    from test_link_helpers import serial_pty

    from p1tui.link.reader import Reader
    from p1tui.link.settings import SerialSettings
    from p1tui.store import open_store
    from p1tui.store.settings import HistorySettings

    db = tmp_path / "held.sqlite3"
    notices: list[str] = []
    with open_store(db), serial_pty() as (_master, port):  # a collector, say
        app = make_app(
            SerialSettings(port),
            reader_factory=Reader,
            record_into=HistorySettings(db, batch_seconds=0.2),
        )
        async with app.run_test(size=(80, 24), message_hook=notices.append) as pilot:
            await wait_until(
                pilot,
                lambda: any(type(m).__name__ == "HistoryNotice" for m in notices),
                timeout=10,
            )
            (notice,) = [m for m in notices if type(m).__name__ == "HistoryNotice"]
            assert f"process {os.getpid()}" in notice.text and "records the history" in notice.text
            assert not app.recorder.recording


def test_snapshot_of_the_day_the_clocks_go_back(snap_compare, make_app, store) -> None:
    db, raw = store
    app = make_app(history_access=HistoryAccess(db))
    opened = _history_at(raw[8640 + 100])
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)


@pytest.mark.parametrize("largest", [0.75, 42.5, 312.0, 1450.0])
def test_the_bars_stay_in_their_columns_whatever_the_scale(largest: float) -> None:
    """A year's months reach hundreds of kWh: the scale beside the axis keeps 7 columns."""
    from p1tui.ui.widgets.history_chart import render_bars

    months = [largest / 2] * 11 + [largest]
    lines = render_bars(
        months, [largest] + [None] * 11, [f"{m:02d}" for m in range(1, 13)], (80, 16)
    )
    axis = next(i for i, line in enumerate(lines) if "┼" in line)
    assert lines[axis].index("┼") == 6
    top, bottom = lines[0], lines[-2]
    assert float(top[:7]) == pytest.approx(largest, rel=0.01)
    assert float(bottom[:7]) == pytest.approx(-largest, rel=0.01)
    assert top[7:].rstrip().endswith("█")  # the largest month reaches the top, last column
    assert len(top.rstrip()) == len(lines[axis].rstrip())  # ... aligned with the axis' end
    assert bottom[7] == "█"  # the first month's export reaches the bottom, first column
