"""Publishing the meter to an MQTT broker, with Home Assistant discovery (no Textual).

:func:`~p1tui.mqtt.readings.state_messages` and
:func:`~p1tui.mqtt.readings.discovery_messages` turn a telegram into messages;
:class:`MqttPublisher` sends them from its own thread; :func:`start_mqtt` wires one to a
link's fan-out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from .publisher import LOG, EventSource, Inbox, MqttPublisher
from .readings import MeterTopics, discovery_messages, readings, state_messages
from .settings import MqttConfigError, MqttSettings, from_section, parse_url

QUEUE_SIZE = 64
"""Events the publisher may lag behind the meter before the oldest are dropped."""


class FanOut(Protocol):
    """What :func:`start_mqtt` needs of the link's fan-out."""

    def subscribe(self, name: str, maxsize: int = ...) -> EventSource: ...


def start_mqtt(
    section: Mapping[str, object],
    fanout: FanOut,
    *,
    url: str | None = None,
    base_dir: Path | None = None,
    log: logging.Logger | None = None,
) -> MqttPublisher:
    """A running publisher fed by its own subscription to ``fanout``.

    ``section`` is the config's ``[mqtt]`` table and ``url`` the ``--mqtt`` option, which
    wins over its ``url``. Raises :class:`MqttConfigError` (a one-line message for the
    user) when the settings cannot be used. ``log`` is where it reports (the collector's
    log; default the ``p1tui.mqtt`` logger).
    """
    settings = from_section(section, url=url, base_dir=base_dir)
    subscription = fanout.subscribe("mqtt", maxsize=QUEUE_SIZE)
    publisher = MqttPublisher(settings, subscription, log=log or LOG)
    publisher.start()
    return publisher


__all__ = [
    "EventSource",
    "FanOut",
    "Inbox",
    "MeterTopics",
    "MqttConfigError",
    "MqttPublisher",
    "MqttSettings",
    "discovery_messages",
    "from_section",
    "parse_url",
    "readings",
    "start_mqtt",
    "state_messages",
]
