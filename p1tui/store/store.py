"""Opening the history database: WAL, the schema, the writer lock, clear errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .lock import WriterLock
from .schema import VERSION, SchemaTooNew, migrate
from .settings import default_db_path


class StoreError(Exception):
    """The store cannot be used: one sentence for the user."""


class Store:
    """One open history database; a writable one holds the single-writer lock.

    The connection may be handed to another thread (the recorder's), but is used by
    one thread at a time.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: WriterLock | None) -> None:
        self.path = path
        self.conn = conn
        self._lock = lock

    @property
    def readonly(self) -> bool:
        return self._lock is None

    def close(self) -> None:
        """Close the database and release the writer lock."""
        self.conn.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed at the end, rolled back on an error."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _describe(error: sqlite3.Error) -> str:
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return "it is not a p1tui history database, or it is damaged"
    return text


def open_store(path: Path | None = None, *, readonly: bool = False) -> Store:
    """Open (a writer: create) the store; StoreError or StoreLocked when it cannot be used."""
    path = default_db_path() if path is None else Path(path)
    if readonly:
        if not path.exists():
            raise StoreError(f"there is no history at {path} yet (record or import first)")
        return _open(path, None)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create {path.parent}: {error.strerror or error}") from None
    lock = WriterLock(path)
    try:
        lock.acquire()
    except OSError as error:
        raise StoreError(f"cannot open {path}: {error.strerror or error}") from None
    try:
        return _open(path, lock)
    except BaseException:
        lock.release()
        raise


def _open(path: Path, lock: WriterLock | None) -> Store:
    uri = f"{path.resolve().as_uri()}?mode={'rw' if lock is None else 'rwc'}"
    try:
        # isolation_level=None: transactions are explicit (Store.transaction), so each
        # batch is exactly one transaction.
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreError(f"cannot open {path}: {_describe(error)}") from None
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        if lock is not None:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: each batch's commit is on disk before the next one starts, so a power
            # cut loses at most the batch being written.
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn)
        else:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                raise StoreError(f"{path} holds no history yet")
            migrate_check(conn)
    except SchemaTooNew as error:
        conn.close()
        raise StoreError(f"{path} was written by a newer p1tui ({error})") from None
    except sqlite3.Error as error:
        conn.close()
        raise StoreError(f"cannot use {path}: {_describe(error)}") from None
    except BaseException:
        conn.close()
        raise
    return Store(path, conn, lock)


def migrate_check(conn: sqlite3.Connection) -> None:
    """A reader cannot migrate: an older file is read as it is only when current."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise SchemaTooNew(f"schema version {version}, this p1tui knows up to {VERSION}")
    if version < VERSION:
        raise StoreError("its tables are from an older p1tui; run `p1tui import` once to upgrade")
