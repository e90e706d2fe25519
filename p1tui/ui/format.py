"""Plain-text formatting shared by the panels: numbers, ages, names. No Textual here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..dsmr import Variant

VARIANT_NAMES = {
    Variant.NL2: "NL DSMR 2.2/3.0",
    Variant.NL4: "NL DSMR 4",
    Variant.NL5: "NL DSMR 5",
    Variant.BE: "BE e-MUCS",
    Variant.LU: "LU Smarty",
    Variant.OTHER: "other meter",
}


_VISIBLE = str.maketrans(
    {
        **{code: chr(0x2400 + code) for code in range(0x20)},  # ␀ … ␟ (control pictures)
        0x7F: "␡",
        **{code: f"\\x{code:02x}" for code in range(0x80, 0xA0)},  # C1 controls: CSI is 0x9B
    }
)


def printable(text: str) -> str:
    """``text`` with its control characters made visible, safe to hand to a terminal.

    Meter bytes reach the screen as text (a hex-coded message decodes to any byte, a
    damaged line carries anything): an ESC or a C1 control sent as is would drive the
    user's terminal, a newline would break a panel's lines. Shown as ``␛`` or ``\\x9b``.
    """
    return text.translate(_VISIBLE)


def tariff_names(variant: Variant | None) -> tuple[str, str]:
    """What tariff 1 and tariff 2 are called where the meter hangs.

    The Netherlands count tariff 1 as low (night, weekend) and 2 as normal; Belgium
    reverses the meaning: 1 is day, 2 is night.
    """
    if variant is Variant.BE:
        return ("day", "night")
    return ("low", "normal")


def variant_label(variant: Variant, version: str | None) -> str:
    """``NL DSMR 5 (v50)``."""
    name = VARIANT_NAMES.get(variant, str(variant.value))
    return f"{name} (v{version})" if version else name


def watts(kw: Decimal | None) -> str:
    """``1234`` for 1.234 kW; ``-`` when unknown."""
    return "-" if kw is None else f"{round(kw * 1000):d}"


def number(value: Decimal | None, unit: str = "") -> str:
    """A meter value exactly as the meter's decimals give it, with its unit."""
    if value is None:
        return "-"
    return f"{value} {unit}".rstrip()


def duration(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``3 min``, ``2 h 5 min``, ``3 d 4 h``: short and readable."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


PLACEHOLDER_SECONDS = 2**31 - 1
"""What some meters (Kaifa) send for a duration they do not know: the largest 32-bit number."""


def seconds(value: int) -> str:
    """A duration the meter sent, in words; ``unknown`` for its placeholder."""
    return "unknown" if value >= PLACEHOLDER_SECONDS else duration(value)


def clock(at: datetime | None) -> str:
    """``2026-11-25 14:03:12`` in the meter's own offset, or ``unknown``."""
    return "unknown" if at is None else at.strftime("%Y-%m-%d %H:%M:%S")


def short_time(at: datetime | None, today: datetime | None = None) -> str:
    """``14:05`` today, ``11-24 14:05`` otherwise."""
    if at is None:
        return "unknown"
    if today is not None and at.date() == today.date():
        return at.strftime("%H:%M")
    return at.strftime("%m-%d %H:%M")


def offset(seconds: float) -> str:
    """Meter clock against the host: ``in sync``, ``3.0 s ahead``, ``2 min behind``."""
    if abs(seconds) < 2:
        return "in sync with host"
    return f"{duration(abs(seconds))} {'ahead of' if seconds > 0 else 'behind'} host"
