"""The config file: sections for each feature, unknown keys named, saves that keep the
user's file (comments, other sections, symlinks, permissions), failures that name the path.
Real files in temp dirs; the read-only case runs as an unprivileged user."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from config_files import HAND_WRITTEN, outside_serial, unprivileged, world_readable_dir

from p1tui import config
from p1tui.link.settings import SerialSettings

README = Path(__file__).parent.parent / "README.md"
ACM = SerialSettings("/dev/ttyACM0", 9600, 7, "E", 1)


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file in a temp dir; P1TUI_CONFIG points there so nothing touches ~/.config."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("P1TUI_CONFIG", str(path))
    return path


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_round_trip_and_env_override(config_path):
    assert config.config_path() == config_path
    saved = SerialSettings('/dev/serial/by-id/usb-"odd"\\name\x01', 9600, 7, "E", 1.5)
    assert config.save_serial(saved) == config_path
    assert config.load() == config.Loaded(config.Config(saved))
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600  # a new file is private


def test_missing_file_is_the_defaults(config_path):
    assert config.load() == config.Loaded(config.Config())
    assert config.Config().section("history") == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[serial]\nport = 3\n", "serial.port"),
        ('[serial]\nport = "/dev/x"\nparity = "Q"\n', "serial.parity"),
        ('[serial]\nport = "/dev/x"\nbaudrate = -1\n', "serial.baudrate"),
        ("history = 3\n", "[history] must be a table"),
        ("port = ", "not valid TOML"),
    ],
)
def test_bad_file_gives_defaults_and_a_reason(config_path, text, reason):
    write(config_path, text)
    loaded = config.load()
    assert loaded.config == config.Config()
    assert reason in loaded.problem and str(config_path) in loaded.problem


def test_each_feature_gets_its_section(config_path):
    write(config_path, HAND_WRITTEN)
    loaded = config.load()
    assert loaded.problem is None
    cfg = loaded.config
    assert cfg.serial == SerialSettings("/dev/ttyUSB0")
    assert cfg.section("history") == {"db": "/mnt/usb/p1tui/history.db", "keep_minutes_days": 120}
    prices = cfg.section("prices")
    assert prices["currency"] == "EUR"
    assert prices["import"][0]["tariff1"] == 0.2431
    assert str(prices["import"][0]["from"]) == "2026-01-01"
    assert cfg.section("mqtt") == {}
    prices["currency"] = "GBP"  # a fresh copy: one feature cannot change another's view
    assert cfg.section("prices")["currency"] == "EUR"
    with pytest.raises(ValueError, match="KNOWN_KEYS"):
        cfg.section("garden")
    with pytest.raises(ValueError, match="KNOWN_KEYS"):
        cfg.section("serial")


def test_unknown_keys_are_named_once_with_the_likely_key(config_path):
    above_every_header = 'port = "/dev/ttyUSB1"\n'
    write(config_path, above_every_header + HAND_WRITTEN + "\n[sreial]\nbaudrate = 9600\n")
    loaded = config.load()
    assert loaded.problem is None
    assert loaded.config.serial == SerialSettings("/dev/ttyUSB0")  # baud_rate is not baudrate
    (warning,) = loaded.warnings
    prefix = f"{config_path}: p1tui ignores (and keeps) these unknown keys: "
    assert warning.startswith(prefix)
    assert warning[len(prefix) :].split(", ") == [
        "port (did you mean serial.port?)",
        "serial.baud_rate (did you mean serial.baudrate?)",
        "garden",
        "sreial (did you mean serial?)",
    ]
    assert loaded.notices == (warning,)


def test_every_declared_key_is_read_quietly(config_path):
    lines = []
    for section, keys in config.KNOWN_KEYS.items():
        lines.append(f"[{section}]")
        if section == "serial":
            lines.append('port = "/dev/ttyUSB0"')
        lines += [f'{key} = "x"' for key in sorted(keys) if section != "serial"]
    write(config_path, "\n".join(lines) + "\n", mode=0o600)
    loaded = config.load()
    assert loaded.problem is None and loaded.warnings == ()
    assert set(loaded.config.section("mqtt")) == config.KNOWN_KEYS["mqtt"]


def test_readme_lists_every_section_and_key():
    """The README's config section names exactly what KNOWN_KEYS declares."""
    text = README.read_text(encoding="utf-8")
    part = text[text.index("## The config file") :]
    example = part[part.index("```toml\n") : part.index("\n```\n")]
    assert "\n## " not in example, "the example's code block runs into the next section"
    listed: dict[str, set[str]] = {}
    section = None
    for line in example.splitlines():
        header = re.match(r"\[(\w+)\]", line)
        if header:
            section = header.group(1)
            listed[section] = set()
        elif section and (key := re.match(r"#?\s*(\w+)\s*=", line.strip())):
            listed[section].add(key.group(1))
    assert listed == {name: set(keys) for name, keys in config.KNOWN_KEYS.items()}


