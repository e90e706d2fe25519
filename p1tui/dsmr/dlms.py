"""Encrypted P1 frames (DLMS general-glo-ciphering, AES-128-GCM), sans I/O.

Luxembourg's Smarty meters and the Sagemcom T210-D at Austrian grid operators send
each telegram wrapped in a binary frame::

    DB 08 <system title, 8> <length> <security, 1> <frame counter, 4> <ciphertext> [<tag, 12>]

The length counts everything after it and comes in three forms: one byte below 0x80,
``81 xx`` or ``82 xx xx``. The IV is the system title followed by the frame counter;
with security ``0x30`` the 12-byte GCM tag covers ``0x30`` + the authentication key (the
fixed :data:`LUXEMBOURG_AUTH_KEY` in Luxembourg, a per-meter key in Austria). Security
``0x20``/``0x21`` encrypts without a tag: a wrong key then shows as a plaintext that is
not a telegram, and the telegram's own CRC guards the rest.

:class:`~p1tui.dsmr.decryptor.Decryptor` sits in front of the
:class:`~p1tui.dsmr.Framer` (the ``ByteStage`` of the decoder): bytes in, plaintext
telegrams out. Bytes outside frames pass through unchanged (a meter whose grid operator
switched encryption off still reads), frames whose tag does not verify are dropped and
counted, never handed on. This module is the format and needs no cryptography;
:mod:`p1tui.dsmr.decryptor` does the AES.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from .errors import DSMRError
from .framer import MAX_FRAME_BYTES

if TYPE_CHECKING:
    from .decryptor import Decryptor

GLO_CIPHERING = 0xDB
"""The DLMS general-glo-ciphering tag: the first byte of every frame."""
TITLE_LENGTH = 8
HEADER_START = bytes((GLO_CIPHERING, TITLE_LENGTH))
TAG_LENGTH = 12
COUNTER_LENGTH = 4
AUTHENTICATED = 0x10
"""Security-control bit: the frame carries a GCM tag."""
SECURITY_BYTES = frozenset((0x20, 0x21, 0x30, 0x31))
"""Encrypted (0x20) or encrypted and authenticated (0x30), security suite 0 or 1: AES-128-GCM."""
LUXEMBOURG_AUTH_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
"""The authentication key every Smarty uses (Luxmetering P1 specification, section 3.2)."""
KEY_BYTES = 16


class KeyFormatError(DSMRError, ValueError):
    """A key that is not 32 hexadecimal digits. The message never repeats the key."""


def parse_key(text: str, what: str = "key") -> bytes:
    """A 16-byte AES key from 32 hex digits; spaces, colons and dashes between them are allowed.

    Grid operators hand keys out in several spellings (``AAAA BBBB ...``, ``aa:bb:...``).
    """
    digits = "".join(text.split()).replace(":", "").replace("-", "")
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        raise KeyFormatError(
            f"the {what} holds characters other than hexadecimal digits (0-9, A-F)"
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyFormatError(
            f"the {what} must be {2 * KEY_BYTES} hexadecimal digits (16 bytes); "
            f"this one has {len(digits)}"
        )
    return key


@dataclass(frozen=True, slots=True)
class MeterKeys:
    """The keys of one meter. Their repr shows no key: it may end up in a log."""

    encryption: bytes = field(repr=False)
    authentication: bytes = field(default=LUXEMBOURG_AUTH_KEY, repr=False)
    """Luxembourg's fixed key unless the grid operator gave one (Austria)."""


class Envelope(NamedTuple):
    """What a frame said about itself, shown next to the telegram it carried."""

    system_title: bytes
    frame_counter: int
    security: int
    counter_increased: bool = True
    """False when the counter is not above the previous frame's (a replayed or repeated frame)."""

    @property
    def title(self) -> str:
        """The system title as people read it: ``SYSTEMID``, ``SAG 1030790002`` or hex.

        By DLMS convention it is the manufacturer's three letters and five bytes of serial.
        """
        title = self.system_title
        if title.isascii() and title.decode("ascii").isprintable():
            return title.decode("ascii")
        if title[:3].isalpha():
            return f"{title[:3].decode('ascii')} {title[3:].hex().upper()}"
        return title.hex().upper()

    @property
    def counter_words(self) -> str:
        """``frame counter 268435457``, flagged when it did not increase."""
        flag = "" if self.counter_increased else " (not increasing!)"
        return f"frame counter {self.frame_counter}{flag}"

    def describe(self) -> str:
        """``system title SYSTEMID, frame counter 268435457, security 0x30``."""
        return f"system title {self.title}, {self.counter_words}, security 0x{self.security:02X}"


