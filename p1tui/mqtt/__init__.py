"""Publishing the meter to an MQTT broker, with Home Assistant discovery (no Textual).

:func:`~p1tui.mqtt.readings.state_messages` and
:func:`~p1tui.mqtt.readings.discovery_messages` turn a telegram into messages;
:class:`MqttPublisher` sends them from its own thread; :func:`start_mqtt` wires one to a
link's fan-out.
"""

from __future__ import annotations

import logging

from ..link.fanout import FanOut
from .publisher import LOG, EventSource, Inbox, MqttPublisher
from .readings import MeterTopics, discovery_messages, readings, state_messages
from .settings import MqttConfigError, MqttSettings, from_section, parse_url
from .today import TodayTotals

QUEUE_SIZE = 64
"""Events the publisher may lag behind the meter before the oldest are dropped."""


def start_mqtt(
    settings: MqttSettings,
    fanout: FanOut,
    *,
    log: logging.Logger | None = None,
    today: TodayTotals | None = None,
) -> MqttPublisher:
    """A running publisher fed by its own bounded subscription to the link's ``fanout``.

    ``settings`` come from :func:`from_section` (the ``[mqtt]`` table and ``--mqtt``);
    ``log`` is where it reports (the collector's log; default the ``p1tui.mqtt`` logger).
    ``today`` adds today's totals from the history store. It ends by itself, after
    publishing ``offline``, when the fan-out ends.
    """
    subscription = fanout.subscribe("mqtt", maxsize=QUEUE_SIZE)
    publisher = MqttPublisher(settings, subscription, log=log or LOG, today=today)
    publisher.start()
    return publisher


__all__ = [
    "EventSource",
    "Inbox",
    "MeterTopics",
    "MqttConfigError",
    "MqttPublisher",
    "MqttSettings",
    "TodayTotals",
    "discovery_messages",
    "from_section",
    "parse_url",
    "readings",
    "start_mqtt",
    "state_messages",
]
