"""``p1tui serve --mqtt``: a real collector process reading a pseudo-terminal, publishing to a
real Mosquitto, stopped with SIGTERM or killed with SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from mqtt_helpers import MOSQUITTO, Broker, Watcher, free_port, wait_until
from process_helpers import Command
from test_link_helpers import restamped, serial_pty, telegram, write_all

from p1tui.dsmr import parse_bytes

pytestmark = pytest.mark.skipif(
    MOSQUITTO is None, reason="mosquitto is not installed (CI installs it with apt-get)"
)

TIMEOUT = 30


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
    # Everything the collector sent is with the watcher once its own message is back.
    watcher.publish("p1tui-test/barrier", "now")
    watcher.wait_for("p1tui-test/barrier")
    assert watcher.received(f"{meter.base}/availability") == ["online", "offline"]
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


class NowMeter(Meter):
    """A meter sending in the current Dutch time, so its telegrams count for today.

    Until ``count`` is set its telegrams are stamped just before the current hour (the
    store's baseline); then they carry the current time and the import counter
    (1-0:1.8.1) goes up 1 Wh a telegram ``counting`` times, and holds.
    """

    counting = 10

    def __init__(self, fd: int) -> None:
        self.count = threading.Event()
        super().__init__(fd)

    def _run(self) -> None:
        sent = 0
        while not self._stop.wait(0.2):
            now = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
            if not self.count.is_set():
                now = now.replace(minute=0, second=0, microsecond=0) - timedelta(seconds=30)
            counter = 156167 + min(sent, self.counting)  # Wh; the real telegram has 156.167 kWh
            data = self.data.replace(
                b"1-0:1.8.1(000156.167*kWh)", f"1-0:1.8.1({counter / 1000:010.3f}*kWh)".encode()
            )
            try:
                write_all(self._fd, restamped(data, now))
            except OSError:
                return
            sent += self.count.is_set()


def history_day(db: Path, env: dict[str, str]) -> dict:
    """What ``p1tui history --format json`` says about today."""
    done = subprocess.run(
        [sys.executable, "-m", "p1tui", "history", "--db", str(db), "--format", "json"],
        capture_output=True,
        env=env,
        timeout=TIMEOUT,
        check=True,
    )
    return json.loads(done.stdout)


def test_serve_publishes_todays_totals_as_history_reports_them(
    broker: Broker, env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    Path(env["P1TUI_CONFIG"]).write_text(
        '[history]\nbatch_seconds = 0.5\n[prices]\ncurrency = "EUR"\nimport = 0.25\nexport = 0.07\n'
    )
    watcher = Watcher(broker.port)
    with (
        serial_pty() as (fd, path),
        serve(env, path, "--mqtt", broker.url, "--db", str(db)) as command,
    ):
        meter = NowMeter(fd)
        try:
            base = f"{meter.base}/today"
            command.wait_line("link up", timeout=TIMEOUT)
            time.sleep(1)  # a few baseline telegrams
            meter.count.set()
            # The import counter moved 10 Wh and holds: history and MQTT must agree on it.
            day = wait_until(
                lambda: (d := history_day(db, env))["import_kwh"]["total"] == 0.01 and d,
                TIMEOUT,
                "the history to hold the 10 Wh",
            )
            assert day["cost"]["total"] is not None
            expected = {
                "import_kwh": day["import_kwh"]["total"],
                "export_kwh": day["export_kwh"]["total"],
                "gas_m3": day["gas_m3"],
                "cost": day["cost"]["total"],
            }
            # Home Assistant coming online has everything sent again, today's totals read anew.
            watcher.publish("homeassistant/status", "online")
            for key, value in expected.items():
                topic = f"{base}/{key}"
                wait_until(
                    lambda t=topic, v=value: (
                        watcher.received(t) and float(watcher.received(t)[-1]) == v
                    ),
                    TIMEOUT,
                    f"{topic} = {value}; got {watcher.received(topic)}",
                )
            config = json.loads(
                watcher.wait_for(f"homeassistant/sensor/p1tui_{meter.base[6:]}/today_cost/config")
            )
            assert config["device_class"] == "monetary"
            assert config["unit_of_measurement"] == "EUR"
            assert config["state_topic"] == f"{base}/cost"
            energy = json.loads(
                watcher.wait_for(
                    f"homeassistant/sensor/p1tui_{meter.base[6:]}/today_import_kwh/config"
                )
            )
            assert (energy["unit_of_measurement"], energy["state_class"]) == (
                "kWh",
                "total_increasing",
            )
            assert command.stop(signal.SIGTERM) == 0
        finally:
            meter.stop()
    watcher.close()


def test_serve_counts_what_mqtt_dropped_while_the_broker_was_frozen(
    broker: Broker, env: dict[str, str]
) -> None:
    """The built-in meter at 20 times its pace over TCP, a broker frozen with SIGSTOP: the
    publisher's queue fills and drops, and the stop line says how many."""
    port = free_port()
    assert broker.process is not None
    with (
        Command("simulate", "--out", f"tcp://127.0.0.1:{port}", "--speed", "20", env=env),
        serve(env, f"socket://127.0.0.1:{port}", "--mqtt", broker.url) as command,
    ):
        command.wait_line("connected to MQTT broker", timeout=TIMEOUT)
        command.wait_line("link up", timeout=TIMEOUT)
        broker.process.send_signal(signal.SIGSTOP)
        try:
            command.wait_line("does not keep up: dropping messages", timeout=TIMEOUT * 2)
            assert command.stop(signal.SIGTERM) == 0
        finally:
            broker.process.send_signal(signal.SIGCONT)
    (stopped,) = [line for line in command.lines if " stopped: " in line]
    found = re.search(r"; MQTT: (\d+) messages? dropped while the broker did not keep up", stopped)
    assert found, stopped
    assert int(found.group(1)) > 0


def test_the_periodic_summary_counts_mqtt_drops_since_the_start(
    broker: Broker, env: dict[str, str]
) -> None:
    """In process, with the interval cut to half a second: the real reader on the built-in
    meter's TCP stream, the collector's fan-out, the publisher as ``serve`` wires it."""
    import io
    import logging

    from p1tui.collector.listen import ListenAddress
    from p1tui.collector.log import collector_log
    from p1tui.collector.service import Collector
    from p1tui.link.settings import SerialSettings
    from p1tui.mqtt import from_section, start_mqtt

    out = io.StringIO()
    log = collector_log(logging.INFO, out)
    port = free_port()
    assert broker.process is not None
    with Command("simulate", "--out", f"tcp://127.0.0.1:{port}", "--speed", "20", env=env):
        collector = Collector(
            SerialSettings(f"socket://127.0.0.1:{port}"),
            ListenAddress("127.0.0.1", 0),
            log,
            summary_every=0.5,
        )
        publisher = start_mqtt(from_section({"url": broker.url}), collector.fanout, log=log)
        collector.attach(publisher)
        stop = threading.Event()
        collector.start()
        runner = threading.Thread(target=collector.run_until, args=(stop,), daemon=True)
        runner.start()
        pattern = re.compile(r"; MQTT: (\d+) messages? dropped while the broker did not keep up")
        try:
            wait_until(lambda: publisher.connected, TIMEOUT, "the connection to the broker")
            wait_until(lambda: "link up" in out.getvalue(), TIMEOUT, "the meter's telegrams")
            summaries = wait_until(
                lambda: [s for s in out.getvalue().splitlines() if "summary:" in s],
                TIMEOUT,
                "a first summary",
            )
            assert not any(pattern.search(line) for line in summaries)  # nothing lost yet
            broker.process.send_signal(signal.SIGSTOP)
            line = wait_until(
                lambda: [s for s in out.getvalue().splitlines() if "summary:" in s and "MQTT" in s],
                TIMEOUT * 2,
                "a summary with MQTT drops",
            )[0]
        finally:
            stop.set()
            runner.join(TIMEOUT)
            collector.stop()
            publisher.stop()
            broker.process.send_signal(signal.SIGCONT)
    found = pattern.search(line)
    assert found, line
    (stopped,) = [s for s in out.getvalue().splitlines() if " stopped: " in s]
    # The stop line counts since the start, after the publisher finished: as many or more.
    assert int(pattern.search(stopped).group(1)) >= int(found.group(1)) > 0
