"""The publisher against a real Mosquitto broker started by the tests.

The broker is stopped, restarted, frozen with SIGSTOP and given a password file; a
publisher process is killed with SIGKILL. Nothing is mocked.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from mqtt_helpers import (
    LINE_OF,
    MOSQUITTO,
    Broker,
    Watcher,
    received,
    sent_value,
    telegram_bytes,
    wait_until,
    with_line,
    without_lines,
)
from test_link_helpers import restamped

from p1tui import __version__
from p1tui.link.events import LinkEvent, LinkState, StateChanged
from p1tui.link.fanout import FanOut
from p1tui.mqtt import MeterTopics, MqttPublisher, TodayTotals, from_section, start_mqtt
from p1tui.mqtt.readings import discovery_messages, meter_level, readings, state_messages
from p1tui.store import HistoryWriter, open_store
from p1tui.store.prices import parse_prices

pytestmark = pytest.mark.skipif(
    MOSQUITTO is None, reason="mosquitto is not installed (CI installs it with apt-get)"
)

NL = "openhab__iskra-am550t-3ph-gas__1.txt"
BE = "dsmrparser__fluvius-t211-gas-water__1.txt"
GAS_ON_CHANNEL_2 = "dsmrtools__kamstrup-zabf-gasch2__1.txt"
NL_POWER_LINE = b"1-0:1.7.0(00.519*kW)"


@pytest.fixture
def watcher(broker: Broker) -> Iterator[Watcher]:
    watcher = Watcher(broker.port)
    yield watcher
    watcher.close()


@pytest.fixture
def publisher_for(broker: Broker) -> Iterator[Callable[..., MqttPublisher]]:
    started: list[MqttPublisher] = []

    def make(url: str | None = None, **section: object) -> MqttPublisher:
        settings = from_section({"url": url or broker.url, **section})
        publisher = MqttPublisher(settings, reconnect_max_delay=2)
        publisher.start()
        started.append(publisher)
        return publisher

    yield make
    for publisher in started:
        publisher.stop()


def topics_of(raw: bytes) -> MeterTopics:
    return MeterTopics("p1tui", meter_level(received(raw).telegram, None))


@pytest.mark.parametrize("name", [NL, BE, GAS_ON_CHANNEL_2])
def test_discovery_and_state_of_real_telegrams_reach_the_broker_retained(
    name: str, broker: Broker, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(name)
    event = received(raw)
    telegram = event.telegram
    topics = topics_of(raw)
    publisher_for().put(event)
    # A subscriber that comes later gets everything from the broker's retained store.
    first = Watcher(broker.port, f"{topics.base}/telegram")
    first.wait_for(topics.telegram)
    first.close()
    late = Watcher(broker.port)
    late.wait_for(topics.availability, "online")
    # The broker hands out retained messages in its topic tree's order: wait for them all.
    expected = {
        *state_messages(telegram, event.frame, topics),
        *discovery_messages(telegram, topics),
    }
    wait_until(lambda: expected <= set(late.latest()), 30, f"all of {sorted(expected)}")
    assert all(retain for _, _, retain in late.messages)
    state = late.latest()

    for key, obis in LINE_OF.items():
        sent = sent_value(name, obis)
        if sent is not None:
            assert Decimal(state[topics.state(key)]) == sent
    for device in telegram.mbus:
        if device.equipment_id:
            topic = topics.state(f"mbus{device.channel}_{device.medium}")
            assert Decimal(state[topic]) == device.reading
    decoded = subprocess.run(
        [sys.executable, "-m", "p1tui", "decode", str(Path(__file__).parent / "telegrams" / name)],
        capture_output=True,
        check=True,
    ).stdout
    assert json.loads(state[topics.telegram]) == json.loads(decoded)

    configs = [json.loads(p) for t, p in state.items() if t.startswith("homeassistant/")]
    readings = {t for t in state if t.startswith(topics.base)} - {
        topics.telegram,
        topics.availability,
    }
    assert {c["state_topic"] for c in configs} == readings
    for config in configs:
        assert config["availability_topic"] == topics.availability
        assert config["unique_id"] == f"p1tui_{topics.meter}_{config['state_topic'].split('/')[-1]}"
    via = {c["device"].get("via_device") for c in configs} - {None}
    assert via == {f"p1tui_{topics.meter}"}
    if name == BE:
        assert Decimal(state[topics.state("peak_month_max_kw")]) > 0
        assert {"mbus1_gas", "mbus2_water"} <= {t.split("/")[-1] for t in readings}
    late.close()


def test_availability_follows_the_link_and_stop_leaves_offline(
    broker: Broker, watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    publisher = publisher_for()
    publisher.put(received(raw))
    watcher.wait_for(topics.availability, "online")
    publisher.put(StateChanged(LinkState.DISCONNECTED, "cable unplugged", time.time(), 5.0))
    watcher.wait_for(topics.availability, "offline")
    publisher.put(received(raw))
    watcher.wait_for(topics.availability, "online", count=2)
    publisher.stop()
    watcher.wait_for(topics.availability, "offline", count=2)
    late = Watcher(broker.port, topics.availability)
    assert late.wait_for(topics.availability) == "offline"
    late.close()


def test_the_broker_stopped_and_started_gets_the_latest_state_again(
    broker: Broker, watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    power = topics.state("power_import_kw")
    publisher = publisher_for()
    publisher.put(received(raw))
    watcher.wait_for(power, "0.519")
    broker.stop()
    wait_until(lambda: not publisher.connected, 30, "the publisher to notice")
    # The meter goes on while the broker is away; put() returns at once every time.
    newer = received(with_line(raw, NL_POWER_LINE, b"1-0:1.7.0(01.234*kW)"))
    for _ in range(500):
        publisher.put(newer)
    broker.start()  # no persistence: the restarted broker holds no retained message
    watcher.wait_for(power, "1.234")
    watcher.wait_for(topics.availability, "online", count=2)
    late = Watcher(broker.port)
    late.wait_for(topics.config("power_import_kw"))
    assert late.latest()[power] == "1.234"
    late.close()


def test_the_broker_away_at_start_is_retried_until_it_comes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="p1tui.mqtt")
    broker = Broker(tmp_path)  # configured, not started yet
    publisher = MqttPublisher(from_section({"url": broker.url}), reconnect_max_delay=1)
    publisher.start()
    raw = telegram_bytes(BE)
    for _ in range(200):
        publisher.put(received(raw))
    wait_until(lambda: "cannot reach the MQTT broker" in caplog.text, 30, "the warning")
    broker.start()
    try:
        watcher = Watcher(broker.port)
        watcher.wait_for(topics_of(raw).state("mbus2_water"))
        watcher.close()
    finally:
        publisher.stop()
        broker.stop()


def test_a_frozen_broker_never_blocks_the_caller_and_gets_the_latest_value_after(
    broker: Broker, watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    power = topics.state("power_import_kw")
    publisher = publisher_for()
    publisher.put(received(raw))
    watcher.wait_for(power, "0.519")
    events = [
        received(with_line(raw, NL_POWER_LINE, f"1-0:1.7.0({i / 1000:06.3f}*kW)".encode()))
        for i in range(1, 1000)
    ]
    last = received(with_line(raw, NL_POWER_LINE, b"1-0:1.7.0(09.999*kW)"))
    assert broker.process is not None
    broker.process.send_signal(signal.SIGSTOP)
    try:
        # The meter goes on; the publisher's queue to the frozen broker fills up and
        # drops instead of growing, and put() never waits for it.
        for i in range(200_000):
            publisher.put(events[i % len(events)])
            if publisher.dropped_messages:
                break
            if i % 50 == 0:
                time.sleep(0.001)
        assert publisher.dropped_messages > 0
        publisher.put(last)
    finally:
        broker.process.send_signal(signal.SIGCONT)
    watcher.wait_for(power, "9.999")
    assert publisher.connected


def test_home_assistant_coming_online_gets_the_discovery_again(
    watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(BE)
    topics = topics_of(raw)
    config = topics.config("mbus1_gas")
    publisher_for().put(received(raw))
    watcher.wait_for(config)
    watcher.publish("homeassistant/status", "offline")
    watcher.publish("homeassistant/status", "online")
    watcher.wait_for(config, count=2)
    assert json.loads(watcher.received(config)[1])["device_class"] == "gas"


def test_publish_every_holds_back_telegrams_in_between(
    watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    publisher = publisher_for(publish_every=3600)
    publisher.put(received(raw))
    watcher.wait_for(topics.telegram)
    publisher.put(received(with_line(raw, NL_POWER_LINE, b"1-0:1.7.0(00.500*kW)")))
    publisher.put(StateChanged(LinkState.STALE, "no telegram for 30 s", time.time()))
    watcher.wait_for(topics.availability, "offline")  # handled after the telegram before it
    assert len(watcher.received(topics.telegram)) == 1
    assert watcher.received(topics.state("power_import_kw")) == ["0.519"]


def test_another_meter_on_the_link_gets_its_own_topics_and_the_first_goes_offline(
    watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    first, second = telegram_bytes(NL), telegram_bytes(BE)
    publisher = publisher_for()
    publisher.put(received(first))
    watcher.wait_for(topics_of(first).availability, "online")
    publisher.put(received(second))  # the cable moved to another meter, or a meter swap
    watcher.wait_for(topics_of(second).state("mbus2_water"))
    watcher.wait_for(topics_of(second).availability, "online")
    watcher.wait_for(topics_of(first).availability, "offline")


KILLED_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[3])
from mqtt_helpers import received, telegram_bytes
from p1tui.mqtt import MqttPublisher, from_section
publisher = MqttPublisher(from_section({"url": sys.argv[1]}))
publisher.start()
publisher.put(received(telegram_bytes(sys.argv[2])))
while not publisher.connected:
    time.sleep(0.05)
print("connected", flush=True)
time.sleep(600)
"""


