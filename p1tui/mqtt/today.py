"""Today's totals from the history store as MQTT messages: import, export, gas and cost.

The publisher's thread asks :class:`TodayTotals` once a minute (and at each connection);
it reads the store through a read-only connection of its own, with the same
:func:`~p1tui.store.report.summary` that ``p1tui history`` prints, so the numbers agree.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from ..store import Store, StoreError, open_store
from ..store.periods import period_of, store_zone
from ..store.prices import Prices
from ..store.report import summary
from .readings import ORIGIN, MeterTopics

EVERY = 60.0
"""Seconds between two readings of today's totals."""
EMPTY_EVERY = 5.0
"""Seconds before looking again when the store has nothing of today yet (just started)."""

_ENERGY = {"unit_of_measurement": "kWh", "device_class": "energy"}
# Home Assistant reads a drop of a total_increasing sensor as a new cycle: a daily counter.
_SENSORS = {
    "import_kwh": ("Energy import today", {**_ENERGY, "state_class": "total_increasing"}),
    "export_kwh": ("Energy export today", {**_ENERGY, "state_class": "total_increasing"}),
    "gas_m3": (
        "Gas today",
        {"unit_of_measurement": "m³", "device_class": "gas", "state_class": "total_increasing"},
    ),
    # A monetary sensor takes state_class total only (a day's cost falls with export credit).
    "cost": ("Cost today", {"device_class": "monetary", "state_class": "total"}),
}


def _object_id(key: str) -> str:
    """The discovery object ID of one total (``today_import_kwh``)."""
    return f"today_{key}"


TODAY_KEYS = tuple(_object_id(key) for key in _SENSORS)
"""The discovery object IDs of every total."""


def today_keys(values: dict[str, float | str]) -> tuple[str, ...]:
    """The discovery object IDs of the totals in ``values``."""
    return tuple(_object_id(key) for key in _SENSORS if key in values)


def today_values(result: dict) -> dict[str, float | str]:
    """``history``'s day summary -> {key: value}, keys left out where unknown.

    ``cost`` comes with ``currency``, which is the unit of the cost, not a topic.
    """
    values: dict[str, float | str] = {}
    for key in ("import_kwh", "export_kwh"):
        total = result[key]["total"]
        if total is not None:
            values[key] = total
    if result["gas_m3"] is not None:
        values["gas_m3"] = result["gas_m3"]
    cost = result["cost"]
    if cost is not None and cost["total"] is not None:
        values["cost"] = cost["total"]
        values["currency"] = cost["currency"]
    return values


def today_topic(topics: MeterTopics, key: str) -> str:
    return topics.state(f"today/{key}")


def today_messages(values: dict[str, float | str], topics: MeterTopics) -> dict[str, str]:
    """Topic -> plain number, one per known total."""
    return {today_topic(topics, key): str(values[key]) for key in _SENSORS if key in values}


def today_discovery(
    values: dict[str, float | str], topics: MeterTopics, device: dict[str, object]
) -> dict[str, str]:
    """Topic -> retained discovery config, one per known total, on the meter's device."""
    messages = {}
    for key, (name, classes) in _SENSORS.items():
        if key not in values:
            continue
        config: dict[str, object] = {
            "name": name,
            "unique_id": f"{topics.device_id}_{_object_id(key)}",
            "state_topic": today_topic(topics, key),
            "availability_topic": topics.availability,
            "device": device,
            "origin": ORIGIN,
            **classes,
        }
        if key == "cost":
            config["unit_of_measurement"] = values["currency"]
        messages[topics.config(_object_id(key))] = json.dumps(config, ensure_ascii=False)
    return messages


class TodayTotals:
    """Reads today's summary from the store, read-only, on whichever thread calls it."""

    def __init__(self, db: Path, prices: Prices, timezone: str | None, log: logging.Logger) -> None:
        self.db, self.prices, self.timezone, self.log = db, prices, timezone, log
        self._store: Store | None = None
        self._problem: str | None = None
        self.due = 0.0
        """When (monotonic) the next reading is due."""

    def read(self) -> dict[str, float | str] | None:
        """Today's totals (the meter's local day), or None when the store cannot say."""
        self.due = time.monotonic() + EVERY
        try:
            if self._store is None:
                self._store = open_store(self.db, readonly=True)
            conn = self._store.conn
            zone = store_zone(conn, self.timezone)
            period = period_of("day", datetime.now(zone).date(), zone)
            values = today_values(summary(conn, period, self.prices))
        except (StoreError, sqlite3.Error, ValueError) as error:
            self._say(f"today's totals are not published for now: {error}")
            self.close()
            return None
        self._problem = None
        if not values:
            self.due = time.monotonic() + EMPTY_EVERY
        return values

    def _say(self, text: str) -> None:
        if text != self._problem:  # once per cause, not every minute
            self._problem = text
            self.log.warning("%s", text)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
