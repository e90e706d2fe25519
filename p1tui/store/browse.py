"""One period of the history, read for a screen: the store opened, read and closed again.

Made for a worker thread (the monitor never queries SQL on its UI thread): everything
it needs is in :class:`HistoryAccess`, and a problem comes back as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .periods import Period, meter_variant, period_of, store_zone
from .prices import Prices
from .report import summary
from .store import StoreError, open_store


@dataclass(frozen=True, slots=True)
class HistoryAccess:
    """Where the history is and how to read it (from ``[history]`` and ``[prices]``)."""

    db: Path
    timezone: str | None = None
    prices: Prices = field(default_factory=Prices)


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """A period and what the store holds for it (``summary`` as ``history --format json``)."""

    period: Period | None
    summary: dict | None
    problem: str | None = None
    variant: str | None = None


def read_period(access: HistoryAccess, kind: str, day: date | None, at: float) -> PeriodResult:
    """The ``kind`` period holding ``day`` (None: the local day of ``at``, epoch seconds)."""
    try:
        store = open_store(access.db, readonly=True)
    except StoreError as error:
        return PeriodResult(None, None, str(error))
    try:
        zone = store_zone(store.conn, access.timezone)
        if day is None:
            day = datetime.fromtimestamp(at, zone).date()
        period = period_of(kind, day, zone)
        return PeriodResult(
            period, summary(store.conn, period, access.prices), None, meter_variant(store.conn)
        )
    except Exception as error:
        return PeriodResult(None, None, f"cannot read the history {access.db}: {error}")
    finally:
        store.close()
