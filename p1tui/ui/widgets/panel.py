"""The base of the dashboard's text panels: a bordered Static that repaints only on change."""

from __future__ import annotations

from textual.widgets import Static

from ...dsmr import Telegram
from ..format import duration
from ..view import View


class ViewText(Static):
    """A Static showing markup built from a :class:`View`, repainted only when it changes.

    Subclasses implement :meth:`markup`. A text with as many lines as the last one keeps
    the widget's height, so it is repainted without a relayout (the cheaper path).
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._shown: str | None = None

    def show(self, view: View) -> None:
        """Render the view's state."""
        self.show_text(self.markup(view))

    def show_text(self, text: str) -> None:
        if text != self._shown:
            relayout = self._shown is None or text.count("\n") != self._shown.count("\n")
            self._shown = text
            self.update(text, layout=relayout)

    def markup(self, view: View) -> str:
        raise NotImplementedError


class Panel(ViewText):
    """A titled panel whose content is markup built from a :class:`View`.

    Subclasses implement :meth:`markup`. The panel is dimmed, and its title says how
    old the data is, when the data is not current.
    """

    TITLE = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = self.TITLE
        self._subtitle = ""

    def show(self, view: View) -> None:
        stale = view.stale
        self.set_class(stale, "-stale")
        age = view.monitor.age(view.now)
        subtitle = f"data {duration(age)} old" if stale and age is not None else ""
        if subtitle != self._subtitle:
            self._subtitle = self.border_subtitle = subtitle
        self.show_text(self.markup(view))


class TelegramPanel(Panel):
    """A panel drawn from the latest telegram; it says so while none has arrived."""

    def markup(self, view: View) -> str:
        telegram = view.monitor.telegram
        if telegram is None:
            return "waiting for a telegram…"
        return self.telegram_markup(telegram, view)

    def telegram_markup(self, t: Telegram, view: View) -> str:
        raise NotImplementedError
