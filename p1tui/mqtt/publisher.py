"""The MQTT publisher: one more consumer of the link's events, on its own thread.

It takes events from a bounded queue (its own, fed with :meth:`MqttPublisher.put`, or a
link Subscription) and never blocks whoever feeds it: a broker that is away or slow costs
the meter's reading nothing. paho-mqtt's network thread connects, reconnects with backoff
and leaves the broker a last will (``offline`` on the availability topic); this thread
turns telegrams into messages.

Every topic is retained, so Home Assistant and any late subscriber get the latest values.
A reading is sent again only when its value changed, except after a (re)connection, when
everything is published again, and the discovery configs again whenever Home Assistant
announces on ``homeassistant/status`` that it came online. The configs of readings the
meter no longer sends are removed (:mod:`p1tui.mqtt.stale` says which and when).
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import threading
import time
from collections import deque
from typing import Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from ..config import private_file_warning
from ..dsmr import Frame, Telegram
from ..link.events import LinkEvent, LinkState, StateChanged, TelegramReceived
from ..words import count
from .readings import (
    UNNAMED,
    MeterTopics,
    discovery_messages,
    meter_device,
    meter_level,
    readings,
    state_messages,
)
from .settings import MqttConfigError, MqttSettings
from .stale import RETIRE_AFTER, StaleConfigs
from .today import TODAY_KEYS, TodayTotals, today_discovery, today_keys, today_messages

LOG = logging.getLogger("p1tui.mqtt")
"""Where the publisher logs unless given a logger (the collector gives its own)."""

POLL = 0.5
"""Seconds between looks at what paho's thread flagged (a connection, Home Assistant's birth)."""
MAX_QUEUED = 1000
"""Messages paho may hold for a slow broker; past that new ones are dropped (and counted)."""
OFFLINE_TIMEOUT = 2.0
"""How long stopping waits for the broker to take ``offline``."""
HEARD_MAX = 4096
"""Config messages heard from the broker and not yet looked at, at most."""

_ONLINE, _OFFLINE = "online", "offline"
_DOWN = (LinkState.STALE, LinkState.DISCONNECTED, LinkState.STOPPED)
_LOGIN_REFUSED = (134, 135)  # "Bad user name or password", "Not authorized"
_UNSPECIFIED = 128


class EventSource(Protocol):
    """Where the publisher's events come from: its own :class:`Inbox` or a link Subscription."""

    def get(self, timeout: float | None) -> LinkEvent | None: ...

    def close(self) -> None: ...


class Inbox:
    """A bounded queue of link events whose :meth:`put` never blocks: when full, the oldest goes."""

    def __init__(self, maxsize: int) -> None:
        self._events: deque[LinkEvent] = deque(maxlen=maxsize)
        self._ready = threading.Condition()
        self.dropped = 0
        """Events lost because the publisher fell behind."""
        self.closed = False

    def put(self, event: LinkEvent) -> None:
        with self._ready:
            if self.closed:
                return
            if len(self._events) == self._events.maxlen:
                self.dropped += 1
            self._events.append(event)
            self._ready.notify()

    def get(self, timeout: float | None) -> LinkEvent | None:
        with self._ready:
            if not self._events:
                self._ready.wait(timeout)
            return self._events.popleft() if self._events else None

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._events.clear()
            self._ready.notify_all()


class _Client(mqtt.Client):
    """paho's client, keeping why the last connection attempt failed (paho only says that)."""

    failure: OSError | None = None

    def reconnect(self) -> MQTTErrorCode:
        try:
            result = super().reconnect()
        except OSError as error:
            self.failure = error
            raise
        self.failure = None
        return result


