"""What several benchmarks share: fair timing under load, and the installed ``p1tui``."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path


def interleaved(repeats: int, *runs: Callable[[], int]) -> list[float]:
    """Each run's fastest time per item (a run returns how many it did), the runs taking
    turns so that a load peak hits them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            begin = time.perf_counter()
            n = run()
            best[i] = min(best[i], (time.perf_counter() - begin) / n)
    return best


def p1tui_command() -> list[str]:
    """The ``p1tui`` beside this Python (the venv's), else on PATH, else ``python -m p1tui``."""
    script = Path(sys.executable).with_name("p1tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("p1tui")
    return [found] if found else [sys.executable, "-m", "p1tui"]
