"""The help screen reads as two columns at any width: keys left, what they do right."""

from __future__ import annotations

import re

import pytest
from conftest import screen_text

from p1tui.ui.screens.help import INTRO, SECTIONS, HelpScreen

KEYS = [(key, text) for _, keys, _ in SECTIONS for key, text in keys]
NOTES = [note for _, _, notes in SECTIONS for note in notes]
TITLES = {title for title, _, _ in SECTIONS}
TEXT_COLUMN = 2 + max(len(key) for key, _ in KEYS) + 2
"""Where descriptions start: the keys' indent, the longest key, two spaces."""


@pytest.mark.parametrize("size", [(60, 80), (80, 60)], ids=["60 wide", "80 wide"])
async def test_wrapped_descriptions_stay_in_their_column(make_app, size):
    """Read back from the screen: each key with its whole description beside it (a
    description that wraps continues under itself, never under the keys), and the notes."""
    app = make_app(settings=None)
    async with app.run_test(size=size) as pilot:
        await app.push_screen(HelpScreen())
        await pilot.pause()
        rows = screen_text(app).splitlines()
        box = [row.split("│")[1][1:].rstrip() for row in rows if row.startswith("│")]
    keys: list[list[str]] = []
    notes: list[str] = []
    last = None
    for text in box:
        if not text or text == INTRO or text in TITLES:
            last = None
        elif text.startswith(" " * TEXT_COLUMN) and last is keys:
            keys[-1][1] += " " + text.strip()
        elif text[2:TEXT_COLUMN].rstrip() in dict(KEYS) and text[TEXT_COLUMN - 1] == " ":
            keys.append([text[2:TEXT_COLUMN].rstrip(), text[TEXT_COLUMN:]])
            last = keys
        else:
            assert text.startswith("  "), text  # a note, indented as the keys are
            notes.append(text.strip())
            last = notes
    assert [tuple(entry) for entry in keys] == KEYS
    assert " ".join(notes) == " ".join(NOTES)


async def test_every_key_that_closes_the_help_is_named_in_it(make_app):
    """The help says which keys close it, and each of them does."""
    (closing,) = [binding for binding in HelpScreen.BINDINGS if binding.action == "dismiss"]
    keys = closing.key.split(",")
    said = re.search(r"\((.+) closes it\)", dict(KEYS)["? or F1"])
    assert said is not None
    shown = {"question_mark": "?"}
    assert set(re.split(r", | or ", said[1])) == {shown.get(key, key) for key in keys}
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in keys:
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen), key
