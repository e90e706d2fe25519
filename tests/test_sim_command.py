"""``p1tui simulate`` end to end, as a user runs it: a real process writing to stdout, a
file, TCP clients on 127.0.0.1 and a pseudo-terminal."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest
from process_helpers import Command
from test_link_helpers import serial_pty

from p1tui.dsmr import CrcStatus, Framer, Telegram, Variant, parse
from p1tui.sim.outputs import SerialOutput

JUNE = "2026-06-21T12:00:00+02:00"


def finished(*args: str, timeout: float = 30) -> tuple[int, bytes, str]:
    """Run ``p1tui simulate`` to its end (killed after ``timeout``): status, stdout, stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "p1tui", "simulate", *args],
        capture_output=True,
        check=False,
        timeout=timeout,
    )
    return done.returncode, done.stdout, done.stderr.decode()


def telegrams(data: bytes) -> list[Telegram]:
    """Every telegram in ``data``; fails on junk or a bad CRC."""
    framer = Framer()
    frames = framer.feed(data) + framer.close()
    assert framer.stats.bytes_skipped == 0 and framer.stats.crc_failures == 0
    return [parse(frame) for frame in frames]


def test_stdout_gets_the_raw_stream_and_stderr_a_summary():
    status, out, err = finished("--count", "5", "--speed", "0", "--start", JUNE, "--seed", "3")
    assert status == 0
    sent = telegrams(out)
    assert len(sent) == 5 and all(t.crc_status is CrcStatus.OK for t in sent)
    assert err == (
        "p1tui simulate: 5 telegrams from the nl5 meter to standard output, "
        "meter time 2026-06-21T12:00:00+02:00 to 2026-06-21T12:00:04+02:00\n"
    )
    again = finished("--count", "5", "--speed", "0", "--start", JUNE, "--seed", "3")[1]
    assert again == out  # same seed, same bytes


@pytest.mark.parametrize(
    ("variant", "expected"),
    [("nl4", Variant.NL4), ("nl2", Variant.NL2), ("be", Variant.BE)],
)
def test_variant_and_water_options(variant, expected):
    status, out, _ = finished(
        "--count", "2", "--speed", "0", "--variant", variant, "--no-water", "--start", JUNE
    )
    assert status == 0
    sent = telegrams(out)
    assert [t.variant for t in sent] == [expected, expected]
    assert [d.medium for d in sent[0].mbus] == ["gas"]


def test_file_output_holds_the_same_bytes(tmp_path):
    path = tmp_path / "june.txt"
    status, out, err = finished("--count", "3", "--speed", "0", "--start", JUNE, "--out", str(path))
    assert status == 0 and out == b""
    assert f"to {path}" in err
    assert path.read_bytes() == finished("--count", "3", "--speed", "0", "--start", JUNE)[1]


def serving_port(command: Command) -> int:
    line = command.wait_line("serving on")
    match = re.search(r"serving on tcp://127\.0\.0\.1:(\d+)", line)
    assert match, line
    return int(match.group(1))


def receive_until_closed(sock: socket.socket, deadline: float) -> bytes:
    data = bytearray()
    sock.settimeout(max(deadline - time.monotonic(), 0.1))
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def test_tcp_serves_every_client_whole_telegrams():
    with Command(
        "simulate", "--out", "tcp://127.0.0.1:0", "--count", "60", "--speed", "20"
    ) as command:
        port = serving_port(command)
        deadline = time.monotonic() + 20
        with socket.create_connection(("127.0.0.1", port)) as first:
            head = b""
            while head.count(b"!") < 5:  # the stream is running
                head += first.recv(65536)
            with socket.create_connection(("127.0.0.1", port)) as second:
                late = receive_until_closed(second, deadline)
            early = head + receive_until_closed(first, deadline)
        assert command.finish() == 0
    all_of_them, joined_later = telegrams(early), telegrams(late)
    assert len(all_of_them) == 60
    assert 0 < len(joined_later) < 60  # joined mid-stream, at a telegram boundary
    assert [t.timestamp for t in joined_later] == [
        t.timestamp for t in all_of_them[-len(joined_later) :]
    ]
    assert any("client 127.0.0.1:" in line for line in command.lines)


def test_tcp_at_full_speed_waits_for_a_client_and_keeps_its_pace():
    with Command(
        "simulate", "--out", "tcp://127.0.0.1:0", "--count", "3000", "--speed", "0"
    ) as command:
        port = serving_port(command)
        with socket.create_connection(("127.0.0.1", port)) as client:
            data = receive_until_closed(client, time.monotonic() + 30)
        assert command.finish() == 0
    assert len(telegrams(data)) == 3000  # nothing generated before it came, nothing dropped


def test_a_pseudo_terminal_receives_the_stream():
    with (
        serial_pty() as (master, path),
        Command(
            "simulate", "--out", path, "--count", "3", "--speed", "0", "--start", JUNE
        ) as command,
    ):
        data = bytearray()
        deadline = time.monotonic() + 20
        while data.count(b"!") < 3 and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                data += os.read(master, 65536)
        assert command.finish() == 0
    sent = telegrams(bytes(data))
    assert len(sent) == 3 and sent[0].variant is Variant.NL5
    assert f"to {path} 115200 8N1" in command.lines[-1]


