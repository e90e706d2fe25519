"""Independent random streams derived from one seed.

Each concern (the weather, the day's plans, the meter's events...) draws from its own
stream, so a change in how one of them uses randomness leaves the others' numbers, and
the telegrams they shape, as they were. String seeds are hashed with SHA-512 by
:class:`random.Random`, the same on every platform and Python version.
"""

from __future__ import annotations

import random


def random_stream(seed: int, name: str) -> random.Random:
    """The stream called ``name`` of household ``seed``."""
    return random.Random(f"p1tui-sim-{seed}-{name}")
