"""The status bar: is the link healthy, what is it reading, how fresh is the data."""

from __future__ import annotations

from textual.markup import escape

from ...link.events import LinkState
from ..format import duration, offset, variant_label
from ..view import View
from .panel import ViewText

_STATES = {
    LinkState.CONNECTING: ("…", "CONNECTING", "$primary"),
    LinkState.RECEIVING: ("●", "RECEIVING", "$success"),
    LinkState.STALE: ("◐", "STALE", "$warning"),
    LinkState.DISCONNECTED: ("✖", "DISCONNECTED", "$error"),
    LinkState.STOPPED: ("■", "STOPPED", "$text-muted"),
}


class StatusBar(ViewText):
    """Two or three lines at the top of every screen.

    The state is spelled out in words and marked with a symbol, so it reads the same
    with 16 colours, 256, or none (NO_COLOR).
    """

    def __init__(self) -> None:
        super().__init__(classes="status-bar")

    def markup(self, view: View) -> str:
        m, now = view.monitor, view.now
        state = self._state(view)
        symbol, word, colour = _STATES[state]
        first = [f"[b {colour}]{symbol} {word}[/]"]
        retry = m.retry_in(now)
        if state is LinkState.DISCONNECTED and retry is not None:
            first.append(f"[b]reconnecting in {retry:.0f} s[/]")
        age = m.age(now)
        first.append("no telegram yet" if age is None else f"last telegram {duration(age)} ago")
        failures = m.crc_failures
        first.append(f"[b $error]CRC failures {failures}[/]" if failures else "CRC failures 0")
        if m.dropped:
            first.append(f"[b $warning]{m.dropped} events skipped (screen too slow)[/]")
        if m.telegram is not None:
            first.append(escape(variant_label(m.telegram.variant, m.telegram.dsmr_version)))

        second = [escape(view.source) if view.source else "[b]no port chosen: press s[/]"]
        if state is not LinkState.RECEIVING and m.link is not None and m.link.reason:
            second.append(escape(m.link.reason))
        elif m.telegram is not None:
            clock_offset = m.clock_offset()
            stamp = m.telegram.timestamp
            if stamp is None:
                second.append("meter clock unknown")
            else:
                drift = "" if clock_offset is None else f" ({offset(clock_offset)})"
                second.append(f"meter clock {stamp:%Y-%m-%d %H:%M:%S}{drift}")
        lines = [" · ".join(first), " · ".join(second)]
        if m.diagnosis is not None and m.diagnosis.problem:
            advice = f" [i]{escape(m.diagnosis.advice)}[/]" if m.diagnosis.advice else ""
            lines.append(f"[b $warning]⚠ {escape(m.diagnosis.problem)}[/]{advice}")
        return "\n".join(lines)

    @staticmethod
    def _state(view: View) -> LinkState:
        """The link's own verdict; before its first word, connecting (or nothing chosen)."""
        link = view.monitor.link
        if link is not None:
            return link.state
        return LinkState.CONNECTING if view.source else LinkState.STOPPED
