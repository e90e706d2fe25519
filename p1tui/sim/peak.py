"""Belgian capacity tariff data: quarter-hour demand, the month's peak, 13 months of peaks.

Fluvius meters average the imported power over fixed quarters (xx:00, :15, :30, :45).
1-0:1.4.0 shows the running average of the current quarter (energy imported so far over
the time elapsed), 1-0:1.6.0 the highest completed quarter of the month with the time
that quarter ended, and 0-0:98.1.0 one row per past month (oldest first, as a real
Fluvius T211 lists them), each stamped with the start of the month after it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .legal_time import Moment, legal_midnight, moment

QUARTER_S = 900
HISTORY_MONTHS = 13


@dataclass(frozen=True, slots=True)
class MonthPeak:
    """One row of the 13-month history."""

    month_end: Moment
    """Local midnight starting the month after the peak's month."""
    at: Moment
    watts: int


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _invented_peak(
    rng: random.Random, year: int, month: int, last_day: int = 28
) -> tuple[Moment, int]:
    """A plausible evening peak of a month (up to ``last_day``) the simulation did not run."""
    day = rng.randint(1, last_day)
    quarter_end = rng.randint(17 * 4, 20 * 4) * QUARTER_S
    winter = month in (11, 12, 1, 2, 3)
    watts = int(rng.uniform(3200, 6500) if winter else rng.uniform(2300, 4800))
    return moment(legal_midnight(year, month, day) + quarter_end), watts


class PeakDemand:
    """Quarter-hour averages and their monthly maxima."""

    def __init__(self, rng: random.Random, start: Moment) -> None:
        self._quarter_ws = 0
        self._quarter_start = start.t - (start.t % QUARTER_S)
        self._counted_from = start.t
        """The first quarter is averaged over the part the simulation saw."""
        self._month = (start.day.year, start.day.month)
        self.average_w = 0
        self.history: list[MonthPeak] = []
        year, month = self._month
        for _ in range(HISTORY_MONTHS):
            year, month = _previous_month(year, month)
        for _ in range(HISTORY_MONTHS):
            at, watts = _invented_peak(rng, year, month)
            year, month = _next_month(year, month)
            self.history.append(MonthPeak(moment(legal_midnight(year, month)), at, watts))
        if start.day.day > 1:
            self.month_max_at, self.month_max_w = _invented_peak(
                rng, *self._month, last_day=start.day.day - 1
            )
        else:
            self.month_max_at, self.month_max_w = moment(legal_midnight(*self._month)), 0

    def add(self, m: Moment, dt: int, import_w: int) -> None:
        """Count the import of the step ending at ``m``."""
        self._quarter_ws += import_w * dt
        self.average_w = self._quarter_ws // max(m.t - self._counted_from, 1)
        if m.t - self._quarter_start >= QUARTER_S:
            self._close_quarter(m)

    def _close_quarter(self, m: Moment) -> None:
        if self.average_w > self.month_max_w:
            self.month_max_w, self.month_max_at = self.average_w, m
        month = (m.day.year, m.day.month)
        if month != self._month:  # the quarter that ended at midnight closes the old month
            month_end = moment(legal_midnight(*month))
            self.history.append(MonthPeak(month_end, self.month_max_at, self.month_max_w))
            del self.history[:-HISTORY_MONTHS]
            self._month = month
            self.month_max_w, self.month_max_at = 0, m
        self._quarter_start = self._counted_from = m.t
        self._quarter_ws = 0
