"""Test equipment for the config file: a hand-written file, a read-only directory.

``test_config`` and ``ui/test_ui_config_save`` import these.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HAND_WRITTEN = """\
# My meter, set up by hand on the Pi in the meter cupboard.
# (p1tui must keep these notes!)

[history]
db = "/mnt/usb/p1tui/history.db"   # on the USB disk, not the SD card
keep_minutes_days = 120

[serial]
# the dongle on the P1 port
port = "/dev/ttyUSB0"  # by-id would be better
baud_rate = 9600       # a typo: the key is baudrate
parity = "N"

[prices]
currency = "EUR"

[[prices.import]]
from = 2026-01-01
tariff1 = 0.2431  # low
tariff2 = 0.2655  # normal

[garden]   # a section p1tui does not know
pump = "shelly-1"
"""
"""A config as a user writes it: comments, sections before and after [serial], unknown keys."""


def outside_serial(text: str) -> tuple[str, str]:
    """The text before the ``[serial]`` header and from the next header on."""
    start = text.index("[serial]")
    end = text.index("\n[", start) + 1
    return text[:start], text[end:]


@contextmanager
def world_readable_dir() -> Iterator[Path]:
    """A directory every user can enter (pytest's own tmp dirs are 0700 to root)."""
    path = Path(tempfile.mkdtemp(prefix="p1tui-config-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        path.chmod(0o755)
        shutil.rmtree(path)


@contextmanager
def unprivileged() -> Iterator[None]:
    """Run as an ordinary user: root ignores file permissions, so drop to nobody for a while."""
    if os.geteuid() != 0:
        yield
        return
    try:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    except KeyError:
        uid = gid = 65534
    os.setegid(gid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
