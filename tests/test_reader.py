"""The reader thread against real pseudo-terminals and TCP sockets on 127.0.0.1."""

from __future__ import annotations

import os
import re
import socket
import time
from contextlib import contextmanager

import pytest
from test_link_helpers import (
    NL5,
    NL22,
    EventLog,
    FastClock,
    MeterServer,
    day_of_telegrams,
    serial_pty,
    seven_e1_read_as_8n1,
    telegram,
    uart_transfer,
    write_all,
)

from p1tui.dsmr import CrcStatus
from p1tui.link.events import (
    Diagnosis,
    LinkState,
    StateChanged,
    StatsUpdated,
    TelegramReceived,
)
from p1tui.link.reader import Reader
from p1tui.link.serial_source import SerialSource
from p1tui.link.settings import ReplaySettings, SerialSettings


@contextmanager
def running(settings, **options):
    log = EventLog()
    reader = Reader(settings, log, **options)
    reader.start()
    try:
        yield reader, log
    finally:
        reader.stop()


def frames(log: EventLog) -> list[bytes]:
    return [e.frame.raw for e in log.of(TelegramReceived)]


def valid_frames(log: EventLog) -> list[bytes]:
    return [e.frame.raw for e in log.of(TelegramReceived) if e.frame.valid]


def states(log: EventLog) -> list[LinkState]:
    return [e.state for e in log.of(StateChanged)]


def in_state(state: LinkState):
    return lambda log: any(e.state is state for e in log.of(StateChanged))


def disconnections(log: EventLog) -> list[StateChanged]:
    return [e for e in log.of(StateChanged) if e.state is LinkState.DISCONNECTED]


def last_reason(log: EventLog) -> str:
    changes = log.of(StateChanged)
    return changes[-1].reason if changes else ""


def port_open(log: EventLog) -> bool:
    """The port is open (bytes written before that are flushed by the open, as on a UART)."""
    return "waiting for the first telegram" in last_reason(log)


def diagnosed(text: str):
    return lambda log: [e for e in log.of(Diagnosis) if e.problem and text in e.problem]


def sent(raw: bytes) -> bytes:
    """A telegram as the framer hands it on: without the line ending after the CRC."""
    return raw.rstrip(b"\r\n")


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 0])
def test_telegrams_arrive_whole_in_any_chunking(chunk):
    telegrams = list(day_of_telegrams(4))
    stream = b"\x00\xff" + telegrams[0] + telegrams[1] + b"junk\r\n" + telegrams[2] + telegrams[3]
    with serial_pty() as (master, path), running(SerialSettings(path)) as (reader, log):
        log.wait_for(port_open)
        write_all(master, stream, chunk)
        log.wait_for(lambda log: len(frames(log)) >= 4)
        assert frames(log) == [sent(t) for t in telegrams]
        received = log.of(TelegramReceived)
        assert all(e.frame.crc_status is CrcStatus.OK for e in received)
        assert [e.telegram.timestamp.second for e in received] == [0, 1, 2, 3]
        assert states(log)[:3] == [LinkState.CONNECTING, LinkState.CONNECTING, LinkState.RECEIVING]
        assert reader.stats.telegrams_ok == 4
        # the line ending after the last CRC may come in a later read: wait for the stats
        stats = log.wait_for(
            lambda log: [
                e.stats for e in log.of(StatsUpdated) if e.stats.bytes_received == len(stream)
            ]
        )[-1]
        assert stats.bytes_skipped == len(b"\x00\xff") + len(b"junk\r\n")


def test_a_failed_crc_is_reported_with_both_values_and_counted():
    good = telegram(NL5)
    bad = good.replace(b"1-0:1.8.1(", b"1-0:1.8.1(9", 1)
    with serial_pty() as (master, path), running(SerialSettings(path)) as (reader, log):
        log.wait_for(port_open)
        write_all(master, bad + good)
        log.wait_for(lambda log: len(frames(log)) >= 2)
        failed, ok = log.of(TelegramReceived)
        assert failed.frame.crc_status is CrcStatus.FAILED
        assert failed.frame.crc_received != failed.frame.crc_computed
        assert failed.telegram is not None  # still parsed, for the raw log
        assert ok.frame.valid
        assert reader.stats.crc_failures == 1


