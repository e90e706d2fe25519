"""``p1tui import`` of an encrypting meter's recording: read with the key, as its plaintext."""

from __future__ import annotations

from p1tui.cli import main
from p1tui.dsmr.dlms import MeterKeys
from p1tui.sim.simulator import Simulator

KEY = "0123456789ABCDEF0123456789ABCDEF"


def capture(path, keys: MeterKeys | None):
    meter = Simulator("lu", 2, 1_780_000_000, keys=keys)
    path.write_bytes(b"".join(meter.next_telegram() for _ in range(30)))  # five minutes
    return path


def test_an_encrypted_recording_imports_like_its_plaintext(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("P1TUI_CONFIG", str(tmp_path / "config.toml"))
    plain = capture(tmp_path / "plain.raw", None)
    encrypted = capture(tmp_path / "smarty.raw", MeterKeys(bytes.fromhex(KEY)))
    assert main(["import", "--db", str(tmp_path / "a.sqlite3"), str(plain)]) == 0
    expected = capsys.readouterr().err
    monkeypatch.setenv("P1TUI_KEY", KEY)
    assert main(["import", "--db", str(tmp_path / "b.sqlite3"), str(encrypted)]) == 0
    assert capsys.readouterr().err == expected
    assert expected.startswith("p1tui import: 30 telegrams read, ")
