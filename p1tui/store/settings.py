"""Where the history lives and how long minute rows are kept: the ``[history]`` section.

```toml
[history]
db = "/srv/p1/history.sqlite3"   # default: the platform's user data dir
keep_minutes_days = 90           # hourly rows are kept for ever
batch_seconds = 5                # one transaction this often (longer: fewer SD-card writes)
timezone = "Europe/Brussels"     # default: the meter's country, from its telegrams
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

KEEP_MINUTES_DAYS = 90
BATCH_SECONDS = 5.0
KNOWN_KEYS = ("db", "keep_minutes_days", "timezone", "batch_seconds")


def default_db_path() -> Path:
    """``platformdirs.user_data_dir("p1tui")/history.sqlite3``."""
    return platformdirs.user_data_path("p1tui", appauthor=False) / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """The ``[history]`` section, checked."""

    db: Path
    keep_minutes_days: int = KEEP_MINUTES_DAYS
    timezone: str | None = None
    """Overrides the zone the meter's variant implies (days, weeks and months)."""
    batch_seconds: float = BATCH_SECONDS
    """Seconds between the writer's transactions: what a kill or power cut can lose."""


def history_settings(section: dict[str, Any], db: Path | None = None) -> HistorySettings:
    """Check the section (ValueError names the bad key); ``db`` (``--db``) wins over it."""
    path = db
    if path is None:
        configured = section.get("db")
        if configured is not None and (not isinstance(configured, str) or not configured):
            raise ValueError("history.db must be a file path")
        path = Path(configured).expanduser() if configured else default_db_path()
    keep = section.get("keep_minutes_days", KEEP_MINUTES_DAYS)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ValueError("history.keep_minutes_days must be a whole number of days, 1 or more")
    zone = section.get("timezone")
    if zone is not None:
        if not isinstance(zone, str):
            raise ValueError("history.timezone must be a zone name such as Europe/Brussels")
        check_zone(zone)
    batch = section.get("batch_seconds", BATCH_SECONDS)
    if isinstance(batch, bool) or not isinstance(batch, (int, float)) or not 0.1 <= batch <= 300:
        raise ValueError("history.batch_seconds must be a number of seconds from 0.1 to 300")
    return HistorySettings(path, keep, zone, float(batch))


def check_zone(name: str) -> ZoneInfo:
    """The zone, or ValueError saying the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone (such as Europe/Amsterdam)") from None


def load_history_settings(db: Path | None = None) -> HistorySettings:
    """The settings from the config file plus ``--db``; ValueError when the section is bad.

    An unreadable config gives the defaults (the config module says why, to whoever
    shows its notices).
    """
    from .. import config  # noqa: PLC0415 - keeps `p1tui decode` free of the TOML import

    return history_settings(config.load().config.section("history"), db)
