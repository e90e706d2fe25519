"""A house with a thermostat programme and a gas combi boiler.

One thermal mass (heat capacity ``C``) loses heat to outside through ``UA``; the boiler
modulates to hold the thermostat's setpoint, burning up to 24 kW after a night setback.
Electric appliances, people and sunshine through the windows warm the house too, so a
sunny spring afternoon needs little gas and a cold January evening a lot.
"""

from __future__ import annotations

from .legal_time import LocalDay

GAS_J_PER_LITRE = 35.17e3 * 0.92
"""Dutch natural gas (35.17 MJ/m3 lower heating value) in a boiler that keeps 92 %."""


HEATING_LIMIT_C = 16.0
"""Above this daily mean outdoor temperature the heating stays off (the Dutch "stookgrens")."""
SETBACK_C = 15.5
"""Nights, empty houses and summer days."""


def setpoint(day: LocalDay, second: int, home_all_day: bool, day_mean_outdoor: float) -> float:
    """The thermostat programme: warm mornings and evenings, cooler days and nights."""
    if day_mean_outdoor > HEATING_LIMIT_C:
        return SETBACK_C
    hour = second / 3600
    if day.weekend:
        return 20.0 if 8.0 <= hour < 23.0 else SETBACK_C
    if 6.5 <= hour < 8.5 or 17.0 <= hour < 22.5:
        return 20.0
    if 8.5 <= hour < 17.0:
        return 19.5 if home_all_day else 16.0
    return SETBACK_C


class House:
    """Indoor temperature and the boiler's heat output."""

    __slots__ = ("capacity_j_per_k", "indoor", "loss_w_per_k", "max_heat_w")

    GAIN_K = 3000.0
    """Boiler response to the gap between setpoint and indoor temperature, W per K."""

    def __init__(self, loss_w_per_k: float, indoor: float = 19.0) -> None:
        self.loss_w_per_k = loss_w_per_k
        self.capacity_j_per_k = 12e6
        self.max_heat_w = 24000.0
        self.indoor = indoor

    def step(
        self, dt: float, outdoor: float, target: float, gains_w: float, powered: bool
    ) -> float:
        """Advance ``dt`` seconds; return the boiler's heat output in W (0 without power)."""
        heat = 0.0
        if powered:
            hold = self.loss_w_per_k * (target - outdoor) - gains_w
            heat = min(self.max_heat_w, max(0.0, hold + self.GAIN_K * (target - self.indoor)))
        loss = self.loss_w_per_k * (self.indoor - outdoor)
        self.indoor += (heat + gains_w - loss) * dt / self.capacity_j_per_k
        return heat
