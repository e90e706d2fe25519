"""A real Mosquitto broker on a free loopback port, and a subscriber that records what it gets.

``test_mqtt_publisher`` imports this. The broker runs from a generated mosquitto.conf;
nothing is mocked.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from p1tui.dsmr import Framer, crc16_arc, parse
from p1tui.link.events import TelegramReceived

TELEGRAMS = Path(__file__).parent / "telegrams"

LINE_OF = {
    "power_import_kw": "1-0:1.7.0",
    "power_export_kw": "1-0:2.7.0",
    "energy_import_tariff1_kwh": "1-0:1.8.1",
    "energy_import_tariff2_kwh": "1-0:1.8.2",
    "energy_export_tariff1_kwh": "1-0:2.8.1",
    "energy_export_tariff2_kwh": "1-0:2.8.2",
    "tariff": "0-0:96.14.0",
    "l1_voltage_v": "1-0:32.7.0",
    "l2_current_a": "1-0:51.7.0",
    "l3_power_import_kw": "1-0:61.7.0",
    "l1_power_export_kw": "1-0:22.7.0",
    "power_failures": "0-0:96.7.21",
    "long_power_failures": "0-0:96.7.9",
    "voltage_sags_l1": "1-0:32.32.0",
    "voltage_swells_l2": "1-0:52.36.0",
    "peak_current_quarter_kw": "1-0:1.4.0",
}
"""A topic and the OBIS line whose (single) value it carries."""


def sent_value(name: str, obis: str) -> Decimal | None:
    """The number on the file's ``obis`` line in kW or kWh (as written); None if absent."""
    text = (TELEGRAMS / name).read_text(encoding="ascii", errors="replace")
    match = re.search(
        rf"^{re.escape(obis)}(?:\.255|\*255)?\(([-0-9.]+)(?:\*([^)]*))?\)", text, re.M
    )
    if match is None:
        return None
    value = Decimal(match.group(1))
    return value / 1000 if match.group(2) in ("W", "Wh") else value


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    path = Path("/usr/sbin") / name
    return str(path) if os.access(path, os.X_OK) else None


MOSQUITTO = _find("mosquitto")
MOSQUITTO_PASSWD = _find("mosquitto_passwd")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 30.0, what: str = "") -> object:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


class Broker:
    """``mosquitto -c CONF`` listening on 127.0.0.1 only; stop and start it again at will."""

    def __init__(
        self, directory: Path, *, users: dict[str, str] | None = None, tls: bool = False
    ) -> None:
        assert MOSQUITTO is not None
        self.port = free_port()
        self.directory = directory
        # Started as root, mosquitto would switch to the "mosquitto" user, who cannot read
        # the test's password file: it stays the user running the tests.
        user = pwd.getpwuid(os.getuid()).pw_name
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", f"user {user}"]
        if users:
            passwords = directory / "passwords"
            for i, (user, password) in enumerate(users.items()):
                create = ["-c"] if i == 0 else []
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", *create, str(passwords), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            ca, certificate, key = certificates(directory)
            self.ca = ca
            lines += [f"cafile {ca}", f"certfile {certificate}", f"keyfile {key}"]
        self.tls = tls
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._listening, 20, f"mosquitto on port {self.port} ({self.log})")

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"mosquitto ended: {self.log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate it signed for 127.0.0.1, made with openssl."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=p1tui test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (directory / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    )
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


class Watcher:
    """A paho subscriber to ``#`` that keeps every message; it reconnects with the broker."""

    def __init__(self, port: int, topic: str = "#", ca: Path | None = None) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._topic = topic
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watcher-{port}")
        self.client.reconnect_delay_set(1, 1)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()
        wait_until(self.subscribed.is_set, 20, "the watcher's subscription")

    def _on_connect(self, client: mqtt.Client, *_args: object) -> None:
        client.subscribe(self._topic, qos=1)

    def _on_message(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, msg.payload.decode(), bool(msg.retain)))

    def received(self, topic: str) -> list[str]:
        """Every payload received on ``topic``, in order."""
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def latest(self) -> dict[str, str]:
        """The last payload of each topic."""
        with self._lock:
            return {t: payload for t, payload, _ in self.messages}

    def wait_for(self, topic: str, payload: str | None = None, count: int = 1) -> str:
        """Wait until ``topic`` got ``count`` messages (with ``payload`` when given)."""

        def found() -> list[str]:  # a list: an empty payload (a removal) is found too
            got = [p for p in self.received(topic) if payload is None or p == payload]
            return got[count - 1 : count]

        what = f"{topic} = {payload!r} (x{count}); got {self.received(topic)}"
        return wait_until(found, 30, what)[0]

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def telegram_bytes(name: str) -> bytes:
    return (TELEGRAMS / name).read_bytes()


def with_line(raw: bytes, old: bytes, new: bytes) -> bytes:
    """The telegram with one value changed and its CRC made right again."""
    assert old in raw
    body = raw.replace(old, new)
    end = body.index(b"!") + 1
    return body[:end] + f"{crc16_arc(body[:end]):04X}\r\n".encode()


def without_lines(raw: bytes, *obis: str) -> bytes:
    """The telegram without the lines of these OBIS codes, its CRC made right again."""
    lines = raw.split(b"\r\n")
    kept = [line for line in lines if not line.decode("ascii").startswith(obis)]
    assert len(kept) == len(lines) - len(obis), f"not every one of {obis} is in the telegram"
    body = b"\r\n".join(kept)
    end = body.index(b"!") + 1
    return body[:end] + f"{crc16_arc(body[:end]):04X}\r\n".encode()


def received(raw: bytes) -> TelegramReceived:
    """The event the reader sends for these bytes."""
    frames = Framer().feed(raw)
    assert len(frames) == 1 and frames[0].valid
    return TelegramReceived(frames[0], parse(frames[0]), time.time())