def test_last_line_without_line_ending_is_framed_when_the_line_goes_quiet():
    dsmr22 = telegram(NL22).rstrip(b"\r\n")  # ends in a bare "!"
    assert dsmr22.endswith(b"!")
    with serial_pty() as (master, path), running(SerialSettings(path)) as (_reader, log):
        log.wait_for(port_open)
        write_all(master, dsmr22)
        log.wait_for(frames)
        (event,) = log.of(TelegramReceived)
        assert event.frame.raw == dsmr22
        assert event.frame.crc_status is CrcStatus.UNCHECKED


def test_stats_are_sent_about_once_a_second():
    with serial_pty() as (master, path), running(SerialSettings(path)) as (_reader, log):
        log.wait_for(port_open)
        write_all(master, telegram())
        log.wait_for(lambda log: [e for e in log.of(StatsUpdated) if e.stats.telegrams_ok])
        stats = log.of(StatsUpdated)[-1].stats
        assert stats.bytes_received == len(telegram())
        assert stats.last_telegram_at is not None


def test_far_end_closing_mid_telegram_then_returning():
    """A dongle drops mid-telegram and comes back: nothing whole is lost, nothing merged."""
    t1, t2, t3, t4 = day_of_telegrams(4)
    server = MeterServer()
    port = server.port
    with running(SerialSettings(server.url)) as (_reader, log):
        server.wait_connection()
        log.wait_for(port_open)
        server.send(t1 + t2[:300])
        log.wait_for(lambda log: len(frames(log)) >= 1)
        server.close()  # gone: the connection drops, new ones are refused
        log.wait_for(
            lambda log: (
                len(log.of(StateChanged))
                and len([e for e in log.of(StateChanged) if e.state is LinkState.DISCONNECTED]) >= 2
            )
        )
        lost, refused = [e for e in log.of(StateChanged) if e.state is LinkState.DISCONNECTED][:2]
        assert lost.reason == f"{server.url} closed the connection."
        assert lost.retry_in == 1.0
        assert refused.reason == f"connection refused by {server.url}."
        assert refused.retry_in == 2.0
        back = MeterServer(port)  # the dongle is back, resuming mid-stream like ser2net
        try:
            back.wait_connection(timeout=10)
            log.wait_for(
                lambda log: (
                    [e.reason for e in log.of(StateChanged)].count(
                        f"{server.url} open, waiting for the first telegram"
                    )
                    == 2
                )
            )
            back.send(t2[300:] + t3 + t4)
            log.wait_for(lambda log: len(valid_frames(log)) >= 3)
            back.drop()  # after telegrams came through, the backoff starts over at 1 s
            drops = log.wait_for(lambda log: disconnections(log)[2:])
            assert drops[0].retry_in == 1.0
        finally:
            back.close()
    assert valid_frames(log) == [sent(t1), sent(t3), sent(t4)]
    assert sent(t2) not in frames(log)
    assert LinkState.RECEIVING in states(log)[states(log).index(LinkState.DISCONNECTED) :]


def test_missing_device_is_diagnosed_and_retried_with_backoff():
    path = "/dev/serial/by-id/usb-no-such-meter-if00"
    with running(SerialSettings(path)) as (_reader, log):
        log.wait_for(in_state(LinkState.DISCONNECTED))
        event = log.of(StateChanged)[-1]
        assert event.reason == f"no such device: {path} (not plugged in?)."
        assert event.retry_in == 1.0
        (diagnosis,) = log.wait_for(diagnosed("no such device"))
        assert "p1tui ports" in diagnosis.advice


