"""The sun, the clouds and the solar panels on the roof.

The sun's position uses the textbook declination and equation-of-time formulas, which
are good to a few minutes: enough for a June day that starts producing around 05:30 and a
December day whose panels barely wake up. Per day the trigonometry of the date is
computed once; per step it costs one cosine and one power.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

_DEG = math.pi / 180


@dataclass(frozen=True, slots=True)
class Site:
    """Where the house stands and how its panels face."""

    latitude: float
    longitude: float
    tilt: float = 35.0
    """Panel tilt in degrees, facing south."""


NL_SITE = Site(latitude=52.1, longitude=5.2)
BE_SITE = Site(latitude=50.9, longitude=4.4)
LU_SITE = Site(latitude=49.6, longitude=6.1)


@dataclass(frozen=True, slots=True)
class SunDay:
    """The date-dependent half of the sun's position, computed once per day."""

    sin_lat_sin_dec: float
    cos_lat_cos_dec: float
    panel_a: float
    panel_b: float
    solar_noon_utc: float
    """Seconds after UTC midnight at which the sun is due south."""


def sun_day(site: Site, yday: int) -> SunDay:
    """Declination and equation of time for day-of-year ``yday`` at ``site``."""
    declination = 23.44 * _DEG * math.sin(2 * math.pi * (284 + yday) / 365)
    b = 2 * math.pi * (yday - 81) / 364
    equation_of_time_min = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    lat = site.latitude * _DEG
    tilted = (site.latitude - site.tilt) * _DEG
    return SunDay(
        sin_lat_sin_dec=math.sin(lat) * math.sin(declination),
        cos_lat_cos_dec=math.cos(lat) * math.cos(declination),
        panel_a=math.sin(tilted) * math.sin(declination),
        panel_b=math.cos(tilted) * math.cos(declination),
        solar_noon_utc=(12 - site.longitude / 15 - equation_of_time_min / 60) * 3600,
    )


def sun_at(day: SunDay, utc_second_of_day: float) -> tuple[float, float]:
    """``(sin(elevation), cos(angle of incidence on the panels))`` at a UTC time of day."""
    cos_h = math.cos((utc_second_of_day - day.solar_noon_utc) * (math.pi / 43200))
    return (
        day.sin_lat_sin_dec + day.cos_lat_cos_dec * cos_h,
        day.panel_a + day.panel_b * cos_h,
    )


def clear_sky_w_per_m2(sin_elevation: float, cos_incidence: float) -> float:
    """Irradiance on the panels under a clear sky: Meinel's beam model plus some diffuse."""
    if sin_elevation <= 0.01:
        return 0.0
    air_mass = 1 / sin_elevation
    beam = 1353 * 0.7 ** (air_mass**0.678)
    return beam * max(cos_incidence, 0.0) + 0.1 * beam * sin_elevation


class Clouds:
    """Sunny spells and passing clouds: the fraction of clear-sky light that gets through.

    A two-state process (sun out, cloud in front) whose chance of sun is the day's
    clearness, with edges smoothed over half a minute, so production dips and recovers
    the way a real inverter's output does on a day with cumulus.
    """

    __slots__ = ("_rng", "_sunny", "clearness", "transmission")

    MEAN_SPELL_S = 420.0

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.clearness = 0.5
        self._sunny = True
        self.transmission = 1.0

    def new_day(self, yday: int) -> None:
        """Draw the day's clearness: summer days are clearer than winter days."""
        summer = 0.5 - 0.5 * math.cos(2 * math.pi * (yday - 15) / 365)
        mean = 0.22 + 0.4 * summer
        self.clearness = min(0.95, max(0.03, self._rng.betavariate(2, 2) * 2 * mean))

    def step(self, dt: float) -> float:
        """Advance ``dt`` seconds; return the light transmission (about 0.2 to 1)."""
        rng = self._rng
        switch = dt / self.MEAN_SPELL_S
        if self._sunny:
            if rng.random() < switch * (1 - self.clearness) * 2:
                self._sunny = False
        elif rng.random() < switch * self.clearness * 2:
            self._sunny = True
        target = 1.0 if self._sunny else 0.18 + 0.1 * rng.random()
        smoothing = min(1.0, dt / 30)
        self.transmission += (target - self.transmission) * smoothing
        return self.transmission


@dataclass(frozen=True, slots=True)
class Panels:
    """A rooftop installation behind one three-phase inverter."""

    peak_w: float
    performance: float = 0.85
    """Inverter, wiring, temperature and soiling losses together."""

    def output_w(self, irradiance_w_per_m2: float) -> float:
        """AC output; the inverter stays off below a few watts."""
        watts = self.peak_w * self.performance * irradiance_w_per_m2 / 1000
        return watts if watts >= 15 else 0.0
