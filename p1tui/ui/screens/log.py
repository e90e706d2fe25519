"""The raw telegram log: the last telegrams exactly as sent, each with its CRC verdict."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer
from textual.widgets import DataTable, Footer

from ..live import RawEntry
from ..view import View
from ..widgets.raw_view import RawView
from ..widgets.status_bar import StatusBar
from ..widgets.telegram_list import TelegramList
from .base import MonitorScreen


class LogScreen(MonitorScreen):
    """Pick a telegram on the left, read it on the right; pause to hold the list still."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, two bindings: the footer names what p does now (check_action shows one).
        Binding("p", "pause", "Pause"),
        Binding("p", "resume", "Resume"),
        Binding("w", "save", "Save telegram"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.paused = False
        self._entries: list[RawEntry] = []

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="log"):
            yield TelegramList()
            with ScrollableContainer(id="raw-scroll"):
                yield RawView()
        yield Footer()

    def on_mount(self) -> None:
        listing = self.query_one(TelegramList)
        listing.border_title = "Telegrams"
        listing.focus()
        self.query_one("#raw-scroll").border_title = "As sent"

    def show(self, view: View) -> None:
        super().show(view)
        raw = view.monitor.raw
        if self.paused:
            return
        listing = self.query_one(TelegramList)
        if listing.row_count and listing.next_seq == view.monitor.raw_count:
            return
        self._entries = list(raw)
        listing.sync(self._entries, view.monitor.raw_count)
        self._show_selected()

    def _selected(self) -> RawEntry | None:
        listing = self.query_one(TelegramList)
        seq = listing.selected_seq()
        if seq is None:
            return None
        index = seq - listing.first_seq
        return self._entries[index] if 0 <= index < len(self._entries) else None

    def _show_selected(self) -> None:
        self.query_one(RawView).show_entry(self._selected())

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_selected()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        return True

    def action_pause(self) -> None:
        self._set_paused(True)

    def action_resume(self) -> None:
        self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.refresh_bindings()
        self.query_one(TelegramList).border_title = "PAUSED" if paused else "Telegrams"
        self.notify("log paused: p resumes" if paused else "log follows the meter again")
        if not paused:
            self.app.refresh_view()  # type: ignore[attr-defined]

    def action_save(self) -> None:
        entry = self._selected()
        if entry is None:
            self.notify("no telegram to save yet", severity="warning")
            return
        folder: Path = self.app.save_dir  # type: ignore[attr-defined]
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(entry.received_at))
        try:
            path = _write_new(folder, f"p1tui-telegram-{stamp}", entry.frame.raw + b"\r\n")
        except OSError as error:
            self.notify(
                f"could not save: {error.strerror or error}", severity="error", markup=False
            )
            return
        self.notify(f"saved to {path}", markup=False)


def _write_new(folder: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/stem.txt``, or ``stem-2.txt``... never over a file."""
    for n in range(1, 1000):
        path = folder / (f"{stem}.txt" if n == 1 else f"{stem}-{n}.txt")
        try:
            with path.open("xb") as out:
                out.write(data)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"too many files named {stem}*.txt in {folder}")
