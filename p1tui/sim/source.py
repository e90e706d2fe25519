"""The built-in meter as a :class:`~p1tui.link.source.Source`, for the reader and ``--demo``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..link.settings import SimulatorSettings
from ..link.source import LinkError
from .pacing import Pacer
from .simulator import Simulator, simulator_for

READ_WAIT_S = 0.2


class SimulatorSource:
    """Telegrams of a simulated household, paced like a meter at ``settings.speed``.

    ``read`` returns at most one telegram per call (in pieces when it is longer than
    ``max_bytes``), so a reader sees the same whole-telegram writes a serial port gives.
    The simulated meter survives close/open: reopening resumes where it stopped.
    """

    def __init__(
        self, settings: SimulatorSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._closed = threading.Event()
        self._simulator: Simulator | None = None
        self._pacer: Pacer | None = None
        self._pending = b""

    def open(self) -> None:
        if self._pacer is not None:
            self._pacer.restart()
            self._closed.clear()
            return
        try:
            self._simulator = simulator_for(self.settings)
            self._pacer = Pacer(self._simulator, self.settings.speed, self._clock)
        except ValueError as error:
            raise LinkError(f"The demo meter cannot start: {error}.") from None
        self._closed.clear()

    def read(self, max_bytes: int = 4096) -> bytes:
        pacer = self._pacer
        if pacer is None:
            raise LinkError("The demo meter is not running.")
        if self._closed.is_set():
            return b""
        if not self._pending:
            wait = pacer.until_due()
            if wait > 0:
                self._closed.wait(min(wait, READ_WAIT_S))
                if self._closed.is_set() or pacer.until_due() > 0:
                    return b""
            self._pending = pacer.take()
        chunk, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return chunk

    def close(self) -> None:
        self._closed.set()
        self._pending = b""

    def describe(self) -> str:
        return self.settings.describe()
