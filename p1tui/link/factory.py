"""Make the link layer's source for a :mod:`~p1tui.link.settings` object.

The built-in meter is not made here: :mod:`p1tui.sim` builds on this layer, so
:func:`p1tui.sources.make_any_source`, above both, makes it.
"""

from __future__ import annotations

from .replay_source import ReplaySource
from .serial_source import SerialSource
from .settings import CollectorSettings, ReplaySettings, SerialSettings, SourceSettings
from .source import Source


def make_source(settings: SourceSettings) -> Source:
    """A new, unopened source for a port, URL, running collector or recording."""
    if isinstance(settings, SerialSettings):
        return SerialSource(settings)
    if isinstance(settings, CollectorSettings):
        return SerialSource(settings.serial)
    if isinstance(settings, ReplaySettings):
        return ReplaySource(settings)
    raise TypeError(f"not settings of a link-layer source: {settings!r}")
