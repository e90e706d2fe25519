"""Explain a link that does not deliver telegrams, in plain words, sans I/O.

Wrong serial settings leave fingerprints in the bytes that do arrive:

* 7E1 data read as 8N1 (same speed): the parity bit lands in bit 7, so about half the
  bytes have it set, the low seven bits are the telegram's text, and bit 7 is always
  their even parity bit. Only DSMR settings (7E1 or 8N1, 9600 or 115200) are suggested.
* Data at a lower speed read at a higher one (9600 read at 115200): every slow bit spans
  many fast ones, so the receiver sees a zero start bit followed by runs of equal bits:
  bytes of the form ``0xFF << k`` (0x00, 0x80, 0xC0 ... 0xFE, 0xFF).
* Data at a higher speed read at a lower one: samples of a much faster signal, bytes
  with no pattern and little printable text.
* A line held low (an uninverted signal on a TTL adapter, a wrong pin): only NUL bytes.
* Encrypted frames (Luxembourg, Austria): binary, but with the ``DB 08`` frame header
  intact, which only the right serial settings give. Then the key is what is missing.

:class:`LinkWatch` follows one link's bytes and frames and says when to report what.
"""

from __future__ import annotations

from collections import deque

from ..dsmr.dlms import DecryptorStats, holds_encrypted_frames
from .events import Diagnosis
from .settings import SerialSettings

NO_DATA_AFTER = 12.0
"""Seconds of silence before "no data at all": longer than the 10 s period of old meters."""
JUNK_BEFORE_DIAGNOSIS = 2048
"""Bytes without a telegram before the bytes are judged (two telegrams' worth)."""
JUNK_MIN_SECONDS = 2.0
JUNK_MIN_BYTES = 64
"""Fewer bytes than this in a quiet spell are too few to judge."""
SAMPLE_BYTES = 4096
EVEN_PARITY_SHARE = 0.9
"""Bit 7 must be the even parity bit of this share of the bytes to be called 7E1 data.

Meters send 7E1 or 8N1 only: text with high bits set in another pattern (odd parity,
every other byte) is not called a serial setting no meter uses."""
CRC_WINDOW = 10
CRC_FAILURES_TO_REPORT = 3

_STEPS = frozenset((0xFF << k) & 0xFF for k in range(9))
_TEXT = frozenset(range(32, 127)) | {9, 10, 13}
_LOW7 = bytes(b & 0x7F for b in range(256))

NO_DATA = Diagnosis(
    "no data at all: the port is open but nothing arrives.",
    "Check the cable and that it is in the meter's P1 port; the data request line "
    "(RTS / pin 2) must be held high (5 V); a TTL adapter needs the signal inverted.",
)
NO_DATA_NETWORK = Diagnosis(
    "no data at all: connected, but nothing arrives.",
    "Check that the dongle or ser2net is wired to the meter's P1 port and that the "
    "port number is the raw P1 stream (P1 dongles: 23 or 8088).",
)


ENCRYPTED_NO_KEY = Diagnosis(
    "this meter encrypts its telegrams: ask your grid operator for the key, then give it to p1tui.",
    'Put it in the config file as [meter] key = "32 hex digits" (or in the environment as '
    "P1TUI_KEY); an Austrian meter also needs its authentication key ([meter] auth_key).",
)
KEY_MISMATCH = Diagnosis(
    "the key does not match this meter: its encrypted telegrams do not decrypt with it.",
    "Check the key with your grid operator: it is this meter's encryption key, 32 hex "
    "digits (a replaced meter comes with a new key).",
)
AUTH_KEY_MISMATCH = Diagnosis(
    "the authentication key does not match this meter: its telegrams decrypt, but their "
    "authentication tag fails.",
    "An Austrian meter needs the authentication key from the grid operator's portal as "
    "[meter] auth_key (or P1TUI_AUTH_KEY); a Luxembourg meter needs none: leave it out.",
)


def decryption_failures(stats: DecryptorStats) -> Diagnosis:
    """Encrypted frames arrive but none decrypts: which key is wrong."""
    if stats.auth_failures > stats.key_mismatches:
        return AUTH_KEY_MISMATCH
    return KEY_MISMATCH


def even_parity_bit(byte: int) -> int:
    """The bit that makes the number of ones in a 7-bit character even."""
    return (byte & 0x7F).bit_count() & 1


