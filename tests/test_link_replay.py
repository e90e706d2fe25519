"""Replaying a recording: exact bytes, the original pace, N times speed, stdin, loop."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_link_helpers import NL5, NL22, day_of_telegrams, restamped, telegram

from p1tui.link.factory import make_source
from p1tui.link.replay_source import DEFAULT_GAP, ReplaySource
from p1tui.link.settings import ReplaySettings
from p1tui.link.source import EndOfStream, LinkError


class FakeTime:
    """A clock that only moves when the source sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def play(source: ReplaySource, fake: FakeTime | None = None) -> list[tuple[float, bytes]]:
    """Every read that returned bytes, with the (fake) time it returned at."""
    source.open()
    reads = []
    try:
        while True:
            data = source.read(4096)
            if data:
                reads.append((fake.now if fake else 0.0, data))
    except EndOfStream as end:
        assert str(end) == "end of the recording."
    finally:
        source.close()
    return reads


def test_speed_0_gives_back_the_file_exactly(tmp_path):
    raw = b"\x00\xffjunk" + b"".join(day_of_telegrams(50)) + b"/ISK5 half a telegram"
    path = tmp_path / "capture.txt"
    path.write_bytes(raw)
    reads = play(ReplaySource(ReplaySettings(path, speed=0)))
    assert b"".join(data for _, data in reads) == raw


def test_original_pace_follows_the_meter_time_stamps(tmp_path):
    start = datetime(2026, 3, 1, 12, 0, 0)
    gaps = [0, 1, 1, 10, 1]  # a 10 s hole in the recording is kept
    telegrams, when = [], start
    for gap in gaps:
        when += timedelta(seconds=gap)
        telegrams.append(restamped(telegram(NL5), when))
    path = tmp_path / "capture.txt"
    path.write_bytes(b"".join(telegrams))
    fake = FakeTime()
    reads = play(ReplaySource(ReplaySettings(path), clock=fake.clock, sleep=fake.sleep), fake)
    assert [data for _, data in reads] == telegrams
    times = [at - 1000.0 for at, _ in reads]
    assert times == pytest.approx([0, 1, 2, 12, 13], abs=0.01)


def test_n_times_speed_divides_the_gaps(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_bytes(b"".join(day_of_telegrams(4)))
    fake = FakeTime()
    source = ReplaySource(ReplaySettings(path, speed=4), clock=fake.clock, sleep=fake.sleep)
    times = [at - 1000.0 for at, _ in play(source, fake)]
    assert times == pytest.approx([0, 0.25, 0.5, 0.75], abs=0.01)


def test_telegrams_without_time_stamp_are_one_default_gap_apart(tmp_path):
    path = tmp_path / "dsmr22.txt"
    path.write_bytes(telegram(NL22) * 3)
    fake = FakeTime()
    source = ReplaySource(ReplaySettings(path), clock=fake.clock, sleep=fake.sleep)
    times = [at - 1000.0 for at, _ in play(source, fake)]
    assert times == pytest.approx([0, DEFAULT_GAP, 2 * DEFAULT_GAP], abs=0.01)


def test_a_read_never_waits_longer_than_the_timeout(tmp_path):
    path = tmp_path / "capture.txt"
    start = datetime(2026, 1, 1)
    path.write_bytes(restamped(telegram(), start) + restamped(telegram(), start.replace(second=50)))
    fake = FakeTime()
    source = ReplaySource(ReplaySettings(path), clock=fake.clock, sleep=fake.sleep)
    source.open()
    assert source.read()
    before = fake.now
    assert source.read() == b""
    assert fake.now - before == pytest.approx(0.2)  # not the 50 s to the next telegram
    source.close()


def test_loop_starts_over(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_bytes(telegram(NL5))
    source = ReplaySource(ReplaySettings(path, speed=0, loop=True))
    source.open()
    data = bytearray()
    while len(data) < 3 * len(telegram(NL5)):
        data += source.read()
    source.close()
    assert bytes(data[: 3 * len(telegram(NL5))]) == telegram(NL5) * 3


def test_stdin(monkeypatch, tmp_path):
    read_end, write_end = os.pipe()
    os.write(write_end, telegram(NL5) * 2)
    os.close(write_end)
    monkeypatch.setattr("sys.stdin", os.fdopen(read_end, "r"))
    reads = play(ReplaySource(ReplaySettings(None, speed=0)))
    assert b"".join(data for _, data in reads) == telegram(NL5) * 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(LinkError) as error:
        make_source(ReplaySettings(tmp_path / "nope.txt")).open()
    assert str(error.value) == f"no such file: {tmp_path / 'nope.txt'}."


@pytest.mark.parametrize(
    ("speed", "said"), [(1.0, "x1"), (10.0, "x10"), (0.5, "x0.5"), (0.0, "as fast as possible")]
)
def test_a_replay_describes_its_pace_in_words(speed, said):
    assert ReplaySettings(Path("capture.raw"), speed).describe() == f"replay capture.raw {said}"
