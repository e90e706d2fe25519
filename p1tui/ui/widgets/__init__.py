"""The monitor's widgets, one per module; each renders state, none parses."""
