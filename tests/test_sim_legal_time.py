"""The simulator's own legal-time arithmetic agrees with the tz database."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from p1tui.sim.legal_time import moment, summer_time_span, utc_offset

try:
    AMSTERDAM: ZoneInfo | None = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database on this host
    AMSTERDAM = None


@pytest.mark.skipif(AMSTERDAM is None, reason="needs the tz database")
def test_offsets_match_europe_amsterdam_around_every_transition():
    for year in range(1997, 2038):
        for edge in summer_time_span(year):
            for t in (edge - 3601, edge - 1, edge, edge + 1, edge + 3600):
                expected = datetime.fromtimestamp(t, AMSTERDAM).utcoffset().total_seconds()
                assert utc_offset(t) == expected, (year, t)


@pytest.mark.skipif(AMSTERDAM is None, reason="needs the tz database")
def test_timestamps_match_the_meters_format():
    start = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
    for t in range(start, start + 366 * 86400, 86400 // 7 + 13):  # wander through the year
        local = datetime.fromtimestamp(t, AMSTERDAM)
        flag = "S" if local.dst() else "W"
        m = moment(t)
        assert m.tst == local.strftime("%y%m%d%H%M%S") + flag
        assert m.day.weekday == local.weekday()
        assert m.isoformat() == local.isoformat()
