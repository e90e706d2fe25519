"""Make the source for any settings: the link's own (ports, replays) and the built-in meter.

This sits above both :mod:`p1tui.link` and :mod:`p1tui.sim`: the simulator builds on
the link layer (its settings, errors and serial output), so the link layer cannot know
the simulator without an import loop. Programs that offer ``--demo`` hand this factory
to the reader (``Reader(settings, publish, source_factory=make_any_source)``).
"""

from __future__ import annotations

from .link.factory import make_source
from .link.settings import SimulatorSettings, SourceSettings
from .link.source import Source


def make_any_source(settings: SourceSettings) -> Source:
    """A new, unopened source for ``settings``, the demo meter included."""
    if isinstance(settings, SimulatorSettings):
        # Imported here: the built-in meter is only loaded when someone asks for it.
        from .sim.source import SimulatorSource  # noqa: PLC0415

        return SimulatorSource(settings)
    return make_source(settings)
