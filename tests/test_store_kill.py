"""SIGKILL the importer at random moments: the store always opens, passes integrity_check,
keeps what its committed batches held, and a full import afterwards gives exact totals."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from store_helpers import sim_bytes, write_capture

from p1tui.store import open_store

START = "2026-02-02T20:00:00+01:00"
DAYS = ("2026-02-02", "2026-02-03")
KILLS = 6


def _p1tui(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "p1tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _history(db: Path, env: dict[str, str]) -> list[dict]:
    results = []
    for day in DAYS:
        command = ["history", "--db", str(db), "--day", day, "--format", "json"]
        done = subprocess.run(
            [sys.executable, "-m", "p1tui", *command],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        results.append(json.loads(done.stdout))
    return results


def _committed(db: Path) -> tuple[int, int]:
    """Minute rows and the newest counter time held by the file (after recovery)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return conn.execute("SELECT count(*), coalesce(max(cts), 0) FROM minute").fetchone()
    finally:
        conn.close()


def test_killed_imports_never_damage_the_store(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[history]\nbatch_seconds = 0.2\n", encoding="utf-8")
    env = {**os.environ, "P1TUI_CONFIG": str(config)}
    capture = write_capture(tmp_path / "capture.txt", sim_bytes(START, 40_000, variant="nl5"))
    reference = tmp_path / "reference.sqlite3"
    begin = time.monotonic()
    clean = _p1tui("import", "--db", str(reference), str(capture), env=env)
    assert clean.wait(300) == 0, clean.stderr.read()
    duration = time.monotonic() - begin  # kills land within a run this long
    expected = _history(reference, env)
    assert expected[0]["import_kwh"]["total"] > 0 and expected[1]["import_kwh"]["total"] > 0

    db = tmp_path / "killed.sqlite3"
    rng = random.Random(9)
    kept_before = (0, 0)
    landed = 0
    for _ in range(4 * KILLS):
        importer = _p1tui("import", "--db", str(db), str(capture), env=env)
        time.sleep(rng.uniform(0.1, 0.8) * duration)
        if importer.poll() is not None:  # it finished first (a busy machine's timing)
            duration *= 0.7
            continue
        importer.send_signal(signal.SIGKILL)
        assert importer.wait(30) == -signal.SIGKILL
        landed += 1
        if db.exists():  # else it was killed before it opened the file
            kept = _committed(db)
            assert kept >= kept_before  # committed batches survive every later kill
            kept_before = kept
            open_store(db).close()  # opens for writing: the lock died with the importer
        if landed == KILLS:
            break
    assert landed == KILLS
    assert kept_before[0] > 0, "no kill landed after a commit: the test proved nothing"

    final = _p1tui("import", "--db", str(db), str(capture), env=env)
    assert final.wait(300) == 0, final.stderr.read()
    _committed(db)
    assert _history(db, env) == expected
