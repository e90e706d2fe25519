"""What the monitor's screens share: the status bar on top, the footer below."""

from __future__ import annotations

from textual.screen import Screen

from ..view import View
from ..widgets.status_bar import StatusBar


class MonitorScreen(Screen):
    """A screen that renders the monitor's state; the app calls :meth:`show` to repaint."""

    def show(self, view: View) -> None:
        """Render ``view``; subclasses extend this with their own widgets."""
        self.query_one(StatusBar).show(view)

    def on_screen_resume(self) -> None:
        self.app.refresh_view()  # type: ignore[attr-defined]