def test_secrets_in_a_file_others_can_read_are_warned_about(config_path):
    secret = "s3cr3t-Pa55"
    write(config_path, f'[mqtt]\nusername = "p1"\npassword = "{secret}"\n', mode=0o644)
    (warning,) = config.load().warnings
    assert "mqtt.password" in warning and str(config_path) in warning
    assert f"chmod 600 {config_path}" in warning
    assert secret not in warning
    config_path.chmod(0o640)  # the group can read it too
    assert len(config.load().warnings) == 1
    config_path.chmod(0o600)
    assert config.load().warnings == ()
    key_file = write(config_path.parent / "key", "00112233445566778899AABBCCDDEEFF", 0o604)
    assert "the meter key" in config.private_file_warning(key_file, "the meter key")
    key_file.chmod(0o400)
    assert config.private_file_warning(key_file, "the meter key") is None


def test_commands_print_each_notice_once_on_stderr(config_path, capsys):
    write(config_path, '[serial]\nport = "/dev/ttyUSB0"\nbaud_rate = 9600\n')
    assert config.load_for_command("p1tui serve").serial == SerialSettings("/dev/ttyUSB0")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("p1tui serve: ")
    assert "serial.baud_rate (did you mean serial.baudrate?)" in err


def test_save_keeps_everything_outside_serial_byte_for_byte(config_path):
    write(config_path, HAND_WRITTEN)
    config.save_serial(ACM)
    text = config_path.read_text(encoding="utf-8")
    assert outside_serial(text) == outside_serial(HAND_WRITTEN)
    serial = text[len(outside_serial(text)[0]) : -len(outside_serial(text)[1])]
    assert "# the dongle on the P1 port\n" in serial
    assert 'port = "/dev/ttyACM0"  # by-id would be better\n' in serial
    assert "baud_rate = 9600       # a typo: the key is baudrate\n" in serial
    loaded = config.load()
    assert loaded.config.serial == ACM
    assert loaded.config.section("history")["keep_minutes_days"] == 120
    config.save_serial(ACM)  # saving the same settings again changes nothing at all
    assert config_path.read_text(encoding="utf-8") == text


def test_save_keeps_windows_line_ends_outside_serial(config_path):
    crlf = HAND_WRITTEN.replace("\n", "\r\n")
    config_path.parent.mkdir()
    config_path.write_bytes(crlf.encode())
    config.save_serial(ACM)
    text = config_path.read_bytes().decode()
    assert outside_serial(text) == outside_serial(crlf)
    assert config.load().config.serial == ACM


def test_keys_a_save_adds_to_a_windows_file_get_windows_line_ends(config_path):
    """The form adds the keys the user left out; they must not be the only LF lines."""
    config_path.parent.mkdir()
    config_path.write_bytes(b'# mine\r\n[serial]\r\nport = "/dev/ttyUSB0"\r\n')
    config.save_serial(ACM)
    data = config_path.read_bytes()
    assert b"bytesize = 7\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n") == 7


def test_save_writes_through_a_symlink(config_path, tmp_path):
    target = write(tmp_path / "dotfiles" / "p1tui.toml", HAND_WRITTEN)
    config_path.parent.mkdir()
    config_path.symlink_to(Path("..") / "dotfiles" / "p1tui.toml")
    assert config.save_serial(ACM) == config_path
    assert config_path.is_symlink()
    assert os.readlink(config_path) == str(Path("..") / "dotfiles" / "p1tui.toml")
    assert config.load().config.serial == ACM
    assert outside_serial(target.read_text(encoding="utf-8")) == outside_serial(HAND_WRITTEN)
    assert sorted(p.name for p in target.parent.iterdir()) == ["p1tui.toml"]  # no temp left
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["config.toml"]


def test_save_keeps_the_file_permissions(config_path):
    write(config_path, HAND_WRITTEN, mode=0o640)
    config.save_serial(ACM)
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o640


def test_failed_save_in_a_read_only_directory_names_the_path():
    with world_readable_dir() as directory:
        path = write(
            directory / "config.toml", HAND_WRITTEN, mode=0o666
        )  # the file itself may be written
        directory.chmod(0o555)
        with unprivileged(), pytest.raises(config.ConfigError) as failure:
            config.save_serial(ACM, path)
        message = str(failure.value)
        assert message.startswith(f"cannot save to {path}: cannot create a file in {directory}")
        assert "ermission denied" in message
        assert path.read_text(encoding="utf-8") == HAND_WRITTEN
        assert [p.name for p in directory.iterdir()] == ["config.toml"]


def test_a_read_only_file_is_not_replaced():
    with world_readable_dir() as directory:
        directory.chmod(0o777)  # the rename itself would be allowed
        path = write(directory / "config.toml", HAND_WRITTEN, mode=0o444)
        with unprivileged(), pytest.raises(config.ConfigError) as failure:
            config.save_serial(ACM, path)
        assert str(failure.value) == f"cannot save to {path}: the file is read-only"
        assert path.read_text(encoding="utf-8") == HAND_WRITTEN
        assert [p.name for p in directory.iterdir()] == ["config.toml"]


def test_a_corrupt_file_is_not_overwritten_by_a_save(config_path):
    write(config_path, "[serial\nport = ")
    with pytest.raises(config.ConfigError, match="not valid TOML") as failure:
        config.save_serial(ACM)
    assert str(config_path) in str(failure.value)
    assert config_path.read_text(encoding="utf-8") == "[serial\nport = "
