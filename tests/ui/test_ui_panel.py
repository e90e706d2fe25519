"""The panels' repaint-on-change: a change of style alone is a change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content

from p1tui.ui.widgets.panel import ViewText


class OneText(App[None]):
    def compose(self) -> ComposeResult:
        yield ViewText(id="text")


async def test_the_same_words_in_another_style_are_repainted():
    """Content compares by its characters only; a verdict that keeps its words but
    changes colour (a warning that becomes an error) must still reach the screen."""
    app = OneText()
    async with app.run_test(size=(40, 5)) as pilot:
        text = app.query_one("#text", ViewText)
        text.show_content(Content.styled("CRC failures 3", "bold $warning"))
        await pilot.pause()
        text.show_content(Content.styled("CRC failures 3", "bold $error"))
        await pilot.pause()
        shown = text.render()
        assert isinstance(shown, Content)
        assert [str(span.style) for span in shown.spans] == ["bold $error"]
