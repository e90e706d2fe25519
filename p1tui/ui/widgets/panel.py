"""The base of the dashboard's text panels: a bordered Static that repaints only on change."""

from __future__ import annotations

from textual.widgets import Static

from ..format import duration
from ..view import View


class Panel(Static):
    """A titled panel whose content is markup built from a :class:`View`.

    Subclasses implement :meth:`markup`. The panel is dimmed, and its title says how
    old the data is, when the data is not current.
    """

    TITLE = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="panel")
        self.border_title = self.TITLE
        self._shown: str | None = None
        self._subtitle = ""

    def show(self, view: View) -> None:
        stale = view.stale
        self.set_class(stale, "-stale")
        age = view.monitor.age(view.now)
        subtitle = f"data {duration(age)} old" if stale and age is not None else ""
        if subtitle != self._subtitle:
            self._subtitle = self.border_subtitle = subtitle
        text = self.markup(view)
        if text != self._shown:
            # Same number of lines: same height, so no relayout is needed (cheaper repaint).
            relayout = self._shown is None or text.count("\n") != self._shown.count("\n")
            self._shown = text
            self.update(text, layout=relayout)

    def markup(self, view: View) -> str:
        raise NotImplementedError
