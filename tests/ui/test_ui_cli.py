"""The monitor's command line: problems before the UI starts are one sentence."""

from __future__ import annotations

import pytest

from p1tui.cli import build_parser, main
from p1tui.link.settings import ReplaySettings, SerialSettings, SimulatorSettings
from p1tui.ui.launch import source_settings


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replay", "no-such-capture.txt"], "cannot replay no-such-capture.txt: no such file"),
        (["--replay", "."], "cannot replay .: it is a directory"),
        (["--seed", "3"], "--seed and --variant go with --demo"),
        (
            ["--demo", "--baudrate", "9600"],
            "serial settings go with --port, not with --replay or --demo",
        ),
        (["--port", "/dev/x", "--speed", "-1"], "--speed must be 0 or more"),
        (
            ["--port", "/dev/x", "--speed", "5"],
            "--speed goes with --replay or --demo: a meter sends at its own pace",
        ),
    ],
)
def test_bad_options_are_one_sentence(argv, message, capsys, config_path):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"p1tui: {message}\n"


def settings(argv, saved=None):
    return source_settings(build_parser().parse_args(argv), saved)


def test_options_fill_in_from_the_saved_config(tmp_path):
    saved = SerialSettings("/dev/ttyUSB1", 9600, 7, "E", 1)
    assert settings([], saved) == saved
    assert settings([], None) is None  # no port anywhere: the settings form opens
    assert settings(["--port", "socket://127.0.0.1:2323"], saved) == SerialSettings(
        "socket://127.0.0.1:2323", 9600, 7, "E", 1
    )
    assert settings(["--port", "/dev/ttyUSB0", "--parity", "n", "--bytesize", "8"]) == (
        SerialSettings("/dev/ttyUSB0", 115200, 8, "N", 1)
    )
    assert settings(["--demo", "--variant", "be", "--seed", "7"]) == SimulatorSettings("be", 7)
    capture = tmp_path / "capture.txt"
    capture.write_bytes(b"")
    assert settings(["--replay", str(capture), "--speed", "0"]) == ReplaySettings(capture, 0.0)


def test_demo_with_a_key_runs_an_encrypting_meter_and_a_bad_key_is_one_sentence(
    capsys, config_path
):
    from p1tui.keys import meter_keys

    args = build_parser().parse_args(["--demo", "--variant", "lu", "--key", "AB" * 16])
    warnings: list[str] = []
    keys = meter_keys(args, {}, prefix="app_", warn=warnings.append)
    demo = source_settings(args, None, keys)
    assert demo == SimulatorSettings("lu", 1, keys=keys) and demo.keys is keys
    assert "(lu, encrypted)" in demo.describe()
    assert warnings and "process list" in warnings[0]
    assert source_settings(build_parser().parse_args(["--demo"]), None, keys).keys is None
    assert main(["--demo", "--key", "ABCD"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "p1tui: --key: the encryption key must be 32 hexadecimal digits (16 bytes); "
        "this one has 4\n"
    )


def test_saved_line_settings_belong_to_the_meter_and_follow_any_port():
    """The form saves a port with its line; another name for the cable (a replug's
    ttyUSB1, a Pi HAT's ttyAMA0) still reads the same meter at the same settings. The
    collector does the same (test_serve.py)."""
    saved = SerialSettings("/dev/ttyUSB0", 9600, 7, "E", 1)
    assert settings(["--port", "/dev/ttyAMA0"], saved) == SerialSettings(
        "/dev/ttyAMA0", 9600, 7, "E", 1
    )
    assert settings(["--port", "/dev/ttyAMA0", "--baudrate", "115200"], saved) == (
        SerialSettings("/dev/ttyAMA0", 115200, 7, "E", 1)
    )
    assert settings(["--bytesize", "8", "--parity", "N"], saved) == SerialSettings(
        "/dev/ttyUSB0", 9600, 8, "N", 1
    )
