"""Outdoor temperature in the Low Countries: the season, the weather of the day, the hour.

Daily means run from about 3 degrees C in mid-January to 18 in mid-July (KNMI De Bilt
normals, rounded); each day adds a weather anomaly that persists from one day to the
next, and within the day the temperature is lowest around 03:00 and highest around
15:00. The anomaly is interpolated across the day so midnight has no jump.
"""

from __future__ import annotations

import math
import random


class Climate:
    """Outdoor temperature for any moment, driven by one random stream."""

    __slots__ = ("_anomaly_today", "_anomaly_tomorrow", "_rng", "_swing", "_yday")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._yday = 0
        self._anomaly_today = rng.gauss(0, 2.5)
        self._anomaly_tomorrow = self._next_anomaly(self._anomaly_today)
        self._swing = 3.0

    def _next_anomaly(self, previous: float) -> float:
        return 0.7 * previous + self._rng.gauss(0, 1.8)

    def new_day(self, yday: int, clearness: float) -> None:
        """Move to the next day; clear days swing more between night and afternoon."""
        self._yday = yday
        self._anomaly_today = self._anomaly_tomorrow
        self._anomaly_tomorrow = self._next_anomaly(self._anomaly_today)
        self._swing = 2.0 + 4.0 * clearness

    @staticmethod
    def seasonal_mean(yday: int) -> float:
        """Normal daily mean temperature for day-of-year ``yday``."""
        return 10.5 - 7.5 * math.cos(2 * math.pi * (yday - 20) / 365)

    @property
    def day_mean(self) -> float:
        """Today's mean outdoor temperature: households stop heating above about 16 C."""
        return self.seasonal_mean(self._yday) + self._anomaly_today

    def outdoor(self, second_of_day: int) -> float:
        """Outdoor temperature in degrees C at a local time of day."""
        fraction = second_of_day / 86400
        anomaly = self._anomaly_today + (self._anomaly_tomorrow - self._anomaly_today) * fraction
        daily = self._swing * math.sin(2 * math.pi * (fraction - 0.375))
        return self.seasonal_mean(self._yday) + anomaly + daily
