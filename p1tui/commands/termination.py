"""Let ``kill`` (SIGTERM) end a long-running command the way ctrl+c does.

A command started in the background by a script (``p1tui record ... &``, nohup) inherits
an ignored SIGINT, so ctrl+c and ``kill -INT`` cannot reach it; ``kill`` sends SIGTERM,
whose default action ends the process at once: no summary, output possibly unflushed.

A command that counts what it wrote wraps each write and its count in
:func:`uninterrupted`, so the summary after ctrl+c matches what was written.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class _Deferral:
    """Whether an interrupt must wait for the end of an :func:`uninterrupted` block."""

    active = False
    pending = False


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    if _Deferral.active and not _Deferral.pending:
        _Deferral.pending = True  # raised when the block ends; a second signal raises now
        return
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM (and ctrl+c) raise :class:`KeyboardInterrupt` in the main
    thread, except inside :func:`uninterrupted` blocks, which finish first.

    An ignored SIGINT (a background job) stays ignored. The previous handlers come back on
    leaving the block, so a second ``kill`` while the command cleans up ends it the usual
    way. Elsewhere than in the main thread (where Python cannot install handlers) this
    does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A ctrl+c or ``kill`` that arrives inside the block takes effect when it ends.

    A second one inside the same block takes effect at once (a write stuck on a full
    pipe must not make the command unkillable).
    """
    _Deferral.active, _Deferral.pending = True, False
    try:
        yield
    finally:
        _Deferral.active = False
    if _Deferral.pending:
        _Deferral.pending = False
        raise KeyboardInterrupt
