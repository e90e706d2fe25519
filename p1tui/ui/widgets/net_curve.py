"""The net-power curve: import drawn up from a zero line, export drawn down from it.

A sparkline scales its bars between the lowest and the highest value, so during a
sunny afternoon (all export, -823 to -53 W) the smallest export drew the tallest bar.
Here the zero line is fixed: bar heights are watts on one scale, above the line for
power taken from the grid, below it for power delivered, whatever the colours.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"
"""A cell filled from the bottom, 0 to 8 eighths."""
IMPORT_STYLE = "$warning"
EXPORT_STYLE = "$success"


def split_rows(high: float, low: float, height: int) -> int:
    """How many of ``height`` rows go above the zero line, for values from ``low`` to
    ``high``: in proportion, and at least one row for each side that has values."""
    up, down = max(high, 0.0), max(-low, 0.0)
    if down == 0:
        return height
    if up == 0:
        return 0
    return min(height - 1, max(1, round(height * up / (up + down))))


def cells(value: float, scale: float) -> int:
    """The bar of ``value`` watts in eighths of a row, ``scale`` watts to a row."""
    return round(abs(value) / scale * 8) if scale > 0 else 0


def curve_rows(series: Sequence[float], height: int) -> list[Content]:
    """``height`` rows drawing ``series`` (oldest first) from a zero line."""
    if not series or height <= 0:
        return [Content("")] * max(height, 0)
    high, low = max(series), min(series)
    up_rows = split_rows(high, low, height)
    down_rows = height - up_rows
    scale = max(
        max(high, 0.0) / up_rows if up_rows else 0.0,
        max(-low, 0.0) / down_rows if down_rows else 0.0,
    )
    bars = [cells(value, scale) for value in series]
    rows = []
    for row in range(up_rows):  # top row first; row 0 above the line is up_rows - 1
        floor = (up_rows - 1 - row) * 8
        rows.append(
            Content.assemble(
                *(
                    (EIGHTHS[min(8, max(0, bar - floor))], IMPORT_STYLE) if value > 0 else " "
                    for bar, value in zip(bars, series, strict=True)
                )
            )
        )
    for row in range(down_rows):  # filled from the top: the glyph's gap, reversed
        floor = row * 8
        rows.append(
            Content.assemble(
                *(
                    _hanging(min(8, max(0, bar - floor))) if value < 0 else " "
                    for bar, value in zip(bars, series, strict=True)
                )
            )
        )
    return rows


def _hanging(eighths: int) -> tuple[str, str] | str:
    """A cell filled ``eighths`` from the top: the bottom-filled glyph of the rest, reversed."""
    if eighths == 0:
        return " "
    return (EIGHTHS[8 - eighths], f"reverse {EXPORT_STYLE}") if eighths < 8 else ("█", EXPORT_STYLE)


class NetCurve(Widget):
    """Net power per bucket (import positive), as many of the newest as the width holds."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: tuple[float, ...] = ()

    @property
    def series(self) -> tuple[float, ...]:
        return self._series

    @series.setter
    def series(self, series: tuple[float, ...]) -> None:
        if series != self._series:
            self._series = series
            self.refresh()

    def render(self) -> Content:
        width, height = self.content_size
        shown = self._series[-width:] if width else ()
        return Content("\n").join(curve_rows(shown, height))