def test_nl2_on_a_port_uses_9600_7e1():
    with (
        serial_pty() as (master, path),
        Command(
            "simulate", "--out", path, "--count", "1", "--speed", "0", "--variant", "nl2"
        ) as command,
    ):
        data = bytearray()
        deadline = time.monotonic() + 20
        while not data.endswith(b"\r\n!\r\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                data += os.read(master, 65536)
        assert command.finish() == 0
    assert telegrams(bytes(data))[0].variant is Variant.NL2
    assert f"to {path} 9600 7E1" in command.lines[-1]


def test_a_port_at_one_and_a_half_stop_bits_is_named_as_such():
    with serial_pty() as (_master, path):
        output = SerialOutput(path, (115200, 8, "N", 1.5))
        try:
            assert output.describe() == f"{path} 115200 8N1.5"
        finally:
            output.close()


def test_a_closed_pipe_ends_quietly():
    with Command("simulate", "--speed", "0") as command:
        assert command.stdout.read(3000)
        command.stdout.close()
        assert command.finish() == 0
    assert command.lines == []


@pytest.mark.parametrize(
    ("signum", "background"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl+c", "kill", "kill a background job"],  # started by a script: SIGINT ignored
)
def test_ctrl_c_or_kill_ends_cleanly_with_a_summary_and_every_byte_written(signum, background):
    with Command("simulate", "--start", JUNE, background=background) as command:  # endless
        data = command.stdout.read1(65536)
        assert data.startswith(b"/ISK5")
        assert command.stop(signum) == 0
        data += command.stdout.read()
    assert len(command.lines) == 1
    sent = len(telegrams(data))
    assert command.lines[0].startswith(
        f"p1tui simulate: {sent} telegram{'s' if sent != 1 else ''} from the nl5 meter "
        "to standard output, meter time 2026-06-21T12:00:00+02:00 to "
    )


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--start", "soon"], 2, "p1tui simulate: --start: 'soon' is not an ISO time"),
        (["--start", "9999-12-31T23:00:00+01:00"], 2, "is not in the years 2000 to 2098"),
        (["--start", "1990-06-21T12:00:00"], 2, "is not in the years 2000 to 2098"),
        (["--speed", "-2"], 2, "argument --speed: '-2' is not a speed"),
        (["--count", "0"], 2, "argument --count: '0' is not a number of telegrams"),
        (["--variant", "nl3"], 2, "argument --variant: invalid choice: 'nl3'"),
        (["--out", "/no/such/dir/x.txt"], 1, "cannot write /no/such/dir/x.txt: No such file"),
        (["--out", "/dev/ttyP1TUI-NONE"], 1, "no such device: /dev/ttyP1TUI-NONE"),
        (["--out", "tcp://127.0.0.1:http"], 1, "is not a TCP address like tcp://127.0.0.1:2323"),
        (["--out", "socket://127.0.0.1:1"], 1, "connection refused by socket://127.0.0.1:1"),
        (["--out", "foo://bar"], 1, "cannot open foo://bar: invalid URL, protocol 'foo'"),
    ],
)
def test_errors_are_one_sentence_and_a_nonzero_exit(args, status, message):
    code, out, err = finished(*args, "--count", "1", "--speed", "0")
    assert code == status and out == b""
    *usage, last = err.strip().splitlines()
    assert last.startswith("p1tui simulate: ") and message in last and "Traceback" not in err
    assert all(line.startswith(("usage:", " ")) for line in usage)  # argparse's usage


def test_a_busy_tcp_port_is_a_clear_error():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _, err = finished("--out", f"tcp://127.0.0.1:{port}", "--count", "1")
    assert code == 1
    assert (
        err.strip()
        == f"p1tui simulate: cannot serve on tcp://127.0.0.1:{port}: Address already in use"
    )


class CtrlCRightAfterTheBytes:
    """An output whose every write is followed at once by a real SIGINT to this process:
    the worst moment for the count (the telegram is out, the summary not yet updated)."""

    def __init__(self) -> None:
        self.written = b""

    def wait_ready(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.written += data
        os.kill(os.getpid(), signal.SIGINT)

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "a test output"


def test_a_ctrl_c_just_after_a_write_still_counts_that_telegram():
    from p1tui.commands.simulate import Progress, stream
    from p1tui.commands.termination import sigterm_as_ctrl_c
    from p1tui.sim.legal_time import parse_iso
    from p1tui.sim.pacing import Pacer
    from p1tui.sim.simulator import Simulator

    output, progress = CtrlCRightAfterTheBytes(), Progress()
    pacer = Pacer(Simulator("nl5", 1, parse_iso(JUNE)), speed=0)
    with pytest.raises(KeyboardInterrupt), sigterm_as_ctrl_c():
        stream(pacer, output, None, progress)
    assert len(telegrams(output.written)) == 1
    assert progress.sent == 1 and progress.first is not None


def test_tcp_starts_the_meter_clock_when_the_first_client_connects():
    with Command("simulate", "--out", "tcp://127.0.0.1:0", "--count", "1") as command:
        port = serving_port(command)
        time.sleep(3)  # a client that takes its time
        connected_at = time.time()
        with socket.create_connection(("127.0.0.1", port)) as client:
            data = receive_until_closed(client, time.monotonic() + 20)
        assert command.finish() == 0
    (sent,) = telegrams(data)
    assert sent.timestamp is not None
    # The meter rounds its clock down to the whole second.
    assert sent.timestamp.timestamp() >= int(connected_at) - 1
