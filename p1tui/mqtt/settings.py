"""Where and how to publish: the ``[mqtt]`` config section and the ``--mqtt URL`` option.

The password comes from the config file or from a file it names, never from the command
line (a URL with a password in it is refused) and never into a log or a repr.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
DEFAULT_TOPIC_PREFIX = "p1tui"
DEFAULT_DISCOVERY_PREFIX = "homeassistant"

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]+")


class MqttConfigError(ValueError):
    """The MQTT settings cannot be used; the message says which key and why."""


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """A broker to publish to, and under which topics."""

    host: str
    port: int = DEFAULT_PORT
    tls: bool = False
    ca_file: Path | None = None
    """CA certificates for ``mqtts://``; None trusts the system's certificates."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_file: Path | None = None
    """The file the password was read from; None when the config file holds it."""
    topic_prefix: str = DEFAULT_TOPIC_PREFIX
    discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX
    meter_name: str | None = None
    """Replaces the meter's equipment ID in the topics and the Home Assistant device name."""
    publish_every: float = 0.0
    """Seconds between publications; 0 publishes every telegram."""

    @property
    def password_source(self) -> str:
        """Where the password comes from, for messages."""
        return str(self.password_file) if self.password_file else "the config file"

    @property
    def broker(self) -> str:
        """``host:port`` for messages (IPv6 addresses in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url: str) -> tuple[str, int, bool]:
    """``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]`` -> (host, port, tls)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise MqttConfigError(f"{url!r} is not a valid MQTT URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("mqtt", "mqtts"):
        raise MqttConfigError(
            f"{url!r} is not an MQTT URL: write mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"
        )
    if parts.username is not None or parts.password is not None:
        raise MqttConfigError(
            "the MQTT URL must not hold a user name or password (a command line is visible "
            "to every user of the machine): put username and password or password_file in "
            "the [mqtt] section of the config file"
        )
    if not parts.hostname:
        raise MqttConfigError(f"{url!r} names no broker: write mqtt://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MqttConfigError(f"{url!r}: an MQTT URL is only mqtt://HOST[:PORT]")
    tls = scheme == "mqtts"
    if port is None:
        port = DEFAULT_TLS_PORT if tls else DEFAULT_PORT
    elif port == 0:
        raise MqttConfigError(f"{url!r}: the port must be between 1 and 65535")
    return parts.hostname, port, tls


def from_section(
    section: Mapping[str, object], *, url: str | None = None, base_dir: Path | None = None
) -> MqttSettings:
    """Settings from the ``[mqtt]`` section; ``url`` (from ``--mqtt``) overrides its ``url``.

    ``base_dir`` is where relative file names (password_file, ca_file) are looked up: the
    config file's directory. Raises :class:`MqttConfigError` naming the key at fault.
    """
    url = url if url is not None else _text(section, "url")
    if url is None:
        raise MqttConfigError("no MQTT broker: give --mqtt mqtt://HOST[:PORT] or [mqtt] url")
    host, port, tls = parse_url(url)
    ca_name = _text(section, "ca_file")
    ca_file = _path(ca_name, base_dir) if ca_name else None
    if ca_file is not None and not ca_file.is_file():
        raise MqttConfigError(f"[mqtt] ca_file {ca_file} does not exist")
    password, password_file = _password(section, base_dir)
    username = _text(section, "username")
    if password is not None and username is None:
        raise MqttConfigError("[mqtt] has a password but no username")
    return MqttSettings(
        host=host,
        port=port,
        tls=tls,
        ca_file=ca_file,
        username=username,
        password=password,
        password_file=password_file,
        topic_prefix=_prefix(section, "topic_prefix", DEFAULT_TOPIC_PREFIX),
        discovery_prefix=_prefix(section, "discovery_prefix", DEFAULT_DISCOVERY_PREFIX),
        meter_name=_meter_name(section),
        publish_every=_publish_every(section),
    )


def _password(
    section: Mapping[str, object], base_dir: Path | None
) -> tuple[str | None, str | None]:
    inline = _text(section, "password")
    name = _text(section, "password_file")
    if inline is not None and name is not None:
        raise MqttConfigError("[mqtt] has both password and password_file: keep one")
    if inline is not None:
        return inline, None
    if name is None:
        return None, None
    path = _path(name, base_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise MqttConfigError(f"cannot read [mqtt] password_file {path}: {reason}") from None
    password = text.rstrip("\r\n")
    if not password:
        raise MqttConfigError(f"[mqtt] password_file {path} is empty")
    return password, path


def _text(section: Mapping[str, object], key: str) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MqttConfigError(f"[mqtt] {key} must be a non-empty string")
    return value if key == "password" else value.strip()


def _path(name: str, base_dir: Path | None) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def _prefix(section: Mapping[str, object], key: str, default: str) -> str:
    value = _text(section, key)
    if value is None:
        return default
    prefix = value.strip("/")
    if not prefix or "+" in prefix or "#" in prefix or "\0" in prefix or "//" in prefix:
        raise MqttConfigError(
            f"[mqtt] {key} {value!r} is not a topic prefix: use words joined by '/' "
            "without '+' or '#'"
        )
    return prefix


def _meter_name(section: Mapping[str, object]) -> str | None:
    value = _text(section, "meter_name")
    if value is not None and not _TOPIC_NAME.fullmatch(value):
        raise MqttConfigError(
            f"[mqtt] meter_name {value!r} may hold only letters, digits, '_' and '-' "
            "(it is a topic level and part of Home Assistant's IDs)"
        )
    return value


def _publish_every(section: Mapping[str, object]) -> float:
    value = section.get("publish_every", 0)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise MqttConfigError(
            "[mqtt] publish_every must be a number of seconds, 0 or more (0: every telegram)"
        )
    return float(value)


def topic_name(text: str) -> str:
    """``text`` as one topic level and ID part: letters, digits, ``_`` and ``-`` only."""
    return "_".join(_TOPIC_NAME.findall(text.strip()))
