"""One telegram exactly as sent, with its CRC verdict and unknown OBIS lines marked."""

from __future__ import annotations

import re
import time

from textual.markup import escape
from textual.widgets import Static

from ...dsmr import CrcStatus, lookup
from ..live import RawEntry

_OBIS = re.compile(r"^\s*(\d+-\d+:\d+\.\d+\.\d+)(?:[.*]255)?\s*\(")
UNKNOWN_MARK = "?"


def annotate(raw: bytes) -> list[tuple[str, bool]]:
    """The telegram's lines, each with whether the OBIS catalogue knows it.

    Header, blank, continuation and end lines count as known; only a data line whose
    reference the catalogue lacks is marked.
    """
    lines = []
    for line in raw.decode("latin-1").splitlines():
        match = _OBIS.match(line)
        lines.append((line, match is None or lookup(match.group(1)) is not None))
    return lines


class RawView(Static):
    """The selected telegram of the raw log."""

    def __init__(self) -> None:
        super().__init__("select a telegram on the left", id="raw-text")
        self._entry: RawEntry | None = None

    def show_entry(self, entry: RawEntry | None) -> None:
        if entry is self._entry:
            return
        self._entry = entry
        self.update("no telegram received yet" if entry is None else _markup(entry))


def _markup(entry: RawEntry) -> str:
    status = entry.frame.crc_status
    colour = {"ok": "$success", "failed": "$error", "unchecked": "$warning"}[status.value]
    received = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.received_at))
    size = len(entry.frame.raw)
    rows = [f"[b {colour}]{escape(entry.verdict)}[/]", f"received {received}, {size} bytes"]
    if status is CrcStatus.FAILED and entry.frame.problem:
        rows.append(escape(entry.frame.problem))
    envelope = entry.envelope
    if envelope is not None:
        style = "$text-muted" if envelope.counter_increased else "b $error"
        rows.append(f"[{style}]decrypted: {escape(envelope.describe())}[/]")
    unknown = 0
    for line, known in annotate(entry.frame.raw):
        if known:
            rows.append(f"  {escape(line)}")
        else:
            unknown += 1
            rows.append(f"[i $warning]{UNKNOWN_MARK} {escape(line)}[/]")
    if unknown:
        rows.append(f"[i]{UNKNOWN_MARK} = {unknown} line(s) the OBIS catalogue does not know[/]")
    return "\n".join(rows)
