"""Release the simulator's telegrams on the wall clock: real pace, N times faster, or flat out.

Telegram times are simulated; the wall-clock moment each one is due is
``wall_start + (telegram_time - simulated_start) / speed``, so a failure window in the
simulation becomes a real silence, as it would on a real meter. A consumer that falls
far behind (a laptop that slept, a paused reader) does not get a burst of stale
telegrams: the meter keeps counting without writing, like a real meter nobody listens to,
at most :data:`MAX_SKIP_STEPS` steps per call so no call takes long.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .legal_time import Moment
from .simulator import Simulator

MAX_LAG_S = 2.0
"""How far behind the wall clock the stream may fall before it skips ahead."""
MAX_SKIP_STEPS = 3600


class Pacer:
    """The simulator's telegrams, each released when it is due."""

    def __init__(
        self, simulator: Simulator, speed: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be 0 (as fast as possible) or more, not {speed:g}")
        self._simulator = simulator
        self._speed = speed
        self._clock = clock
        self._ready = simulator.next_telegram()
        self._ready_at = simulator.now
        self.taken_at: Moment | None = None
        """Meter time of the last telegram :meth:`take` returned."""
        self._wall_start = clock()
        self._sim_start = self._ready_at.t

    def restart(self) -> None:
        """Make the next telegram due now (after the consumer paused, e.g. a reopened link)."""
        self._wall_start = self._clock()
        self._sim_start = self._ready_at.t

    def _due(self, sim_t: int) -> float:
        return self._wall_start + (sim_t - self._sim_start) / self._speed

    def until_due(self) -> float:
        """Seconds until the next telegram is due; 0 when it is (always, at speed 0)."""
        if not self._speed:
            return 0.0
        now = self._clock()
        wait = self._due(self._ready_at.t) - now
        if wait < -MAX_LAG_S:
            self._skip_to(now)
            return 0.0
        return max(wait, 0.0)

    def _skip_to(self, now: float) -> None:
        simulator = self._simulator
        target = self._sim_start + (now - self._wall_start) * self._speed
        steps = min(int((target - simulator.now.t) / simulator.period_s) - 1, MAX_SKIP_STEPS)
        for _ in range(steps):
            simulator.advance()
        self._prepare()

    def _prepare(self) -> None:
        self._ready = self._simulator.next_telegram()
        self._ready_at = self._simulator.now

    def take(self) -> bytes:
        """The next telegram (whether due or not: check :meth:`until_due` first)."""
        telegram = self._ready
        self.taken_at = self._ready_at
        self._prepare()
        return telegram
