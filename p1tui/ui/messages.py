"""Messages between the reader thread, the screens and the app."""

from __future__ import annotations

from textual.message import Message

from ..link.settings import SerialSettings, SourceSettings
from ..store.browse import PeriodResult


class LinkActivity(Message):
    """The reader has queued events in the app's feed.

    Carries nothing: the handler drains the feed. A backlog of these (the UI was busy
    while telegrams kept coming) collapses into one, so the screen repaints once for all
    of them, while the events themselves are all kept for the history and the raw log.
    """

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LinkActivity)


class ApplySettings(Message):
    """The settings form asks the app to switch the link to these settings."""

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__()
        self.settings = settings


class SaveSettings(Message):
    """The settings form asks the app to apply these settings and save them to the config."""

    def __init__(self, settings: SourceSettings) -> None:
        super().__init__()
        self.settings = settings


class DetectionDone(Message):
    """Auto-detection on ``port`` finished: ``found`` settings, a ``problem``, or cancelled."""

    def __init__(
        self,
        port: str,
        found: SerialSettings | None,
        problem: str | None,
        *,
        cancelled: bool = False,
    ) -> None:
        super().__init__()
        self.port = port
        self.found = found
        self.problem = problem
        self.cancelled = cancelled


class HistoryRead(Message):
    """A worker read one period of the history for the History screen."""

    def __init__(self, result: PeriodResult) -> None:
        super().__init__()
        self.result = result


class HistoryNotice(Message):
    """The recorder (on its thread) has something to tell: the store is held elsewhere..."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
