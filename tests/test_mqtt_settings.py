"""The ``[mqtt]`` section and the ``--mqtt`` URL: what is accepted, and what is refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from p1tui.mqtt.settings import MqttConfigError, from_section, parse_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.lan", ("broker.lan", 1883, False)),
        ("mqtt://10.0.0.5:1884", ("10.0.0.5", 1884, False)),
        ("mqtts://broker.lan", ("broker.lan", 8883, True)),
        ("MQTTS://[::1]:8884/", ("::1", 8884, True)),
    ],
)
def test_broker_urls(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("tcp://broker", "not an MQTT URL"),
        ("mqtt://", "names no broker"),
        ("mqtt://broker:99999", "not a valid MQTT URL"),
        ("mqtt://broker/topic", "an MQTT URL is only"),
        ("mqtt://user:secret@broker", "must not hold a user name or password"),
    ],
)
def test_bad_urls_are_named(url: str, words: str) -> None:
    with pytest.raises(MqttConfigError, match=words) as caught:
        parse_url(url)
    assert "secret" not in str(caught.value)


def test_defaults_and_the_url_option_winning_over_the_section() -> None:
    settings = from_section({"url": "mqtt://a"}, url="mqtt://b:1999")
    assert (settings.host, settings.port, settings.tls) == ("b", 1999, False)
    assert settings.topic_prefix == "p1tui"
    assert settings.discovery_prefix == "homeassistant"
    assert settings.publish_every == 0
    assert settings.meter_name is None


def test_password_from_a_file_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "mqtt.secret").write_text("s3cret-pw\n")
    settings = from_section(
        {"url": "mqtt://a", "username": "meter", "password_file": "mqtt.secret"}, base_dir=tmp_path
    )
    assert settings.password == "s3cret-pw"
    assert settings.password_file == tmp_path / "mqtt.secret"
    assert "s3cret-pw" not in repr(settings)


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({}, "no MQTT broker"),
        ({"url": "mqtt://a", "password": "x"}, "no username"),
        ({"url": "mqtt://a", "username": "u", "password": "x", "password_file": "f"}, "keep one"),
        ({"url": "mqtt://a", "username": "u", "password_file": "missing"}, "cannot read"),
        ({"url": "mqtt://a", "topic_prefix": "a/#"}, "topic_prefix"),
        ({"url": "mqtt://a", "meter_name": "my meter"}, "meter_name"),
        ({"url": "mqtt://a", "publish_every": -1}, "publish_every"),
        ({"url": "mqtt://a", "publish_every": "often"}, "publish_every"),
        ({"url": "mqtts://a", "ca_file": "nowhere.pem"}, "ca_file"),
    ],
)
def test_unusable_sections_are_named(section: dict, words: str, tmp_path: Path) -> None:
    with pytest.raises(MqttConfigError, match=words):
        from_section(section, base_dir=tmp_path)
