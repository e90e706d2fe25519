"""Power now: import and export in large digits, the net direction, the recent curve."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Digits, Label, Static

from ..format import duration, watts
from ..view import View
from .net_curve import NetCurve


class PowerPanel(Vertical):
    """The headline: is the house taking from or giving to the grid, and how much."""

    def __init__(self) -> None:
        super().__init__(id="power", classes="panel")
        self.border_title = "Power now"
        self._direction = Static("", id="direction", markup=False)
        self._import = Digits("-", id="import-digits")
        self._export = Digits("-", id="export-digits")
        self._curve = NetCurve(id="curve")
        self._caption = Static("", id="curve-caption", markup=False)
        self._shown: tuple | None = None
        self._subtitle = ""

    def compose(self) -> ComposeResult:
        yield self._direction
        with Horizontal(id="meters"):
            with Vertical(id="import-box", classes="meter"):
                yield Label("import (W)")
                yield self._import
            with Vertical(id="export-box", classes="meter"):
                yield Label("export (W)")
                yield self._export
        yield self._curve
        yield self._caption

    def show(self, view: View) -> None:
        m = view.monitor
        t = m.telegram
        stale = view.stale
        self.set_class(stale, "-stale")
        age = m.age(view.now)
        subtitle = f"data {duration(age)} old" if stale and age is not None else ""
        if subtitle != self._subtitle:
            self._subtitle = self.border_subtitle = subtitle
        bars = max(1, self._curve.size.width or 60)
        series = m.power.series(bars)
        state = (
            None if t is None else (t.power_import_kw, t.power_export_kw),
            stale,
            series,
        )
        if state == self._shown:
            return
        self._shown = state
        imported = None if t is None else t.power_import_kw
        exported = None if t is None else t.power_export_kw
        self._import.update(watts(imported))
        self._export.update(watts(exported))
        net = (imported or 0) - (exported or 0)
        importing = t is not None and net > 0
        exporting = t is not None and net < 0
        self.set_class(importing, "-importing")
        self.set_class(exporting, "-exporting")
        if t is None or (imported is None and exported is None):
            direction = Content("no power reading yet")
        elif importing:
            direction = Content.styled(f"▲ TAKING {watts(net)} W FROM THE GRID", "bold")
        elif exporting:
            direction = Content.styled(f"▼ DELIVERING {watts(-net)} W TO THE GRID", "bold")
        else:
            direction = Content.styled("■ BALANCED: nothing in or out", "bold")
        self._direction.update(direction, layout=False)
        self._curve.series = series if len(series) >= 2 else ()
        if len(series) >= 2:
            span = duration(m.power.span_seconds(bars))
            self._caption.update(f"{curve_caption(series)}, last {span}", layout=False)
        else:
            self._caption.update("net power curve: collecting…", layout=False)


def curve_caption(series: tuple[float, ...]) -> str:
    """Which way is up, and the most each way: ``▲ import ≤1234 · ▼ export ≤823 W``."""
    high, low = max(series), min(series)
    sides = []
    if high >= 0.5:
        sides.append(f"▲ import ≤{high:.0f}")
    if low <= -0.5:
        sides.append(f"▼ export ≤{-low:.0f}")
    return f"{' · '.join(sides)} W" if sides else "nothing in or out"
