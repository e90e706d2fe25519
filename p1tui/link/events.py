"""What the reader thread reports. Plain frozen dataclasses, safe to hand between threads.

The reader calls one callback with these events; the UI turns them into Textual
messages, ``p1tui record`` and the tests consume them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..dsmr import Frame, Telegram
from ..dsmr.dlms import Envelope


class LinkState(str, Enum):
    """The link's state machine."""

    CONNECTING = "connecting"
    RECEIVING = "receiving"
    STALE = "stale"
    """Open, but no telegram within a few learned telegram periods."""
    DISCONNECTED = "disconnected"
    """Lost or could not be opened; a retry is scheduled (see ``retry_in``)."""
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class TelegramReceived:
    """One framed telegram, valid or not."""

    frame: Frame
    """Raw bytes and the CRC verdict (expected and received CRC when it failed)."""
    telegram: Telegram | None
    """The parsed telegram; None only when a failed frame could not even be parsed."""
    received_at: float
    """Wall-clock time (``time.time()``) when its last byte arrived."""
    envelope: Envelope | None = None
    """For an encrypted meter: the system title, frame counter and security byte of the
    frame that carried the telegram."""


@dataclass(frozen=True, slots=True)
class StateChanged:
    """A transition of the link state machine, with the reason in plain words."""

    state: LinkState
    reason: str
    at: float
    retry_in: float | None = None
    """Seconds until the next attempt, when DISCONNECTED."""


@dataclass(frozen=True, slots=True)
class LinkStats:
    """Counters of the current link (they restart when the settings change)."""

    telegrams_ok: int = 0
    telegrams_unchecked: int = 0
    crc_failures: int = 0
    bytes_received: int = 0
    bytes_skipped: int = 0
    bytes_per_second: float = 0.0
    last_telegram_at: float | None = None
    decryption_failures: int = 0
    """Encrypted frames that did not decrypt (wrong key, corrupted, truncated)."""


@dataclass(frozen=True, slots=True)
class StatsUpdated:
    """Sent about once a second while the reader runs."""

    stats: LinkStats


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A plain-words explanation of a link problem and what to try; None clears it."""

    problem: str | None
    advice: str = ""


LinkEvent = TelegramReceived | StateChanged | StatsUpdated | Diagnosis