def test_a_publisher_killed_with_sigkill_leaves_offline_as_its_last_will(
    broker: Broker, watcher: Watcher
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, broker.url, NL, str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
    )
    try:
        watcher.wait_for(topics.availability, "online")
        watcher.wait_for(topics.telegram)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
        watcher.wait_for(topics.availability, "offline")
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    late = Watcher(broker.port, topics.availability)
    assert late.wait_for(topics.availability) == "offline"
    late.close()


def test_a_wrong_password_is_named_in_the_log_without_printing_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broker = Broker(tmp_path, users={"meter": "right-horse-battery"})
    broker.start()
    secret = tmp_path / "mqtt.secret"
    secret.write_text("wrong-staple-9\n")
    secret.chmod(0o644)
    section = {"url": broker.url, "username": "meter", "password_file": str(secret)}
    publisher = MqttPublisher(from_section(section), reconnect_max_delay=1)
    publisher.start()
    try:
        publisher.put(received(telegram_bytes(NL)))
        wait_until(lambda: "refused user 'meter'" in caplog.text, 30, "the refusal in the log")
        (refusal,) = [r for r in caplog.records if "refused user" in r.getMessage()]
        assert refusal.levelno == logging.ERROR
        assert "password" in refusal.getMessage() and str(secret) in refusal.getMessage()
        assert not publisher.connected
        assert f"chmod 600 {secret}" in caplog.text  # and the file is readable by all
    finally:
        publisher.stop()
    # The same settings with the right password do connect.
    secret.write_text("right-horse-battery\n")
    publisher = MqttPublisher(from_section(section), reconnect_max_delay=1)
    publisher.start()
    try:
        publisher.put(received(telegram_bytes(NL)))
        wait_until(lambda: publisher.connected, 30, "the connection with the right password")
    finally:
        publisher.stop()
        broker.stop()
    assert "wrong-staple-9" not in caplog.text
    assert "right-horse-battery" not in caplog.text


