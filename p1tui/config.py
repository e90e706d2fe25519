"""The user's configuration: which port to open, with which serial settings.

A small TOML file under the platform's config directory
(``~/.config/p1tui/config.toml`` on Linux), or wherever ``P1TUI_CONFIG`` points. It is
written only when the user saves, atomically (a temporary file renamed over the old
one), so a crash never leaves half a file. A file that cannot be read gives the
defaults and a message, and stays untouched until the user saves.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .link.settings import SerialSettings

ENV_VAR = "P1TUI_CONFIG"
"""Overrides the config file's path (tests, several meters on one machine)."""

PARITIES = ("N", "E", "O", "M", "S")
BYTESIZES = (5, 6, 7, 8)
STOPBITS = (1, 1.5, 2)


def config_path() -> Path:
    """Where the config lives: ``$P1TUI_CONFIG`` or the platform's user config dir."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return platformdirs.user_config_path("p1tui", appauthor=False) / "config.toml"


@dataclass(frozen=True, slots=True)
class Config:
    """What the config file holds."""

    serial: SerialSettings | None = None
    """The port to open at start; None until the user saved one."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """The result of reading the config file."""

    config: Config
    problem: str | None = None
    """Why the file could not be used (the defaults were taken instead)."""


def load(path: Path | None = None) -> Loaded:
    """Read the config; a missing file is the defaults, a bad one the defaults plus a reason."""
    # TOML and tempfile are imported on use: `p1tui decode` shares this module's importer
    # (the CLI) and should not pay for them at start-up.
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover - Python 3.10 only
        import tomli as tomllib  # noqa: PLC0415

    path = config_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Loaded(Config())
    except (OSError, UnicodeDecodeError) as error:
        return Loaded(Config(), f"cannot read {path}: {_reason(error)}; using the defaults")
    try:
        return Loaded(_from_toml(tomllib.loads(text)))
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as error:
        return Loaded(Config(), f"{path} is not valid ({error}); using the defaults")


def save(config: Config, path: Path | None = None) -> Path:
    """Write the config atomically; raises OSError with the reason when it cannot."""
    import tempfile  # noqa: PLC0415

    path = config_path() if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(to_toml(config))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def to_toml(config: Config) -> str:
    """The file's text. Written by hand: the format is four keys, no library needed."""
    lines = ["# p1tui configuration, written by p1tui (Settings, Save).", ""]
    serial = config.serial
    if serial is not None:
        stop = int(serial.stopbits) if serial.stopbits == int(serial.stopbits) else serial.stopbits
        lines += [
            "[serial]",
            f"port = {_toml_string(serial.port)}",
            f"baudrate = {serial.baudrate}",
            f"bytesize = {serial.bytesize}",
            f'parity = "{serial.parity}"',
            f"stopbits = {stop}",
            "",
        ]
    return "\n".join(lines)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _from_toml(data: dict) -> Config:
    serial = data.get("serial")
    if serial is None:
        return Config()
    if not isinstance(serial, dict):
        raise ValueError("[serial] must be a table")
    port = serial.get("port")
    if not isinstance(port, str) or not port.strip():
        raise ValueError("serial.port must be a non-empty string")
    defaults = SerialSettings(port)
    baudrate = serial.get("baudrate", defaults.baudrate)
    if not isinstance(baudrate, int) or isinstance(baudrate, bool) or baudrate <= 0:
        raise ValueError("serial.baudrate must be a positive whole number")
    bytesize = serial.get("bytesize", defaults.bytesize)
    if bytesize not in BYTESIZES or isinstance(bytesize, bool):
        raise ValueError("serial.bytesize must be 5, 6, 7 or 8")
    parity = serial.get("parity", defaults.parity)
    if not isinstance(parity, str) or parity.upper() not in PARITIES:
        raise ValueError("serial.parity must be one of N, E, O, M, S")
    stopbits = serial.get("stopbits", defaults.stopbits)
    if stopbits not in STOPBITS or isinstance(stopbits, bool):
        raise ValueError("serial.stopbits must be 1, 1.5 or 2")
    return Config(SerialSettings(port.strip(), baudrate, bytesize, parity.upper(), stopbits))


def _reason(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)
