"""``p1tui decode`` as a user runs it: a real process, files and stdin in, JSON Lines out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TELEGRAMS = Path(__file__).parent / "telegrams"
NL5 = (TELEGRAMS / "openhab__iskra-am550t-3ph-gas__1.txt").read_bytes()
NL22 = (TELEGRAMS / "dsmrtools__iskra-mt382-dsmr22-gasch2__1.txt").read_bytes()


def decode(*args: str, stdin: bytes = b"", stdout=subprocess.PIPE) -> tuple[int, bytes, str]:
    done = subprocess.run(
        [sys.executable, "-m", "p1tui", "decode", *args],
        check=False,
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    return done.returncode, done.stdout or b"", done.stderr.decode()


def corrupted(raw: bytes) -> bytes:
    at = raw.index(b"1-0:1.8.1(") + 12
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :]


def test_glued_telegrams_with_junk_give_one_json_line_each_and_a_summary(tmp_path):
    capture = tmp_path / "capture.raw"
    capture.write_bytes(b"\x00\xff\xff" + NL5 + b"noise" + corrupted(NL5) + NL5)
    code, out, err = decode(str(capture))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [t["crc_ok"] for t in lines] == [True, True]
    assert lines[0]["header"] == NL5.split(b"\r\n")[0].decode()
    assert err == "p1tui decode: 2 telegrams, 1 CRC failure, 0 truncated, 8 bytes skipped\n"


def test_include_invalid_writes_the_failed_telegram_too(tmp_path):
    capture = tmp_path / "capture.raw"
    capture.write_bytes(corrupted(NL5))
    code, out, _ = decode("--include-invalid", str(capture))
    (line,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and line["crc_ok"] is False
    assert line["crc_received"] != line["crc_computed"]


def test_stdin_and_dash_read_standard_input():
    for args in ((), ("-",)):
        code, out, err = decode(*args, stdin=NL22)
        (line,) = [json.loads(line) for line in out.splitlines()]
        assert code == 0 and line["variant"] == "nl2" and line["crc_ok"] is None
        assert "1 telegram (1 without CRC)" in err


@pytest.mark.parametrize(
    ("name", "reason"), [("missing.raw", "No such file or directory"), (".", "Is a directory")]
)
def test_an_unreadable_input_is_one_sentence_and_exit_2_the_others_still_decoded(
    tmp_path, name, reason
):
    good = tmp_path / "good.raw"
    good.write_bytes(NL5)
    bad = tmp_path / name
    code, out, err = decode(str(bad), str(good))
    assert code == 2 and len(out.splitlines()) == 1
    assert f"p1tui decode: cannot read {bad}: {reason}\n" in err and "Traceback" not in err


def test_an_output_that_cannot_be_written_is_named_as_such(tmp_path):
    capture = tmp_path / "capture.raw"
    capture.write_bytes(NL5 * 50)
    with open("/dev/full", "wb") as full:
        code, _, err = decode(str(capture), stdout=full)
    assert code == 1 and "Traceback" not in err
    assert err == "p1tui decode: cannot write the output: No space left on device\n"


def _closed(fd: int, *args: str) -> tuple[int, str]:
    """``p1tui decode ARGS`` with descriptor ``fd`` closed, as ``<&-`` or ``>&-`` leave it."""
    err_r, err_w = os.pipe()

    def close_it() -> None:
        os.close(fd)

    process = subprocess.Popen(
        [sys.executable, "-m", "p1tui", "decode", *args],
        stdin=subprocess.DEVNULL if fd != 0 else None,
        stdout=subprocess.DEVNULL if fd != 1 else None,
        stderr=err_w,
        preexec_fn=close_it,  # noqa: PLW1509 - runs in the child before exec, nothing else
    )
    os.close(err_w)
    with os.fdopen(err_r, "rb") as err:
        message = err.read().decode()
    return process.wait(timeout=60), message


def test_a_closed_standard_input_is_one_line_and_exit_2() -> None:
    for args in ((), ("-",)):
        code, err = _closed(0, *args)
        assert code == 2
        assert err == "p1tui decode: standard input is closed: name a FILE or pipe the data in\n"


def test_a_closed_standard_output_is_one_line_and_exit_2() -> None:
    code, err = _closed(1, str(TELEGRAMS / "openhab__iskra-am550t-3ph-gas__1.txt"))
    assert code == 2
    assert err == "p1tui decode: standard output is closed: redirect it to a file or a pipe\n"


def test_a_closed_standard_input_does_not_matter_when_files_are_named(tmp_path) -> None:
    out_r, out_w = os.pipe()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "p1tui",
            "decode",
            str(TELEGRAMS / "openhab__iskra-am550t-3ph-gas__1.txt"),
        ],
        stdout=out_w,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(0),  # noqa: PLW1509
    )
    os.close(out_w)
    with os.fdopen(out_r, "rb") as out:
        lines = out.read().splitlines()
    assert process.wait(timeout=60) == 0
    assert len(lines) == 1 and json.loads(lines[0])["crc_ok"] is True
    assert process.stderr is not None and b"1 telegram," in process.stderr.read()
    process.stderr.close()
