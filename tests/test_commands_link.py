"""``p1tui record``, ``detect`` and ``ports`` as a user runs them."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from process_helpers import Command
from test_link_helpers import (
    NL5,
    NL22,
    EmulatedMeter,
    MeterServer,
    day_of_telegrams,
    serial_pty,
    telegram,
    write_all,
)

from p1tui.cli import main
from p1tui.commands.termination import sigterm_as_ctrl_c
from p1tui.dsmr import CrcStatus, Framer, parse
from p1tui.link.detect import detect
from p1tui.link.ports import serial_ports


def wait_size(path: Path, size: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (path.stat().st_size if path.exists() else 0) < size:
        assert time.monotonic() < deadline, f"{path} has {path.stat().st_size} of {size} bytes"
        time.sleep(0.02)


def frames(raw: bytes):
    framer = Framer()
    return framer.feed(raw) + framer.close()


# --- record ---------------------------------------------------------------------------


def test_record_saves_the_bytes_exactly_until_ctrl_c(tmp_path):
    out = tmp_path / "capture.raw"
    stream = b"\x00\xff" + b"".join(day_of_telegrams(3)) + b"/ISK5 a telegram cut short"
    with (
        serial_pty() as (master, path),
        Command("record", "--port", path, "--out", str(out)) as command,
    ):
        command.wait_line("waiting for the first telegram")
        write_all(master, stream, 100)
        wait_size(out, len(stream))
        assert command.stop() == 0
    assert out.read_bytes() == stream
    assert (
        command.lines[-1]
        == f"recorded {len(stream)} bytes (3 telegrams, 0 with a failed CRC) to {out}"
    )
    assert not any("Traceback" in line for line in command.lines)


def test_record_goes_on_across_disconnects(tmp_path):
    out = tmp_path / "capture.raw"
    t1, t2 = day_of_telegrams(2)
    server = MeterServer()
    try:
        with Command("record", "--port", server.url, "--out", str(out)) as command:
            command.wait_line("waiting for the first telegram")
            server.send(t1 + t2[:200])
            wait_size(out, len(t1) + 200)
            server.drop()
            assert command.wait_line("disconnected:") == (
                f"disconnected: {server.url} closed the connection, retrying in 1 s"
            )
            command.wait_line("waiting for the first telegram", count=2)
            server.send(t2)
            wait_size(out, len(t1) + 200 + len(t2))
            assert command.stop(signal.SIGTERM) == 0  # `kill`
    finally:
        server.close()
    assert out.read_bytes() == t1 + t2[:200] + t2
    assert command.lines[-1].startswith(f"recorded {len(t1) + 200 + len(t2)} bytes (2 telegrams")
    assert [f.crc_status for f in frames(out.read_bytes())] == [CrcStatus.OK, CrcStatus.OK]


def test_record_started_in_the_background_by_a_script_ends_cleanly_on_kill(tmp_path):
    # `p1tui record ... &` in a script: SIGINT is ignored, `kill` (SIGTERM) must end it well
    out = tmp_path / "masked.raw"
    raw = telegram(NL5)
    with (
        serial_pty() as (master, path),
        Command(
            "record", "--port", path, "--out", str(out), "--mask-ids", background=True
        ) as command,
    ):
        command.wait_line("waiting for the first telegram")
        write_all(master, raw * 2)
        command.wait_line("receiving:")
        time.sleep(0.3)
        assert command.stop(signal.SIGTERM) == 0
    assert command.lines[-1] == (
        f"recorded {2 * len(raw)} bytes (2 telegrams, 0 with a failed CRC) to {out}"
    )
    saved = out.read_bytes()
    assert len(frames(saved)) == 2
    for frame in frames(saved):
        assert frame.crc_status is CrcStatus.OK
        assert set(parse(frame).equipment_id) == {"X"}
    assert parse(frames(raw)[0]).equipment_id not in saved.decode("latin-1")


def test_sigterm_is_ctrl_c_only_within_the_block_and_only_in_the_main_thread():
    def before(_signum, _frame):
        raise AssertionError("the previous handler ran")

    previous = signal.signal(signal.SIGTERM, before)
    try:
        with pytest.raises(KeyboardInterrupt), sigterm_as_ctrl_c():
            signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is before
        elsewhere = []

        def in_a_thread() -> None:
            with sigterm_as_ctrl_c():
                elsewhere.append(signal.getsignal(signal.SIGTERM))

        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
        assert elsewhere == [before]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_record_from_a_missing_port_is_one_clear_error(tmp_path):
    out = tmp_path / "capture.raw"
    with Command("record", "--port", "/dev/ttyUSB-nope", "--out", str(out)) as command:
        assert command.finish() == 1
    assert command.lines == [
        "p1tui record: no such device: /dev/ttyUSB-nope (not plugged in?).",
        "Run `p1tui ports` to list the serial ports on this computer.",
    ]
    assert not out.exists()


def test_record_never_overwrites_a_recording(tmp_path, capsys):
    out = tmp_path / "capture.raw"
    out.write_bytes(b"precious")
    assert main(["record", "--port", "/dev/ttyUSB-nope", "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"p1tui record: {out} exists; record to a new file.\n"
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("command", ["record", "monitor"])
@pytest.mark.parametrize("rate", ["0", "-9600", "fast"])
def test_a_baud_rate_must_be_a_whole_number_above_0(command, rate, capsys, tmp_path):
    out = tmp_path / "never.raw"
    before = ["record", "--out", str(out)] if command == "record" else []
    with pytest.raises(SystemExit) as exit_:
        main([*before, "--port", "/dev/ttyUSB-nope", "--baudrate", rate])
    assert exit_.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            f"error: argument --baudrate: {rate!r} is not a baud rate "
            "(a whole number above 0, such as 115200 or 9600)"
        )
    )
    assert not out.exists()


# --- detect ---------------------------------------------------------------------------


def test_detect_finds_an_old_meter_at_9600_7e1(capsys):
    with (
        serial_pty() as (master, path),
        EmulatedMeter(master, (9600, 7, "E", 1), [telegram(NL22)], 0.2),
    ):
        assert main(["detect", "--port", path, "--seconds", "1.5"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: 9600 7E1 works: nl2 meter, header /ISk5\\2MT382-1003\n"
    tried = err.splitlines()[1:]
    assert tried[0].startswith("115200 8N1: bytes arrive but no telegram: this looks like 9600 7E1")
    # Linux refuses some 7-bit settings on a pty; a real UART takes them and sees garbage
    assert tried[1] in ("115200 7E1: not supported by this port",) or tried[1].startswith(
        "115200 7E1: bytes arrive but no telegram"
    )
    assert tried[2].startswith("9600 7E1: telegrams")


def test_detect_stops_at_the_first_setting_that_works():
    attempts = []
    with (
        serial_pty() as (master, path),
        EmulatedMeter(master, (115200, 8, "N", 1), [telegram(NL5)], 0.2),
    ):
        found = detect(path, 1.5, on_attempt=attempts.append)
    assert found is attempts[0]
    assert (found.settings.baudrate, found.settings.bytesize, found.settings.parity) == (
        115200,
        8,
        "N",
    )
    assert found.telegram.variant.value == "nl5"
    assert found.telegram.dsmr_version == "50"


def test_detect_over_the_network_tries_once():
    server = MeterServer()
    attempts = []
    try:
        feeder = threading.Thread(
            target=lambda: (server.wait_connection(), time.sleep(0.3), server.send(telegram()))
        )
        feeder.start()
        found = detect(server.url, 3.0, on_attempt=attempts.append)
        feeder.join()
    finally:
        server.close()
    assert found is not None and len(attempts) == 1


def test_detect_with_no_meter_fails_after_every_candidate(capsys):
    with serial_pty() as (_master, path):
        assert main(["detect", "--port", path, "--seconds", "0.3"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err[1:5]] == [
        "115200 8N1",
        "115200 7E1",
        "9600 7E1",
        "9600 8N1",
    ]
    assert all(line.endswith(("no data at all", "not supported by this port")) for line in err[1:5])
    assert err[-1].startswith("No setting gave a valid telegram.")


def test_detect_a_missing_port(capsys):
    assert main(["detect", "--port", "/dev/ttyUSB-nope", "--seconds", "1"]) == 1
    assert "p1tui detect: no such device: /dev/ttyUSB-nope" in capsys.readouterr().err


def test_detect_rejects_a_bad_time(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["detect", "--port", "/dev/ttyUSB0", "--seconds", "soon"])
    assert exit_.value.code == 2
    assert "'soon' is not a number of seconds" in capsys.readouterr().err


# --- ports ----------------------------------------------------------------------------


def test_ports_prefers_stable_names(tmp_path):
    found = serial_ports(by_id=tmp_path)
    if not found:
        pytest.skip("no serial port on this machine")
    first = found[0]
    link = tmp_path / "usb-FTDI_P1_cable-if00-port0"
    os.symlink(first.kernel_name, link)
    named = {p.kernel_name: p for p in serial_ports(by_id=tmp_path)}[first.kernel_name]
    assert named.device == str(link)
    assert serial_ports(by_id=tmp_path)[0].device == str(link)


def test_ports_command_lists_or_says_none(capsys):
    code = main(["ports"])
    out = capsys.readouterr().out
    if code == 0:
        assert [p.device for p in serial_ports()] == [
            line.split("  (")[0] for line in out.splitlines()
        ]
    else:
        assert out.startswith("No serial ports found.")
