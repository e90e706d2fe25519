"""The user's configuration file: the serial link, and one section per feature.

A TOML file under the platform's config directory (``~/.config/p1tui/config.toml`` on
Linux), or wherever ``P1TUI_CONFIG`` points. The user writes it by hand; the settings form
changes only the ``[serial]`` table in it, through a round-trip TOML library (tomlkit), so
comments, other sections and keys p1tui does not know stay as the user wrote them.

Each feature parses its own section in its own module (``Config.section(name)``) and
declares the keys it reads in :data:`KNOWN_KEYS`; any other key is kept in the file and
named once in a warning, so a typo (``baud_rate``) is not silently ignored.

The file is written only when the user saves, atomically (a temporary file renamed over
the old one), through a symlink to its target, with the old file's permissions. A file that
cannot be read gives the defaults and a message, and stays untouched.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shlex
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from .cli_options import BYTESIZES, PARITIES, STOPBITS
from .link.settings import SerialSettings

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

ENV_VAR = "P1TUI_CONFIG"
"""Overrides the config file's path (tests, several meters on one machine)."""


def _keys(names: str) -> frozenset[str]:
    return frozenset(names.split())


KNOWN_KEYS: Mapping[str, frozenset[str]] = {
    # One entry per section: the keys its owner reads. Nested tables (the dated price
    # tables) are the owner's to check; only their names are listed here.
    "serial": _keys("port baudrate bytesize parity stopbits"),  # this module
    "history": _keys("db timezone keep_minutes_days batch_seconds"),  # p1tui/store/settings.py
    "prices": _keys(
        "currency contract import import_tariff1 import_tariff2 export export_tariff1 "
        "export_tariff2 gas water fixed_per_day"
    ),  # p1tui/store/prices.py
    "collector": _keys("listen"),  # p1tui/collector
    "mqtt": _keys(
        "url username password password_file topic_prefix discovery_prefix ca_file "
        "publish_every meter_name"
    ),  # p1tui/mqtt
    "meter": _keys("key auth_key"),  # decryption
}
"""Every section of the config file and the keys p1tui reads in it."""

SECRET_KEYS: tuple[tuple[str, str], ...] = (
    ("mqtt", "password"),
    ("meter", "key"),
    ("meter", "auth_key"),
)
"""(section, key) pairs that hold secrets: a file holding one should be private."""

SERIAL_SECTION = "serial"


def config_path() -> Path:
    """Where the config lives: ``$P1TUI_CONFIG`` or the platform's user config dir."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return platformdirs.user_config_path("p1tui", appauthor=False) / "config.toml"


class ConfigError(Exception):
    """The config could not be saved: one sentence naming the file and the reason."""


@dataclass(frozen=True, slots=True)
class Config:
    """What the config file holds."""

    serial: SerialSettings | None = None
    """The port to open at start; None until the user saved one."""
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The other sections as read (plain TOML values), for their owners to parse."""

    def section(self, name: str) -> dict[str, Any]:
        """Section ``name`` as a fresh dict (empty when the file has none).

        ``name`` must be declared in :data:`KNOWN_KEYS`; ``[serial]`` is :attr:`serial`.
        """
        if name not in KNOWN_KEYS or name == SERIAL_SECTION:
            raise ValueError(f"[{name}] is not a section other features read: see KNOWN_KEYS")
        return copy.deepcopy(dict(self.sections.get(name, {})))


@dataclass(frozen=True, slots=True)
class Loaded:
    """The result of reading the config file."""

    config: Config
    problem: str | None = None
    """Why the file could not be used (the defaults were taken instead)."""
    warnings: tuple[str, ...] = ()
    """What the user should fix though the file was used: unknown keys, exposed secrets."""

    @property
    def notices(self) -> tuple[str, ...]:
        """The problem, then the warnings: what to show the user, each once."""
        return ((self.problem,) if self.problem else ()) + self.warnings


def load(path: Path | None = None) -> Loaded:
    """Read the config; a missing file is the defaults, a bad one the defaults plus a reason."""
    # TOML is imported on use: `p1tui decode` shares this module's importer (the CLI) and
    # should not pay for it at start-up.
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
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Loaded(Config(), f"{path} is not valid TOML ({error}); using the defaults")
    found = (_unknown_keys_warning(path, data), _secrets_warning(path, data))
    warnings = tuple(warning for warning in found if warning)
    try:
        return Loaded(_from_toml(data), warnings=warnings)
    except ValueError as error:
        return Loaded(Config(), f"{path} is not valid ({error}); using the defaults", warnings)


def load_for_command(prog: str, path: Path | None = None) -> Config:
    """Load the config for a command line tool, printing each notice on stderr once."""
    loaded = load(path)
    for notice in loaded.notices:
        print(f"{prog}: {notice}", file=sys.stderr)
    return loaded.config


