"""Bars of a period's energy: import upwards, export downwards, one bar per hour or day.

Drawn with block characters (eighths of a cell), so the bars stay crisp in any terminal
and at 80x24; the scale is the period's largest value, shown on the axis. Under a bar
whose figure covers only part of its hour (day, month) the axis is dashed; under one
that lies in a gap of the record it is dotted (no bar: the gap's energy is in no hour).
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS = {None: "─", "partial": "╌", "gap": "·"}
"""The axis under a bar, by the entry's note (``history --format json``)."""
DOWN_EIGHTHS = " ▔▔▀▀▀▀██"  # the terminal has no lower-to-upper eighths: nearest shapes


def _column(value: float | None, scale: float, rows: int, *, down: bool) -> list[str]:
    """One bar, top cell first, ``rows`` cells tall."""
    if value is None or value <= 0 or scale <= 0:
        return [" "] * rows
    eighths = max(1, round(value / scale * rows * 8))
    cells = []
    for row in range(rows):
        filled = min(8, max(0, eighths - row * 8))
        cells.append((DOWN_EIGHTHS if down else EIGHTHS)[filled])
    return cells if down else cells[::-1]


def _label_row(labels: list[str], bar: int) -> str:
    """Labels under the bars, as many as fit without touching."""
    pitch = bar + 1
    every = max(1, -(-(max((len(x) for x in labels), default=1) + 1) // pitch))
    row = [" "] * (pitch * len(labels))
    for i in range(0, len(labels), every):
        for j, char in enumerate(labels[i]):
            if i * pitch + j < len(row):
                row[i * pitch + j] = char
    return " " * 7 + "".join(row).rstrip()


def _scale_label(value: float) -> str:
    """The scale beside the axis in 7 columns, fewer decimals for a year's hundreds of kWh."""
    for digits in (2, 1, 0):
        text = f"{value:6.{digits}f}"
        if len(text) <= 6:
            return text + " "
    return f"{value:6.0e} "[:7]


def render_bars(
    imported: list[float | None],
    exported: list[float | None],
    labels: list[str],
    size: tuple[int, int],
    notes: list[str | None] | None = None,
) -> list[str]:
    """The chart as lines of text: import above the axis, export below it, labels under.

    ``notes``: each entry's note (None, ``partial``, ``gap``), drawn into the axis.
    """
    width, height = size
    count = max(len(imported), 1)
    bar = max(1, min(3, (width - 8) // count - 1))
    up_rows = max(1, (height - 2) * 2 // 3)
    down_rows = max(1, height - 2 - up_rows)
    scale = max([v for v in imported + exported if v is not None] + [0.0])
    columns_up = [_column(v, scale, up_rows, down=False) for v in imported]
    columns_down = [_column(v, scale, down_rows, down=True) for v in exported]
    lines = []
    for row in range(up_rows):
        label = _scale_label(scale) if row == 0 and scale else " " * 7
        lines.append(label + " ".join(c[row] * bar for c in columns_up))
    marks = notes or [None] * count
    axis = "─".join(AXIS.get(note, "─") * bar for note in marks)
    lines.append("    0 ┼" + axis[: max(0, width - 7)])
    for row in range(down_rows):
        label = _scale_label(-scale) if row == down_rows - 1 and scale else " " * 7
        lines.append(label + " ".join(c[row] * bar for c in columns_down))
    lines.append(_label_row(labels, bar))
    return lines


class HistoryChart(Widget):
    """The bars; :meth:`show` gives it a period's entries."""

    COMPONENT_CLASSES = frozenset({"history-chart--import", "history-chart--export"})
    DEFAULT_CSS = """
    HistoryChart { height: 1fr; min-height: 6; }
    HistoryChart > .history-chart--import { color: $warning; }
    HistoryChart > .history-chart--export { color: $success; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._imported: list[float | None] = []
        self._exported: list[float | None] = []
        self._labels: list[str] = []
        self._notes: list[str | None] = []

    def show(
        self,
        imported: list[float | None],
        exported: list[float | None],
        labels: list[str],
        notes: list[str | None] | None = None,
    ) -> None:
        """One bar per entry (None: no data), with a short label each (hour, day, month)
        and its note (partial, gap) drawn into the axis."""
        self._imported, self._exported, self._labels = imported, exported, labels
        self._notes = notes or [None] * len(imported)
        self.refresh()

    def render(self) -> Text:
        if not self._imported:
            return Text("")
        size = (self.size.width, self.size.height)
        lines = render_bars(self._imported, self._exported, self._labels, size, self._notes)
        up = self.get_component_rich_style("history-chart--import")
        down = self.get_component_rich_style("history-chart--export")
        up_rows = max(1, (self.size.height - 2) * 2 // 3)
        text = Text()
        for i, line in enumerate(lines):
            if i != up_rows and i != len(lines) - 1:
                text.append(line[:7])
                text.append(line[7:], style=up if i < up_rows else down)
            else:
                text.append(line)
            if i < len(lines) - 1:
                text.append("\n")
        return text
