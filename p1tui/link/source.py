"""The interface every byte source implements, and the errors sources raise.

A source is opened and read by the reader thread only. ``read`` never blocks for long,
so the reader can notice a stop request or a settings change within a fraction of a
second. Errors carry a message written for the person at the terminal.
"""

from __future__ import annotations

from typing import Protocol


class LinkError(Exception):
    """A source could not be opened or read; the message says why in plain words."""

    advice: str = ""
    """What to try, shown under the message."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        if advice:
            self.advice = advice


class LinkUnusable(LinkError):
    """The settings name something that can never be read as a P1 port (a directory, a
    regular file): retrying cannot help, so the reader stops and says why."""


class LinkLost(LinkError):
    """An open link died (cable unplugged, far end closed); the reader will retry."""


class EndOfStream(LinkError):
    """A finite source (a replay file, stdin) has nothing more to give."""


class Source(Protocol):
    """A stream of raw P1 bytes."""

    def open(self) -> None:
        """Open the link; raise :class:`LinkError` with a clear message when it cannot."""

    def read(self, max_bytes: int = 4096) -> bytes:
        """Return what arrived, waiting at most about 0.2 s; ``b""`` when nothing did.

        Raises :class:`LinkLost` when the link died and :class:`EndOfStream` at the end
        of a finite source.
        """

    def close(self) -> None:
        """Release the link; safe to call twice or from another thread to unblock a read."""

    def describe(self) -> str:
        """What this source is, for the status bar: ``/dev/ttyUSB0 115200 8N1``."""