def test_mqtts_with_the_configured_ca_and_a_clear_word_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="p1tui.mqtt")
    broker = Broker(tmp_path, tls=True)
    broker.start()
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    untrusting = MqttPublisher(from_section({"url": broker.url}), reconnect_max_delay=1)
    untrusting.start()
    untrusting.put(received(raw))
    try:
        wait_until(lambda: "certificate is not trusted" in caplog.text, 30, "the TLS refusal")
        assert "ca_file" in caplog.text
        assert not untrusting.connected
    finally:
        untrusting.stop()
    publisher = MqttPublisher(
        from_section({"url": broker.url, "ca_file": str(broker.ca)}), reconnect_max_delay=1
    )
    publisher.start()
    publisher.put(received(raw))
    watcher = Watcher(broker.port, ca=broker.ca)
    try:
        watcher.wait_for(topics.state("mbus1_gas"), "212.529")
    finally:
        watcher.close()
        publisher.stop()
        broker.stop()


def test_start_mqtt_subscribes_to_the_links_fan_out_and_stop_unsubscribes(
    broker: Broker, watcher: Watcher
) -> None:
    fanout = FanOut()
    publisher = start_mqtt(from_section({"url": broker.url, "meter_name": "house"}), fanout)
    (subscription,) = fanout.subscriptions
    raw = telegram_bytes(BE)
    fanout.publish(received(raw))
    watcher.wait_for("p1tui/house/peak_month_max_kw")
    watcher.wait_for("p1tui/house/availability", "online")
    fanout.publish(StateChanged(LinkState.DISCONNECTED, "cable unplugged", time.time(), 5.0))
    watcher.wait_for("p1tui/house/availability", "offline")
    fanout.publish(received(raw))
    watcher.wait_for("p1tui/house/availability", "online", count=2)
    fanout.end()  # the collector stops: the publisher says offline and ends by itself
    watcher.wait_for("p1tui/house/availability", "offline", count=2)
    wait_until(lambda: not publisher.running, 30, "the publisher to end")
    publisher.stop()
    assert subscription.closed
    assert fanout.subscriptions == ()


