"""A ``p1tui`` command in a child process, run the way a user or a script runs it.

``test_commands_link`` and ``test_sim_command`` import this.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

AS_A_BACKGROUND_JOB = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'p1tui', *sys.argv[1:]])"
)
"""Start p1tui with SIGINT ignored, as a shell does for ``p1tui ... &`` in a script."""


class Command:
    """``p1tui ...`` in a child process: stderr collected line by line, stdout a byte pipe.

    Use it as a context manager: leaving the block kills the child if it still runs, so a
    failed assertion never leaves a recorder or a meter running.
    """

    def __init__(
        self, *args: str, background: bool = False, env: dict[str, str] | None = None
    ) -> None:
        start = ["-c", AS_A_BACKGROUND_JOB] if background else ["-m", "p1tui"]
        self.process = subprocess.Popen(
            [sys.executable, *start, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[str] = []
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def __enter__(self) -> Command:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def stdout(self):
        """The child's standard output, as bytes."""
        return self.process.stdout

    def wait_line(self, text: str, count: int = 1, timeout: float = 10.0) -> str:
        """Wait until ``count`` stderr lines hold ``text``; the last of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines if text in line]
            if len(found) >= count:
                return found[count - 1]
            if not self._collector.is_alive():
                raise AssertionError(f"p1tui ended without {text!r}: {self.lines}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in {self.lines}")
            time.sleep(0.02)

    def stop(self, signum: signal.Signals = signal.SIGINT) -> int:
        """Ctrl+C (or ``kill``: SIGTERM), and the exit status."""
        self.process.send_signal(signum)
        return self.finish()

    def finish(self, timeout: float = 10.0) -> int:
        """The exit status, once the child ended and all its stderr is in ``lines``."""
        code = self.process.wait(timeout)
        self._collector.join(5)
        return code

    def close(self) -> None:
        """Kill the child if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._collector.join(5)
        self.process.stdout.close()
        self.process.stderr.close()
