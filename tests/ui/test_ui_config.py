"""The config file: round trip, defaults, clear messages for bad files."""

from __future__ import annotations

import pytest

from p1tui import config
from p1tui.link.settings import SerialSettings


def test_round_trip_and_env_override(config_path):
    assert config.config_path() == config_path
    saved = SerialSettings('/dev/serial/by-id/usb-"odd"\\name', 9600, 7, "E", 1.5)
    assert config.save(config.Config(saved)) == config_path
    assert config.load() == config.Loaded(config.Config(saved))


def test_missing_file_is_the_defaults(config_path):
    assert config.load() == config.Loaded(config.Config())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[serial]\nport = 3\n", "serial.port"),
        ('[serial]\nport = "/dev/x"\nparity = "Q"\n', "serial.parity"),
        ('[serial]\nport = "/dev/x"\nbaudrate = -1\n', "serial.baudrate"),
        ("port = ", "not valid"),
    ],
)
def test_bad_file_gives_defaults_and_a_reason(config_path, text, reason):
    config_path.parent.mkdir(parents=True)
    config_path.write_text(text, encoding="utf-8")
    loaded = config.load()
    assert loaded.config == config.Config()
    assert reason in loaded.problem and str(config_path) in loaded.problem
