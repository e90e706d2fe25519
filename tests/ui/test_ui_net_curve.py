"""The net-power curve draws from a zero line: import up, export down, one scale."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

from conftest import events_from, plain, publish

from p1tui.ui.live import BUCKET_SECONDS
from p1tui.ui.widgets.net_curve import curve_rows
from p1tui.ui.widgets.power_panel import curve_caption

sys.path.insert(0, str(Path(__file__).parent.parent))
from test_link_helpers import NL5, restamped, telegram

FULL = "█"


def filled(rows: list[str], column: int) -> list[float]:
    """How full each row's cell in ``column`` is, 0 to 1 (a space is empty)."""
    return [0.0 if row[column] == " " else 1.0 if row[column] == FULL else 0.5 for row in rows]


def test_all_export_hangs_down_and_the_largest_export_is_the_longest_bar():
    series = (-823.0, -53.0, -400.0)
    rows = [row.plain for row in curve_rows(series, 4)]
    assert len(rows) == 4
    # the zero line is at the top: every bar starts in the top row
    assert all(rows[0][column] != " " for column in range(3))
    depth = [sum(filled(rows, column)) for column in range(3)]
    assert depth[0] > depth[2] > depth[1]
    assert filled(rows, 0) == [1.0, 1.0, 1.0, 1.0]  # -823 W fills the whole height
    assert filled(rows, 1)[1:] == [0.0, 0.0, 0.0]  # -53 W stays near the line


def test_import_goes_up_and_export_down_from_the_same_line():
    series = (600.0, -200.0, 0.0)
    rows = [row.plain for row in curve_rows(series, 4)]
    # 600 W above, 200 W below on one scale: three rows up, one down
    assert [row[0] for row in rows] == [FULL, FULL, FULL, " "]
    assert rows[3][1] == FULL and [row[1] for row in rows[:3]] == [" ", " ", " "]
    assert [row[2] for row in rows] == [" "] * 4  # nothing in or out draws nothing


def test_the_caption_says_which_way_is_up():
    assert curve_caption((-823.0, -53.0)) == "▼ export ≤823 W"
    assert curve_caption((1234.0, -823.0)) == "▲ import ≤1234 · ▼ export ≤823 W"
    assert curve_caption((0.0, 0.0)) == "nothing in or out"


def afternoon(watts: list[int]) -> bytes:
    """Telegrams 10 s apart, each delivering ``watts`` to the grid (CRC recomputed)."""
    base = telegram(NL5).replace(b"1-0:1.7.0(00.519*kW)", b"1-0:1.7.0(00.000*kW)")
    start = datetime(2026, 6, 21, 15, 0)
    out = []
    for i, w in enumerate(watts):
        raw = base.replace(b"1-0:2.7.0(00.000*kW)", f"1-0:2.7.0({w / 1000:06.3f}*kW)".encode())
        out.append(restamped(raw, start + timedelta(seconds=BUCKET_SECONDS * i)))
    return b"".join(out)


async def test_the_dashboard_draws_a_sunny_afternoon_from_zero(make_app):
    exports = [823, 53, 400, 600, 200, 300]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in events_from(afternoon(exports)):
            publish(app, event)
        await pilot.pause()
        curve = app.screen.query_one("#curve")
        rows = curve.render().plain.splitlines()
        bars = len(exports) - 1  # the running bucket is not drawn yet
        assert all(rows[0][column] != " " for column in range(bars))  # hanging from the top
        depth = [sum(filled(rows, column)) for column in range(bars)]
        assert depth.index(max(depth)) == 0 and depth.index(min(depth)) == 1
        assert plain(app.screen.query_one("#curve-caption")).startswith("▼ export ≤823 W")
