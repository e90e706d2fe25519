"""Which retained discovery configs are stale: the rules on a clock the test drives.

The publisher feeds :class:`StaleConfigs` what the broker holds and the readings of each
telegram; the real-broker side is in ``test_mqtt_publisher``.
"""

from __future__ import annotations

import json

from p1tui.mqtt.readings import MeterTopics
from p1tui.mqtt.stale import MAX_HELD, StaleConfigs

TOPICS = MeterTopics("p1tui", "E0044", "homeassistant")
OTHER = MeterTopics("p1tui", "E0099", "homeassistant")
HOUR = 3600.0


def config(key: str, topics: MeterTopics = TOPICS, **changes: object) -> bytes:
    """A config as p1tui announces one, with ``changes`` to its keys."""
    body = {
        "name": key,
        "unique_id": f"{topics.device_id}_{key}",
        "state_topic": topics.state(key),
        "availability_topic": topics.availability,
        **changes,
    }
    return json.dumps(body).encode()


def held(stale: StaleConfigs, *keys: str) -> None:
    for key in keys:
        stale.heard(TOPICS.config(key), config(key))


def read(stale: StaleConfigs, keys: list[str], start: float, seconds: float, every: float = 1.0):
    """Telegrams carrying ``keys`` every ``every`` seconds from ``start`` for ``seconds``."""
    now = start
    while now < start + seconds:
        stale.telegram(keys, now)
        now += every
    return now


def due_keys(stale: StaleConfigs) -> list[str]:
    return [key for key, _, _ in stale.due()]


def test_a_reading_missing_for_the_whole_period_is_due_with_its_state_topic() -> None:
    stale = StaleConfigs(TOPICS, retire_after=900)
    held(stale, "power_import_kw", "l2_voltage_v")
    now = read(stale, ["power_import_kw"], 0, 899)
    assert stale.due() == []  # 899 s of reading: not yet
    read(stale, ["power_import_kw"], now, 2)
    assert stale.due() == [
        ("l2_voltage_v", TOPICS.config("l2_voltage_v"), TOPICS.state("l2_voltage_v"))
    ]
    stale.removed(TOPICS.config("l2_voltage_v"))
    assert stale.due() == []


def test_a_reading_in_only_some_telegrams_never_goes() -> None:
    """M-Bus lines every 5 minutes, an optional line now and then: hours of it."""
    stale = StaleConfigs(TOPICS, retire_after=900)
    held(stale, "power_import_kw", "mbus1_gas", "voltage_sags_l1")
    now = 0.0
    for minute in range(6 * 60):
        keys = ["power_import_kw"]
        if minute % 5 == 0:
            keys.append("mbus1_gas")
        if minute % 14 == 0:
            keys.append("voltage_sags_l1")
        now = read(stale, keys, now, 60)
        assert stale.due() == []


def test_by_default_a_gas_line_sent_only_hourly_stays_and_a_missing_one_goes() -> None:
    stale = StaleConfigs(TOPICS)
    held(stale, "power_import_kw", "mbus1_gas", "mbus2_water")
    now = 0.0
    for hour in range(12):
        now = read(stale, ["power_import_kw", "mbus1_gas"], now, 10, every=10)
        now = read(stale, ["power_import_kw"], now, HOUR - 10, every=10)
        assert due_keys(stale) == ([] if hour < 2 else ["mbus2_water"])


def test_time_without_telegrams_does_not_count() -> None:
    """A link down for a day, then one telegram without the gas: the gas stays."""
    stale = StaleConfigs(TOPICS, retire_after=900, max_gap=60)
    held(stale, "power_import_kw", "mbus1_gas")
    now = read(stale, ["power_import_kw", "mbus1_gas"], 0, 600)
    stale.telegram(["power_import_kw"], now + 24 * HOUR)
    stale.telegram(["power_import_kw"], now + 24 * HOUR + 1)
    assert stale.due() == []
    # It counts again once telegrams flow: 15 minutes of them without the gas.
    read(stale, ["power_import_kw"], now + 24 * HOUR + 2, 900)
    assert due_keys(stale) == ["mbus1_gas"]


def test_a_reading_that_went_comes_back_later_and_is_kept_again() -> None:
    stale = StaleConfigs(TOPICS, retire_after=900)
    held(stale, "mbus1_gas")
    now = read(stale, ["mbus1_gas"], 0, 100)
    now = read(stale, [], now, 901)
    assert due_keys(stale) == ["mbus1_gas"]
    stale.removed(TOPICS.config("mbus1_gas"))
    stale.heard(TOPICS.config("mbus1_gas"), b"")  # the broker echoes the removal
    read(stale, ["mbus1_gas"], now, 10)
    held(stale, "mbus1_gas")  # announced again
    assert stale.due() == []


def test_only_this_meters_own_p1tui_configs_are_considered() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    stale.heard(OTHER.config("l2_voltage_v"), config("l2_voltage_v", OTHER))
    stale.heard(TOPICS.config("handmade"), config("handmade", unique_id="my_own_sensor"))
    stale.heard(TOPICS.config("garbage"), b"not json")
    stale.heard(TOPICS.config("a_list"), b"[1, 2]")
    stale.heard("homeassistant/sensor/dsmr_reader/power/config", config("power"))
    stale.heard(TOPICS.config("deep/er"), config("deep/er"))
    stale.heard("homeassistant/status", b"online")
    held(stale, "old_name_for_power")
    read(stale, ["power_import_kw"], 0, 20)
    assert due_keys(stale) == ["old_name_for_power"]


def test_a_removal_on_the_broker_is_no_longer_held() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    held(stale, "l3_voltage_v")
    stale.heard(TOPICS.config("l3_voltage_v"), b"")
    read(stale, [], 0, 20)
    assert stale.due() == []


def test_a_new_connection_forgets_what_the_broker_held() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    held(stale, "l3_voltage_v")
    stale.forget_held()  # a broker restarted without persistence holds nothing
    read(stale, [], 0, 20)
    assert stale.due() == []


def test_readings_seen_apart_from_telegrams_stay() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    held(stale, "today_import_kwh", "today_gas_m3")
    now = 0.0
    for _ in range(30):
        now = read(stale, ["power_import_kw"], now, 1)
        stale.seen(["today_import_kwh"])  # today's totals, announced apart from telegrams
    assert due_keys(stale) == ["today_gas_m3"]


def test_a_state_topic_is_cleared_only_when_it_is_ours_and_no_live_config_names_it() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    held(stale, "power_import_kw")
    # An older naming whose state topic is a live reading's, one pointing at another
    # meter's topic, and one naming the availability topic.
    stale.heard(
        TOPICS.config("import_power"),
        config("import_power", state_topic=TOPICS.state("power_import_kw")),
    )
    stale.heard(TOPICS.config("borrowed"), config("borrowed", state_topic=OTHER.state("borrowed")))
    stale.heard(TOPICS.config("status"), config("status", state_topic=TOPICS.availability))
    read(stale, ["power_import_kw"], 0, 20)
    assert sorted(stale.due()) == [
        ("borrowed", TOPICS.config("borrowed"), None),
        ("import_power", TOPICS.config("import_power"), None),
        ("status", TOPICS.config("status"), None),
    ]


def test_what_is_held_stays_bounded() -> None:
    stale = StaleConfigs(TOPICS, retire_after=10)
    for i in range(MAX_HELD * 5):
        held(stale, f"flood{i}")
    read(stale, [], 0, 20)
    assert len(stale.due()) == MAX_HELD
