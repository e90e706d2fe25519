"""Find whole telegrams in a stream of bytes, sans I/O.

Feed the framer whatever a read returned (one byte, half a line, two and a half
telegrams, ser2net noise) and it hands back :class:`Frame` objects, each one telegram
from ``/`` to the end of its ``!CRC`` line, with the CRC already checked.

The rules come from how real meters and links misbehave:

* Junk outside a telegram (NUL, runs of 0xFF, the tail of a telegram whose start was
  lost) is dropped and counted in :attr:`FramerStats.bytes_skipped`.
* A ``/`` before the end line starts a new telegram: a lost footer never merges two.
* The end line is ``!`` at the start of a line followed by up to four hex digits
  (upper- or lowercase, possibly unpadded like ``!B9F``).
* A telegram without CRC (DSMR 2.2/3.0) is accepted as *unchecked* only when it really
  is one: its ``!`` is alone on its line, it does not announce DSMR 4 or newer, it is
  plain ASCII, and the stream has not been carrying CRCs. Otherwise it is rejected, so a
  byte that turned into a stray ``!`` cannot pass a truncated telegram off as valid.
* The buffer never holds more than ``max_frame_bytes``: a ``/`` with no end is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from .crc import crc16_arc

MAX_FRAME_BYTES = 32 * 1024
"""Far above any real telegram (the largest spec-legal one is about 4 kB)."""

_CRC_DIGITS = re.compile(rb"[0-9A-Fa-f]{0,4}")
_CR, _LF, _SLASH = 13, 10, 47
_DSMR4_MARKERS = (b"1-3:0.2.8", b"0-0:96.1.4")
_TEXT_BYTES = bytes(range(32, 127)) + b"\r\n"


class CrcStatus(str, Enum):
    """The CRC verdict on one frame."""

    OK = "ok"
    FAILED = "failed"
    UNCHECKED = "unchecked"
    """The telegram carries no CRC (DSMR 2.2/3.0) and was accepted on its form."""

    @property
    def verdict(self) -> bool | None:
        """True or False for a checked telegram, None when it carries no CRC."""
        return None if self is CrcStatus.UNCHECKED else self is CrcStatus.OK


class Frame(NamedTuple):
    """One telegram as it was sent, from ``/`` to the last CRC digit.

    A named tuple rather than a frozen dataclass: one is made per telegram, and a tuple
    is the cheapest immutable record to make.
    """

    raw: bytes
    crc_status: CrcStatus
    crc_received: int | None
    """The CRC the meter sent, or None when it sent none."""
    crc_computed: int
    """The CRC of the bytes received, from ``/`` to ``!`` inclusive."""
    problem: str | None = None
    """Why a failed frame was rejected, in words."""

    @property
    def valid(self) -> bool:
        """True when the telegram may be used (CRC ok or legitimately unchecked)."""
        return self.crc_status is not CrcStatus.FAILED

    @property
    def crc_ok(self) -> bool | None:
        """True or False for a checked telegram, None when it carries no CRC."""
        return self.crc_status.verdict


_new_frame = tuple.__new__  # what Frame(...) does, without its Python-level __new__


@dataclass(slots=True)
class FramerStats:
    """Counters since the framer was made."""

    frames_ok: int = 0
    frames_unchecked: int = 0
    crc_failures: int = 0
    frames_truncated: int = 0
    """Telegrams cut short by a new ``/`` or by the size cap."""
    bytes_skipped: int = 0
    """Bytes that belonged to no complete telegram (junk, truncated telegrams)."""


def _find_end_line(buf: bytearray, start: int) -> int:
    """``buf.find(b"\\n!", start)``, by way of the rare ``!`` alone (a much faster search)."""
    bang = buf.find(b"!", start + 1)
    while bang > 0 and buf[bang - 1] != _LF:
        bang = buf.find(b"!", bang + 1)
    return bang - 1 if bang > 0 else -1


class Framer:
    """Incremental telegram framer; see the module docstring for the rules."""

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.stats = FramerStats()
        self.stream_has_crc = False
        """Set once a telegram with a valid CRC went by: from then on a bare ``!`` is wrong."""
        self._buf = bytearray()
        self._in_frame = False
        self._scan = 1
        self._eol_to_swallow = 0

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a telegram."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add received bytes; return the telegrams they completed (valid or not)."""
        self._buf += data
        frames: list[Frame] = []
        while self._buf:
            if not self._in_frame and not self._hunt():
                break
            frame = self._find_end()
            if frame is None:
                break
            frames.append(frame)
        return frames

    def flush(self) -> list[Frame]:
        """Finish a telegram whose last line has no line ending yet.

        Call it when the line has gone quiet (a read timed out): a meter that omits the
        final CRLF is otherwise only framed when the next ``/`` comes. A link can also
        stall inside the end line, so a short end line is taken only when it is whole:
        fewer than four CRC digits when they match (an unpadded ``!B9F``), a bare ``!``
        when the telegram may carry no CRC. Otherwise the rest is waited for.
        """
        return self._finish(final=False)

    def close(self) -> list[Frame]:
        """End of stream: finish what can be, then count what is left as truncated."""
        frames = self._finish(final=True)
        if self._buf:
            self._drop_partial()
        return frames

    def _finish(self, final: bool) -> list[Frame]:
        if not self._in_frame:
            return []
        frame = self._find_end(at_end=True, final=final)
        return [] if frame is None else [frame]

    def _hunt(self) -> bool:
        """Drop bytes before the next ``/``; True when a telegram start is at buf[0]."""
        buf = self._buf
        # The line ending after a CRC belongs to the telegram, not to the junk count;
        # it may arrive one byte at a time.
        while self._eol_to_swallow and buf:
            if buf[0] in (_CR, _LF):
                del buf[:1]
                self._eol_to_swallow -= 1
            else:
                self._eol_to_swallow = 0
        start = buf.find(b"/")
        if start < 0:
            self.stats.bytes_skipped += len(buf)
            buf.clear()
            return False
        if start:
            self.stats.bytes_skipped += start
            del buf[:start]
        self._in_frame = True
        self._scan = 1
        return True

    def _drop_partial(self, keep_from: int | None = None) -> None:
        buf = self._buf
        end = len(buf) if keep_from is None else keep_from
        self.stats.frames_truncated += 1
        self.stats.bytes_skipped += end
        del buf[:end]
        self._in_frame = False

    def _find_end(self, at_end: bool = False, final: bool = False) -> Frame | None:
        buf = self._buf
        pos = self._scan
        while True:
            nl_bang = _find_end_line(buf, pos)
            slash = buf.find(b"/", pos, None if nl_bang < 0 else nl_bang + 1)
            if slash >= 0:
                self._drop_partial(keep_from=slash)
                self._in_frame = True
                pos = self._scan = 1
                continue
            if nl_bang < 0:
                if len(buf) > self.max_frame_bytes:
                    self._drop_partial()
                else:
                    self._scan = max(1, len(buf) - 1)
                return None
            bang = nl_bang + 1
            i, n = _CRC_DIGITS.match(buf, bang + 1).end(), len(buf)  # type: ignore[union-attr]
            digits = i - bang - 1
            if i == n and digits < 4 and not (at_end and (final or self._whole(bang, i))):
                self._scan = nl_bang
                return None
            after = buf[i] if i < n else None
            if digits == 0 and after not in (None, _CR, _LF, _SLASH):
                pos = bang + 1  # a '!' that does not end the telegram
                continue
            frame = self._make_frame(bytes(buf[: bang + 1]), bytes(buf[bang + 1 : i]))
            if buf[i : i + 2] == b"\r\n":  # the usual line ending, here already
                del buf[: i + 2]
            else:
                del buf[:i]
                self._eol_to_swallow = 2
            self._in_frame = False
            return frame

    def _whole(self, bang: int, end: int) -> bool:
        """Whether an end line cut at ``end`` (the line went quiet) is complete."""
        body = bytes(self._buf[: bang + 1])
        if end > bang + 1:
            return int(self._buf[bang + 1 : end], 16) == crc16_arc(body)
        return self._why_not_unchecked(body) is None

    def _make_frame(self, body: bytes, digits: bytes) -> Frame:
        computed = crc16_arc(body)
        stats = self.stats
        if digits:
            received = int(digits, 16)
            if received == computed:
                stats.frames_ok += 1
                self.stream_has_crc = True
                return _new_frame(Frame, (body + digits, CrcStatus.OK, received, computed, None))
            stats.crc_failures += 1
            problem = f"CRC mismatch: telegram says {received:04X}, data gives {computed:04X}"
            return Frame(body + digits, CrcStatus.FAILED, received, computed, problem)
        problem = self._why_not_unchecked(body)
        if problem is None:
            stats.frames_unchecked += 1
            return _new_frame(Frame, (body, CrcStatus.UNCHECKED, None, computed, None))
        stats.crc_failures += 1
        return Frame(body, CrcStatus.FAILED, None, computed, problem)

    def _why_not_unchecked(self, body: bytes) -> str | None:
        """Why a telegram ending in a bare ``!`` cannot be trusted, or None if it can."""
        if self.stream_has_crc:
            return "CRC missing in a stream whose telegrams carry one (truncated telegram?)"
        if any(marker in body for marker in _DSMR4_MARKERS):
            return "CRC missing on a telegram that announces DSMR 4 or newer"
        if body.translate(None, _TEXT_BYTES):
            return "CRC missing and the telegram holds non-text bytes"
        if b"(" not in body:
            return "CRC missing and the telegram holds no data line"
        return None
