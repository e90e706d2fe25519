"""``p1tui decode`` on an encrypting meter's stream, as a user runs it (a real process)."""

from __future__ import annotations

import json

from test_decode_command import decode
from test_decryptor import VECTOR_PLAIN

from p1tui.dsmr.dlms import MeterKeys
from p1tui.sim.simulator import Simulator

KEY = "00112233445566778899AABBCCDDEEFF"
KEYS = MeterKeys(bytes.fromhex(KEY))
VECTOR_FILE = "tests/telegrams/encrypted/esphomelibs__sagemcom-t210d-smarty-style__1.bin"


def stream(keys: MeterKeys | None, count: int = 4, variant: str = "lu") -> bytes:
    meter = Simulator(variant, 6, 1_780_000_000, keys=keys)
    return b"\x00\xff".join(meter.next_telegram() for _ in range(count))


def test_with_the_key_the_json_is_that_of_the_plaintext() -> None:
    for variant in ("lu", "nl5", "be"):
        code, out, err = decode("--key", KEY, stdin=stream(KEYS, variant=variant))
        plain_code, plain_out, _ = decode(stdin=stream(None, variant=variant))
        assert code == plain_code == 0
        assert out == plain_out and len(out.splitlines()) == 4
        assert err.splitlines()[-1] == (
            "p1tui decode: 4 telegrams, 0 CRC failures, 0 truncated, 6 bytes skipped, "
            "0 frames failed to decrypt"
        )
        assert KEY not in err


def test_the_public_vector_decodes_with_its_key(monkeypatch) -> None:
    monkeypatch.setenv("P1TUI_KEY", "AA" * 16)
    code, out, err = decode(VECTOR_FILE)
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and line["header"] == VECTOR_PLAIN.split(b"\n")[0].decode().strip()
    assert line["crc_received"] == "7EF9" and line["crc_ok"] is True
    assert "can be read by every user" not in err  # from the environment: no warning


def test_frames_that_fail_to_decrypt_are_counted_and_explained() -> None:
    data = stream(KEYS)
    damaged = bytearray(data)
    damaged[100] ^= 1  # inside the first frame's ciphertext
    code, out, err = decode("--key", KEY, stdin=bytes(damaged))
    assert code == 0 and len(out.splitlines()) == 3
    assert "1 frame failed to decrypt" in err
    code, out, err = decode("--key", "FF" * 16, stdin=data)
    assert code == 0 and out == b""
    summary, words = err.splitlines()[-2:]
    assert summary.endswith("0 telegrams, 0 CRC failures, 0 truncated, 6 bytes skipped, "
                            "4 frames failed to decrypt")  # fmt: skip
    assert words.startswith("the key does not match this meter")
    assert "FFFF" not in err


def test_without_a_key_decode_says_the_meter_encrypts() -> None:
    code, out, err = decode(stdin=stream(KEYS))
    assert code == 0 and out == b""
    assert err.splitlines()[-1].startswith(
        "this meter encrypts its telegrams: ask your grid operator for the key"
    )
    assert "speed" not in err


def test_a_malformed_key_is_a_usage_error_that_does_not_repeat_it() -> None:
    code, out, err = decode("--key", "1234abcd", stdin=stream(KEYS))
    assert code == 2 and out == b""
    assert err.splitlines()[-1] == (
        "p1tui decode: --key: the encryption key must be 32 hexadecimal digits (16 bytes); "
        "this one has 8"
    )


def test_the_key_in_the_config_file_and_a_warning_when_others_can_read_it(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'[meter]\nkey = "{KEY}"\n', encoding="utf-8")
    monkeypatch.setenv("P1TUI_CONFIG", str(config))
    monkeypatch.delenv("P1TUI_KEY", raising=False)
    for mode, warned in ((0o644, True), (0o600, False)):
        config.chmod(mode)
        code, out, err = decode(stdin=stream(KEYS))
        assert code == 0 and out == decode(stdin=stream(None))[1]
        assert ("other users can read it" in err) is warned
        assert "chmod 600" in err if warned else err.count("\n") == 1
        assert KEY not in err
