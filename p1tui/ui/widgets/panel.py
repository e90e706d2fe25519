"""The base of the dashboard's text panels: a bordered Static that repaints only on change.

Panels build :class:`~textual.content.Content`, never markup: whatever the meter sends
(a ``[`` in a text message, an ESC in a damaged line) and whatever the user typed (a port
name) is shown as the characters it is, and cannot end the app with a markup error.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.content import Content
from textual.css.styles import RulesMap
from textual.widgets import Static

from ...dsmr import Telegram
from ..format import duration, printable
from ..view import View

Part = str | Content | tuple[str, str]
"""A piece of a line: plain text, content, or (text, style)."""


def line(*parts: Part) -> Content:
    """One line of content; plain strings are literal text (control characters shown)."""
    return Content.assemble(*(_literal(part) for part in parts))


def _literal(part: Part) -> Part:
    if isinstance(part, str):
        return printable(part)
    if isinstance(part, tuple):
        return (printable(part[0]), part[1])
    return part


def lines(rows: Iterable[Content | str]) -> Content:
    """Rows joined with newlines."""
    return Content("\n").join(row if isinstance(row, Content) else line(row) for row in rows)


class ViewText(Static):
    """A Static showing content built from a :class:`View`, repainted only when it changes.

    Subclasses implement :meth:`content`. A text that takes as many lines as the last
    one (wrapped at the widget's width) keeps the widget's height, so it is repainted
    without a relayout (the cheaper path).
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._shown: Content | None = None
        self._height: int | None = None

    def show(self, view: View) -> None:
        """Render the view's state."""
        self.show_content(self.content(view))

    def show_content(self, content: Content) -> None:
        shown = self._shown
        # Content compares its characters only: the same words in another style are news.
        if shown is not None and content == shown and content.spans == shown.spans:
            return
        width = self.content_size.width
        height = _height(content, self.styles, width) if width else None
        relayout = height is None or height != self._height
        self._shown, self._height = content, height
        self.update(content, layout=relayout)

    def content(self, view: View) -> Content:
        raise NotImplementedError


def _height(content: Content, styles: RulesMap, width: int) -> int:
    """The lines ``content`` takes at ``width``: counted when none wraps.

    Wrapping a text only to learn its height is as much work as the repaint's own
    wrapping, on every changed panel and every telegram; most lines fit (or the panel
    cuts them with an ellipsis), and then counting them is the answer.
    """
    rows = content.plain.split("\n")
    if styles.get("text_wrap", "wrap") == "nowrap" or max(map(cell_len, rows)) <= width:
        return len(rows)
    return content.get_height(styles, width)


class Panel(ViewText):
    """A titled panel whose content is built from a :class:`View`.

    Subclasses implement :meth:`content`. The panel is dimmed, and its title says how
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
        self.show_content(self.content(view))


class TelegramPanel(Panel):
    """A panel drawn from the latest telegram; it says so while none has arrived."""

    def content(self, view: View) -> Content:
        telegram = view.monitor.telegram
        if telegram is None:
            return Content("waiting for a telegram…")
        return self.telegram_content(telegram, view)

    def telegram_content(self, t: Telegram, view: View) -> Content:
        raise NotImplementedError
