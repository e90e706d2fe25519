"""``p1tui record`` on an encrypting meter, as a user runs it: a real process on a real pty."""

from __future__ import annotations

import pytest
from process_helpers import Command
from test_commands_link import wait_size
from test_link_helpers import serial_pty, write_all

from p1tui.dsmr import CrcStatus, Framer, parse
from p1tui.dsmr.decryptor import Decryptor
from p1tui.dsmr.dlms import MeterKeys
from p1tui.sim.simulator import Simulator

KEY = "0F0E0D0C0B0A09080706050403020100"
KEYS = MeterKeys(bytes.fromhex(KEY))


def smarty(count: int) -> list[bytes]:
    meter = Simulator("lu", 8, 1_780_000_000, keys=KEYS)
    return [meter.next_telegram() for _ in range(count)]


def record(tmp_path, stream: bytes, *options: str) -> tuple[bytes, list[str]]:
    out = tmp_path / "smarty.raw"
    with (
        serial_pty() as (master, path),
        Command("record", "--port", path, "--out", str(out), *options) as command,
    ):
        command.wait_line("waiting for the first telegram")
        write_all(master, stream, 200)
        wait_size(out, len(stream) - 1)
        command.wait_line("receiving:")
        assert command.stop() == 0
    return out.read_bytes(), command.lines


def decrypted(raw: bytes):
    decryptor = Decryptor(KEYS)
    framer = Framer()
    return framer.feed(decryptor.feed(raw) + decryptor.close()) + framer.close()


def test_record_keeps_the_encrypted_bytes_as_they_came(tmp_path, monkeypatch):
    monkeypatch.setenv("P1TUI_KEY", KEY)
    stream = b"\x00" + b"".join(smarty(3))
    saved, lines = record(tmp_path, stream)
    assert saved == stream
    assert lines[-1].startswith(f"recorded {len(stream)} bytes (3 telegrams, 0 with a failed")
    assert not any(KEY in line for line in lines)


def test_record_mask_ids_with_the_key_masks_inside_the_frames(tmp_path, monkeypatch):
    monkeypatch.setenv("P1TUI_KEY", KEY)
    sent = smarty(3)
    saved, _ = record(tmp_path, b"".join(sent), "--mask-ids")
    assert len(saved) == len(b"".join(sent)) and saved != b"".join(sent)
    found = decrypted(saved)
    assert [f.crc_status for f in found] == [CrcStatus.OK] * 3
    for frame, original in zip(found, decrypted(b"".join(sent)), strict=True):
        ids = dict(parse(frame).objects)
        assert ids["0-0:42.0.0"] == ("58" * 16,)
        assert ids["0-1:96.1.0"] == ("58" * 16,)
        assert parse(frame).power_import_kw == parse(original).power_import_kw


def test_a_key_on_the_command_line_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.delenv("P1TUI_KEY", raising=False)
    _, lines = record(tmp_path, smarty(1)[0], "--key", KEY)
    assert any("can be read by every user" in line for line in lines)
    assert not any(KEY in line for line in lines)


@pytest.mark.parametrize("bad", ["12345", "XX" * 16])
def test_a_malformed_key_is_one_sentence_without_the_key(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("P1TUI_KEY", bad)
    out = tmp_path / "never.raw"
    with Command("record", "--port", "/dev/null", "--out", str(out)) as command:
        assert command.finish() == 2
    (line,) = command.lines
    assert line.startswith("p1tui record: P1TUI_KEY: the encryption key ")
    assert bad not in line
    assert not out.exists()


def test_record_with_a_key_that_does_not_fit_says_so_and_keeps_every_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("P1TUI_KEY", "11" * 16)
    stream = b"".join(smarty(3))
    out = tmp_path / "smarty.raw"
    with (
        serial_pty() as (master, path),
        Command("record", "--port", path, "--out", str(out)) as command,
    ):
        command.wait_line("waiting for the first telegram")
        write_all(master, stream, 200)
        wait_size(out, len(stream))
        command.wait_line("the key does not match this meter", timeout=30)
        assert command.stop() == 0
    assert out.read_bytes() == stream
    assert command.lines[-1] == (
        f"recorded {len(stream)} bytes (0 telegrams, 0 with a failed CRC, "
        f"3 frames that did not decrypt) to {out}"
    )
