"""An encrypting meter on a real pty: read with its key, diagnosed without it, detected."""

from __future__ import annotations

from contextlib import contextmanager

from test_link_helpers import EventLog, FastClock, serial_pty, write_all

from p1tui.dsmr.dlms import MeterKeys
from p1tui.link.diagnosis import AUTH_KEY_MISMATCH, ENCRYPTED_NO_KEY, KEY_MISMATCH
from p1tui.link.events import Diagnosis, LinkState, StateChanged, TelegramReceived
from p1tui.link.reader import Reader
from p1tui.link.settings import SerialSettings
from p1tui.sim.simulator import Simulator

KEYS = MeterKeys(bytes.fromhex("00112233445566778899AABBCCDDEEFF")[::-1])
START = 1_780_000_000


def smarty(count: int, keys: MeterKeys | None = KEYS) -> list[bytes]:
    meter = Simulator("lu", 5, START, keys=keys)
    return [meter.next_telegram() for _ in range(count)]


@contextmanager
def reading(keys: MeterKeys | None, **options):
    log = EventLog()
    with serial_pty() as (master, path):
        reader = Reader(SerialSettings(path), log, keys=keys, **options)
        reader.start()
        try:
            log.wait_for(lambda log: "waiting for the first telegram" in _reasons(log))
            yield master, reader, log
        finally:
            reader.stop()


def _reasons(log: EventLog) -> str:
    return " ".join(e.reason for e in log.of(StateChanged))


def telegrams(log: EventLog) -> list[TelegramReceived]:
    return log.of(TelegramReceived)


def shown(diagnosis: Diagnosis):
    return lambda log: [e for e in log.of(Diagnosis) if e.problem == diagnosis.problem]


def test_the_key_turns_encrypted_frames_into_telegrams_with_their_envelopes() -> None:
    frames = smarty(3)
    with reading(KEYS) as (master, reader, log):
        write_all(master, b"\x00\xff" + frames[0] + b"\xff" + frames[1], chunk=97)
        write_all(master, frames[2])
        log.wait_for(lambda log: len(telegrams(log)) == 3)
        received = telegrams(log)
        plain = smarty(3, keys=None)
        assert [e.frame.raw + b"\r\n" for e in received] == plain
        assert all(e.frame.valid and e.telegram is not None for e in received)
        counters = [e.envelope.frame_counter for e in received]
        assert counters == [counters[0] + i for i in range(3)]
        assert all(e.envelope.security == 0x30 for e in received)
        assert received[0].envelope.system_title.startswith(b"LUX")
        log.wait_for(lambda log: any(e.state is LinkState.RECEIVING for e in log.of(StateChanged)))
        assert reader.stats.decryption_failures == 0


def test_encrypted_frames_and_no_key_are_diagnosed_as_such() -> None:
    with reading(None, clock=FastClock(10)) as (master, _reader, log):
        write_all(master, b"".join(smarty(4)))
        (diagnosis,) = log.wait_for(shown(ENCRYPTED_NO_KEY))
        assert diagnosis.problem.startswith("this meter encrypts its telegrams: ask your grid")
        assert "[meter] key" in diagnosis.advice
        assert not any("speed" in (e.problem or "") for e in log.of(Diagnosis))
        assert not telegrams(log)


def test_a_key_that_does_not_fit_is_diagnosed_and_its_frames_counted() -> None:
    wrong = MeterKeys(bytes(16))
    with reading(wrong, clock=FastClock(10)) as (master, reader, log):
        write_all(master, b"".join(smarty(4)))
        log.wait_for(shown(KEY_MISMATCH))
        assert not telegrams(log)
        log.wait_for(lambda _: reader.stats.decryption_failures == 4)


def test_a_wrong_authentication_key_is_diagnosed_as_such() -> None:
    austrian = MeterKeys(KEYS.encryption, bytes(16))
    with reading(austrian, clock=FastClock(10)) as (master, _reader, log):
        write_all(master, b"".join(smarty(4)))
        log.wait_for(shown(AUTH_KEY_MISMATCH))
        assert not telegrams(log)


def test_no_diagnosis_ever_shows_the_key() -> None:
    wrong = MeterKeys(bytes.fromhex("A5" * 16), bytes.fromhex("5A" * 16))
    with reading(wrong, clock=FastClock(10)) as (master, _reader, log):
        write_all(master, b"".join(smarty(4)))
        log.wait_for(shown(KEY_MISMATCH))
        for event in log.events:
            text = repr(event).upper()
            assert "A5A5" not in text and "5A5A" not in text


def test_detect_finds_the_settings_and_says_the_key_is_missing(capsys) -> None:
    from test_link_helpers import EmulatedMeter

    from p1tui.cli import main

    with serial_pty() as (master, path), EmulatedMeter(master, (115200, 8, "N", 1), smarty(2), 0.2):
        assert main(["detect", "--port", path, "--seconds", "3"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        f"{path}: 115200 8N1 works, but this meter encrypts its telegrams: ask your grid operator"
    )
    assert "[meter] key" in out
    assert "speed" not in out + err
    tried = err.splitlines()[1:]
    assert len(tried) == 1 and tried[0].startswith("115200 8N1: this meter encrypts")
