"""The built-in meter: a simulated household behind a DSMR meter, sending real telegrams.

No threads, no I/O here except :mod:`.source`, which paces the telegrams for the reader.
"""

from .simulator import Simulator, iter_telegrams, simulator_for

__all__ = ["Simulator", "iter_telegrams", "simulator_for"]
