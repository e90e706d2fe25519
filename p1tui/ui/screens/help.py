"""The help screen: what each key does and what the panels mean.

Each key is a row of two cells, so a description that wraps (at 60 columns, or 80 with
the scrollbar) stays in its own column instead of running under the keys; notes are
paragraphs that wrap at the screen's width, not hard-broken lines.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = "p1tui shows what your smart meter's P1 port says, live."

SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]], ...] = (
    (
        "Everywhere",
        (
            ("d", "dashboard: power, counters, phases, gas/water/heat, events"),
            ("l", "raw log: the last telegrams as sent, with their CRC verdict"),
            ("s", "settings: port, serial settings, presets, detection"),
            ("h", "history: energy, gas, water and costs per hour, day or month"),
            ("? or F1", "this help (escape, ? or q closes it); F1 works in text fields too"),
            ("ctrl+q", "quit"),
            ("tab", "move between fields and panels; arrows scroll"),
        ),
        (),
    ),
    (
        "Raw log",
        (
            ("↑ ↓", "pick a telegram"),
            ("p", "pause / resume the list"),
            ("w", "save the selected telegram to a file in the current directory"),
            ("tab", "to the telegram, then ← → or ctrl+pgup/pgdn for long lines"),
        ),
        ("A line marked ? has an OBIS code the catalogue does not know.",),
    ),
    (
        "History",
        (
            ("← →", "previous / next period"),
            ("t", "back to the meter's current period"),
            ("1 2 3 4", "a day (per hour), week, month (per day) or year (per month)"),
        ),
        (
            "Import is drawn upwards, export downwards; an hour without data has no bar.",
            "The axis is dashed (╌) under an hour recorded only in part (the first one, the "
            "current one), dotted (·) under one inside a gap: what the meter moved then is "
            "in the totals, not in a bar; the notes below say how much.",
        ),
    ),
    (
        "Settings",
        (
            ("ctrl+r", "apply: switch to these settings now (or enter on the port)"),
            ("ctrl+s", "save them as the default for next time (and apply)"),
            ("ctrl+t", "detect: try the usual serial settings (escape cancels)"),
            ("ctrl+l", "rescan the serial ports"),
            ("escape", "back to the dashboard"),
        ),
        (),
    ),
    (
        "Reading the dashboard",
        (),
        (
            "The status bar says whether telegrams arrive (RECEIVING), are late (STALE), or "
            "the link is down (DISCONNECTED, with the reason and the next retry); below it, "
            "what is wrong and what to try.",
            "Panels whose data is not current are dimmed and say how old it is. Below 80x24 "
            "the panels stack: arrows and page keys scroll to the rest.",
            "The power curve shows net power from a zero line: import up (▲), export down (▼).",
            "Tariff 1 and 2 are named for the meter's country: in the Netherlands 1 is low and "
            "2 normal; in Belgium 1 is day and 2 night. The active tariff is marked ▶.",
            "M-Bus flow is derived from the last two readings the meter passed on (every "
            "5 minutes on DSMR 5, every hour on DSMR 4).",
        ),
    ),
)
"""(title, (key, what it does) rows, notes) per section."""


class HelpScreen(ModalScreen[None]):
    """Keys and meanings, over whatever screen was showing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(INTRO, markup=False)
            for title, keys, notes in SECTIONS:
                yield Static(Content.styled(title, "bold"), classes="help-title")
                for key, text in keys:
                    with Horizontal(classes="help-row"):
                        yield Static(key, classes="help-key", markup=False)
                        yield Static(text, classes="help-text", markup=False)
                for note in notes:
                    yield Static(note, classes="help-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Help"
