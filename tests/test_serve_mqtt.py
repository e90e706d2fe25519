"""``p1tui serve --mqtt``: a real collector process reading a pseudo-terminal, publishing to a
real Mosquitto, stopped with SIGTERM or killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from mqtt_helpers import MOSQUITTO, Broker, Watcher
from process_helpers import Command
from test_link_helpers import serial_pty, telegram, write_all

from p1tui.dsmr import parse_bytes

pytestmark = pytest.mark.skipif(
    MOSQUITTO is None, reason="mosquitto is not installed (CI installs it with apt-get)"
)

TIMEOUT = 30


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A config of its own, so the developer's settings are never read."""
    return {**os.environ, "P1TUI_CONFIG": str(tmp_path / "config.toml")}


class Meter:
    """Writes a real telegram to the pseudo-terminal's meter side five times a second."""

    def __init__(self, fd: int) -> None:
        self.data = telegram()
        self.base = "p1tui/" + (parse_bytes(self.data).equipment_id or "")
        self._fd = fd
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                write_all(self._fd, self.data)
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def serve(env: dict[str, str], path: str, *args: str) -> Command:
    return Command("serve", "--port", path, "--listen", "127.0.0.1:0", *args, env=env)


def test_serve_publishes_and_sigterm_leaves_offline(broker: Broker, env: dict[str, str]) -> None:
    watcher = Watcher(broker.port)
    with serial_pty() as (fd, path), serve(env, path, "--mqtt", broker.url) as command:
        meter = Meter(fd)
        try:
            watcher.wait_for(f"{meter.base}/availability", "online")
            power = watcher.wait_for(f"{meter.base}/power_import_kw")
            assert power == str(parse_bytes(meter.data).power_import_kw)
            command.wait_line(f"connected to MQTT broker 127.0.0.1:{broker.port}")
            assert command.stop(signal.SIGTERM) == 0
        finally:
            meter.stop()
    watcher.wait_for(f"{meter.base}/availability", "offline")
    watcher.close()


def test_serve_killed_with_sigkill_leaves_offline_as_its_last_will(
    broker: Broker, env: dict[str, str]
) -> None:
    watcher = Watcher(broker.port)
    with serial_pty() as (fd, path), serve(env, path, "--mqtt", broker.url) as command:
        meter = Meter(fd)
        try:
            watcher.wait_for(f"{meter.base}/availability", "online")
            os.kill(command.process.pid, signal.SIGKILL)
            assert command.process.wait(TIMEOUT) == -signal.SIGKILL
            watcher.wait_for(f"{meter.base}/availability", "offline")
        finally:
            meter.stop()
    watcher.close()


def test_serve_names_a_wrong_password_from_the_config_without_printing_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    broker = Broker(tmp_path, users={"meter": "right-horse-battery"})
    broker.start()
    config = Path(env["P1TUI_CONFIG"])
    config.write_text(
        f'[mqtt]\nurl = "{broker.url}"\nusername = "meter"\npassword = "wrong-staple-9"\n'
    )
    config.chmod(0o600)
    try:
        with serial_pty() as (fd, path), serve(env, path) as command:
            meter = Meter(fd)
            try:
                line = command.wait_line("refused user 'meter'", timeout=TIMEOUT)
                assert ("password" in line and str(config) in line) or "config file" in line
                assert command.stop(signal.SIGTERM) == 0
            finally:
                meter.stop()
    finally:
        broker.stop()
    assert not any("wrong-staple-9" in line for line in command.lines)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mqtt://user:s3cret@127.0.0.1", "must not hold a user name or password"),
        ("http://127.0.0.1", "not an MQTT URL"),
    ],
)
def test_serve_refuses_a_bad_mqtt_url_in_words(env: dict[str, str], url: str, words: str) -> None:
    with serial_pty() as (_fd, path), serve(env, path, "--mqtt", url) as command:
        assert command.finish(TIMEOUT) != 0
    assert any(words in line for line in command.lines), command.lines
    assert not any("s3cret" in line for line in command.lines)
    assert not any("Traceback" in line for line in command.lines)


def test_serve_without_mqtt_settings_publishes_nothing(env: dict[str, str]) -> None:
    with serial_pty() as (fd, path), serve(env, path) as command:
        meter = Meter(fd)
        try:
            command.wait_line("link up", timeout=TIMEOUT)
            assert command.stop(signal.SIGTERM) == 0
        finally:
            meter.stop()
    assert not any("MQTT" in line for line in command.lines)
