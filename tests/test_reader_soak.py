"""Fault soak (slow): two days of telegrams through a pty, 100 TCP drops mid-telegram.

The work is done by bench/soak_link.py, which also prints the figures for the README.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("p1tui.sim.simulator")

_SPEC = importlib.util.spec_from_file_location(
    "soak_link", Path(__file__).resolve().parent.parent / "bench" / "soak_link.py"
)
soak_link = importlib.util.module_from_spec(_SPEC)
sys.modules["soak_link"] = soak_link  # dataclasses look their module up there
_SPEC.loader.exec_module(soak_link)

pytestmark = pytest.mark.slow


def test_days_of_telegrams_through_a_pty_lose_nothing_and_memory_stays_flat():
    result = soak_link.soak_days(2)
    assert result.valid == 2 * soak_link.DAY
    assert result.invalid == 0
    assert result.out_of_order == 0
    _before, first_day, second_day = result.rss_kib
    # The first day fills the protocol core's bounded caches; the second adds nothing.
    assert second_day - first_day < 1024


def test_a_hundred_drops_mid_telegram_lose_no_whole_telegram_and_merge_none():
    result = soak_link.soak_reconnects(100)
    assert result.whole_received == result.whole_sent == 100
    assert result.exact
    assert result.invalid == 0
    assert result.fds_end <= result.fds_start
    assert result.threads_end <= result.threads_start
    assert result.rss_end_kib - result.rss_start_kib < 2048
