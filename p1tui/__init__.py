"""p1tui: watch a DSMR smart meter's P1 port from a terminal."""

__version__ = "0.1.0"
