"""Where the collector listens: ``--listen HOST:PORT`` or ``[collector] listen``.

The default is loopback only (``127.0.0.1:2323``): other machines reach the meter only
when the user says so. The monitor uses the same address to find a running collector.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..link.address import format_address, is_loopback
from ..link.settings import CollectorSettings
from .announce import announced

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2323
PROBE_TIMEOUT = 0.5
"""How long the monitor waits for a collector to answer before it opens the port itself."""


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def __str__(self) -> str:
        return format_address(self.host, self.port)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def reachable(self) -> ListenAddress:
        """The address a client on this machine connects to (``0.0.0.0`` -> loopback)."""
        if self.host in ("0.0.0.0", ""):
            return ListenAddress(DEFAULT_HOST, self.port)
        if self.host == "::":
            return ListenAddress("::1", self.port)
        return self


def parse_listen(text: str) -> ListenAddress:
    """``HOST:PORT``, ``[::1]:PORT`` or ``:PORT`` (loopback); ValueError saying why not."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        raise ValueError(f"{text!r} is not an address like 127.0.0.1:2323")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"{text!r} is not an address like 127.0.0.1:2323 (bad port number)")
    return ListenAddress(host or DEFAULT_HOST, port)


def configured_listen(config: Config) -> ListenAddress:
    """The config's ``[collector] listen`` address, else the default; ValueError if bad."""
    return from_section(config.section("collector"))


def from_section(section: Mapping[str, Any]) -> ListenAddress:
    """The ``[collector]`` section's address (the default when it names none)."""
    listen = section.get("listen")
    if listen is None:
        return ListenAddress()
    if not isinstance(listen, str):
        raise ValueError('collector.listen must be a string like "127.0.0.1:2323"')
    return parse_listen(listen)


def running_collector(
    listen: ListenAddress, timeout: float = PROBE_TIMEOUT
) -> CollectorSettings | None:
    """The collector listening on ``listen`` (as reached from this machine), if one runs.

    A collector of this user says so in its announcement; another's (a service run as
    another user) is asked by connecting, which its log shows as a client that came and went.
    """
    address = listen.reachable()
    if announced(address.host, address.port) is None:
        try:
            with socket.create_connection((address.host, address.port), timeout=timeout):
                pass
        except OSError:
            return None
    return CollectorSettings(address.host, address.port)
