"""``--db`` and the ``[history]`` section, shared by the commands that use the history."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import config as config_file
from ..config import Config
from ..errors import CommandError
from ..store import (
    HistorySettings,
    Store,
    StoreError,
    StoreLocked,
    open_store,
)
from ..store.periods import store_zone
from ..store.prices import Prices, parse_prices
from ..store.settings import history_settings as settings_from


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the history database (default: [history] db in the config, else "
        "history.sqlite3 in the user data directory)",
    )


def read_config(command: str) -> Config:
    """The config file, its notices (unknown keys, an unreadable file) said once on stderr."""
    loaded = config_file.load()
    for notice in loaded.notices:
        print(f"p1tui {command}: {notice}", file=sys.stderr)
    return loaded.config


def history_settings(args: argparse.Namespace, config: Config) -> HistorySettings:
    """``[history]`` with ``--db``; CommandError names a bad key."""
    try:
        return settings_from(config.section("history"), args.db)
    except ValueError as error:
        raise CommandError(f"the config's [history] section: {error}") from None


def open_history(settings: HistorySettings, *, readonly: bool) -> Store:
    """The store, or a CommandError in one sentence (locked, damaged, missing)."""
    try:
        return open_store(settings.db, readonly=readonly)
    except (StoreError, StoreLocked) as error:
        raise CommandError(str(error)) from None


def prices_setting(config: Config) -> Prices:
    """``[prices]`` from the config, checked (CommandError names the bad key)."""
    try:
        return parse_prices(config.section("prices"))
    except ValueError as error:
        raise CommandError(f"the config's [prices] section: {error}") from None


@contextmanager
def reading_history(
    args: argparse.Namespace, command: str
) -> Iterator[tuple[Store, ZoneInfo, Prices]]:
    """The store opened read-only for ``history`` or ``export``, the zone of its days and
    the prices; a config, store or read problem is one sentence (CommandError)."""
    config = read_config(command)
    settings = history_settings(args, config)
    prices = prices_setting(config)
    with open_history(settings, readonly=True) as store, database_errors(settings.db):
        yield store, store_zone(store.conn, settings.timezone), prices


@contextmanager
def database_errors(path: Path) -> Iterator[None]:
    """A failing read or write (disk full, damaged pages) as one sentence, not a traceback."""
    try:
        yield
    except sqlite3.Error as error:
        raise CommandError(f"the history {path} cannot be used: {error}") from None


@contextmanager
def standard_output() -> Iterator[None]:
    """Write to stdout; a reader that went away (``| head``) ends the command quietly."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no retry at exit
