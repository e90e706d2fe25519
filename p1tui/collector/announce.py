"""The collector's announcement: which collector listens where, and which history it keeps.

A running ``p1tui serve`` writes ``collectors/<pid>.json`` in the user's state directory
(``~/.local/state/p1tui``) holding its listen address, pid and the absolute path of its
history store, and removes it when it stops. The monitor of the same user reads it to
attach without probing the collector (a probe is a connection the collector logs) and to
show the collector's history rather than its own store.

The state directory, not ``$XDG_RUNTIME_DIR``: a system service started at boot has no
runtime directory of the user's session (``/run/user/UID`` does not exist before the
first login), so the two would look in different places. A file left by a collector that
died (SIGKILL, a power cut) is told apart without trusting its pid, which the next boot
gives to another process: the collector holds an ``flock`` on its file for as long as it
runs, and the kernel drops it when the process ends however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..link.address import is_loopback

WILDCARDS = ("0.0.0.0", "::", "")
"""Listen hosts meaning every interface, loopback included."""


def announce_dir() -> Path:
    """``<user state dir>/collectors``: where collectors announce themselves."""
    return platformdirs.user_state_path("p1tui", appauthor=False) / "collectors"


@dataclass(frozen=True, slots=True)
class Announcement:
    """A running collector, as it announced itself."""

    host: str
    """The listen host as given (``0.0.0.0`` for every interface)."""
    port: int
    pid: int
    db: Path
    """The history store it records into (absolute)."""

    def reached_at(self, host: str, port: int) -> bool:
        """True when a client on this machine connecting to ``host:port`` reaches it."""
        if port != self.port:
            return False
        if self.host in WILDCARDS:
            return is_loopback(host)  # other local addresses are not known cheaply
        same_loopback = is_loopback(host) and is_loopback(self.host)
        return host == self.host or (same_loopback and "localhost" in (host, self.host))


class Announcer:
    """The collector's side: :meth:`publish` once it listens, :meth:`withdraw` at the end."""

    def __init__(self, host: str, port: int, db: Path, directory: Path | None = None) -> None:
        self.directory = announce_dir() if directory is None else directory
        self.path = self.directory / f"{os.getpid()}.json"
        self._text = json.dumps(
            {
                "host": host,
                "port": port,
                "pid": os.getpid(),
                "db": os.path.abspath(db),
                "machine": socket.gethostname(),
            }
        )
        self._fd: int | None = None

    def publish(self) -> None:
        """Write the file atomically, locked for as long as this process runs; OSError
        when it cannot (the collector runs on without it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _remove_dead(self.directory)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # before the name appears: never seen unlocked
            os.write(fd, self._text.encode())
            os.replace(temporary, self.path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        self._fd = fd

    def withdraw(self) -> None:
        """Remove the file (safe to call twice, or when :meth:`publish` failed)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def running(directory: Path | None = None) -> list[Announcement]:
    """The collectors this user runs on this machine, as they announced themselves."""
    folder = announce_dir() if directory is None else directory
    try:
        paths = sorted(folder.glob("*.json"))
    except OSError:
        return []
    return [found for found in map(_read_live, paths) if found is not None]


def announced(host: str, port: int, directory: Path | None = None) -> Announcement | None:
    """The running collector of this user that a client reaches at ``host:port``, if any."""
    return next((found for found in running(directory) if found.reached_at(host, port)), None)


def _read_live(path: Path) -> Announcement | None:
    """The announcement in ``path`` if its collector still runs (holds the lock)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _unlocked(fd):
            return None
        data = json.loads(os.read(fd, 65536))
        if data["machine"] != socket.gethostname():  # a home shared over NFS: not here
            return None
        return Announcement(
            str(data["host"]), int(data["port"]), int(data["pid"]), Path(data["db"])
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None
    finally:
        os.close(fd)


def _unlocked(fd: int) -> bool:
    """True when nobody holds the file's lock: its collector is gone."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _remove_dead(directory: Path) -> None:
    """Remove the files of collectors that died without removing theirs."""
    for path in directory.glob("*.json"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _unlocked(fd):
                path.unlink()
        except OSError:
            pass
        finally:
            os.close(fd)
