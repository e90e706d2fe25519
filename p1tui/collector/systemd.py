"""``p1tui serve --print-systemd-unit``: a unit that runs this collector as a service."""

from __future__ import annotations

import getpass
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import ENV_VAR


def command_prefix() -> list[str]:
    """How this p1tui was started: its installed script, or ``python -m p1tui``.

    Paths are made absolute but symlinks are kept: a virtualenv's ``python`` is a
    symlink that only works under its own name.
    """
    script = Path(sys.argv[0])
    if script.name == "p1tui" and script.exists():
        return [os.path.abspath(script)]
    return [os.path.abspath(sys.executable), "-m", "p1tui"]


def _systemd_word(word: str) -> str:
    """One ExecStart word: shell-style quoting, with systemd's ``%`` and ``$`` escaped."""
    return shlex.quote(word).replace("%", "%%").replace("$", "$$")


def systemd_unit(serve_args: Sequence[str], user: str | None = None) -> str:
    """The unit's text: ``p1tui serve SERVE_ARGS`` as ``user``, restarted when it fails."""
    user = user or getpass.getuser()
    command = " ".join(_systemd_word(w) for w in [*command_prefix(), "serve", *serve_args])
    # The config this command read, and where it announces itself to the monitor
    # (p1tui/collector/announce.py): the service's environment has neither.
    environment = "".join(
        f"Environment={_systemd_word(f'{name}={os.path.abspath(os.environ[name])}')}\n"
        for name in (ENV_VAR, "XDG_STATE_HOME")
        if os.environ.get(name)
    )
    return f"""\
[Unit]
Description=p1tui collector: reads the smart meter's P1 port, keeps its history, shares it
After=network.target

[Service]
User={user}
# Serial ports (/dev/ttyUSB0, /dev/ttyAMA0) belong to the dialout group.
SupplementaryGroups=dialout
{environment}ExecStart={command}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""
