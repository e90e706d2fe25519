"""Decrypt (and, for the built-in meter, encrypt) P1 frames with AES-128-GCM, sans I/O.

The frame format is :mod:`p1tui.dsmr.dlms`; this module holds what needs the
``cryptography`` package, so that reading a meter that does not encrypt never loads it.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .dlms import (
    AUTHENTICATED,
    COUNTER_LENGTH,
    GLO_CIPHERING,
    HEADER_START,
    SECURITY_BYTES,
    TAG_LENGTH,
    TITLE_LENGTH,
    DecryptorStats,
    Envelope,
    Header,
    MeterKeys,
    encode_length,
    header_at,
)

ENVELOPES_KEPT = 64
"""Envelopes kept for a consumer that does not take them (the oldest go first)."""


def _iv(system_title: bytes, frame_counter: bytes) -> bytes:
    return system_title + frame_counter


def _keystream(key: bytes, iv: bytes, data: bytes) -> bytes:
    """``data`` XOR GCM's keystream, with no tag: AES-CTR from counter block 2 (IV || 00000002).

    Both ways: it encrypts and decrypts security 0x20 frames, and shows whether the
    encryption key fits a 0x30 frame whose tag failed.
    """
    cipher = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).encryptor()
    return cipher.update(data) + cipher.finalize()


def _looks_like_telegram(plaintext: bytes) -> bool:
    return plaintext[:1] == b"/" and plaintext.isascii()


class Piece(NamedTuple):
    """A stretch of the received stream: a frame, or bytes outside frames."""

    raw: bytes
    """The bytes as received."""
    plaintext: bytes
    """What goes on to the framer: the telegram a frame carried, the bytes outside frames
    as they are, nothing for a frame that was rejected."""
    envelope: Envelope | None = None
    """The frame's envelope when it decrypted."""