def explain_bytes(sample: bytes, settings: SerialSettings | None = None) -> Diagnosis:
    """Why ``sample`` (bytes that held no valid telegram) is not a telegram stream."""
    if holds_encrypted_frames(sample):
        return ENCRYPTED_NO_KEY
    here = _current(settings)
    n = len(sample) or 1
    text = sum(b in _TEXT for b in sample) / n
    high = sum(b >= 0x80 for b in sample) / n
    low7 = sample.translate(_LOW7)
    if (
        0.2 <= high <= 0.8
        and sum(b in _TEXT for b in low7) / n > 0.95
        and sum((b >> 7) == even_parity_bit(b) for b in sample) / n >= EVEN_PARITY_SHARE
    ):
        baud = settings.baudrate if settings else 9600
        preset = " (the DSMR 2.2/3.0 preset)" if baud == 9600 else ""
        return Diagnosis(
            f"bytes arrive but no telegram: this looks like {baud} 7E1 data read at {here}.",
            f"Set 7 data bits and even parity: {baud} 7E1{preset}.",
        )
    if sample.count(0) / n > 0.9:
        return Diagnosis(
            "bytes arrive but they are all zero: the line is held low.",
            "The P1 signal is inverted: a TTL (3.3 V/5 V) adapter needs an inverter or its "
            "'invert RX' option; also check the wiring.",
        )
    if sum(b in _STEPS for b in sample) / n > 0.8 and text < 0.5:
        slower = (
            "9600 7E1 data (DSMR 2.2/3.0)"
            if not settings or settings.baudrate > 9600
            else ("data slower than 9600 baud")
        )
        return Diagnosis(
            f"bytes arrive but no telegram: this looks like {slower} read at {here}.",
            "Try 9600 7E1 (the DSMR 2.2/3.0 preset), or run `p1tui detect`.",
        )
    if text > 0.95:
        return Diagnosis(
            "text arrives but it holds no DSMR telegram.",
            "Is this the meter's P1 port? A network dongle may use another port number "
            "for the raw stream (23 or 8088).",
        )
    faster = "115200 8N1 (DSMR 4/5)" if settings and settings.baudrate < 115200 else None
    return Diagnosis(
        f"bytes arrive but they are garbage at {here}: the speed is probably wrong "
        "or the signal is not inverted.",
        f"Try {faster}, or run `p1tui detect`."
        if faster
        else "Try 9600 7E1 (DSMR 2.2/3.0), or run `p1tui detect`; a TTL adapter needs the "
        "signal inverted.",
    )


def _current(settings: SerialSettings | None) -> str:
    if settings is None:
        return "the current settings"
    return settings.line


def crc_failures(failed: int, of: int) -> Diagnosis:
    """Telegrams arrive but too many fail their CRC."""
    return Diagnosis(
        f"telegrams fail their CRC check ({failed} of the last {of}): bytes are lost or "
        "changed on the way.",
        "Check that no other program reads the same port, try a shorter or shielded "
        "cable; a slow computer (Pi Zero, Pi 1) can drop bytes at 115200 baud.",
    )


class LinkWatch:
    """Follows one link (across its reconnects) and decides which diagnosis to show.

    Feed it what the reader sees; each method returns a :class:`Diagnosis` only when
    what should be shown changes (``Diagnosis(None)`` clears a shown problem).
    """

    def __init__(
        self,
        settings: SerialSettings | None,
        *,
        network: bool = False,
        decryption: DecryptorStats | None = None,
    ) -> None:
        self.settings = settings
        self.network = network
        self.decryption = decryption
        """The decryptor's counters when a key is set: frames that do not decrypt are
        then the key's fault, not the serial settings'."""
        self._failed_before = 0
        self.shown: Diagnosis | None = None
        self.no_data = NO_DATA_NETWORK if network else NO_DATA
        """What silence on an open link means; a link that worked says it stopped."""
        self._sample = bytearray()
        self._bytes_seen = False
        self._since = 0.0
        self._verdicts: deque[bool] = deque(maxlen=CRC_WINDOW)

    def opened(self, now: float) -> None:
        """The link (re)opened: judge what arrives from now on."""
        self._sample.clear()
        self._bytes_seen = False
        self._since = now

    def show(self, diagnosis: Diagnosis | None) -> Diagnosis | None:
        """Report ``diagnosis`` unless it is already shown."""
        if diagnosis is None or diagnosis == self.shown:
            return None
        if diagnosis.problem is None and self.shown is None:
            return None
        self.shown = diagnosis if diagnosis.problem is not None else None
        return diagnosis

    def data(self, data: bytes) -> None:
        """Bytes arrived (before they were framed)."""
        if data:
            self._bytes_seen = True
            sample = self._sample
            sample += data
            if len(sample) > SAMPLE_BYTES:
                del sample[: len(sample) - SAMPLE_BYTES]

    def frame(self, valid: bool, now: float) -> Diagnosis | None:
        """A frame came out of the framer."""
        self._verdicts.append(valid)
        failed = self._verdicts.count(False)
        if failed >= CRC_FAILURES_TO_REPORT and not valid:
            return self.show(crc_failures(failed, len(self._verdicts)))
        if valid:
            self._sample.clear()
            self._since = now
            if self.decryption is not None:
                self._failed_before = self.decryption.frames_failed
            if failed < CRC_FAILURES_TO_REPORT:  # the link works: clear what was shown
                return self.show(Diagnosis(None))
        return None

    def check(self, now: float) -> Diagnosis | None:
        """Called about once a second while the link is open: diagnose silence or junk."""
        quiet = now - self._since
        if not self._bytes_seen:
            if quiet >= NO_DATA_AFTER:
                return self.show(self.no_data)
            return None
        size = len(self._sample)
        if (size >= JUNK_BEFORE_DIAGNOSIS and quiet >= JUNK_MIN_SECONDS) or (
            size >= JUNK_MIN_BYTES and quiet >= NO_DATA_AFTER
        ):
            decryption = self.decryption
            if decryption is not None and decryption.frames_failed > self._failed_before:
                return self.show(decryption_failures(decryption))
            return self.show(explain_bytes(bytes(self._sample), self.settings))
        return None
