"""bench/bench_ui.py runs end to end (slow): short windows, a few hundred telegrams.

Only that it works and prints every figure; the figures themselves are the bench's job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_ui.py"


def test_bench_ui_runs_every_part_and_prints_the_goals():
    options = ["--seconds", "1", "--line-seconds", "1", "--warmup", "0.5", "--rounds", "1"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *options, "--day-telegrams", "400"],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "floor: Label + Sparkline + Log at 1 Hz" in out
    assert "ratio p1tui / floor" in out
    assert "last byte -> on screen" in out
    day_rows = [line.split() for line in out.splitlines() if line.strip().startswith("400 ")]
    assert day_rows and day_rows[-1][3] == "200"  # the raw log is full at its cap
    goals = out[out.index("Goals") :]
    for goal in ("CPU at 1 Hz", "telegram-to-screen", "memory flat"):
        assert goal in goals
