"""bench/bench_store.py runs end to end (slow): the quick file, every part, the goals.

Only that it works and prints every figure; the figures themselves are the bench's job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_store.py"


def test_bench_store_runs_every_part_and_prints_the_goals():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for line in ("p1tui import", "p1tui decode", "rows:", "month", "import >= 0.7x decode"):
        assert line in out, out
