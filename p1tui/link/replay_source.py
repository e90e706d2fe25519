"""Play back a recorded P1 stream (a raw capture, or telegrams glued together).

The bytes are handed on exactly as they are in the file, junk included, so a replay
shows what the reader made of the original stream. Pacing:

* ``speed`` 0: as fast as the reader takes them.
* ``speed`` N > 0: the stream is cut after each telegram's end line, and each telegram
  is released after the gap between its meter time stamp (``0-0:1.0.0``) and the
  previous telegram's, divided by N. When either has no usable time stamp (DSMR
  2.2 sends none, a clock may be unset) or the gap is not between 0 and
  :data:`MAX_GAP` seconds (a recording that spans an outage), the gap is
  :data:`DEFAULT_GAP`, the period of DSMR 5 meters, again divided by N.

``path`` None reads standard input; ``loop`` starts the file over at its end (not for
standard input, which cannot be rewound).
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from collections.abc import Callable
from typing import BinaryIO

from ..dsmr.values import timestamp
from .settings import ReplaySettings
from .source import EndOfStream, LinkError

READ_TIMEOUT = 0.2
DEFAULT_GAP = 1.0
MAX_GAP = 60.0
CHUNK = 64 * 1024
MAX_SEGMENT = 64 * 1024
"""A stretch of file this long with no telegram end is played as one piece of junk."""

_END_LINE = re.compile(rb"\n![0-9A-Fa-f]{0,4}[^\n]*\n?")
_STAMP = re.compile(rb"0-0:1\.0\.0\(([0-9A-Fa-f]{12,24}[SWsw]?)\)")


class ReplaySource:
    """The :class:`~p1tui.link.source.Source` for a recording."""

    def __init__(
        self,
        settings: ReplaySettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._file: BinaryIO | None = None
        self._pending = bytearray()
        """Read from the file, not yet cut into telegram-sized segments."""
        self._segment = b""
        self._due = 0.0
        self._last_stamp: float | None = None
        self._started = False
        """False until the first segment, which is due at once."""
        self._eof = False

    def describe(self) -> str:
        """``replay capture.txt x1``."""
        return self.settings.describe()

    def open(self) -> None:
        """Open the file (or take standard input)."""
        path = self.settings.path
        if path is None:
            self._file = os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)
        else:
            try:
                self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed in close())
            except FileNotFoundError:
                raise LinkError(f"no such file: {path}.") from None
            except IsADirectoryError:
                raise LinkError(f"{path} is a directory, not a recording.") from None
            except OSError as error:
                raise LinkError(f"cannot read {path}: {error.strerror}.") from None
        self._pending.clear()
        self._segment = b""
        self._due = self._clock()
        self._last_stamp = None
        self._started = False
        self._eof = False

    def read(self, max_bytes: int = 4096) -> bytes:
        """The next bytes when their time has come; EndOfStream after the last."""
        if self.settings.speed <= 0:
            data = self._read_file(max_bytes)
            if not data and self._eof:
                self._end()
            return data
        if not self._segment:
            self._segment = self._next_segment()
            if not self._segment:
                if self._eof:
                    self._end()
                return b""
        wait = self._due - self._clock()
        if wait > 0:
            self._sleep(min(wait, READ_TIMEOUT))
            if self._due > self._clock():
                return b""
        data, self._segment = self._segment[:max_bytes], self._segment[max_bytes:]
        return data

    def close(self) -> None:
        """Close the file; safe to call twice."""
        file, self._file = self._file, None
        if file is not None:
            file.close()

    def _end(self) -> None:
        """At the end of the file: start over when looping, else EndOfStream."""
        if self.settings.loop and self.settings.path is not None and self._file is not None:
            self._file.seek(0)
            self._eof = False
            return
        raise EndOfStream("end of the recording.")

    def _read_file(self, size: int) -> bytes:
        """Up to ``size`` bytes of what the file has now (stdin may have nothing yet)."""
        file = self._file
        if file is None:
            raise EndOfStream("the recording is closed.")
        if self.settings.path is None:
            ready, _, _ = select.select([file], [], [], READ_TIMEOUT)
            if not ready:
                return b""
        data = file.read(size) or b""
        if not data:
            self._eof = True
        return data

    def _next_segment(self) -> bytes:
        """The stream up to the next telegram's end line, with its release time set."""
        pending = self._pending
        while True:
            end = _END_LINE.search(pending)
            # An end line is complete once its line ending (or the file's end) is seen.
            if end and (end.group().endswith(b"\n") or self._eof):
                cut = end.end()
                break
            if self._eof or len(pending) > MAX_SEGMENT:
                cut = len(pending)
                break
            data = self._read_file(CHUNK)
            if not data and not self._eof:
                return b""  # standard input has nothing yet
            pending += data
        segment = bytes(pending[:cut])
        del pending[:cut]
        if segment:
            self._schedule(segment)
        return segment

    def _schedule(self, segment: bytes) -> None:
        """Set when this segment is due, from its time stamp and the previous one's."""
        match = _STAMP.search(segment)
        when = timestamp(match.group(1).decode("ascii")) if match else None
        stamp = when.timestamp() if when else None
        if self._started:
            gap = DEFAULT_GAP
            if stamp is not None and self._last_stamp is not None:
                delta = stamp - self._last_stamp
                if 0 <= delta <= MAX_GAP:
                    gap = delta
            self._due += gap / self.settings.speed
        self._started = True
        self._last_stamp = stamp
