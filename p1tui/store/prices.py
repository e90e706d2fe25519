"""Prices: the contract's in ``[prices]`` (each from the date it takes effect) and dynamic
hourly or quarter-hourly prices imported from CSV into the store.

```toml
[prices]
currency = "EUR"                 # the default

[[prices.contract]]
from = 2026-01-01                # takes effect that day; past days keep their prices
import_tariff1 = 0.2512          # per kWh ("import" prices both tariffs)
import_tariff2 = 0.2712
export_tariff1 = 0.07            # compensation per kWh delivered ("export": both)
export_tariff2 = 0.07
gas = 1.35                       # per m3
water = 1.12                     # per m3
fixed_per_day = 0.85             # standing charges less tax credits; may be negative

[[prices.contract]]
from = 2026-07-01                # only what changed; the rest carries on
import_tariff1 = 0.24
```

Keys set directly in ``[prices]`` apply from the beginning of time.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

PRICE_KEYS = (
    "import", "import_tariff1", "import_tariff2", "export", "export_tariff1", "export_tariff2",
    "gas", "water", "fixed_per_day",
)  # fmt: skip
KNOWN_KEYS = ("currency", "contract", *PRICE_KEYS)
CONTRACT = "contract"
DYNAMIC = "dynamic"


@dataclass(frozen=True, slots=True)
class Contract:
    """Prices that take effect on ``start``; keys it does not set carry on from before."""

    start: date
    values: dict[str, float]


@dataclass(frozen=True, slots=True)
class Prices:
    currency: str = "EUR"
    contracts: tuple[Contract, ...] = field(default_factory=tuple)

    def price(self, key: str, day: date) -> float | None:
        """The contract's price of ``key`` on ``day`` (None: not priced)."""
        found = None
        for contract in self.contracts:
            if contract.start > day:
                break
            if key in contract.values:
                found = contract.values[key]
        return found

    def tariff_price(self, direction: str, tariff: int, day: date) -> float | None:
        """``import_tariff2``, else ``import``."""
        value = self.price(f"{direction}_tariff{tariff}", day)
        return value if value is not None else self.price(direction, day)

    @property
    def empty(self) -> bool:
        return not self.contracts


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number (a price per unit)")
    return float(value)


def _contract(table: dict, start: date, where: str) -> Contract:
    values = {}
    for key, value in table.items():
        if key == "from":
            continue
        if key not in PRICE_KEYS:
            raise ValueError(f"{where}: unknown key {key!r} (known: {', '.join(PRICE_KEYS)})")
        values[key] = _number(f"{where}.{key}", value)
    return Contract(start, values)


def parse_prices(section: dict) -> Prices:
    """Check ``[prices]``; ValueError names what is wrong."""
    currency = section.get("currency", "EUR")
    if not isinstance(currency, str) or not currency.strip():
        raise ValueError("prices.currency must be a currency code such as EUR")
    flat = {k: v for k, v in section.items() if k not in ("currency", CONTRACT)}
    contracts = [_contract(flat, date.min, "prices")] if flat else []
    entries = section.get(CONTRACT, [])
    if not isinstance(entries, list):
        raise ValueError("prices.contract must be a list of [[prices.contract]] tables")
    for number, entry in enumerate(entries, start=1):
        where = f"[[prices.contract]] number {number}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be a table")
        start = entry.get("from")
        if isinstance(start, datetime):
            start = start.date()
        if not isinstance(start, date):
            raise ValueError(f"{where} needs from = YYYY-MM-DD (the day it takes effect)")
        contracts.append(_contract(entry, start, where))
    contracts.sort(key=lambda c: c.start)
    return Prices(currency.strip(), tuple(contracts))


# --- dynamic prices ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceRow:
    start: int
    end: int
    import_price: float
    export_price: float | None


class PriceFileError(ValueError):
    """A line of a price file that cannot be read: says which and why."""


def _decimal(text: str, line: int, what: str) -> float:
    cleaned = (
        text.strip().replace(",", ".") if text.count(",") == 1 and "." not in text else text.strip()
    )
    try:
        return float(cleaned)
    except ValueError:
        raise PriceFileError(f"line {line}: {text!r} is not {what} price") from None


def _time(text: str, zone: ZoneInfo, line: int) -> int:
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(cleaned.replace(" ", "T", 1))
    except ValueError:
        raise PriceFileError(
            f"line {line}: {text!r} is not a start time such as 2026-03-29T02:00:00+02:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return int(when.timestamp())


def read_price_csv(text: str, zone: ZoneInfo) -> list[PriceRow]:
    """Rows of ``start, import price[, export price]`` (a header line is skipped).

    Comma or semicolon separated; a decimal comma is fine with semicolons. Times
    without an offset are the meter's local time. Each price lasts until the next
    row's start; the last one as long as the one before it (an hour if it is alone).
    """
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") / 2 else ","
    starts: list[tuple[int, float, float | None]] = []
    for line, fields in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
            continue
        if line == 1 and not fields[0].strip()[:1].isdigit():
            continue  # a header
        if len(fields) < 2:
            raise PriceFileError(f"line {line}: expected a start time and an import price")
        start = _time(fields[0], zone, line)
        imported = _decimal(fields[1], line, "an import")
        has_export = len(fields) > 2 and fields[2].strip()
        exported = _decimal(fields[2], line, "an export") if has_export else None
        starts.append((start, imported, exported))
    if not starts:
        raise PriceFileError("no prices found (expected lines of start time, import price)")
    starts.sort()
    rows = []
    for i, (start, imported, exported) in enumerate(starts):
        if i + 1 < len(starts):
            end = starts[i + 1][0]
        else:
            end = start + (start - starts[i - 1][0] if i else 3600)
        if i + 1 < len(starts) and end - start > 3600:
            end = start + 3600  # a hole in the file: not priced
        if end <= start:
            raise PriceFileError(
                f"two prices start at {datetime.fromtimestamp(start, zone).isoformat()}"
            )
        rows.append(PriceRow(start, end, imported, exported))
    return rows


def store_prices(conn: sqlite3.Connection, rows: list[PriceRow]) -> None:
    """Replace the prices of the same start times (loading a corrected file is fine)."""
    conn.executemany(
        "INSERT OR REPLACE INTO price (start_ts, end_ts, import, export) VALUES (?, ?, ?, ?)",
        [(r.start, r.end, r.import_price, r.export_price) for r in rows],
    )


def dynamic_prices(conn: sqlite3.Connection, start: int, end: int) -> list[PriceRow]:
    """The stored prices overlapping ``[start, end)``, in time order."""
    return [
        PriceRow(*row)
        for row in conn.execute(
            "SELECT start_ts, end_ts, import, export FROM price WHERE start_ts < ? AND end_ts > ? "
            "ORDER BY start_ts",
            (end, start),
        )
    ]
