"""Which retained Home Assistant discovery configs of this meter are no longer announced.

A meter that stops sending a reading (swapped from three phases to one, a gas meter
taken off its M-Bus channel) or an older p1tui that named a reading otherwise leaves its
config retained in the broker, and Home Assistant shows the entity as unavailable for
ever. The publisher subscribes to this meter's config topics, feeds what the broker
holds into :class:`StaleConfigs`, and clears (an empty retained message) those it says
are due.

Sans-I/O and on a clock the caller gives, so the rules are tested without a broker:

- Only configs under this meter's own node (``DISCOVERY/sensor/p1tui_METER/+/config``)
  whose ``unique_id`` is p1tui's for that meter are considered: another meter's, another
  program's or a hand-made config is never touched.
- A reading must be absent for :data:`RETIRE_AFTER` seconds of *reading time*: time in
  which telegrams arrived (a gap between two telegrams counts for at most
  :data:`MAX_GAP`), so a link that was down, an M-Bus value sent only hourly or a line
  missing from a few telegrams never removes a config that comes back (no flapping).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .readings import MeterTopics

RETIRE_AFTER = 2 * 3600.0
"""Seconds of reading the meter a reading must be missing before its config is removed:
twice the slowest M-Bus schedule (DSMR 4 updates gas hourly; DSMR 5 every 5 minutes),
since a sensor removed and added again loses what the user set on it in Home Assistant."""
MAX_GAP = 60.0
"""The most a gap between two telegrams adds to the reading time (a link down adds little)."""
MAX_HELD = 1000
"""Configs remembered at most (the broker decides how many there are: stay bounded)."""


class StaleConfigs:
    """Keeps what the broker holds under this meter's node and when each reading was seen."""

    def __init__(
        self,
        topics: MeterTopics,
        *,
        retire_after: float = RETIRE_AFTER,
        max_gap: float = MAX_GAP,
    ) -> None:
        self.topics = topics
        self.retire_after = retire_after
        self.max_gap = max_gap
        head, _, tail = topics.config("+").partition("+")
        self._head, self._tail = head, tail
        self._clock = 0.0
        """Reading time: seconds in which telegrams arrived, from the first one."""
        self._last: float | None = None
        self._seen: dict[str, float] = {}
        """Object ID -> the reading time it was last seen at."""
        self._held: dict[str, str | None] = {}
        """Object ID of a config the broker holds -> its state topic, when that is ours."""

    @property
    def filter(self) -> str:
        """The topic filter of this meter's discovery configs."""
        return self.topics.config("+")

    def telegram(self, keys: Iterable[str], now: float) -> None:
        """A telegram carrying the readings ``keys`` arrived at ``now`` (a steady clock)."""
        if self._last is not None:
            self._clock += min(max(0.0, now - self._last), self.max_gap)
        self._last = now
        self.seen(keys)

    def seen(self, keys: Iterable[str]) -> None:
        """These readings are announced now, apart from a telegram (today's totals)."""
        clock, seen = self._clock, self._seen
        for key in keys:
            seen[key] = clock

    def forget_held(self) -> None:
        """A new connection: the broker's retained configs come again (or not: a restart)."""
        self._held.clear()

    def heard(self, topic: str, payload: bytes) -> None:
        """A message on a config topic of this meter: a retained one, ours, or a removal."""
        key = self._key(topic)
        if key is None:
            return
        if not payload:
            self._held.pop(key, None)
            return
        try:
            config = json.loads(payload)
        except ValueError:
            return
        if not isinstance(config, dict) or config.get("unique_id") != (
            f"{self.topics.device_id}_{key}"
        ):
            return  # not p1tui's config of this reading: not ours to remove
        if key not in self._held and len(self._held) >= MAX_HELD:
            return
        state = config.get("state_topic")
        ours = (
            isinstance(state, str)
            and state.startswith(self.topics.base + "/")
            and state not in (self.topics.availability, self.topics.telegram)
        )
        self._held[key] = state if ours else None

    def due(self) -> list[tuple[str, str, str | None]]:
        """(object ID, config topic, state topic or None) of each held config to remove now."""
        clock = self._clock
        if clock < self.retire_after:
            return []  # not read long enough to tell a missing reading from a late one
        seen, after = self._seen, self.retire_after
        stale = [key for key in self._held if clock - seen.get(key, 0.0) >= after]
        if not stale:
            return []
        # A state topic that a config still held names stays (an older naming's, say).
        live = {state for key, state in self._held.items() if key not in stale}
        due = []
        for key in stale:
            state = self._held[key]
            due.append((key, self.topics.config(key), None if state in live else state))
        return due

    def removed(self, config_topic: str) -> None:
        """The config was cleared: no longer held (it is announced again if the reading returns)."""
        key = self._key(config_topic)
        if key is not None:
            self._held.pop(key, None)

    def _key(self, topic: str) -> str | None:
        """The object ID in one of this meter's config topics; None for any other topic."""
        head, tail = self._head, self._tail
        if len(topic) <= len(head) + len(tail) or not topic.startswith(head):
            return None
        key = topic[len(head) : len(topic) - len(tail)]
        return key if topic.endswith(tail) and "/" not in key else None