def test_busy_port_is_diagnosed():
    with serial_pty() as (_master, path):
        other = SerialSource(SerialSettings(path))
        other.open()
        try:
            with running(SerialSettings(path)) as (_reader, log):
                (diagnosis,) = log.wait_for(diagnosed("port busy"))
                assert diagnosis.problem == f"port busy: {path} is already open in another program."
        finally:
            other.close()


def test_unplugged_adapter_is_a_vanished_port_and_retried():
    with serial_pty() as (master, path), running(SerialSettings(path)) as (_reader, log):
        log.wait_for(port_open)
        os.close(master)
        log.wait_for(diagnosed("port vanished"))
        disconnected = [e for e in log.of(StateChanged) if e.state is LinkState.DISCONNECTED]
        assert disconnected[0].reason.startswith(f"port vanished: {path}")


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (
            lambda raw: uart_transfer(raw, (9600, 7, "E", 1), (115200, 8, "N", 1)),
            "this looks like 9600 7E1 data (DSMR 2.2/3.0) read at 115200 8N1",
        ),
        (seven_e1_read_as_8n1, "this looks like 115200 7E1 data read at 115200 8N1"),
    ],
)
def test_bytes_at_the_wrong_settings_are_diagnosed(wrong, expected):
    garbage = wrong(telegram(NL22) * 3)
    clock = FastClock(10)
    with serial_pty() as (master, path), running(SerialSettings(path), clock=clock) as (r, log):
        log.wait_for(port_open)
        write_all(master, garbage)
        (diagnosis,) = log.wait_for(diagnosed(expected))
        assert diagnosis.problem.startswith("bytes arrive but no telegram")
        assert not valid_frames(log)
        assert r.stats.bytes_received == len(garbage)


def test_silence_is_diagnosed_and_the_link_goes_stale():
    with (
        serial_pty() as (_master, path),
        running(SerialSettings(path), clock=FastClock(20)) as (
            _reader,
            log,
        ),
    ):
        log.wait_for(in_state(LinkState.STALE))
        assert log.of(StateChanged)[-1].reason.startswith("no telegram in ")
        (diagnosis,) = log.wait_for(diagnosed("no data at all"))
        assert "RTS" in diagnosis.advice


def test_stale_after_a_few_learned_periods_then_receiving_again():
    clock = FastClock(20)
    telegrams = list(day_of_telegrams(6))
    with serial_pty() as (master, path), running(SerialSettings(path), clock=clock) as (_, log):
        log.wait_for(port_open)
        for i, raw in enumerate(telegrams[:4]):
            write_all(master, raw)
            log.wait_for(lambda log, n=i + 1: len(frames(log)) >= n)
            time.sleep(0.1)  # 2 s on the reader's clock: a meter sending every 2 s
        log.wait_for(in_state(LinkState.STALE))
        reason = log.of(StateChanged)[-1].reason
        learned = re.search(r"\(the meter sends one every (\d+) s\)", reason)
        assert learned is not None
        assert 2 <= int(learned[1]) <= 4  # about 2 s; a busy machine adds some
        write_all(master, telegrams[4])
        log.wait_for(lambda log: last_reason(log) == "telegrams arriving again")


def test_change_settings_restarts_the_link_on_the_new_port():
    with (
        serial_pty() as (master_a, path_a),
        serial_pty() as (master_b, path_b),
        running(SerialSettings(path_a)) as (reader, log),
    ):
        log.wait_for(port_open)
        write_all(master_a, telegram())
        log.wait_for(frames)
        reader.change_settings(SerialSettings(path_b, 9600, 7, "E", 1))
        assert reader.settings.port == path_b
        log.wait_for(
            lambda log: f"opening {path_b} 9600 7E1" in [e.reason for e in log.of(StateChanged)]
        )
        log.wait_for(port_open)
        assert reader.stats.telegrams_ok == 0  # counters restart with the settings
        write_all(master_b, telegram(NL22))
        log.wait_for(lambda log: len(frames(log)) >= 2)
        # the old port was let go: another program may open it now
        released = SerialSource(SerialSettings(path_a))
        released.open()
        released.close()


