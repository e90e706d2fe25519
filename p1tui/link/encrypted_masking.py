"""Mask equipment IDs in the stream of a meter that encrypts its telegrams.

``record --mask-ids`` with the meter's key: each frame is decrypted, its telegram's IDs
masked and its CRC recomputed (:mod:`p1tui.link.masking`), and the frame encrypted again
with its own system title, frame counter, security byte and length form, so a replay
with the key reads it as the meter sent it. A frame that does not decrypt is kept as it
came (its content is unreadable without the key); bytes outside frames are masked as a
plaintext stream.
"""

from __future__ import annotations

from ..dsmr.decryptor import Decryptor, Piece, encrypt_frame
from ..dsmr.dlms import MeterKeys
from .masking import IdMasker

_LENGTH_AT = 10
"""Offset of the frame's length byte (after DB 08 and the system title)."""


def mask_telegram(telegram: bytes) -> bytes:
    """One whole telegram with its IDs masked and its CRC recomputed."""
    masker = IdMasker()
    return masker.feed(telegram) + masker.close()


class EncryptedIdMasker:
    """Feed raw bytes in, get the masked bytes out, in the same order and framing."""

    def __init__(self, keys: MeterKeys) -> None:
        self._keys = keys
        self._decryptor = Decryptor(keys)
        self._outside = IdMasker()

    def feed(self, data: bytes) -> bytes:
        """Masked bytes for the frames and lines ``data`` completed."""
        return self._masked(self._decryptor.feed_pieces(data))

    def close(self) -> bytes:
        """The end of the stream: the rest, as it is."""
        return self._masked(self._decryptor.close_pieces()) + self._outside.close()

    def _masked(self, pieces: list[Piece]) -> bytes:
        out = bytearray()
        for piece in pieces:
            if piece.envelope is None and piece.plaintext:
                out += self._outside.feed(piece.raw)
                continue
            out += self._outside.close()  # what came before the frame goes first
            envelope = piece.envelope
            if envelope is None:
                out += piece.raw  # did not decrypt: nothing readable to mask
                continue
            form = piece.raw[_LENGTH_AT]
            out += encrypt_frame(
                mask_telegram(piece.plaintext),
                self._keys,
                envelope.system_title,
                envelope.frame_counter,
                security=envelope.security,
                length_form=form if form >= 0x80 else 1,
            )
        return bytes(out)
