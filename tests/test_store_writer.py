"""The history writer on real SQLite files: batches, duplicates, the writer lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_helpers import sim_bytes, telegrams, write_capture

from p1tui.dsmr import Decoder
from p1tui.link.events import LinkState, StateChanged, TelegramReceived
from p1tui.link.fanout import FanOut
from p1tui.store import HistoryWriter, StoreConsumer, StoreError, StoreLocked, open_store


def _rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _import(db: Path, raw: list[bytes]) -> HistoryWriter:
    with open_store(db) as store:
        writer = HistoryWriter(store)
        for telegram in telegrams(raw):
            writer.add(telegram, 0.0)
        writer.close()
    return writer


def test_minute_rows_hold_the_counters_at_each_minutes_end(tmp_path: Path) -> None:
    raw = sim_bytes("2026-01-12T10:00:00+01:00", 360)  # one hour of a 10 s meter
    parsed = list(telegrams(raw))
    db = tmp_path / "h.sqlite3"
    _import(db, raw)
    rows = _rows(db, "SELECT t, cts, i1, i2, e1, e2, n FROM minute ORDER BY t")
    assert len(rows) == 61  # the first telegram (10:00:00) closes the 09:59 minute
    by_time = {int(t.timestamp.timestamp()): t for t in parsed}
    for t, cts, i1, i2, e1, e2, n in rows:
        assert t < cts <= t + 60
        telegram = by_time[cts]
        assert cts == max(ts for ts in by_time if t < ts <= t + 60)
        assert (i1, i2) == (
            int(telegram.energy_import_kwh.tariff1 * 1000),
            int(telegram.energy_import_kwh.tariff2 * 1000),
        )
        assert (e1, e2) == (
            int(telegram.energy_export_kwh.tariff1 * 1000),
            int(telegram.energy_export_kwh.tariff2 * 1000),
        )
        assert n == sum(1 for ts in by_time if t < ts <= t + 60)
    assert sum(r[6] for r in rows) == len(parsed)


def test_importing_the_same_telegrams_twice_counts_nothing_twice(tmp_path: Path) -> None:
    raw = sim_bytes("2026-01-12T10:00:00+01:00", 720)
    db = tmp_path / "h.sqlite3"
    _import(db, raw)
    first = _rows(db, "SELECT * FROM minute ORDER BY t"), _rows(db, "SELECT * FROM hour ORDER BY t")
    _import(db, raw)
    _import(db, raw[100:500])
    again = _rows(db, "SELECT * FROM minute ORDER BY t"), _rows(db, "SELECT * FROM hour ORDER BY t")
    assert again == first
    assert _rows(db, "SELECT sum(n) FROM hour") == [(720,)]


def test_a_batch_is_one_transaction_every_few_seconds(tmp_path: Path) -> None:
    raw = sim_bytes("2026-01-12T10:00:00+01:00", 30)
    db = tmp_path / "h.sqlite3"
    now = [0.0]
    with open_store(db) as store:
        writer = HistoryWriter(store, flush_every=5.0, clock=lambda: now[0])
        parsed = list(telegrams(raw))
        for telegram in parsed[:10]:
            writer.add(telegram, 0.0)
        assert _rows(db, "SELECT count(*) FROM minute") == [(0,)]  # not yet: one batch
        now[0] = 5.0
        writer.add(parsed[10], 0.0)
        assert _rows(db, "SELECT sum(n) FROM minute") == [(11,)]
        writer.close()


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time; from p1tui.store import open_store; "
            "s = open_store(sys.argv[1]); print('open', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == b"open\n"
        with pytest.raises(StoreLocked) as caught:
            open_store(db)
        assert caught.value.pid == holder.pid
        assert str(holder.pid) in str(caught.value)
        assert "(p1tui " in str(caught.value)  # the holder's command line
        with open_store(db, readonly=True) as reader:  # readers are welcome meanwhile
            assert reader.readonly
    finally:
        holder.kill()
        holder.wait()
    with open_store(db) as store:  # the kernel freed the lock with the holder
        assert not store.readonly


def test_a_file_that_is_not_a_history_is_named_as_such(tmp_path: Path) -> None:
    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a p1tui history database"):
        open_store(bad)
    with pytest.raises(StoreError, match="no history"):
        open_store(tmp_path / "missing.sqlite3", readonly=True)


def test_the_schema_has_a_version(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    open_store(db).close()
    assert _rows(db, "PRAGMA user_version") == [(1,)]
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]


def test_the_consumer_records_valid_telegrams_from_a_subscription(tmp_path: Path) -> None:
    raw = sim_bytes("2026-01-12T10:00:00+01:00", 50)
    raw[7] = raw[7].replace(b"1-0:1.7.0(", b"1-0:1.7.0(9")  # a CRC failure: not recorded
    fanout = FanOut()
    db = tmp_path / "h.sqlite3"
    store = open_store(db)
    consumer = StoreConsumer(fanout.subscribe("history"), HistoryWriter(store, flush_every=0.2))
    consumer.start()
    fanout.publish(StateChanged(LinkState.RECEIVING, "ok", time.time()))
    decoder = Decoder()
    for frame, telegram in decoder.feed(b"".join(raw)) + decoder.close():
        fanout.publish(TelegramReceived(frame, telegram, time.time()))
    deadline = time.monotonic() + 30
    while _rows(db, "SELECT coalesce(sum(n), 0) FROM minute") != [(49,)]:
        assert time.monotonic() < deadline, _rows(db, "SELECT sum(n) FROM minute")
        time.sleep(0.05)
    fanout.end()  # the link is done: the consumer takes what is left and stops by itself
    deadline = time.monotonic() + 30
    while consumer.running:
        assert time.monotonic() < deadline, "the consumer did not stop at the link's end"
        time.sleep(0.05)
    consumer.stop()
    store.close()
    assert os.path.exists(db)


def test_old_minutes_go_hours_stay_and_the_days_stay_exact(tmp_path: Path) -> None:
    raw = sim_bytes("2026-01-12T00:00:00+01:00", 3 * 8640 + 1)  # three days of a 10 s meter
    db = tmp_path / "h.sqlite3"
    with open_store(db) as store:
        writer = HistoryWriter(store, keep_minutes_days=400)
        for telegram in telegrams(raw):
            writer.add(telegram, 0.0)
        writer.close()
        before = _rows(db, "SELECT t, cts, i1, i2, e1, e2 FROM hour ORDER BY t")
        assert _rows(db, "SELECT max(t) - min(t) FROM minute")[0][0] > 2 * 86400
        HistoryWriter(store, keep_minutes_days=1).close()  # its first batch applies retention
    newest = _rows(db, "SELECT max(t) FROM minute")[0][0]
    oldest = _rows(db, "SELECT min(t) FROM minute")[0][0]
    assert newest - oldest <= 86400  # one day of minutes kept
    assert _rows(db, "SELECT t, cts, i1, i2, e1, e2 FROM hour ORDER BY t") == before
    # M-Bus readings older than that are thinned to the last of each hour
    doubled = _rows(
        db,
        f"SELECT count(*) FROM (SELECT 1 FROM mbus WHERE t < {oldest} "
        "GROUP BY series, (t - 1) / 3600 HAVING count(*) > 1)",
    )
    assert doubled == [(0,)]


def _minutes(raw: list[bytes]) -> set[int]:
    """The minutes the telegrams close (a reading at hh:mm:00 ends the minute before)."""
    return {(int(t.timestamp.timestamp()) - 1) // 60 for t in telegrams(raw)}


def test_import_says_what_it_took_in_one_line(tmp_path: Path, capsys) -> None:
    from p1tui.cli import main

    raw = sim_bytes("2026-01-12T00:00:00+01:00", 8640)  # the whole local day, 10 s apart
    raw.append(raw[5].replace(b"1-0:1.7.0(", b"1-0:1.7.0(9"))  # a CRC failure
    capture = write_capture(tmp_path / "day.txt", raw)
    assert main(["import", "--db", str(tmp_path / "h.sqlite3"), str(capture)]) == 0
    minutes = len(_minutes(raw[:-1]))
    assert capsys.readouterr().err == (
        f"p1tui import: {len(raw) - 1} telegrams read, {minutes} minutes new, "
        "0 already in the store, 1 day covered (2026-01-12), 1 CRC failure\n"
    )


def test_import_again_says_nothing_was_new(tmp_path: Path, capsys) -> None:
    """A capture imported twice, then one half old and half new: the line says which."""
    from p1tui.cli import main

    db = str(tmp_path / "h.sqlite3")
    day = sim_bytes("2026-01-12T00:00:00+01:00", 8640)
    more = sim_bytes("2026-01-12T00:00:00+01:00", 2 * 8640)[4320:]  # noon to the next noon
    first, again = write_capture(tmp_path / "day.txt", day), write_capture(tmp_path / "m.txt", more)
    assert main(["import", "--db", db, str(first)]) == 0
    capsys.readouterr()
    assert main(["import", "--db", db, str(first)]) == 0
    assert capsys.readouterr().err == (
        f"p1tui import: 8640 telegrams read, 0 minutes new, {len(_minutes(day))} already in "
        "the store (not counted again), 1 day covered (2026-01-12), 0 CRC failures\n"
    )
    before = _minutes(day)
    known = _minutes(more) & before
    new = _minutes(more) - before
    assert known and new
    assert main(["import", "--db", db, str(again)]) == 0
    assert capsys.readouterr().err == (
        f"p1tui import: {len(more)} telegrams read, {len(new)} minutes new, "
        f"{len(known)} already in the store (not counted again), "
        "2 days covered (2026-01-12 to 2026-01-13), 0 CRC failures\n"
    )


def test_an_old_capture_imported_again_is_known_from_its_hours(tmp_path: Path) -> None:
    """Past the minute rows' retention only hour rows are left: they still tell it apart."""
    old = sim_bytes("2026-01-12T00:00:00+01:00", 8640)
    recent = sim_bytes("2026-01-20T00:00:00+01:00", 360)
    db = tmp_path / "h.sqlite3"
    with open_store(db) as store:
        for raw in (old, recent):
            writer = HistoryWriter(store, keep_minutes_days=2)
            for telegram in telegrams(raw):
                writer.add(telegram, 0.0)
            writer.close()
        assert _rows(db, "SELECT min(t) FROM minute")[0][0] > max(_minutes(old)) * 60
        writer = HistoryWriter(store, keep_minutes_days=2)
        for telegram in telegrams(old):
            writer.add(telegram, 0.0)
        writer.close()
    assert (writer.minutes_new, writer.minutes_known) == (0, len(_minutes(old)))


@pytest.mark.parametrize(
    ("setup", "args", "said"),
    [
        ("missing", ["history"], "there is no history at"),
        ("garbage", ["history"], "not a p1tui history database, or it is damaged"),
        ("garbage", ["import", "/dev/null"], "not a p1tui history database, or it is damaged"),
        ("config", ["history"], "[history] section: history.keep_minutes_days must be"),
        ("missing", ["export", "--from", "2026-01-02", "--to", "2026-01-01"], "--to is before"),
    ],
)
def test_history_problems_are_one_sentence(tmp_path, monkeypatch, capsys, setup, args, said):  # noqa: PLR0917
    from p1tui.cli import main

    db = tmp_path / "h.sqlite3"
    config = tmp_path / "config.toml"
    monkeypatch.setenv("P1TUI_CONFIG", str(config))
    if setup == "garbage":
        db.write_bytes(b"not sqlite at all" * 64)
    if setup == "config":
        config.write_text("[history]\nkeep_minutes_days = 0\n", encoding="utf-8")
        open_store(db).close()
    capsys.readouterr()
    assert main([args[0], "--db", str(db), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "Traceback" not in err
