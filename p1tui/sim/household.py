"""The household behind the meter: what it draws per phase, produces on the roof, and
burns and taps on the M-Bus meters, step by step.

The electrical load is the sum of
* an always-on base (standby, router, fridge and freezer compressors cycling),
* a daily activity curve (electronics, and lighting when it is dark),
* the appliance runs planned for the day (:mod:`.appliances`),
* the central-heating pump while the boiler burns,
* correlated noise of a few tens of watts,
spread over the three phases the way a fuse box would. Solar panels on a three-phase
inverter feed the same amount into each phase. Every random stream is derived from the
seed, one per concern, so the same seed always gives the same house.
"""

from __future__ import annotations

from dataclasses import dataclass

from .appliances import L1, L2, L3, DayPlan, plan_day
from .climate import Climate
from .heating import GAS_J_PER_LITRE, House, setpoint
from .legal_time import Moment
from .randomness import random_stream
from .sky import Clouds, Panels, Site, SunDay, clear_sky_w_per_m2, sun_at, sun_day

# Electronics and lighting by local hour (W), hours 0-11 then 12-23: weekday, weekend.
_ELECTRONICS = {
    False: (20, 10, 10, 10, 10, 10, 30, 90, 60, 40, 40, 40,
            50, 40, 40, 40, 60, 110, 150, 190, 210, 200, 150, 70),
    True: (40, 15, 10, 10, 10, 10, 10, 20, 60, 120, 130, 120,
           130, 120, 110, 110, 120, 150, 170, 200, 220, 220, 190, 110),
}  # fmt: skip
_LIGHTING = {
    False: (30, 0, 0, 0, 0, 0, 60, 120, 40, 10, 10, 10,
            10, 10, 10, 10, 40, 120, 180, 200, 200, 180, 130, 70),
    True: (60, 20, 0, 0, 0, 0, 0, 30, 80, 60, 40, 40,
           40, 40, 40, 40, 60, 130, 190, 210, 210, 200, 170, 110),
}  # fmt: skip
_BASE_SPLIT = (0.45, 0.35, 0.20)
"""How the base and activity load spreads over L1, L2, L3."""
_NOISE_W = 30.0
"""Standard deviation of the load's correlated noise (time constant about 30 s)."""
_WINDOW_M2 = 1.2
"""Sunlight through the windows that ends up as heat, as square metres of full sun."""


@dataclass(frozen=True, slots=True)
class Flows:
    """What happened in one step."""

    load_w: tuple[float, float, float]
    """Consumption per phase, W."""
    solar_w: float
    """Solar production, all phases together, W."""
    gas_litres: float
    water_litres: float


def _curve(table: tuple[int, ...], second: int) -> float:
    """Linear interpolation of an hourly table at a time of day."""
    position = second / 3600
    hour = int(position) % 24
    fraction = position - int(position)
    return table[hour] + (table[(hour + 1) % 24] - table[hour]) * fraction


def _darkness(sin_elevation: float) -> float:
    """1 at night, 0 in full daylight (sun more than about 10 degrees up)."""
    return min(1.0, max(0.0, 1 - sin_elevation / 0.17))


class Household:
    """A three-phase house with solar panels, gas heating and a water meter."""

    def __init__(self, seed: int, site: Site) -> None:
        setup = random_stream(seed, "setup")
        self._plans = random_stream(seed, "plans")
        self._noise_rng = random_stream(seed, "noise")
        self.site = site
        self.panels = Panels(peak_w=setup.choice((3000, 3600, 4000, 4400, 5200)))
        self.standby_w = setup.uniform(45, 80)
        self._fridge = (setup.uniform(80, 110), setup.randint(0, 3299))
        self._freezer = (setup.uniform(65, 90), setup.randint(0, 3599))
        self.house = House(loss_w_per_k=setup.uniform(150, 230))
        self.clouds = Clouds(random_stream(seed, "clouds"))
        self.climate = Climate(random_stream(seed, "climate"))
        self._day_index: int | None = None
        self._sun: SunDay | None = None
        self._plan: DayPlan | None = None
        self._noise = 0.0
        self._last_load = 0.0

    def _new_day(self, m: Moment) -> None:
        day = m.day
        self._day_index = day.index
        self._sun = sun_day(self.site, day.yday)
        self.clouds.new_day(day.yday)
        self.climate.new_day(day.yday, self.clouds.clearness)
        self._plan = plan_day(self._plans, day, self._plan)

    def step(self, m: Moment, dt: int, powered: bool = True) -> Flows:
        """What the house does during the ``dt`` seconds that end at ``m``."""
        if m.day.index != self._day_index:
            self._new_day(m)
        plan, sun = self._plan, self._sun
        assert plan is not None and sun is not None
        sin_elevation, cos_incidence = sun_at(sun, m.t % 86400)
        irradiance = clear_sky_w_per_m2(sin_elevation, cos_incidence) * self.clouds.step(dt)
        loads = self._electric_load(m, dt, plan, sin_elevation)
        water, hot_water_gas = self._water_draws(m.second, dt, plan)

        outdoor = self.climate.outdoor(m.second)
        target = setpoint(m.day, m.second, plan.home_all_day, self.climate.day_mean)
        gains = self._last_load + _WINDOW_M2 * irradiance
        heat = self.house.step(dt, outdoor, target, gains, powered)
        if heat > 0:
            loads[L2] += 65  # circulation pump and burner fan
        if not powered:
            self._last_load = 0.0
            return Flows((0.0, 0.0, 0.0), 0.0, 0.0, water)
        self._last_load = sum(loads)
        gas = heat * dt / GAS_J_PER_LITRE + hot_water_gas
        return Flows(
            (loads[L1], loads[L2], loads[L3]), self.panels.output_w(irradiance), gas, water
        )

    def _electric_load(
        self, m: Moment, dt: int, plan: DayPlan, sin_elevation: float
    ) -> list[float]:
        """Consumption per phase: base, activity, appliances and noise."""
        second, weekend, t = m.second, m.day.weekend, m.t
        decay = 0.97**dt
        self._noise = (
            self._noise * decay + self._noise_rng.gauss(0, _NOISE_W) * (1 - decay * decay) ** 0.5
        )
        lighting = _curve(_LIGHTING[weekend], second) * _darkness(sin_elevation)
        base = self.standby_w + _curve(_ELECTRONICS[weekend], second) + lighting
        loads = [base * share for share in _BASE_SPLIT]
        fridge_w, fridge_phase = self._fridge
        if (t + fridge_phase) % 3300 < 1200:
            loads[L1] += fridge_w
        freezer_w, freezer_phase = self._freezer
        if (t + freezer_phase) % 3600 < 900:
            loads[L3] += freezer_w
        loads[L1] = max(loads[L1] + self._noise, 5.0)
        for run in plan.runs:
            if run.start <= second < run.end:
                loads[run.phase] += run.power(second)
        return loads

    @staticmethod
    def _water_draws(second: int, dt: int, plan: DayPlan) -> tuple[float, float]:
        """Litres of water drawn, and litres of gas burnt heating the hot part of it."""
        water = gas = 0.0
        for draw in plan.draws:
            if draw.start <= second < draw.end:
                water += draw.litres_per_s * dt
                gas += draw.gas_litres_per_s * dt
        return water, gas
