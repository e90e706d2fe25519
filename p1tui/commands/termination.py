"""Let ``kill`` (SIGTERM) end a long-running command the way ctrl+c does.

A command started in the background by a script (``p1tui record ... &``, nohup) inherits
an ignored SIGINT, so ctrl+c and ``kill -INT`` cannot reach it; ``kill`` sends SIGTERM,
whose default action ends the process at once: no summary, output possibly unflushed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`KeyboardInterrupt` in the main thread.

    The previous handler comes back on leaving the block, so a second ``kill`` while the
    command cleans up ends it the usual way. Elsewhere than in the main thread (where
    Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
