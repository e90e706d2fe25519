"""The electricity meter: what it measures per phase and what its registers hold.

Power is kept in whole watts (the 3 decimals of a kW value) and energy in watt-seconds,
so the registers are the exact integral of the power the telegrams show: over any run of
telegrams, the growth of a register equals the sum of power x period, to within the
1 Wh the register's last decimal can hide. Registers and counters only ever grow.

The totals 1-0:1.7.0 / 1-0:2.7.0 are the net of the phases, as real meters report them:
one phase may export while another imports, and the totals then show their balance.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .legal_time import Moment

IMPORT, EXPORT = 0, 1
NOMINAL_V = 230.0
MIN_V, MAX_V = 207.0, 253.0
"""The EN 50160 band, 230 V +/- 10 %: voltages never leave it."""
LONG_FAILURE_S = 180
"""Failures at least this long count as long and enter the failure log (DSMR default)."""
FAILURE_LOG_SIZE = 10


@dataclass(frozen=True, slots=True)
class PhaseValues:
    """Instantaneous values of one phase, as the telegram shows them."""

    voltage_dv: int
    """Decivolts: 2301 is 230.1 V."""
    current_a: float
    import_w: int
    export_w: int


@dataclass(frozen=True, slots=True)
class FailureEntry:
    """One line of the long power failure log."""

    end: Moment
    duration_s: int


class ElectricityMeter:
    """Registers, instantaneous values, failure counters and the voltage quality counters."""

    def __init__(
        self,
        setup: random.Random,
        events: random.Random,
        tariff_of: Callable[[Moment], int],
        power_step_w: int,
    ) -> None:
        self._events = events
        self._tariff_of = tariff_of
        self._step_w = power_step_w
        kwh = setup.uniform
        self.registers_ws = [
            [int(kwh(1500, 9000) * 3_600_000), int(kwh(1500, 9000) * 3_600_000)],
            [int(kwh(300, 3500) * 3_600_000), int(kwh(400, 4500) * 3_600_000)],
        ]
        """[import, export][tariff 1, tariff 2] in watt-seconds."""
        self.tariff = 1
        self.import_w = 0
        self.export_w = 0
        self.phases: tuple[PhaseValues, ...] = ()
        self.short_failures = setup.randint(2, 12)
        self.long_failures = setup.randint(1, 5)
        self.failure_log: list[FailureEntry] = []
        self.sags = [setup.randint(0, 4) for _ in range(3)]
        self.swells = [setup.randint(0, 2) for _ in range(3)]
        self._grid_offset_v = [setup.uniform(-2.5, 2.5) for _ in range(3)]
        self._grid_drift_v = 0.0

    def measure(self, m: Moment, dt: int, load_w: tuple[float, ...], solar_w: float) -> None:
        """Take the step's load and production, and integrate them into the registers."""
        per_phase_solar = solar_w / 3
        step = self._step_w
        nets = [round((load - per_phase_solar) / step) * step for load in load_w]
        net = sum(nets)
        self.import_w = max(net, 0)
        self.export_w = max(-net, 0)
        self.tariff = self._tariff_of(m)
        if dt:
            self.registers_ws[IMPORT][self.tariff - 1] += self.import_w * dt
            self.registers_ws[EXPORT][self.tariff - 1] += self.export_w * dt
        self.phases = tuple(self._phase(i, n, solar_w) for i, n in enumerate(nets))
        self._quality_events(dt)

    def _phase(self, index: int, net_w: int, solar_w: float) -> PhaseValues:
        # The street's voltage rises when the neighbourhood's panels produce, and each
        # phase sags under its own load through the service cable's resistance (0.3 ohm).
        street = NOMINAL_V + self._grid_offset_v[index] + self._grid_drift_v + solar_w / 1000
        voltage = street - 0.3 * net_w / NOMINAL_V + self._events.gauss(0, 0.25)
        voltage_dv = round(min(MAX_V, max(MIN_V, voltage)) * 10)
        return PhaseValues(
            voltage_dv=voltage_dv,
            current_a=abs(net_w) * 10 / voltage_dv,
            import_w=max(net_w, 0),
            export_w=max(-net_w, 0),
        )

    def _quality_events(self, dt: int) -> None:
        events = self._events
        self._grid_drift_v = max(-3.0, min(3.0, self._grid_drift_v + events.gauss(0, 0.02) * dt))
        if events.random() < dt / (5 * 86400):
            self.sags[events.randrange(3)] += 1
        if events.random() < dt / (20 * 86400):
            self.swells[events.randrange(3)] += 1

    def power_restored(self, end: Moment, duration_s: int) -> None:
        """Count a power failure that just ended; long ones enter the log."""
        if duration_s < LONG_FAILURE_S:
            self.short_failures += 1
            return
        self.long_failures += 1
        self.failure_log.append(FailureEntry(end, duration_s))
        del self.failure_log[:-FAILURE_LOG_SIZE]
