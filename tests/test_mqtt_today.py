"""Today's totals as MQTT messages: the topics, the discovery configs, an empty store."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from p1tui.mqtt.readings import MeterTopics
from p1tui.mqtt.today import EVERY, TodayTotals, today_discovery, today_messages
from p1tui.store import open_store
from p1tui.store.prices import parse_prices

TOPICS = MeterTopics("p1tui", "E0044006903312917")


def test_known_totals_get_a_topic_and_a_config_and_unknown_ones_none() -> None:
    values = {"import_kwh": 1.234, "export_kwh": 0.5}
    assert today_messages(values, TOPICS) == {
        "p1tui/E0044006903312917/today/import_kwh": "1.234",
        "p1tui/E0044006903312917/today/export_kwh": "0.5",
    }
    configs = today_discovery(values, TOPICS, {"identifiers": [TOPICS.device_id]})
    assert sorted(configs) == [
        "homeassistant/sensor/p1tui_E0044006903312917/today_export_kwh/config",
        "homeassistant/sensor/p1tui_E0044006903312917/today_import_kwh/config",
    ]


def test_cost_is_monetary_with_the_currency_as_its_unit() -> None:
    values = {"import_kwh": 2.0, "export_kwh": 0.0, "gas_m3": 0.4, "cost": 0.61, "currency": "EUR"}
    configs = today_discovery(values, TOPICS, {"identifiers": [TOPICS.device_id]})
    cost = json.loads(configs[TOPICS.config("today_cost")])
    assert (cost["device_class"], cost["state_class"], cost["unit_of_measurement"]) == (
        "monetary",
        "total",
        "EUR",
    )
    gas = json.loads(configs[TOPICS.config("today_gas_m3")])
    assert (gas["device_class"], gas["state_class"], gas["unit_of_measurement"]) == (
        "gas",
        "total_increasing",
        "m³",
    )
    assert "currency" not in " ".join(today_messages(values, TOPICS))


def test_a_store_without_today_says_nothing_and_looks_again_soon(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    open_store(db).close()  # the collector created it, nothing recorded yet
    totals = TodayTotals(db, parse_prices({"import": 0.25}), None, logging.getLogger("test"))
    try:
        assert totals.read() == {}
        assert totals.due < time.monotonic() + EVERY
    finally:
        totals.close()


def test_a_missing_store_is_said_once_in_words(tmp_path: Path, caplog) -> None:
    totals = TodayTotals(tmp_path / "none.sqlite3", parse_prices({}), None, logging.getLogger("t"))
    with caplog.at_level(logging.WARNING):
        assert totals.read() is None
        assert totals.read() is None
    assert len(caplog.records) == 1
    assert "today's totals are not published for now" in caplog.records[0].getMessage()