class Decryptor:
    """Streaming decryption of general-glo-ciphering frames (the rules: :mod:`p1tui.dsmr.dlms`).

    ``feed`` takes bytes as they arrive, in any chunking, and returns the bytes for the
    framer: decrypted telegrams, and whatever lay outside frames. :meth:`take_envelopes`
    gives the envelope of each frame decrypted since the last call, in order (one per
    telegram handed on). :meth:`feed_pieces` gives the same stream cut into frames, for
    a consumer that rewrites frames (``record --mask-ids``).
    """

    def __init__(self, keys: MeterKeys) -> None:
        self._keys = keys
        self.stats = DecryptorStats()
        self._buf = bytearray()
        self._last: tuple[bytes, int] | None = None
        self._authenticated = False
        """A frame with a tag decrypted: from then on a frame without one is refused."""
        self._envelopes: deque[Envelope] = deque(maxlen=ENVELOPES_KEPT)

    def __repr__(self) -> str:
        return f"Decryptor({self.stats})"

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    def take_envelopes(self) -> list[Envelope]:
        """The envelopes of the frames decrypted since the last call (at most 64 kept)."""
        envelopes = list(self._envelopes)
        self._envelopes.clear()
        return envelopes

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Add received bytes; return the plaintext (and the bytes outside frames) they complete."""
        pieces = self.feed_pieces(data)
        if len(pieces) == 1:
            return pieces[0].plaintext
        return b"".join(piece.plaintext for piece in pieces)

    def close(self) -> bytes:
        """End of stream: what is left of a frame is truncated; a frame inside it is still read."""
        return b"".join(piece.plaintext for piece in self.close_pieces())

    def feed_pieces(self, data: bytes | bytearray | memoryview) -> list[Piece]:
        """Like :meth:`feed`, as the frames and the stretches between them."""
        buf = self._buf
        buf += data
        pieces: list[Piece] = []
        while buf:
            start = buf.find(HEADER_START)
            if start < 0:
                keep = 1 if buf[-1] == GLO_CIPHERING else 0
                self._outside(len(buf) - keep, pieces)
                break
            self._outside(start, pieces)
            header = header_at(buf)
            if header is None:
                break  # the header is not complete yet
            if not isinstance(header, Header):
                self._outside(1, pieces)
                continue
            if len(buf) < header.total:
                break
            pieces.append(self._open(header))
        return pieces

    def close_pieces(self) -> list[Piece]:
        """Like :meth:`close`, as pieces."""
        pieces: list[Piece] = []
        while self._buf.startswith(HEADER_START) and header_at(self._buf) is not False:
            total = len(self._buf)
            header = header_at(self._buf)
            if isinstance(header, Header):
                total = min(total, header.total)
            pieces.append(self._drop(self._inner_frame(total), truncated=True))
            pieces += self.feed_pieces(b"")
        self._outside(len(self._buf), pieces)
        return pieces

    def _outside(self, count: int, pieces: list[Piece]) -> None:
        if count:
            raw = bytes(self._buf[:count])
            del self._buf[:count]
            pieces.append(Piece(raw, raw))

    def _open(self, header: Header) -> Piece:
        """Decrypt the complete frame at the start of the buffer and remove it."""
        buf = self._buf
        frame = bytes(buf[: header.total])
        counter = frame[header.header_length : header.header_length + COUNTER_LENGTH]
        iv = _iv(header.system_title, counter)
        body = frame[header.header_length + COUNTER_LENGTH :]
        key = self._keys.encryption
        if header.security & AUTHENTICATED:
            plaintext = self._verified(key, iv, body, header.security)
            if plaintext is None:
                return self._reject(header, iv, body)
            self._authenticated = True
        elif self._authenticated:
            # Without a tag the ciphertext is malleable: a frame re-labelled 0x20 could
            # carry changed values (with a fixed-up CRC). A meter that authenticates does
            # not stop doing so, so its unauthenticated frames are refused.
            self.stats.downgrades += 1
            return self._drop(header.total)
        else:
            plaintext = _keystream(key, iv, body)
            if not _looks_like_telegram(plaintext):
                return self._reject(header, iv, body)
        del buf[: header.total]
        self.stats.frames_decrypted += 1
        number = int.from_bytes(counter, "big")
        last = self._last
        increased = last is None or last[0] != header.system_title or number > last[1]
        if not increased:
            self.stats.counter_not_increasing += 1
        self._last = (header.system_title, number)
        envelope = Envelope(header.system_title, number, header.security, increased)
        self._envelopes.append(envelope)
        return Piece(frame, plaintext, envelope)

    def _verified(self, key: bytes, iv: bytes, body: bytes, security: int) -> bytes | None:
        ciphertext, tag = body[:-TAG_LENGTH], body[-TAG_LENGTH:]
        decryptor = Cipher(
            algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
        ).decryptor()
        decryptor.authenticate_additional_data(bytes((security,)) + self._keys.authentication)
        try:
            return decryptor.update(ciphertext) + decryptor.finalize()
        except InvalidTag:
            return None

    def _reject(self, header: Header, iv: bytes, body: bytes) -> Piece:
        """Drop a frame that did not decrypt; resume at a frame that starts inside it."""
        resume = self._inner_frame(header.total)
        if resume < header.total:
            return self._drop(resume, truncated=True)
        if header.security & AUTHENTICATED and _looks_like_telegram(
            _keystream(self._keys.encryption, iv, body[:-TAG_LENGTH])
        ):
            self.stats.auth_failures += 1
        else:
            self.stats.key_mismatches += 1
        return self._drop(resume)

    def _inner_frame(self, end: int) -> int:
        """Where the next plausible frame starts inside ``buf[1:end]``, else ``end``."""
        buf = self._buf
        at = buf.find(HEADER_START, 1, end)
        while at > 0:
            if header_at(buf, at) is not False:
                return at
            at = buf.find(HEADER_START, at + 1, end)
        return end

    def _drop(self, count: int, *, truncated: bool = False) -> Piece:
        if truncated:
            self.stats.frames_truncated += 1
        self.stats.bytes_rejected += count
        raw = bytes(self._buf[:count])
        del self._buf[:count]
        return Piece(raw, b"")


def encrypt_frame(
    plaintext: bytes,
    keys: MeterKeys,
    system_title: bytes,
    frame_counter: int,
    *,
    security: int = 0x30,
    length_form: int | None = None,
) -> bytes:
    """One frame as a meter sends it (for the built-in meter, tests and ``record --mask-ids``)."""
    if len(system_title) != TITLE_LENGTH:
        raise ValueError("the system title is 8 bytes")
    if security not in SECURITY_BYTES:
        raise ValueError(f"unsupported security byte 0x{security:02X}")
    counter = frame_counter.to_bytes(COUNTER_LENGTH, "big")
    iv = _iv(system_title, counter)
    if security & AUTHENTICATED:
        encryptor = Cipher(algorithms.AES(keys.encryption), modes.GCM(iv)).encryptor()
        encryptor.authenticate_additional_data(bytes((security,)) + keys.authentication)
        body = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag[:TAG_LENGTH]
    else:
        body = _keystream(keys.encryption, iv, plaintext)
    length = 1 + COUNTER_LENGTH + len(body)
    return (
        HEADER_START
        + system_title
        + encode_length(length, length_form)
        + bytes((security,))
        + counter
        + body
    )
