"""Every test runs with a home of its own for p1tui's files.

The monitor records a real meter into the user's history and reads the user's config;
a test (or a command it starts: children inherit the environment) must never touch the
developer's own files. The data, config and cache directories point into one temporary
folder for the whole run; tests that need a particular config still set P1TUI_CONFIG.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = tempfile.mkdtemp(prefix="p1tui-tests-")
for _name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = os.path.join(_HOME, _name.removeprefix("XDG_").lower())


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """For a p1tui process a test starts: a config and a data directory of its own."""
    return {
        **os.environ,
        "P1TUI_CONFIG": str(tmp_path / "config.toml"),
        "XDG_DATA_HOME": str(tmp_path),
    }


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[object]:
    """A Mosquitto broker of the test's own on a free loopback port (mqtt_helpers.Broker)."""
    from mqtt_helpers import Broker

    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()
