"""The single-writer lock: one process at a time records into a history store.

An advisory ``flock`` on ``<db>.lock``, which also holds the holder's pid and command
line, so a second writer is told who has it. The kernel releases the lock when the
holder dies (even by SIGKILL or a power cut), so a stale file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path


class StoreLocked(Exception):
    """Another process records into this store."""

    def __init__(self, path: Path, pid: int | None, command: str | None) -> None:
        self.path = path
        self.pid = pid
        self.command = command
        holder = "another process" if pid is None else f"process {pid}"
        if command:
            holder += f" ({command})"
        super().__init__(
            f"the history store {path} is already being recorded into by {holder}; "
            "only one program can record at a time"
        )


def _command_line() -> str:
    """This process's command line, shortened: what a user would recognise in ``ps``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if name in ("__main__.py", "-c", "-m"):
        name = "p1tui"
    text = " ".join([name, *sys.argv[1:]])
    return text if len(text) <= 200 else text[:197] + "..."


class WriterLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process's end)."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._db_path = db_path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`StoreLocked` naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            pid_text, _, command = holder.partition("\n")
            pid = int(pid_text) if pid_text.strip().isdigit() else None
            raise StoreLocked(self._db_path, pid, command.strip() or None) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{_command_line()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays: removing it would race the next writer)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