L2_L3 = tuple(
    f"1-0:{code}"
    for code in [
        "52.32.0",
        "72.32.0",
        "52.36.0",
        "72.36.0",
        "52.7.0",
        "72.7.0",
        "51.7.0",
        "71.7.0",
        "41.7.0",
        "61.7.0",
        "42.7.0",
        "62.7.0",
    ]
)
"""The NL meter's lines of phases 2 and 3: without them it is a one-phase meter."""
GAS = ("0-1:24.1.0", "0-1:96.1.0", "0-1:24.2.1")


@contextmanager
def meter(publisher: MqttPublisher, event: LinkEvent) -> Iterator[Callable[[LinkEvent], None]]:
    """Puts ``event`` ten times a second, as a meter sends, until the block ends; the
    callable it gives changes the telegram."""
    current = [event]
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.1):
            publisher.put(current[0])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield lambda changed: current.__setitem__(0, changed)
    finally:
        stop.set()
        thread.join(10)


def retained(port: int) -> dict[str, str]:
    """Every message the broker holds now: a new subscriber gets them first, before the
    message it publishes itself afterwards."""
    late = Watcher(port)
    try:
        late.publish("p1tui-test/barrier", "now")
        late.wait_for("p1tui-test/barrier")
        return {t: p for t, p, kept in late.messages if kept}
    finally:
        late.close()


def test_configs_of_readings_the_meter_no_longer_sends_go_and_no_one_elses(
    broker: Broker, watcher: Watcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="p1tui.mqtt")
    three_phases = telegram_bytes(NL)
    topics = topics_of(three_phases)
    first = MqttPublisher(from_section({"url": broker.url}))
    first.start()
    first.put(received(three_phases))
    watcher.wait_for(topics.config("l3_voltage_v"))
    watcher.wait_for(topics.state("l3_voltage_v"))
    first.stop()
    # Others' configs on the same broker: another meter's, a hand-made one under this
    # meter's node, another program's, and today's totals of a collector with a history.
    other = MeterTopics("p1tui", "E0099")
    foreign = {
        other.config("l3_voltage_v"): json.dumps(
            {"unique_id": "p1tui_E0099_l3_voltage_v", "state_topic": other.state("l3_voltage_v")}
        ),
        topics.config("my_sum"): json.dumps(
            {"unique_id": "my_sum", "state_topic": topics.state("l3_voltage_v")}
        ),
        "homeassistant/sensor/dsmr_reader/l3_voltage/config": json.dumps(
            {"unique_id": "dsmr_l3", "state_topic": "dsmr/l3"}
        ),
        topics.config("today_import_kwh"): json.dumps(
            {"unique_id": f"{topics.device_id}_today_import_kwh"}
        ),
    }
    for topic, payload in foreign.items():
        watcher.client.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)

    # The meter is now read as a one-phase meter (a swap, or its phases set otherwise).
    one_phase = received(without_lines(three_phases, *L2_L3))
    gone = {s.key for s, _ in readings(received(three_phases).telegram)} - {
        s.key for s, _ in readings(one_phase.telegram)
    }
    assert len(gone) == 12 and "l2_voltage_v" in gone and "voltage_swells_l3" in gone
    publisher = MqttPublisher(from_section({"url": broker.url}), retire_after=2)
    publisher.start()
    try:
        with meter(publisher, one_phase):
            for key in gone:
                watcher.wait_for(topics.config(key), "")
                watcher.wait_for(topics.state(key), "")
            wait_until(lambda: "no longer sends" in caplog.text, 30, "the log line")
    finally:
        publisher.stop()
    held = retained(broker.port)
    expected = {*discovery_messages(one_phase.telegram, topics)}
    expected |= {*state_messages(one_phase.telegram, one_phase.frame, topics)}
    assert expected <= set(held)
    for key in gone:
        assert topics.config(key) not in held and topics.state(key) not in held
    for topic, payload in foreign.items():
        assert held[topic] == payload
    (line,) = [r.getMessage() for r in caplog.records if "no longer sends" in r.getMessage()]
    assert line.startswith("removed 12 sensors from Home Assistant")
    assert set(line.split(": ", 1)[1].split(", ")) == gone
    # Everything the one-phase meter sends was announced once and never removed.
    for topic in discovery_messages(one_phase.telegram, topics):
        assert "" not in watcher.received(topic)


