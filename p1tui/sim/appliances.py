"""What the household switches on during a day: appliance runs and water draws.

Each morning the planner draws the day's events from the random stream: showers, a
kettle now and then, cooking around six, the dishwasher after dinner, a wash on some
days, the vacuum cleaner on a Saturday. An appliance run is a short list of segments
(a heating element at 2 kW for twelve minutes, then a motor pulsing at 250 W ...), which
gives the load curve the spikes and plateaus of a real house.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .legal_time import DAY, LocalDay

L1, L2, L3 = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of constant or on/off cycling power."""

    seconds: int
    on_w: float
    off_w: float = 0.0
    on_s: int = 1
    off_s: int = 0
    """0 means constant ``on_w``; else ``on_s`` seconds on, ``off_s`` seconds at ``off_w``."""

    def power(self, elapsed: int) -> float:
        if not self.off_s:
            return self.on_w
        return self.on_w if elapsed % (self.on_s + self.off_s) < self.on_s else self.off_w


@dataclass(frozen=True, slots=True)
class Run:
    """One use of an appliance on one phase, from ``start`` (seconds after local midnight)."""

    name: str
    start: int
    phase: int
    segments: tuple[Segment, ...]
    end: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "end", self.start + sum(s.seconds for s in self.segments))

    def power(self, second: int) -> float:
        elapsed = second - self.start
        for segment in self.segments:
            if elapsed < segment.seconds:
                return segment.power(elapsed)
            elapsed -= segment.seconds
        return 0.0

    def shifted(self, seconds: int) -> Run:
        return Run(self.name, self.start + seconds, self.phase, self.segments)


@dataclass(frozen=True, slots=True)
class Draw:
    """Water running from ``start`` to ``end``; hot draws make the boiler burn gas."""

    start: int
    end: int
    litres_per_s: float
    gas_litres_per_s: float = 0.0

    def shifted(self, seconds: int) -> Draw:
        return Draw(
            self.start + seconds, self.end + seconds, self.litres_per_s, self.gas_litres_per_s
        )


SHOWER_GAS_L_PER_S = 2.2 * 1000 / 3600
"""A combi boiler heating a shower burns about 2.2 m3 of gas an hour."""


@dataclass(slots=True)
class DayPlan:
    """The events of one local day; runs may end after midnight and carry over."""

    runs: list[Run]
    draws: list[Draw]
    home_all_day: bool = False

    def carry_over(self) -> DayPlan:
        """What is still running at midnight, in the next day's seconds."""
        return DayPlan(
            [r.shifted(-DAY) for r in self.runs if r.end > DAY],
            [d.shifted(-DAY) for d in self.draws if d.end > DAY],
        )


def _minutes(rng: random.Random, low: float, high: float) -> int:
    return int(rng.uniform(low, high) * 60)


def _at(rng: random.Random, hour: float, spread_min: float) -> int:
    """A time of day near ``hour``, within ``spread_min`` minutes either side."""
    return max(0, int(hour * 3600 + rng.uniform(-spread_min, spread_min) * 60))


def kettle(rng: random.Random, at: int) -> Run:
    return Run("kettle", at, L1, (Segment(rng.randint(110, 200), rng.uniform(1950, 2200)),))


def microwave(rng: random.Random, at: int) -> Run:
    return Run("microwave", at, L1, (Segment(rng.randint(60, 300), 1150, 300, 20, 4),))


def coffee(rng: random.Random, at: int) -> Run:
    return Run("coffee machine", at, L1, (Segment(rng.randint(40, 70), 1350),))


def toaster(rng: random.Random, at: int) -> Run:
    return Run("toaster", at, L1, (Segment(rng.randint(120, 200), 850),))


def hair_dryer(rng: random.Random, at: int) -> Run:
    return Run("hair dryer", at, L3, (Segment(rng.randint(150, 360), 1800, 900, 40, 20),))


def hob(rng: random.Random, at: int) -> list[Run]:
    """An induction hob on two phases: a boost, then zones pulsing at lower settings."""
    boil = Segment(rng.randint(240, 420), 2800)
    simmer = Segment(_minutes(rng, 15, 35), 1600, 400, 18, 12)
    return [
        Run("hob", at, L2, (boil, simmer)),
        Run("hob", at + 60, L3, (Segment(_minutes(rng, 10, 25), 1300, 200, 25, 20),)),
    ]


def oven(rng: random.Random, at: int) -> Run:
    return Run(
        "oven",
        at,
        L3,
        (Segment(_minutes(rng, 8, 12), 2400), Segment(_minutes(rng, 30, 55), 2400, 20, 35, 65)),
    )


