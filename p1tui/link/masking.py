"""Mask equipment IDs in a raw P1 stream, keeping every CRC as valid as it was.

For sharing a recording in a bug report: the meter's and the M-Bus devices' serial
numbers are replaced by ``X`` characters of the same length (hex-encoded when the meter
sent them hex-encoded), every other byte is kept, and each telegram's CRC is
recomputed. A telegram whose CRC was wrong stays wrong by the same amount, so a
replay of the masked file shows the same verdicts as the original.

Streaming and line-based, so it works on a live stream fed in arbitrary chunks, with
memory bounded like the framer's.
"""

from __future__ import annotations

import re

from ..dsmr import crc16_arc
from ..dsmr.framer import MAX_FRAME_BYTES

ID_LINE = re.compile(
    rb"^(?P<head>\s*(?:0-0:96\.1\.1|0-0:96\.1\.0|0-0:42\.0\.0|0-[1-4]:96\.1\.[01])"
    rb"(?:\.255|\*255)?\s*\()(?P<value>[^)]*)(?P<tail>\).*)$",
    re.DOTALL,
)
"""E-meter ID (96.1.1; 96.1.0 in Hungary; 42.0.0 in Luxembourg) and M-Bus IDs."""
_HEX = frozenset(b"0123456789abcdefABCDEF")
MAX_LINE = 8192
"""A 'line' longer than this is junk: passed on as it is, and ends any telegram."""


def mask_value(value: bytes) -> bytes:
    """The same length of ``X``; hex-encoded when the value was; zeros and blanks kept."""
    if not value.strip(b"0 "):
        return value  # no ID (empty or all zeros): nothing to hide
    if len(value) % 2 == 0 and _HEX.issuperset(value):
        return b"58" * (len(value) // 2)  # hex of "X"
    return b"X" * len(value)


class IdMasker:
    """Feed raw bytes in, get the masked bytes out (in the same order)."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._telegram: tuple[bytearray, bytearray] | None = None
        """The current telegram so far (original, masked), for their CRCs at its end."""

    def feed(self, data: bytes) -> bytes:
        """Masked bytes for every complete line in ``data`` (a partial line waits)."""
        line = self._line
        line += data
        out = bytearray()
        start = 0
        while True:
            end = line.find(b"\n", start)
            if end < 0:
                break
            out += self._masked_line(bytes(line[start : end + 1]))
            start = end + 1
        del line[:start]
        if len(line) > MAX_LINE:
            self._telegram = None
            out += line
            line.clear()
        return bytes(out)

    def close(self) -> bytes:
        """The end of the stream: the last line, even without its line ending."""
        rest, self._line = bytes(self._line), bytearray()
        return self._masked_line(rest) if rest else b""

    def _masked_line(self, line: bytes) -> bytes:
        if self._telegram is None or line.startswith(b"/"):
            start = line.find(b"/")
            if start < 0:
                return line  # junk between telegrams
            self._telegram = (bytearray(), bytearray())
            return line[:start] + self._telegram_line(line[start:])
        return self._telegram_line(line)

    def _telegram_line(self, line: bytes) -> bytes:
        """A line inside a telegram, from its header to its ``!CRC`` line."""
        assert self._telegram is not None
        original, masked = self._telegram
        if not line.startswith(b"!"):
            match = ID_LINE.match(line)
            new = line
            if match:
                new = match["head"] + mask_value(match["value"]) + match["tail"]
            original += line
            masked += new
            if len(original) > MAX_FRAME_BYTES:
                self._telegram = None  # no end in sight: the framer drops it too
            return new
        self._telegram = None
        crc_original, crc_masked = crc16_arc(original + b"!"), crc16_arc(masked + b"!")
        digits_end = 1
        while digits_end < min(len(line), 5) and line[digits_end] in _HEX:
            digits_end += 1
        digits = line[1:digits_end]
        rest = line[digits_end:]
        if digits:
            error = int(digits, 16) ^ crc_original
            crc = f"{crc_masked ^ error:0{len(digits)}X}"
            if digits.islower():
                crc = crc.lower()
            digits = crc.encode()
        # a next telegram glued to this one's CRC line
        return b"!" + digits + (self._masked_line(rest) if b"/" in rest else rest)
