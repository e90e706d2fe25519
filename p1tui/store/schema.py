"""The history database's tables, and the migrations that bring any older file up to date.

The schema version is SQLite's ``PRAGMA user_version``. A new version appends one step
to :data:`MIGRATIONS`; a file made by a newer p1tui is refused rather than guessed at.

Units: times are UTC epoch seconds; energy counters are integer thousandths of the
meter's unit (Wh for kWh, litres for m3, MJ for GJ), exact for the three decimals
meters send; power is whole watts, voltage tenths of a volt.

Bucketed rows (``minute``, ``hour``) hold the readings of ``(t, t + length]``: a
reading taken exactly at 11:00:00 closes the 10:00 hour, so the counters at a row's
end are the counters at that boundary.
"""

from __future__ import annotations

import sqlite3

# Power statistics of a bucket, merged when a delta for it arrives: sums (means are
# sum / n), minima and maxima. Per phase: net power (import minus export) and voltage.
_STATS = """
    n INTEGER NOT NULL DEFAULT 0,
    first_ts INTEGER, last_ts INTEGER,
    pi_sum INTEGER, pi_min INTEGER, pi_max INTEGER,
    pe_sum INTEGER, pe_min INTEGER, pe_max INTEGER,
    p1_sum INTEGER, p2_sum INTEGER, p3_sum INTEGER,
    v1_sum INTEGER, v2_sum INTEGER, v3_sum INTEGER, nph INTEGER NOT NULL DEFAULT 0"""

# The electricity counters at the bucket's last accepted reading (taken at ``cts``):
# import tariff 1, 2 and total, export tariff 1, 2 and total.
_COUNTERS = """
    cts INTEGER,
    i1 INTEGER, i2 INTEGER, i0 INTEGER, e1 INTEGER, e2 INTEGER, e0 INTEGER"""


def _bucket_table(name: str) -> str:
    return f"""
CREATE TABLE {name} (
    series INTEGER NOT NULL REFERENCES series(id),
    t INTEGER NOT NULL,{_COUNTERS},{_STATS},
    PRIMARY KEY (series, t)
) WITHOUT ROWID"""


_V1 = [
    """
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    slot INTEGER NOT NULL,          -- 0: the electricity meter; 1-4: its M-Bus channel
    medium TEXT NOT NULL,           -- electricity, gas, water, heat, ...
    unit TEXT,
    equipment_id TEXT,
    header TEXT, version TEXT, variant TEXT,
    first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
    -- the counters of the series' first reading (chained to the previous series'
    -- last ones at query time, so a meter swap never counts the jump)
    c1 INTEGER, c2 INTEGER, c3 INTEGER, c4 INTEGER, c5 INTEGER, c6 INTEGER,
    reason TEXT NOT NULL            -- why it started: first, swap, reset
)""",
    "CREATE INDEX series_by_slot ON series(slot, medium, first_ts)",
    _bucket_table("minute"),
    "CREATE INDEX minute_by_time ON minute(t)",
    _bucket_table("hour"),
    "CREATE INDEX hour_by_time ON hour(t)",
    """
CREATE TABLE mbus (
    series INTEGER NOT NULL REFERENCES series(id),
    t INTEGER NOT NULL,             -- the reading's own time stamp
    value INTEGER NOT NULL,
    PRIMARY KEY (series, t)
) WITHOUT ROWID""",
    """
CREATE TABLE power_failure (
    end_ts INTEGER PRIMARY KEY,     -- when it ended
    duration_s INTEGER
)""",
    """
CREATE TABLE peak (
    month TEXT PRIMARY KEY,         -- YYYY-MM, the meter's local month
    at INTEGER,                     -- when the month's highest quarter-hour ended
    watts INTEGER NOT NULL
)""",
    """
CREATE TABLE event (
    t INTEGER NOT NULL,
    kind TEXT NOT NULL,             -- swap, reset, glitch
    detail TEXT NOT NULL,
    PRIMARY KEY (t, kind, detail)
) WITHOUT ROWID""",
    """
CREATE TABLE price (
    start_ts INTEGER PRIMARY KEY,   -- UTC epoch seconds
    end_ts INTEGER NOT NULL,
    import REAL NOT NULL,           -- per kWh
    export REAL                     -- per kWh; NULL: the contract's compensation
)""",
]

MIGRATIONS: list[list[str]] = [_V1]
"""Step ``k`` brings a file from version ``k`` to ``k + 1``."""

VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The file was written by a newer p1tui."""


def migrate(conn: sqlite3.Connection) -> None:
    """Create or upgrade the tables; each step in its own transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise SchemaTooNew(f"schema version {version}, this p1tui knows up to {VERSION}")
    for step in range(version, VERSION):
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
