"""The status bar: is the link healthy, what is it reading, how fresh is the data."""

from __future__ import annotations

from textual.content import Content

from ...link.events import LinkState
from ..format import duration, offset, variant_label
from ..view import View
from .panel import Part, ViewText, line, lines

_STATES = {
    LinkState.CONNECTING: ("…", "CONNECTING", "$primary"),
    LinkState.RECEIVING: ("●", "RECEIVING", "$success"),
    LinkState.STALE: ("◐", "STALE", "$warning"),
    LinkState.DISCONNECTED: ("✖", "DISCONNECTED", "$error"),
    LinkState.STOPPED: ("■", "STOPPED", "$text-muted"),
}
SEPARATOR = " · "


class StatusBar(ViewText):
    """Two or three lines at the top of every screen.

    The state is spelled out in words and marked with a symbol, so it reads the same
    with 16 colours, 256, or none (NO_COLOR).
    """

    def __init__(self) -> None:
        super().__init__(classes="status-bar")

    def content(self, view: View) -> Content:
        m, now = view.monitor, view.now
        state = self._state(view)
        symbol, word, colour = _STATES[state]
        first: list[Part] = [(f"{symbol} {word}", f"bold {colour}")]
        retry = m.retry_in(now)
        if state is LinkState.DISCONNECTED and retry is not None:
            first.append((f"reconnecting in {retry:.0f} s", "bold"))
        age = m.age(now)
        first.append("no telegram yet" if age is None else f"last telegram {duration(age)} ago")
        failures = m.crc_failures
        first.append((f"CRC failures {failures}", "bold $error") if failures else "CRC failures 0")
        if m.stats.decryption_failures:  # an encrypting meter with a key that does not fit
            first.append((f"not decrypted {m.stats.decryption_failures}", "bold $error"))
        if m.dropped:
            first.append((f"{m.dropped} events skipped (screen too slow)", "bold $warning"))
        if m.telegram is not None:
            first.append(variant_label(m.telegram.variant, m.telegram.dsmr_version))

        second: list[Part] = [view.source if view.source else ("no port chosen: press s", "bold")]
        diagnosis = m.diagnosis if m.diagnosis is not None and m.diagnosis.problem else None
        if state is not LinkState.RECEIVING and m.link is not None and m.link.reason:
            if diagnosis is None or diagnosis.problem != m.link.reason:
                second.append(m.link.reason)  # else the warning below says it, with advice
        elif m.telegram is not None:
            clock_offset = m.clock_offset()
            stamp = m.telegram.timestamp
            if stamp is None:
                second.append("meter clock unknown")
            else:
                drift = "" if clock_offset is None else f" ({offset(clock_offset)})"
                second.append(f"meter clock {stamp:%Y-%m-%d %H:%M:%S}{drift}")
        rows = [_joined(first), _joined(second)]
        if diagnosis is not None:
            advice = diagnosis.advice
            rows.append(
                line(
                    (f"⚠ {diagnosis.problem}", "bold $warning"),
                    (f" {advice}", "italic") if advice else "",
                )
            )
        return lines(rows)

    @staticmethod
    def _state(view: View) -> LinkState:
        """The link's own verdict; before its first word, connecting (or nothing chosen)."""
        link = view.monitor.link
        if link is not None:
            return link.state
        return LinkState.CONNECTING if view.source else LinkState.STOPPED


def _joined(parts: list[Part]) -> Content:
    """The parts on one line, separated by a middle dot."""
    separated: list[Part] = []
    for part in parts:
        if separated:
            separated.append(SEPARATOR)
        separated.append(part)
    return line(*separated)