@dataclass(slots=True)
class DecryptorStats:
    """Counters since the decryptor was made."""

    frames_decrypted: int = 0
    key_mismatches: int = 0
    """Frames that do not decrypt with the encryption key (a wrong key, or corrupted)."""
    auth_failures: int = 0
    """Frames the encryption key fits but whose tag fails: a wrong authentication key, or
    bytes changed on the way."""
    frames_truncated: int = 0
    """Frames cut short by the start of the next one."""
    downgrades: int = 0
    """Frames without a tag from a meter that sent tagged ones: refused (see the Decryptor)."""
    counter_not_increasing: int = 0
    bytes_rejected: int = 0
    """Bytes of frames that were dropped."""

    @property
    def frames_failed(self) -> int:
        """Frames dropped for any reason: none of them reached the framer."""
        return self.key_mismatches + self.auth_failures + self.frames_truncated + self.downgrades


class Header(NamedTuple):
    """A frame header that passed the checks."""

    system_title: bytes
    security: int
    header_length: int
    """Bytes before the frame counter: DB 08, title, length, security."""
    total: int
    """The whole frame's length."""


def header_at(buf: bytes | bytearray, at: int = 0) -> Header | Literal[False] | None:
    """The frame header at ``buf[at]``; None while it is incomplete, False if none starts there.

    The checks (known length form, known security byte, a length that holds the counter,
    the tag and some ciphertext, a frame below the framer's size cap) keep a chance
    ``DB 08`` in junk from swallowing the bytes after it.
    """
    n = len(buf) - at
    if n < 2:
        return None if n == 0 or buf[at] == GLO_CIPHERING else False
    if buf[at] != GLO_CIPHERING or buf[at + 1] != TITLE_LENGTH:
        return False
    if n < 11:
        return None
    form = buf[at + 10]
    if form < 0x80:
        extra, length = 0, form
    elif form in (0x81, 0x82):
        extra = form - 0x80
        length = int.from_bytes(buf[at + 11 : at + 11 + extra], "big")
    else:
        return False
    security_at = 11 + extra
    if n <= security_at:
        return None
    security = buf[at + security_at]
    if security not in SECURITY_BYTES:
        return False
    overhead = 1 + COUNTER_LENGTH + (TAG_LENGTH if security & AUTHENTICATED else 0)
    total = security_at + length
    if length <= overhead or total > MAX_FRAME_BYTES:
        return False
    return Header(bytes(buf[at + 2 : at + 10]), security, security_at + 1, total)


def encode_length(length: int, form: int | None = None) -> bytes:
    """The length as a frame spells it: ``form`` 1 (one byte), 0x81 or 0x82; None: shortest."""
    if form is None:
        form = 1 if length < 0x80 else 0x81 if length < 0x100 else 0x82
    if form == 1:
        if length >= 0x80:
            raise ValueError(f"a length of {length} needs the 81 or 82 form")
        return bytes((length,))
    if form not in (0x81, 0x82):
        raise ValueError(f"no such length form: {form:#x}")
    return bytes((form,)) + length.to_bytes(form - 0x80, "big")


def holds_encrypted_frames(sample: bytes | bytearray) -> bool:
    """Whether ``sample`` (bytes that held no telegram) carries a general-glo-ciphering frame."""
    at = sample.find(HEADER_START)
    while at >= 0:
        if isinstance(header_at(sample, at), Header):
            return True
        at = sample.find(HEADER_START, at + 1)
    return False


def decryptor_for(keys: MeterKeys | None) -> Decryptor | None:
    """The decoder's byte stage for a meter's keys, None for a meter that does not encrypt.

    Here, not in :mod:`p1tui.dsmr.decryptor`, so that ``cryptography`` is imported only
    when there is a key.
    """
    if keys is None:
        return None
    from .decryptor import Decryptor  # noqa: PLC0415

    return Decryptor(keys)