def test_a_gas_meter_taken_off_goes_and_comes_back_when_it_is_coupled_again(
    broker: Broker, watcher: Watcher
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    config, state = topics.config("mbus1_gas"), topics.state("mbus1_gas")
    publisher = MqttPublisher(from_section({"url": broker.url}), retire_after=1)
    publisher.start()
    try:
        with meter(publisher, received(raw)) as change:
            watcher.wait_for(config)
            watcher.wait_for(state, "212.529")
            change(received(without_lines(raw, *GAS)))
            watcher.wait_for(config, "")
            watcher.wait_for(state, "")
            change(received(raw))
            watcher.wait_for(config, count=3)
            watcher.wait_for(state, "212.529", count=2)
    finally:
        publisher.stop()
    assert json.loads(watcher.received(config)[2])["device_class"] == "gas"
    assert retained(broker.port)[state] == "212.529"
    assert watcher.received(topics.config("power_import_kw"))[-1] != ""


def test_a_reading_unreadable_at_first_gets_its_sensor_once_it_has_a_value(
    watcher: Watcher, publisher_for: Callable[..., MqttPublisher]
) -> None:
    raw = telegram_bytes(NL)
    topics = topics_of(raw)
    voltage = b"1-0:32.7.0(234.8*V)"
    publisher = publisher_for()
    publisher.put(received(with_line(raw, voltage, b"1-0:32.7.0()")))  # the same lines
    watcher.wait_for(topics.config("l2_voltage_v"))
    assert topics.config("l1_voltage_v") not in watcher.latest()
    publisher.put(received(raw))
    config = json.loads(watcher.wait_for(topics.config("l1_voltage_v")))
    assert config["state_topic"] == topics.state("l1_voltage_v")
    watcher.wait_for(topics.state("l1_voltage_v"), "234.8")


def test_todays_totals_stay_while_the_store_cannot_say_and_go_when_it_says_unknown(
    broker: Broker, watcher: Watcher, tmp_path: Path
) -> None:
    """An earlier run with a gas meter announced today's gas; the store now holds today
    without gas: that config goes, today's import stays. A store that cannot be read
    removes nothing."""
    raw = without_lines(telegram_bytes(NL), *GAS)
    topics = topics_of(raw)
    old = topics.config("old_name_for_power")  # goes in the same turn as any stale one
    for key in ("today_import_kwh", "today_gas_m3", "old_name_for_power"):
        config = json.dumps({"unique_id": f"{topics.device_id}_{key}"})
        watcher.client.publish(topics.config(key), config, qos=1, retain=True).wait_for_publish(10)
    log = logging.getLogger("test")
    missing = TodayTotals(tmp_path / "missing.sqlite3", parse_prices({}), None, log)
    publisher = MqttPublisher(from_section({"url": broker.url}), today=missing, retire_after=1)
    publisher.start()
    try:
        with meter(publisher, received(raw)):
            watcher.wait_for(old, "")
    finally:
        publisher.stop()
    assert "" not in watcher.received(topics.config("today_gas_m3"))

    db = tmp_path / "history.sqlite3"
    with open_store(db) as store:
        writer = HistoryWriter(store)
        now = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
        writer.add(received(restamped(raw, now)).telegram, time.time())
        writer.flush()
    today = TodayTotals(db, parse_prices({}), None, log)
    publisher = MqttPublisher(from_section({"url": broker.url}), today=today, retire_after=1)
    publisher.start()
    try:
        with meter(publisher, received(raw)):
            watcher.wait_for(topics.config("today_gas_m3"), "")
            watcher.wait_for(topics.state("today/import_kwh"), "0.0")
    finally:
        publisher.stop()
    assert "" not in watcher.received(topics.config("today_import_kwh"))
    assert json.loads(retained(broker.port)[topics.config("today_import_kwh")])["origin"] == {
        "name": "p1tui",
        "sw_version": __version__,
    }
