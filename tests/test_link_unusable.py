"""A port name that can never work (a directory, a regular file) is said once, not retried."""

from __future__ import annotations

import pytest
from process_helpers import Command
from test_link_helpers import EventLog

from p1tui.link.events import Diagnosis, LinkState, StateChanged
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings


@pytest.mark.parametrize(
    ("port", "said"),
    [
        (".", ". is a directory, not a serial port."),
        ("/etc/hostname", "/etc/hostname is not a serial port."),
    ],
)
def test_the_reader_says_what_it_is_and_stops_instead_of_retrying(port, said):
    log = EventLog()
    reader = Reader(SerialSettings(port), log)
    reader.start()
    try:
        log.wait_for(lambda log: any(e.state is LinkState.STOPPED for e in log.of(StateChanged)))
    finally:
        reader.stop()
    states = log.of(StateChanged)
    assert [e.state for e in states] == [LinkState.CONNECTING, LinkState.STOPPED]
    assert states[-1].reason == said
    (diagnosis,) = log.of(Diagnosis)
    assert diagnosis.problem == said and "p1tui ports" in diagnosis.advice


def test_record_on_a_directory_is_one_clear_error(tmp_path):
    out = tmp_path / "capture.raw"
    with Command("record", "--port", str(tmp_path), "--out", str(out)) as command:
        assert command.finish() == 1
    assert command.lines == [
        f"p1tui record: {tmp_path} is a directory, not a serial port.",
        "Run `p1tui ports` to list the serial ports on this computer.",
    ]
    assert not out.exists()
