"""Make the source that a :mod:`~p1tui.link.settings` object describes."""

from __future__ import annotations

from .replay_source import ReplaySource
from .serial_source import SerialSource
from .settings import (
    CollectorSettings,
    ReplaySettings,
    SerialSettings,
    SimulatorSettings,
    SourceSettings,
)
from .source import Source


def make_source(settings: SourceSettings) -> Source:
    """A new, unopened source for ``settings``."""
    if isinstance(settings, SerialSettings):
        return SerialSource(settings)
    if isinstance(settings, CollectorSettings):
        return SerialSource(settings.serial)
    if isinstance(settings, ReplaySettings):
        return ReplaySource(settings)
    if isinstance(settings, SimulatorSettings):
        # Imported here: the built-in meter is only loaded when someone asks for it.
        from ..sim.source import SimulatorSource  # noqa: PLC0415

        return SimulatorSource(settings)
    raise TypeError(f"not source settings: {settings!r}")
