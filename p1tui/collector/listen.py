"""Where the collector listens: ``--listen HOST:PORT`` or ``[collector] listen``.

The default is loopback only (``127.0.0.1:2323``): other machines reach the meter only
when the user says so. The monitor uses the same address to find a running collector.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..link.tcp_server import format_address, is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2323


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


def from_section(section: Mapping[str, Any]) -> ListenAddress:
    """The ``[collector]`` section's address (the default when it names none)."""
    listen = section.get("listen")
    if listen is None:
        return ListenAddress()
    if not isinstance(listen, str):
        raise ValueError('collector.listen must be a string like "127.0.0.1:2323"')
    return parse_listen(listen)