class MqttPublisher:
    """Publishes the meter's telegrams to a broker, with Home Assistant discovery.

    ``start()`` runs it, ``stop()`` publishes ``offline`` and disconnects. Feed it with
    :meth:`put` (a link's ``on_event``) or give it a ``source`` to read from.
    """

    def __init__(
        self,
        settings: MqttSettings,
        source: EventSource | None = None,
        *,
        maxsize: int = 64,
        reconnect_max_delay: int = 30,
        log: logging.Logger = LOG,
        today: TodayTotals | None = None,
        retire_after: float = RETIRE_AFTER,
    ) -> None:
        """``retire_after``: seconds of reading a reading must be missing before its
        discovery config is removed (:class:`~p1tui.mqtt.stale.StaleConfigs`)."""
        self.settings = settings
        self._today = today
        """Today's totals from the history store, read on this thread once a minute."""
        self.log = log
        self._inbox = Inbox(maxsize) if source is None else None
        self._source: EventSource = source if source is not None else self._inbox  # type: ignore[assignment]
        self._max_delay = reconnect_max_delay
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # Set on paho's thread, acted upon on ours:
        self._resync = threading.Event()
        self._rediscover = threading.Event()
        self._connected = False
        self._refused: str | None = None
        """The last connection problem logged, so a broker that stays away is named once."""
        self._heard: deque[tuple[str, bytes] | None] = deque(maxlen=HEARD_MAX)
        """This meter's config topics as the broker sends them; None: a new connection."""
        # Owned by the publisher's thread:
        self._client: mqtt.Client | None = None
        self._topics: MeterTopics | None = None
        self._latest: tuple[Telegram, Frame, tuple[str, ...]] | None = None
        """The newest telegram, its frame and the keys of the readings it carries."""
        self._arrived: float | None = None
        """When the newest telegram came, until the stale configs' clock has it."""
        self._retire_after = retire_after
        self._stale: StaleConfigs | None = None
        self._today_keys: tuple[str, ...] = TODAY_KEYS
        """Today's totals announced, as the last reading of the store said: all of them
        until it said (or when it cannot say, or when another collector of this meter
        may be the one with the history), so none is removed for want of knowing."""
        self._pending = False
        self._last_publish: float | None = None
        self._available = False
        self._announced: tuple[str, mqtt.MQTTMessageInfo] | None = None
        """The availability last handed to paho on this connection, and its message."""
        self._sent: dict[str, str] = {}
        self._discovered: dict[str, str] = {}
        self._discovery_for: tuple[object, ...] | None = None
        self.published = 0
        """Messages handed to the broker connection."""
        self.dropped_messages = 0
        """Messages dropped because the broker did not keep up."""

    # -- the caller's side -------------------------------------------------------------

    def put(self, event: LinkEvent) -> None:
        """Queue a link event; never blocks (the oldest is dropped when the queue is full)."""
        if self._inbox is None:
            raise RuntimeError("this publisher reads its events from a subscription")
        self._inbox.put(event)

    @property
    def dropped(self) -> int:
        """Events lost because the publisher fell behind."""
        return getattr(self._source, "dropped", 0)

    @property
    def connected(self) -> bool:
        return self._connected

    def report(self) -> str | None:
        """What was lost so far, in words for the collector's summary; None when nothing."""
        lost = []
        if self.dropped_messages:
            messages = count(self.dropped_messages, "message")
            lost.append(f"{messages} dropped while the broker did not keep up")
        if self.dropped:
            events = count(self.dropped, "link event")
            lost.append(f"{events} skipped while the publisher fell behind")
        return f"MQTT: {', '.join(lost)}" if lost else None

    def join(self, timeout: float = 5.0) -> None:
        """Wait until the thread ends by itself (the link's fan-out ended)."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """The publisher's thread runs (it ends on :meth:`stop` or when the link ends)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the MQTT publisher is already running")
        if self.settings.password_file is not None:
            warning = private_file_warning(self.settings.password_file, "the MQTT password")
            if warning:
                self.log.warning("%s", warning)
        self._thread = threading.Thread(target=self._main, name="p1tui-mqtt", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish ``offline``, disconnect and end the thread."""
        self._stopping.set()
        self._source.close()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the publisher's thread --------------------------------------------------------

    def _main(self) -> None:
        try:
            while not self._stopping.is_set():
                event = self._source.get(self._wait(time.monotonic()))
                if event is not None:
                    self._handle(event)
                elif getattr(self._source, "closed", False) or getattr(
                    self._source, "ended", False
                ):
                    break  # the link is done (the collector stops): offline, and end
                self._service(time.monotonic())
        except MqttConfigError as error:
            self.log.error("MQTT publishing stopped: %s", error)
        except Exception as error:  # a bug here must not go unnoticed, nor end the collector
            self.log.error("MQTT publishing stopped after an internal error: %s", error)
            self.log.debug("MQTT publisher error", exc_info=True)
        finally:
            self._close_client()
            if self._today is not None:
                self._today.close()

    def _wait(self, now: float) -> float:
        every = self.settings.publish_every
        if self._pending and every and self._last_publish is not None:
            return max(0.0, min(POLL, self._last_publish + every - now))
        return POLL

    def _handle(self, event: LinkEvent) -> None:
        if isinstance(event, TelegramReceived):
            telegram = event.telegram
            if telegram is None or not event.frame.valid:
                return
            keys = tuple(sensor.key for sensor, _ in readings(telegram))
            self._latest = (telegram, event.frame, keys)
            self._arrived = time.monotonic()
            self._pending = True
            self._set_available(True)
        elif isinstance(event, StateChanged):
            if event.state in _DOWN:
                self._set_available(False)
            elif event.state is LinkState.RECEIVING and self._latest is not None:
                self._set_available(True)

    def _set_available(self, available: bool) -> None:
        if available != self._available:
            self._available = available
            if self._connected:
                self._announce()

    def _announce(self) -> None:
        """Publish the availability, keeping the message: stopping then waits for an
        ``offline`` already sent instead of sending it twice."""
        client, topics = self._client, self._topics
        if client is None or topics is None:
            return
        payload = _ONLINE if self._available else _OFFLINE
        info = client.publish(topics.availability, payload, qos=1, retain=True)
        if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.published += 1
            self._announced = (payload, info)

    def _service(self, now: float) -> None:
        if self._latest is None:
            return
        telegram, frame, keys = self._latest
        meter = meter_level(telegram, self.settings.meter_name)
        if self._topics is None or self._topics.meter != meter:
            self._open_client(meter)
        topics, stale = self._topics, self._stale
        assert topics is not None and stale is not None
        if self._arrived is not None:
            stale.telegram(keys, self._arrived)
            stale.seen(self._today_keys)
            self._arrived = None
        while self._heard:
            heard = self._heard.popleft()
            if heard is None:
                stale.forget_held()
            else:
                stale.heard(*heard)
        if not self._connected:
            return
        # Connected anew, or Home Assistant (re)started: everything again, discovery first.
        fresh = self._resync.is_set() or self._rediscover.is_set()
        if fresh:
            self._resync.clear()
            self._rediscover.clear()
            self._sent.clear()
            self._discovered.clear()
            self._discovery_for = None
            self._announce()
            if self._today is not None:
                self._today.due = 0.0
        self._publish_today(telegram, topics, now)
        self._retire(stale)
        every = self.settings.publish_every
        due = self._last_publish is None or now >= self._last_publish + every
        if not (fresh or (self._pending and due)):
            return
        taken = self._publish_discovery(telegram, keys, topics)
        for topic, payload in state_messages(telegram, frame, topics).items():
            if self._sent.get(topic) != payload:
                if self._publish(topic, payload):
                    self._sent[topic] = payload
                else:
                    taken = False
        # What a full queue refused is tried again at the next turn, new telegram or not.
        self._pending = not taken
        self._last_publish = now

    def _publish_today(self, telegram: Telegram, topics: MeterTopics, now: float) -> None:
        """Today's totals and their discovery, at a (re)connection and once a minute."""
        today = self._today
        if today is None or now < today.due:
            return
        values = today.read()
        self._today_keys = TODAY_KEYS if values is None else today_keys(values)
        if values is None:
            return
        device = meter_device(telegram, topics, self.settings.meter_name)
        messages = {
            **today_discovery(values, topics, device),
            **today_messages(values, topics),
        }
        for topic, payload in messages.items():
            if self._sent.get(topic) != payload and self._publish(topic, payload):
                self._sent[topic] = payload

    def _retire(self, stale: StaleConfigs) -> None:
        """Remove the configs (and their last values) of readings the meter no longer sends."""
        removed = []
        for key, config_topic, state_topic in stale.due():
            if state_topic is not None and self._publish(state_topic, ""):
                self._sent.pop(state_topic, None)
            if not self._publish(config_topic, ""):
                break  # the queue is full: the rest at a later turn
            stale.removed(config_topic)
            self._discovered.pop(config_topic, None)
            removed.append(key)
        if removed:
            self.log.info(
                "removed %s from Home Assistant that the meter no longer sends: %s",
                count(len(removed), "sensor"),
                ", ".join(removed),
            )

    def _publish_discovery(
        self, telegram: Telegram, keys: tuple[str, ...], topics: MeterTopics
    ) -> bool:
        """Send the configs that changed; False when some were not taken."""
        # The configs change only with the set of readings or the meter's identity.
        shape = (
            telegram.header,
            telegram.equipment_id,
            telegram.dsmr_version,
            telegram.variant,
            tuple((d.channel, d.medium, d.unit, d.equipment_id, d.empty) for d in telegram.mbus),
            keys,
        )
        if shape == self._discovery_for:
            return True
        taken = True
        for topic, config in discovery_messages(telegram, topics, self.settings.meter_name).items():
            if self._discovered.get(topic) != config:
                if self._publish(topic, config):
                    self._discovered[topic] = config
                else:
                    taken = False
        self._discovery_for = shape if taken else None
        return taken

    def _publish(self, topic: str, payload: str) -> bool:
        """Hand one retained message to paho; False when it was not taken."""
        client = self._client
        if client is None:
            return False
        info = client.publish(topic, payload, qos=1, retain=True)
        if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.published += 1
            return True
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            if not self.dropped_messages:
                self.log.warning(
                    "the MQTT broker %s does not keep up: dropping messages (it gets the "
                    "latest values when it catches up)",
                    self.settings.broker,
                )
            self.dropped_messages += 1
        return False

    # -- the connection ----------------------------------------------------------------

    def _open_client(self, meter: str) -> None:
        self._close_client()
        s = self.settings
        topics = MeterTopics(s.topic_prefix, meter, s.discovery_prefix)
        client = _Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"p1tui-{meter}-{os.getpid()}",
            protocol=mqtt.MQTTv311,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            try:
                client.tls_set(ca_certs=str(s.ca_file) if s.ca_file else None)
            except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
                raise MqttConfigError(f"cannot use [mqtt] ca_file {s.ca_file}: {error}") from None
        client.will_set(topics.availability, _OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(1, self._max_delay)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client, self._topics = client, topics
        self._heard.clear()
        self._stale = StaleConfigs(topics, retire_after=self._retire_after)
        self._sent.clear()
        self._discovered.clear()
        self._discovery_for = None
        self.log.info("publishing the meter to MQTT broker %s under %s/", s.broker, topics.base)
        if meter == UNNAMED:
            self.log.warning(
                "the meter sends no equipment ID: set meter_name in [mqtt] to tell its topics "
                "from another such meter's"
            )
        client.connect_async(s.host, s.port, keepalive=30)
        client.loop_start()

    def _close_client(self) -> None:
        client, topics = self._client, self._topics
        if client is None or topics is None:
            return
        self._client = self._topics = None
        if self._connected:
            said = self._announced
            if said is not None and said[0] == _OFFLINE:
                info = said[1]  # the link went down first: offline is on its way
            else:
                info = client.publish(topics.availability, _OFFLINE, qos=1, retain=True)
            # When the connection went meanwhile, the broker sends the will instead.
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(OFFLINE_TIMEOUT)
        self._announced = None
        self._connected = False  # a disconnection asked for, not one to report
        client.disconnect()
        client.loop_stop()

    # paho's network thread calls these.

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason: ReasonCode,
        _properties: object,
    ) -> None:
        if reason.is_failure:
            self._log_refusal(reason)
            return
        self._connected = True
        self._refused = None
        self.log.info("connected to MQTT broker %s", self.settings.broker)
        self._heard.append(None)  # what the broker holds comes again
        stale = self._stale
        assert stale is not None
        # The configs at QoS 0: the broker sends all it holds at once, without a window.
        client.subscribe([(self._status_topic, 1), (stale.filter, 0)])
        self._resync.set()

    def _log_refusal(self, reason: ReasonCode) -> None:
        s = self.settings
        if reason.value in _LOGIN_REFUSED:
            if s.username is None:
                text = (
                    f"the MQTT broker {s.broker} wants a login ({reason}): set username and "
                    "password_file in the [mqtt] section"
                )
            else:
                text = (
                    f"the MQTT broker {s.broker} refused user {s.username!r} ({reason}): check "
                    f"the username and the password in {s.password_source} "
                    "(the password is not shown)"
                )
        else:
            text = f"the MQTT broker {s.broker} refused the connection: {reason}"
        self._log_problem(logging.ERROR, text)

    def _log_problem(self, level: int, text: str) -> None:
        if text != self._refused:  # once per cause, not at every retry
            self._refused = text
            self.log.log(level, "%s; retrying at least once every %d s", text, self._max_delay)

    def _on_connect_fail(self, client: mqtt.Client, _userdata: object) -> None:
        error = getattr(client, "failure", None)
        broker = self.settings.broker
        if isinstance(error, ssl.SSLCertVerificationError):
            self._log_problem(
                logging.ERROR,
                f"the MQTT broker {broker}'s certificate is not trusted "
                f"({error.verify_message}): set [mqtt] ca_file to the CA that signed it",
            )
        elif isinstance(error, ssl.SSLError):
            self._log_problem(
                logging.ERROR,
                f"no TLS with the MQTT broker {broker} ({error.reason}): is it mqtts?",
            )
        else:
            reason = (error.strerror if isinstance(error, OSError) else None) or error
            detail = f" ({reason})" if reason else ""
            self._log_problem(logging.WARNING, f"cannot reach the MQTT broker {broker}{detail}")

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason: ReasonCode,
        _properties: object,
    ) -> None:
        was_connected, self._connected = self._connected, False
        if was_connected and not self._stopping.is_set():
            # paho says "Unspecified error" for a connection that just broke: no news.
            detail = "" if reason.value == _UNSPECIFIED else f" ({reason})"
            self.log.warning(
                "lost the connection to MQTT broker %s%s; reconnecting",
                self.settings.broker,
                detail,
            )

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        if message.topic == self._status_topic:
            if message.payload.strip().lower() == b"online":
                self._rediscover.set()
        else:
            self._heard.append((message.topic, message.payload))

    @property
    def _status_topic(self) -> str:
        """Where Home Assistant says it came online (its birth message)."""
        return f"{self.settings.discovery_prefix}/status"
