"""TCP addresses as people write them: ``127.0.0.1:2323``, ``[::1]:2323``."""

from __future__ import annotations


def format_address(host: str, port: int) -> str:
    """``127.0.0.1:2323``, ``[::1]:2323``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.x, ::1, localhost)."""
    return host == "localhost" or host.startswith("127.") or host == "::1"
