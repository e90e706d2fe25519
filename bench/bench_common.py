"""What several benchmarks share: fair timing under load, and the installed ``p1tui``."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from p1tui.dsmr import Decoder


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


def decoding(
    telegrams: list[bytes], make_decoder: Callable[[], Decoder], rounds: int = 1
) -> Callable[[], int]:
    """A run for :func:`interleaved`: one link's decoder (a fresh one per run) fed
    ``telegrams`` ``rounds`` times, every telegram checked valid and parsed."""

    def run() -> int:
        decoder = make_decoder()
        n = 0
        for _ in range(rounds):
            for data in telegrams:
                for frame, telegram in decoder.feed(data):
                    assert frame.valid and telegram is not None
                    n += 1
        return n

    return run


def p1tui_command() -> list[str]:
    """The ``p1tui`` beside this Python (the venv's), else on PATH, else ``python -m p1tui``."""
    script = Path(sys.executable).with_name("p1tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("p1tui")
    return [found] if found else [sys.executable, "-m", "p1tui"]
