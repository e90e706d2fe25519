"""Wording shared by the messages of the commands, the collector and the MQTT publisher."""

from __future__ import annotations


def count(number: int, noun: str) -> str:
    """``1 telegram``, ``2 telegrams``: the number and its noun, plural unless one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
