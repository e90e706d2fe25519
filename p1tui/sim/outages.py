"""Power failures: when the grid goes away, the meter goes silent.

A failure is a window of simulated time in which the meter has no power and sends no
telegram; when power returns the meter counts it (short or long) and logs long ones.
Failures arrive at random (a Poisson process); short ones last seconds, long ones
(3 minutes and more) up to half an hour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .meter import LONG_FAILURE_S


@dataclass(frozen=True, slots=True)
class OutageRates:
    """Mean number of failures per day of simulated time."""

    short_per_day: float = 0.3
    long_per_day: float = 0.04


class Outages:
    """The schedule of failures, drawn one at a time as the clock passes them."""

    __slots__ = ("_rates", "_rng", "end", "start")

    def __init__(self, rng: random.Random, rates: OutageRates, now: int) -> None:
        self._rng = rng
        self._rates = rates
        self.start = 0
        self.end = 0
        self._schedule_after(now)

    def _schedule_after(self, t: int) -> None:
        rates = self._rates
        total = rates.short_per_day + rates.long_per_day
        if total <= 0:
            self.start = self.end = 2**62
            return
        rng = self._rng
        self.start = t + 1 + int(rng.expovariate(total / 86400))
        if rng.random() * total < rates.long_per_day:
            duration = LONG_FAILURE_S + int(rng.expovariate(1 / 420))
            duration = min(duration, 1800)
        else:
            duration = rng.randint(1, 30)
        self.end = self.start + duration

    def powered(self, t: int) -> bool:
        """Whether the grid is up at ``t``; the step ending at ``end`` is the first one lit."""
        return not self.start <= t < self.end

    def restored(self, t: int) -> tuple[int, int] | None:
        """``(end, duration)`` of a failure that ended by ``t``; then schedules the next one."""
        if t < self.end:
            return None
        ended = (self.end, self.end - self.start)
        self._schedule_after(t)
        return ended
