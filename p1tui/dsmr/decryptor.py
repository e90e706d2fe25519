"""Decrypt (and, for the built-in meter, encrypt) P1 frames with AES-128-GCM, sans I/O.

The frame format is :mod:`p1tui.dsmr.dlms`; this module holds what needs the
``cryptography`` package, so that reading a meter that does not encrypt never loads it.
"""

from __future__ import annotations

from collections import deque

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


class Decryptor:
    """Streaming decryption of general-glo-ciphering frames (the rules: :mod:`p1tui.dsmr.dlms`).

    ``feed`` takes bytes as they arrive, in any chunking, and returns the bytes for the
    framer: decrypted telegrams, and whatever lay outside frames. :meth:`take_envelopes`
    gives the envelope of each frame decrypted since the last call, in order (one per
    telegram handed on).
    """

    def __init__(self, keys: MeterKeys) -> None:
        self._keys = keys
        self.stats = DecryptorStats()
        self._buf = bytearray()
        self._last: tuple[bytes, int] | None = None
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
        buf = self._buf
        buf += data
        out = bytearray()
        while buf:
            start = buf.find(HEADER_START)
            if start < 0:
                keep = 1 if buf[-1] == GLO_CIPHERING else 0
                out += buf[: len(buf) - keep]
                del buf[: len(buf) - keep]
                break
            if start:
                out += buf[:start]
                del buf[:start]
            header = header_at(buf)
            if header is None:
                break  # the header is not complete yet
            if not isinstance(header, Header):
                out += buf[:1]
                del buf[:1]
                continue
            if len(buf) < header.total:
                break
            out += self._open(header)
        return bytes(out)

    def close(self) -> bytes:
        """End of stream: what is left of a frame is truncated; a frame inside it is still read."""
        out = bytearray()
        while self._buf.startswith(HEADER_START) and header_at(self._buf) is not False:
            total = len(self._buf)
            header = header_at(self._buf)
            if isinstance(header, Header):
                total = min(total, header.total)
            self._drop(self._inner_frame(total), truncated=True)
            out += self.feed(b"")
        rest = bytes(self._buf)
        self._buf.clear()
        return bytes(out) + rest

    def _open(self, header: Header) -> bytes:
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
        self._envelopes.append(Envelope(header.system_title, number, header.security, increased))
        return plaintext

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

    def _reject(self, header: Header, iv: bytes, body: bytes) -> bytes:
        """Drop a frame that did not decrypt; resume at a frame that starts inside it."""
        resume = self._inner_frame(header.total)
        if resume < header.total:
            self._drop(resume, truncated=True)
            return b""
        if header.security & AUTHENTICATED and _looks_like_telegram(
            _keystream(self._keys.encryption, iv, body[:-TAG_LENGTH])
        ):
            self.stats.auth_failures += 1
        else:
            self.stats.key_mismatches += 1
        self._drop(resume)
        return b""

    def _inner_frame(self, end: int) -> int:
        """Where the next plausible frame starts inside ``buf[1:end]``, else ``end``."""
        buf = self._buf
        at = buf.find(HEADER_START, 1, end)
        while at > 0:
            if header_at(buf, at) is not False:
                return at
            at = buf.find(HEADER_START, at + 1, end)
        return end

    def _drop(self, count: int, *, truncated: bool = False) -> None:
        if truncated:
            self.stats.frames_truncated += 1
        self.stats.bytes_rejected += count
        del self._buf[:count]


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