def washing_machine(rng: random.Random, at: int) -> tuple[Run, list[Draw]]:
    heat_s = _minutes(rng, 10, 20)
    run = Run(
        "washing machine",
        at,
        L2,
        (
            Segment(150, 12),
            Segment(heat_s, 2050, 150, 40, 8),
            Segment(_minutes(rng, 25, 40), 240, 15, 12, 8),
            Segment(_minutes(rng, 15, 20), 180, 15, 10, 10),
            Segment(_minutes(rng, 6, 10), 520),
        ),
    )
    rinse = at + 150 + heat_s + 1500
    draws = [
        Draw(at, at + 150, 0.12),
        Draw(rinse, rinse + 120, 0.15),
        Draw(rinse + 600, rinse + 720, 0.15),
    ]
    return run, draws


def dryer(rng: random.Random, at: int) -> Run:
    return Run("tumble dryer", at, L2, (Segment(_minutes(rng, 60, 90), 2300, 250, 180, 60),))


def dishwasher(rng: random.Random, at: int) -> tuple[Run, list[Draw]]:
    run = Run(
        "dishwasher",
        at,
        L3,
        (
            Segment(120, 30),
            Segment(_minutes(rng, 12, 18), 2000),
            Segment(_minutes(rng, 25, 35), 110),
            Segment(_minutes(rng, 8, 12), 2000),
            Segment(_minutes(rng, 15, 25), 15),
        ),
    )
    return run, [Draw(at, at + 120, 0.03), Draw(at + 2700, at + 2820, 0.03)]


def vacuum(rng: random.Random, at: int) -> Run:
    return Run("vacuum cleaner", at, L1, (Segment(_minutes(rng, 10, 25), 750, 60, 240, 30),))


def shower(rng: random.Random, at: int) -> Draw:
    return Draw(at, at + _minutes(rng, 5, 11), 0.13, SHOWER_GAS_L_PER_S)


def plan_day(rng: random.Random, day: LocalDay, previous: DayPlan | None) -> DayPlan:
    """Draw the events of ``day``; events still running from ``previous`` carry over."""
    plan = previous.carry_over() if previous else DayPlan([], [])
    runs, draws = plan.runs, plan.draws
    weekend = day.weekend
    home_all_day = plan.home_all_day = weekend or rng.random() < 0.4
    wake = _at(rng, 8.5 if weekend else 6.75, 35)

    for i in range(2):
        start = wake + 300 + i * _minutes(rng, 12, 25)
        draws.append(shower(rng, start))
        if rng.random() < 0.5:
            runs.append(hair_dryer(rng, draws[-1].end + 120))
    runs.append(kettle(rng, wake + 420))
    runs.append(coffee(rng, wake + 600))
    if rng.random() < 0.6:
        runs.append(toaster(rng, wake + 720))

    if home_all_day:
        for hour in (10.5, 12.5, 15.5):
            if rng.random() < 0.7:
                runs.append(kettle(rng, _at(rng, hour, 40)))
        runs.append(microwave(rng, _at(rng, 12.5, 20)))

    dinner = _at(rng, 18.0, 30)
    if rng.random() < 0.9:
        runs.extend(hob(rng, dinner))
    if rng.random() < 0.3:
        runs.append(oven(rng, dinner - 1800))
    runs.append(kettle(rng, _at(rng, 20.5, 40)))
    if rng.random() < 0.75:
        run, water = dishwasher(rng, _at(rng, 21.0, 45))
        runs.append(run)
        draws.extend(water)

    if rng.random() < (0.6 if weekend else 0.35):
        run, water = washing_machine(rng, _at(rng, 10.0 if home_all_day else 19.5, 45))
        runs.append(run)
        draws.extend(water)
        if rng.random() < 0.5:
            runs.append(dryer(rng, run.end + 600))
    if day.weekday == 5 and rng.random() < 0.6:
        runs.append(vacuum(rng, _at(rng, 11.0, 60)))

    bedtime = _at(rng, 23.0, 40)
    for _ in range(rng.randint(8, 14)):  # toilet flushes and taps while people are up
        at = rng.randint(wake, bedtime)
        draws.append(Draw(at, at + 40, 0.15))
    for _ in range(rng.randint(4, 8)):  # hot kitchen taps
        at = rng.randint(wake, bedtime)
        draws.append(Draw(at, at + rng.randint(15, 60), 0.1, 0.3))
    return plan
