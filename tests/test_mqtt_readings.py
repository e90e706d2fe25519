"""A telegram as MQTT topics and Home Assistant discovery configs (no broker needed).

Expected values are read from the telegram files' own lines, not from the parser.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from mqtt_helpers import LINE_OF, TELEGRAMS, sent_value

from p1tui.dsmr import Framer, parse
from p1tui.mqtt.readings import (
    MeterTopics,
    discovery_messages,
    manufacturer,
    meter_level,
    state_messages,
)

FILES = sorted(p.name for p in TELEGRAMS.glob("*.txt"))


def load(name: str):
    frames = Framer().feed((TELEGRAMS / name).read_bytes())
    return frames[0], parse(frames[0])


def messages(name: str, meter_name: str | None = None):
    frame, telegram = load(name)
    topics = MeterTopics("p1tui", meter_level(telegram, meter_name))
    discovery = discovery_messages(telegram, topics, meter_name)
    return topics, state_messages(telegram, frame, topics), discovery


@pytest.mark.parametrize("name", FILES)
def test_each_reading_is_its_lines_number_as_sent(name: str) -> None:
    topics, state, _ = messages(name)
    checked = 0
    for key, obis in LINE_OF.items():
        expected = sent_value(name, obis)
        topic = topics.state(key)
        if expected is None:
            continue
        assert topic in state, f"{name}: {obis} sent but no {topic}"
        assert Decimal(state[topic]) == expected
        assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", state[topic]), state[topic]
        checked += 1
    if sent_value(name, "1-0:1.7.0") is not None:
        assert checked >= 3


@pytest.mark.parametrize("name", FILES)
def test_only_the_readings_a_telegram_carries_are_published(name: str) -> None:
    topics, state, discovery = messages(name)
    for key, obis in LINE_OF.items():
        if sent_value(name, obis) is None:
            assert topics.state(key) not in state, f"{name}: {key} published without {obis}"
    # every state topic but the telegram has exactly one discovery config, and back
    keys = {t.rsplit("/", 1)[1] for t in state} - {"telegram"}
    configs = {json.loads(c)["state_topic"].rsplit("/", 1)[1] for c in discovery.values()}
    assert keys == configs


def test_the_telegram_topic_is_the_object_p1tui_decode_writes() -> None:
    name = "dsmrparser__fluvius-emucs171-SPECEXAMPLE__1.txt"
    topics, state, _ = messages(name)
    decoded = subprocess.run(
        [sys.executable, "-m", "p1tui", "decode", str(TELEGRAMS / name)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert json.loads(state[topics.telegram]) == json.loads(decoded)


def test_topics_are_under_prefix_and_equipment_id_or_the_configured_name() -> None:
    name = "openhab__iskra-am550t-3ph-gas__1.txt"
    _, telegram = load(name)
    topics, state, discovery = messages(name)
    assert topics.meter == telegram.equipment_id == "E0044006903312917"
    assert all(t.startswith("p1tui/E0044006903312917/") for t in state)
    _, state, discovery = messages(name, meter_name="house")
    assert all(t.startswith("p1tui/house/") for t in state)
    assert all(t.startswith("homeassistant/sensor/p1tui_house/") for t in discovery)
    assert {json.loads(c)["device"]["name"] for c in discovery.values()} >= {"house"}


def classes(config: dict) -> tuple[str, str, str]:
    return config.get("device_class"), config.get("state_class"), config.get("unit_of_measurement")


def test_energy_power_and_m_bus_sensors_have_the_classes_home_assistant_expects() -> None:
    _, _, discovery = messages("dsmrparser__fluvius-t211-gas-water__1.txt")
    configs = {}
    for text in discovery.values():
        config = json.loads(text)
        configs[config["unique_id"].removeprefix("p1tui_1SAG3100721326_")] = config
    for key, config in configs.items():
        assert config["unique_id"] == f"p1tui_1SAG3100721326_{key}"
        assert config["availability_topic"] == "p1tui/1SAG3100721326/availability"
        if key.startswith("energy_"):
            assert classes(config) == ("energy", "total_increasing", "kWh")
        if key.endswith(("power_import_kw", "power_export_kw")):
            assert classes(config) == ("power", "measurement", "kW")
    assert classes(configs["mbus1_gas"]) == ("gas", "total_increasing", "m³")
    assert classes(configs["mbus2_water"]) == ("water", "total_increasing", "m³")
    assert classes(configs["peak_current_quarter_kw"]) == ("power", "measurement", "kW")
    assert classes(configs["l1_voltage_v"]) == ("voltage", "measurement", "V")
    assert configs["energy_import_tariff1_kwh"]["name"].endswith("(day)")  # Belgian meaning
    assert len({c["unique_id"] for c in configs.values()}) == len(configs)


def test_heat_is_energy_in_gigajoules() -> None:
    _, state, discovery = messages("dsmrparser__nwa-warmtelink-heat__1.txt")
    (config,) = [json.loads(c) for c in discovery.values() if "mbus1_heat" in c]
    assert classes(config) == ("energy", "total_increasing", "GJ")
    assert state[config["state_topic"]] == "240.860"


def test_the_meter_device_carries_equipment_id_manufacturer_and_version() -> None:
    _, telegram = load("openhab__iskra-am550t-3ph-gas__1.txt")
    _, _, discovery = messages("openhab__iskra-am550t-3ph-gas__1.txt")
    devices = {json.dumps(json.loads(c)["device"], sort_keys=True) for c in discovery.values()}
    meter, gas = sorted((json.loads(d) for d in devices), key=lambda d: "via_device" in d)
    assert meter["identifiers"] == ["p1tui_E0044006903312917"]
    assert meter["serial_number"] == telegram.equipment_id
    assert meter["manufacturer"] == "Iskraemeco"  # /ISK5\2M550T-1012
    assert meter["model"] == "M550T-1012"
    assert meter["sw_version"] == "DSMR 5.0"
    assert gas["via_device"] == "p1tui_E0044006903312917"
    assert gas["serial_number"] == telegram.mbus[0].equipment_id
    assert "gas" in gas["model"] and gas["name"] == "Gas meter"


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("dsmrtools__kamstrup-zabf-gasch2__1.txt", 2),
        ("dsmrtools__iskra-mt382-dsmr22-gasch2__1.txt", 2),
        ("dsmrparser__iskra-am550t-2mbus__1.txt", 2),
    ],
)
def test_gas_on_any_channel_and_no_topic_for_an_empty_channel(name: str, channel: int) -> None:
    topics, state, discovery = messages(name)
    gas = [t for t in state if t.startswith(f"{topics.base}/mbus")]
    assert gas == [topics.state(f"mbus{channel}_gas")]
    text = (TELEGRAMS / name).read_text()
    assert state[gas[0]] in text or f"{Decimal(state[gas[0]]):012.3f}" in text
    assert sum('"via_device"' in c for c in discovery.values()) == 1


def test_manufacturer_from_the_header_flag() -> None:
    assert manufacturer("/XMX5LGBBFG1012463538") == "Landis+Gyr"
    assert manufacturer("/Ene5\\T210-D ESMR5.0") == "Sagemcom"
    assert manufacturer("/ISk5\\2MT382-1000") == "Iskraemeco"
    assert manufacturer("/QQQ5unknown") == "QQQ"
