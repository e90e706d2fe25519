"""Mask equipment IDs in a raw P1 stream, keeping every CRC as valid as it was.

For sharing a recording in a bug report: the meter's and the M-Bus devices' serial
numbers are replaced by ``X`` characters of the same length (hex-encoded when the meter
sent them hex-encoded), every other byte is kept, and each telegram's CRC is
recomputed. A telegram whose CRC was wrong stays wrong by the same amount, so a
replay of the masked file shows the same verdicts as the original.

The serial number also hides elsewhere: in the identification header
(Kamstrup ``/KMP5 ZABF001551772711``, Landis+Gyr ``/XMX5LGF0010456467577``), and an ID
may be repeated in another line. So a telegram is held until its ``!CRC`` line, when all
of its IDs are known: a run of digits in the header that shares six or more digits with
an ID is masked whole, and the whole ID (as text or hex-encoded) is masked wherever else
it appears. IDs are remembered from earlier telegrams too, so a telegram cut short (and
passed on without waiting for an end that never comes) is masked as well.

Line-based, so it works on a live stream fed in arbitrary chunks, with memory bounded
like the framer's.
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
_DIGITS = re.compile(rb"[0-9]+")
MAX_LINE = 8192
"""A 'line' longer than this is junk: passed on as it is, and ends any telegram."""
SHARED_DIGITS = 6
"""Digits a header's number must share with an ID to be taken for the serial number
(fewer would catch model numbers such as the ``550`` of ``/ISK5\\2M550T``)."""
MIN_ID = 8
"""An ID shorter than this is not searched for in other lines (it would hit readings)."""
REMEMBERED_IDS = 16


def mask_value(value: bytes) -> bytes:
    """The same length of ``X``; hex-encoded when the value was; zeros and blanks kept."""
    if not value.strip(b"0 "):
        return value  # no ID (empty or all zeros): nothing to hide
    if len(value) % 2 == 0 and _HEX.issuperset(value):
        return b"58" * (len(value) // 2)  # hex of "X"
    return b"X" * len(value)


def _as_text(value: bytes) -> bytes:
    """The ID as the meter means it: hex-decoded when it is hex-encoded printable text."""
    if len(value) % 2 == 0 and _HEX.issuperset(value):
        decoded = bytes.fromhex(value.decode("ascii"))
        if decoded.isascii() and decoded.decode("ascii").isprintable():
            return decoded
    return value


def _shares_digits(run: bytes, ids: set[bytes]) -> bool:
    """Whether ``run`` has SHARED_DIGITS consecutive digits in common with an ID."""
    return any(
        run[i : i + SHARED_DIGITS] in known
        for known in ids
        for i in range(len(run) - SHARED_DIGITS + 1)
    )


def mask_header(header: bytes, ids: set[bytes]) -> bytes:
    """The header with every run of digits that carries part of an ID replaced by ``X``."""
    return _DIGITS.sub(
        lambda run: b"X" * len(run[0]) if _shares_digits(run[0], ids) else run[0], header
    )


def mask_repeats(line: bytes, ids: set[bytes]) -> bytes:
    """The line with each whole ID, as text or hex-encoded, replaced by ``X``."""
    for known in ids:
        if len(known) >= MIN_ID:
            line = line.replace(known, b"X" * len(known))
            line = line.replace(known.hex().upper().encode(), b"58" * len(known))
            line = line.replace(known.hex().encode(), b"58" * len(known))
    return line


class IdMasker:
    """Feed raw bytes in, get the masked bytes out (in the same order).

    A telegram comes out whole when its ``!CRC`` line has arrived; junk between
    telegrams comes out at once.
    """

    def __init__(self) -> None:
        self._line = bytearray()
        self._telegram: list[bytes] | None = None
        """The lines of the current telegram so far, from its header on, as received."""
        self._size = 0
        self._ids: dict[bytes, None] = {}
        """IDs seen in this stream, most recent last (bounded)."""

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
            out += self._abandon() + line
            line.clear()
        return bytes(out)

    def close(self) -> bytes:
        """The end of the stream: the last line, even without its line ending."""
        rest, self._line = bytes(self._line), bytearray()
        return (self._masked_line(rest) if rest else b"") + self._abandon()

    def _masked_line(self, line: bytes) -> bytes:
        if self._telegram is None or line.startswith(b"/"):
            start = line.find(b"/")
            if start < 0:
                return line  # junk between telegrams
            out = self._abandon() + line[:start]
            self._telegram, self._size = [], 0
            return out + self._telegram_line(line[start:])
        return self._telegram_line(line)

    def _telegram_line(self, line: bytes) -> bytes:
        """A line inside a telegram, from its header to its ``!CRC`` line."""
        assert self._telegram is not None
        if not line.startswith(b"!"):
            self._telegram.append(line)
            self._size += len(line)
            # no end in sight: the framer drops it too
            return self._abandon() if self._size > MAX_FRAME_BYTES else b""
        original, masked = self._finish()
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
        return masked + b"!" + digits + (self._masked_line(rest) if b"/" in rest else rest)

    def _abandon(self) -> bytes:
        """Pass on a telegram that will have no end line, masked with the IDs known."""
        return self._finish()[1] if self._telegram is not None else b""

    def _finish(self) -> tuple[bytes, bytes]:
        """The current telegram as received and masked; the masker is then between telegrams."""
        lines, self._telegram = self._telegram or [], None
        masked = [b""] * len(lines)
        for i, line in enumerate(lines):
            match = ID_LINE.match(line)
            if match:
                masked[i] = match["head"] + mask_value(match["value"]) + match["tail"]
                self._remember(_as_text(match["value"].strip()))
        ids = set(self._ids)
        for i, line in enumerate(lines):
            if not masked[i]:
                masked[i] = mask_header(line, ids) if i == 0 else mask_repeats(line, ids)
        return b"".join(lines), b"".join(masked)

    def _remember(self, value: bytes) -> None:
        if value.strip(b"0 "):
            self._ids.pop(value, None)
            self._ids[value] = None
            if len(self._ids) > REMEMBERED_IDS:
                del self._ids[next(iter(self._ids))]
