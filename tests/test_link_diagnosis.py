"""Diagnosis from the bytes themselves: wrong serial settings leave fingerprints."""

from __future__ import annotations

import re

import pytest
from test_link_helpers import (
    BE,
    NL5,
    NL22,
    NL42,
    seven_e1_read_as_8n1,
    telegram,
    uart_transfer,
)

from p1tui.link.diagnosis import (
    JUNK_BEFORE_DIAGNOSIS,
    NO_DATA,
    NO_DATA_AFTER,
    NO_DATA_NETWORK,
    LinkWatch,
    explain_bytes,
)
from p1tui.link.events import Diagnosis
from p1tui.link.settings import SerialSettings

AT_115200 = SerialSettings("/dev/ttyUSB0")
AT_9600_8N1 = SerialSettings("/dev/ttyUSB0", 9600, 8, "N", 1)
AT_9600_7E1 = SerialSettings("/dev/ttyUSB0", 9600, 7, "E", 1)


def stream(name: str, copies: int = 3) -> bytes:
    return telegram(name) * copies


@pytest.mark.parametrize("name", [NL22, NL5, BE])
def test_7e1_read_as_8n1_is_recognised(name):
    bytes_seen = seven_e1_read_as_8n1(stream(name))
    diagnosis = explain_bytes(bytes_seen, AT_9600_8N1)
    assert diagnosis.problem == (
        "bytes arrive but no telegram: this looks like 9600 7E1 data read at 9600 8N1."
    )
    assert "9600 7E1" in diagnosis.advice


ODD_PARITY = "odd parity"
EVERY_OTHER_HIGH_BIT = "every other high bit"


@pytest.mark.parametrize("pattern", [ODD_PARITY, EVERY_OTHER_HIGH_BIT])
@pytest.mark.parametrize("settings", [AT_9600_8N1, AT_115200])
def test_high_bits_that_are_not_even_parity_only_get_dsmr_settings_suggested(pattern, settings):
    text = stream(NL22)
    if pattern == ODD_PARITY:
        seen = bytes(b ^ 0x80 for b in seven_e1_read_as_8n1(text))
    else:
        seen = bytes(b | 0x80 if i % 2 else b for i, b in enumerate(text))
    diagnosis = explain_bytes(seen, settings)
    said = diagnosis.problem + " " + diagnosis.advice
    assert "7O1" not in said and "odd" not in said
    assert "looks like" not in diagnosis.problem  # not even parity: not called 7E1 data
    suggested = set(re.findall(r"\b(\d+) (\d[NEO]\d)\b", diagnosis.advice))
    assert suggested, diagnosis.advice
    assert suggested <= {(baud, line) for baud in ("9600", "115200") for line in ("7E1", "8N1")}


@pytest.mark.parametrize("name", [NL22, NL42])
def test_9600_7e1_read_at_115200_8n1(name):
    bytes_seen = uart_transfer(stream(name), (9600, 7, "E", 1), (115200, 8, "N", 1))
    diagnosis = explain_bytes(bytes_seen, AT_115200)
    assert diagnosis.problem == (
        "bytes arrive but no telegram: this looks like 9600 7E1 data (DSMR 2.2/3.0) "
        "read at 115200 8N1."
    )
    assert "9600 7E1" in diagnosis.advice


@pytest.mark.parametrize("reader", [AT_9600_7E1, AT_9600_8N1])
def test_115200_data_read_at_9600_is_garbage_pointing_to_115200(reader):
    line = (reader.baudrate, reader.bytesize, reader.parity, reader.stopbits)
    bytes_seen = uart_transfer(stream(NL5, 10), (115200, 8, "N", 1), line)
    diagnosis = explain_bytes(bytes_seen, reader)
    assert "garbage" in diagnosis.problem
    assert "115200 8N1" in diagnosis.advice


def test_a_line_held_low_gives_zero_bytes_and_points_to_inversion():
    diagnosis = explain_bytes(bytes(500), AT_115200)
    assert "all zero" in diagnosis.problem
    assert "invert" in diagnosis.advice


def test_plain_text_that_is_no_telegram():
    banner = b"ser2net port 2000 device /dev/ttyUSB0 [115200N81]\r\n" * 50
    assert "no DSMR telegram" in explain_bytes(banner, AT_115200).problem


def test_watch_reports_no_data_once_after_a_silent_period():
    watch = LinkWatch(AT_115200)
    watch.opened(100.0)
    assert watch.check(100.0 + NO_DATA_AFTER - 1) is None
    assert watch.check(100.0 + NO_DATA_AFTER) == NO_DATA
    assert watch.check(100.0 + NO_DATA_AFTER + 1) is None  # already shown


def test_watch_on_a_network_link_gives_network_advice():
    watch = LinkWatch(SerialSettings("socket://127.0.0.1:23"), network=True)
    watch.opened(0.0)
    assert watch.check(NO_DATA_AFTER) == NO_DATA_NETWORK


def test_watch_judges_junk_then_clears_on_a_valid_telegram():
    watch = LinkWatch(AT_115200)
    watch.opened(0.0)
    junk = uart_transfer(stream(NL22), (9600, 7, "E", 1), (115200, 8, "N", 1))
    assert len(junk) >= JUNK_BEFORE_DIAGNOSIS
    watch.data(junk)
    assert watch.check(0.5) is None  # too soon to judge
    diagnosis = watch.check(3.0)
    assert "9600 7E1" in diagnosis.problem
    assert watch.frame(True, 4.0) == Diagnosis(None)
    assert watch.shown is None


def test_a_few_bytes_in_a_quiet_spell_are_not_judged():
    watch = LinkWatch(AT_115200)
    watch.opened(0.0)
    watch.data(b"\r\n")
    assert watch.check(NO_DATA_AFTER * 2) is None


def test_crc_failures_are_reported_from_three_and_again_as_the_count_grows():
    watch = LinkWatch(AT_115200)
    watch.opened(0.0)
    reports = [watch.frame(valid, float(i)) for i, valid in enumerate([True, False, False])]
    assert reports == [None, None, None]
    diagnosis = watch.frame(False, 3.0)
    assert diagnosis.problem.startswith("telegrams fail their CRC check (3 of the last 4)")
    assert watch.frame(False, 4.0).problem.startswith("telegrams fail their CRC check (4 of")


def test_link_errors_are_shown_once_and_cleared():
    watch = LinkWatch(AT_115200)
    busy = Diagnosis("port busy", "stop the other program")
    assert watch.show(busy) == busy
    assert watch.show(busy) is None
    assert watch.show(Diagnosis(None)) == Diagnosis(None)
    assert watch.show(Diagnosis(None)) is None


def test_a_valid_telegram_clears_a_link_error_despite_an_odd_crc_failure():
    watch = LinkWatch(AT_115200)
    watch.show(Diagnosis("port vanished: /dev/ttyUSB0 failed.", "Check the cable."))
    watch.opened(0.0)
    assert watch.frame(False, 1.0) is None  # the telegram cut by the outage
    assert watch.frame(True, 2.0) == Diagnosis(None)
