"""The raw log's list: the last telegrams with time, verdict and size."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable

from ...dsmr import CrcStatus
from ..live import RawEntry

SHORT_VERDICT = {CrcStatus.OK: "ok", CrcStatus.FAILED: "FAILED", CrcStatus.UNCHECKED: "no CRC"}


class TelegramList(DataTable):
    """Newest at the bottom; follows new telegrams unless the cursor was moved up."""

    def __init__(self) -> None:
        super().__init__(id="telegrams", cursor_type="row", zebra_stripes=False)
        self.first_seq = 0
        """Sequence number of the top row."""
        self.next_seq = 0
        """Sequence number the next telegram will get."""

    def on_mount(self) -> None:
        self.add_column("time", key="time", width=8)
        self.add_column("CRC", key="crc", width=6)
        self.add_column("bytes", key="bytes", width=5)

    def sync(self, entries: list[RawEntry], total: int) -> None:
        """Show ``entries`` (the log, oldest first), ``total`` being how many were ever logged."""
        following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        first = total - len(entries)
        dropped = range(self.first_seq, min(first, self.next_seq))
        for seq in dropped:
            self.remove_row(str(seq))
        self.first_seq = first
        for seq in range(max(first, self.next_seq), total):
            entry = entries[seq - first]
            at = datetime.fromtimestamp(entry.received_at).strftime("%H:%M:%S")
            verdict = SHORT_VERDICT[entry.frame.crc_status]
            self.add_row(at, verdict, len(entry.frame.raw), key=str(seq))
        self.next_seq = total
        if following and self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)
        elif dropped:
            self.move_cursor(row=max(0, self.cursor_row - len(dropped)), animate=False)

    def selected_seq(self) -> int | None:
        """Sequence number of the row under the cursor."""
        if not self.row_count:
            return None
        return self.first_seq + self.cursor_row