def save_serial(serial: SerialSettings, path: Path | None = None) -> Path:
    """Write ``serial`` into the file's ``[serial]`` table and keep everything else as it is.

    Returns the path saved to; raises :class:`ConfigError` naming the path when it cannot
    (the file is then unchanged).
    """
    import tomlkit  # noqa: PLC0415  (only saving needs it)

    path = config_path() if path is None else path
    target = Path(os.path.realpath(path))  # a symlinked config stays a symlink
    try:
        text = target.read_bytes().decode("utf-8")  # as is: CRLF line ends stay CRLF
    except FileNotFoundError:
        text = "# p1tui configuration. Settings, Save changes [serial] only; the rest is yours.\n"
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot save to {path}: cannot read it ({_reason(error)})") from None
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(
            f"cannot save to {path}: it is not valid TOML ({error}); fix it or move it away"
        ) from None
    _set_serial(document, serial)
    saved = tomlkit.dumps(document)
    if "\r\n" in text:  # tomlkit ends the lines it adds with LF alone
        saved = re.sub(r"(?<!\r)\n", "\r\n", saved)
    _replace_atomically(target, saved, path)
    return path


def _set_serial(document: TOMLDocument, serial: SerialSettings) -> None:
    """Set the form's keys in ``[serial]``; a key already holding the value keeps its spelling."""
    import tomlkit  # noqa: PLC0415

    table = document.get(SERIAL_SECTION)
    if not isinstance(table, dict):
        table = tomlkit.table()
        document[SERIAL_SECTION] = table
    stopbits = int(serial.stopbits) if serial.stopbits == int(serial.stopbits) else serial.stopbits
    values = {
        "port": serial.port,
        "baudrate": serial.baudrate,
        "bytesize": serial.bytesize,
        "parity": serial.parity,
        "stopbits": stopbits,
    }
    for key, value in values.items():
        if key not in table or table[key] != value:
            table[key] = value


def _replace_atomically(target: Path, text: str, shown: Path) -> None:
    """Write ``text`` to a temporary file beside ``target`` and rename it over ``target``.

    The new file gets the old one's permissions (and owner, where allowed); a new file is
    private (0600) since it may come to hold secrets.
    """
    import tempfile  # noqa: PLC0415

    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    except OSError as error:
        raise ConfigError(f"cannot save to {shown}: {_reason(error)}") from None
    if old is not None and not os.access(target, os.W_OK, effective_ids=True):
        # The rename would succeed in a writable folder, but a read-only file is the
        # user's way of saying "do not change this".
        raise ConfigError(f"cannot save to {shown}: the file is read-only")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=target.parent)
    except OSError as error:
        raise ConfigError(
            f"cannot save to {shown}: cannot create a file in {target.parent} ({_reason(error)})"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            if old is not None:
                os.fchmod(out.fileno(), stat.S_IMODE(old.st_mode))
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    # Only root may give a file away; the mode is kept anyway.
                    with contextlib.suppress(PermissionError):
                        os.fchown(out.fileno(), old.st_uid, old.st_gid)
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot save to {shown}: {_reason(error)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (a power cut right after a save keeps the new file)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    # Some file systems cannot sync a directory; the rename is atomic all the same.
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def private_file_warning(path: Path, holds: str) -> str | None:
    """A warning when ``path``, which holds ``holds`` (secrets), can be read by other users.

    For the config file and for any file a feature reads a secret from (an MQTT
    password file, a key file). None when the file is private or cannot be checked.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"{path} holds {holds} and other users can read it: "
        f"make it private with chmod 600 {shlex.quote(str(path))}"
    )


def _secrets_warning(path: Path, data: Mapping[str, Any]) -> str | None:
    held = [
        f"{section}.{key}"
        for section, key in SECRET_KEYS
        if isinstance(data.get(section), Mapping) and key in data[section]
    ]
    return private_file_warning(path, "secrets (" + ", ".join(held) + ")") if held else None


def _unknown_keys_warning(path: Path, data: Mapping[str, Any]) -> str | None:
    """One sentence naming every key p1tui does not read, with the likely intended one."""
    unknown: list[str] = []
    for name, value in data.items():
        if name not in KNOWN_KEYS:
            unknown.append(_unknown_key(None, name))
        elif isinstance(value, Mapping):
            unknown += [_unknown_key(name, key) for key in value if key not in KNOWN_KEYS[name]]
    if not unknown:
        return None
    return f"{path}: p1tui ignores (and keeps) these unknown keys: {', '.join(unknown)}"


def _unknown_key(section: str | None, key: str) -> str:
    """``serial.baud_rate (did you mean serial.baudrate?)``."""
    if section is None:
        # A misspelt section, or a key written above every [section] header.
        guess = _closest(key, KNOWN_KEYS) or next(
            (f"{name}.{key}" for name, keys in KNOWN_KEYS.items() if key in keys), None
        )
        shown = key
    else:
        closest = _closest(key, KNOWN_KEYS[section])
        guess = f"{section}.{closest}" if closest else None
        shown = f"{section}.{key}"
    return f"{shown} (did you mean {guess}?)" if guess else shown


def _closest(key: str, known: Iterable[str]) -> str | None:
    import difflib  # noqa: PLC0415  (only a file with unknown keys needs it)

    matches = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _from_toml(data: Mapping[str, Any]) -> Config:
    for name in KNOWN_KEYS:
        if name in data and not isinstance(data[name], Mapping):
            raise ValueError(f"[{name}] must be a table")
    sections = {
        name: value for name, value in data.items() if name in KNOWN_KEYS and name != SERIAL_SECTION
    }
    serial = data.get(SERIAL_SECTION)
    if serial is None:
        return Config(sections=sections)
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
    settings = SerialSettings(port.strip(), baudrate, bytesize, parity.upper(), stopbits)
    return Config(settings, sections)


def _reason(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)