def test_a_replay_ends_with_stopped_and_loses_nothing(tmp_path):
    path = tmp_path / "capture.txt"
    telegrams = list(day_of_telegrams(20))
    path.write_bytes(b"".join(telegrams) + telegram(NL22).rstrip(b"\r\n"))
    with running(ReplaySettings(path, speed=0)) as (_reader, log):
        log.wait_for(in_state(LinkState.STOPPED))
    assert frames(log) == [sent(t) for t in telegrams] + [telegram(NL22).rstrip(b"\r\n")]
    assert log.of(StateChanged)[-1].reason == "end of the recording."
    assert states(log).count(LinkState.STOPPED) == 1


def stop_promptly(reader: Reader, log: EventLog) -> None:
    started = time.monotonic()
    reader.stop()
    took = time.monotonic() - started
    assert took < 1.2, f"stop() took {took:.2f} s"
    assert states(log)[-1] is LinkState.STOPPED
    assert states(log).count(LinkState.STOPPED) == 1


def test_stop_while_connecting_to_a_port_that_never_answers():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler = socket.create_connection(listener.getsockname())  # backlog now full
        try:
            log = EventLog()
            reader = Reader(SerialSettings(f"socket://127.0.0.1:{listener.getsockname()[1]}"), log)
            reader.start()
            log.wait_for(in_state(LinkState.CONNECTING))
            time.sleep(0.2)  # inside the connect() that hangs
            stop_promptly(reader, log)
        finally:
            filler.close()


def test_stop_while_retrying():
    log = EventLog()
    reader = Reader(SerialSettings("/dev/serial/by-id/usb-no-such-meter-if00"), log)
    reader.start()
    log.wait_for(in_state(LinkState.DISCONNECTED))
    stop_promptly(reader, log)


def test_stop_while_receiving():
    with serial_pty() as (master, path):
        log = EventLog()
        reader = Reader(SerialSettings(path), log)
        reader.start()
        log.wait_for(port_open)
        write_all(master, telegram())
        log.wait_for(in_state(LinkState.RECEIVING))
        stop_promptly(reader, log)
        released = SerialSource(SerialSettings(path))
        released.open()  # the port was let go
        released.close()


def test_stop_while_stale():
    with serial_pty() as (_master, path):
        log = EventLog()
        reader = Reader(SerialSettings(path), log, clock=FastClock(20))
        reader.start()
        log.wait_for(in_state(LinkState.STALE))
        stop_promptly(reader, log)


def test_stop_before_start_and_twice_is_harmless():
    log = EventLog()
    reader = Reader(SerialSettings("/dev/null-meter"), log)
    reader.stop()
    assert log.events == []
    reader.start()
    reader.stop()
    reader.stop()
    assert states(log).count(LinkState.STOPPED) == 1


class BrokenOnceSource:
    """A source whose first connection fails with an error no source should raise."""

    connections = 0

    def __init__(self, _settings) -> None:
        pass

    def open(self) -> None:
        BrokenOnceSource.connections += 1
        self._pending = telegram()

    def read(self, max_bytes: int = 4096) -> bytes:
        if BrokenOnceSource.connections == 1:
            raise RuntimeError("a bug in a source")
        data, self._pending = self._pending, b""
        if not data:
            time.sleep(0.05)
        return data

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "broken-once"


def test_an_unexpected_error_while_reading_is_a_lost_link_not_a_dead_thread():
    BrokenOnceSource.connections = 0
    with running(SerialSettings("broken-once"), source_factory=BrokenOnceSource) as (_, log):
        (lost,) = log.wait_for(disconnections)
        assert "a bug in a source" in lost.reason and lost.retry_in == 1.0
        log.wait_for(valid_frames)  # the thread lived on, reconnected and reads again
    assert states(log)[-1] is LinkState.STOPPED
