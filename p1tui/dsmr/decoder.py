"""One link's byte path, sans I/O: bytes in, decoded telegrams out.

A :class:`Decoder` owns everything a stream needs between the source and the consumers:
an optional :class:`ByteStage` in front (the decryptor of an encrypted meter), the
:class:`~p1tui.dsmr.framer.Framer`, and the :class:`~p1tui.dsmr.parser.Parser` with its
caches. Make one per link (per input file); decoders share nothing, so several links can
be decoded in several threads at once. One decoder is fed by one thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from .errors import DSMRError
from .framer import MAX_FRAME_BYTES, CrcStatus, Frame, Framer, FramerStats
from .model import Telegram
from .parser import Parser


class ByteStage(Protocol):
    """A step in front of the framer that turns received bytes into plaintext telegram bytes.

    ``feed`` takes whatever a read returned and gives back the plaintext it completed
    (``b""`` while it waits for more); ``close`` ends the stream (or a broken link): it
    gives back what can still be, and drops (and counts) a frame cut short, so bytes from
    after a reconnect never complete it. It may expose its counters as ``stats``;
    :attr:`Decoder.stats` passes them on.
    """

    def feed(self, data: bytes) -> bytes: ...

    def close(self) -> bytes: ...


class Decoded(NamedTuple):
    """One telegram as framed, and as parsed (None when it could not be, or was not
    because its CRC failed and the decoder does not parse such frames)."""

    frame: Frame
    telegram: Telegram | None


_new_decoded = tuple.__new__  # what Decoded(...) does, without its Python-level __new__


@dataclass(frozen=True, slots=True)
class DecoderStats:
    """The decoder's counters: live objects, updated as bytes are fed."""

    framer: FramerStats
    decryption: Any | None = None
    """The byte stage's ``stats``, when there is a stage and it has any."""


class Decoder:
    """Frames and parses one link's stream, behind an optional decryptor."""

    __slots__ = ("_framer", "_parser", "decryptor", "parse_invalid")

    def __init__(
        self,
        decryptor: ByteStage | None = None,
        *,
        parse_invalid: bool = True,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        self.decryptor = decryptor
        self.parse_invalid = parse_invalid
        """Whether a frame whose CRC failed is parsed too (a monitor shows it; a program
        that drops such frames saves the work)."""
        self._framer = Framer(max_frame_bytes)
        self._parser = Parser()

    @property
    def stats(self) -> DecoderStats:
        """Framer counters, and the decryptor's when there is one."""
        return DecoderStats(self._framer.stats, getattr(self.decryptor, "stats", None))

    @property
    def buffered(self) -> int:
        """Plaintext bytes held while waiting for the rest of a telegram."""
        return self._framer.buffered

    def feed(self, data: bytes) -> list[Decoded]:
        """Add received bytes; return the telegrams they completed (valid or not)."""
        if self.decryptor is not None:
            data = self.decryptor.feed(data)
            if not data:
                return []
        return self._decode(self._framer.feed(data))

    def flush(self) -> list[Decoded]:
        """The line went quiet: finish a telegram whose end line is whole but unterminated."""
        return self._decode(self._framer.flush())

    def close(self) -> list[Decoded]:
        """End of stream (or a broken link): finish what can be, drop the rest as truncated.

        The decoder can be fed again afterwards: a reconnect starts on a clean slate, and
        the parser keeps what it learned about this meter's lines.
        """
        frames = [] if self.decryptor is None else self._framer.feed(self.decryptor.close())
        return self._decode(frames + self._framer.close())

    def _decode(self, frames: list[Frame]) -> list[Decoded]:
        if not frames:
            return []
        parse = self._parser.parse
        skip_failed = not self.parse_invalid
        decoded = []
        for frame in frames:
            if skip_failed and frame.crc_status is CrcStatus.FAILED:
                decoded.append(_new_decoded(Decoded, (frame, None)))
                continue
            try:
                telegram: Telegram | None = parse(frame)
            except DSMRError:  # only a failed frame can be this broken; it is counted
                telegram = None
            decoded.append(_new_decoded(Decoded, (frame, telegram)))
        return decoded
