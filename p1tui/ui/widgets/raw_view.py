"""One telegram exactly as sent, with its CRC verdict and unknown OBIS lines marked."""

from __future__ import annotations

import re
import time

from textual.content import Content
from textual.widgets import Static

from ...dsmr import CrcStatus, lookup
from ..live import RawEntry
from .panel import line, lines

_OBIS = re.compile(r"^\s*(\d+-\d+:\d+\.\d+\.\d+)(?:[.*]255)?\s*\(")
_LINE_END = re.compile("\r?\n")
"""Only CR LF and LF end a line: other bytes (FS, NEL...) are shown as they are."""
UNKNOWN_MARK = "?"


def annotate(raw: bytes) -> list[tuple[str, bool]]:
    """The telegram's lines, each with whether the OBIS catalogue knows it.

    Header, blank, continuation and end lines count as known; only a data line whose
    reference the catalogue lacks is marked.
    """
    annotated = []
    for text in _LINE_END.split(raw.decode("latin-1").removesuffix("\n").removesuffix("\r")):
        match = _OBIS.match(text)
        annotated.append((text, match is None or lookup(match.group(1)) is not None))
    return annotated


class RawView(Static):
    """The selected telegram of the raw log, as literal text."""

    def __init__(self) -> None:
        super().__init__("select a telegram on the left", id="raw-text", markup=False)
        self._entry: RawEntry | None = None

    def show_entry(self, entry: RawEntry | None) -> None:
        if entry is self._entry:
            return
        self._entry = entry
        self.update(Content("no telegram received yet") if entry is None else _content(entry))


def _content(entry: RawEntry) -> Content:
    status = entry.frame.crc_status
    colour = {"ok": "$success", "failed": "$error", "unchecked": "$warning"}[status.value]
    received = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.received_at))
    size = len(entry.frame.raw)
    rows = [line((entry.verdict, f"bold {colour}")), line(f"received {received}, {size} bytes")]
    if status is CrcStatus.FAILED and entry.frame.problem:
        rows.append(line(entry.frame.problem))
    envelope = entry.envelope
    if envelope is not None:
        rows.append(line((f"decrypted from system title {envelope.title}", "$text-muted")))
        counter = f"frame counter {envelope.frame_counter} · security 0x{envelope.security:02X}"
        if envelope.counter_increased:
            rows.append(line((counter, "$text-muted")))
        else:
            rows.append(line((f"{counter} · ", "$text-muted"), ("NOT INCREASING", "bold $error")))
    unknown = 0
    for text, known in annotate(entry.frame.raw):
        if known:
            rows.append(line(f"  {text}"))
        else:
            unknown += 1
            rows.append(line((f"{UNKNOWN_MARK} {text}", "italic $warning")))
    if unknown:
        note = f"{UNKNOWN_MARK} = {unknown} line(s) the OBIS catalogue does not know"
        rows.append(line((note, "italic")))
    return lines(rows)
