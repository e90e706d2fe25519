"""The keys of an encrypted meter, from the command line, the environment or the config.

Luxembourg and Austrian meters encrypt their telegrams; the grid operator gives the user
an encryption key (and in Austria an authentication key). Keys are secrets: the config
file (``[meter] key``) or the environment (``P1TUI_KEY``, ``P1TUI_AUTH_KEY``) keep them
out of the process list; ``--key`` works too but says that everyone on the machine can
read it there. No message here ever repeats a key.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from . import config
from .errors import CommandError

if TYPE_CHECKING:
    from .dsmr.dlms import MeterKeys

KEY_ENV = "P1TUI_KEY"
AUTH_KEY_ENV = "P1TUI_AUTH_KEY"
VISIBLE_WARNING = (
    "warning: a key given on the command line can be read by every user of this machine "
    f"(in the process list); put it in the config file ([meter] key) or in {KEY_ENV} instead."
)


class KeyProblem(CommandError):
    """A key that cannot be used: one sentence, without the key."""


def _to_stderr(warning: str) -> None:
    print(warning, file=sys.stderr)


def add_key_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, prefix: str = ""
) -> None:
    """``--key`` and ``--auth-key`` (dests ``{prefix}key`` and ``{prefix}auth_key``)."""
    parser.add_argument(
        "--key",
        dest=f"{prefix}key",
        metavar="HEX",
        help="the encryption key of a Luxembourg or Austrian meter (32 hex digits, from the "
        f"grid operator); better kept in the config file ([meter] key) or {KEY_ENV}, "
        "out of the process list",
    )
    parser.add_argument(
        "--auth-key",
        dest=f"{prefix}auth_key",
        metavar="HEX",
        help="the authentication key, for Austrian meters (default: Luxembourg's fixed "
        f"key); also [meter] auth_key or {AUTH_KEY_ENV}",
    )


def meter_keys(
    args: argparse.Namespace,
    meter: Mapping[str, object] | Callable[[], Mapping[str, object]] | None = None,
    *,
    prefix: str = "",
    environ: Mapping[str, str] = os.environ,
    warn: Callable[[str], None] | None = _to_stderr,
) -> MeterKeys | None:
    """The keys to use: the command line, else the environment, else the config's [meter].

    ``meter`` is the config's [meter] section, or a function that loads it (called only
    when neither the command line nor the environment has a key). None when no key is
    set anywhere (a meter that does not encrypt). Raises :class:`KeyProblem` for a
    malformed key, naming where it came from. ``warn`` is told that a key on the command
    line is visible (None: not for the built-in meter's made-up key).
    """
    given_key = getattr(args, f"{prefix}key", None)
    given_auth = getattr(args, f"{prefix}auth_key", None)
    if warn is not None and (given_key or given_auth):
        warn(VISIBLE_WARNING)
    outside = (given_key or environ.get(KEY_ENV), given_auth or environ.get(AUTH_KEY_ENV))
    section: Mapping[str, object] = {}
    if meter is not None and not all(outside):
        section = meter() if callable(meter) else meter
    key, key_from = _first(
        (given_key, "--key"), (environ.get(KEY_ENV), KEY_ENV), (section.get("key"), "[meter] key")
    )
    auth, auth_from = _first(
        (given_auth, "--auth-key"),
        (environ.get(AUTH_KEY_ENV), AUTH_KEY_ENV),
        (section.get("auth_key"), "[meter] auth_key"),
    )
    if key is None:
        if auth is not None:
            raise KeyProblem(f"{auth_from} is set but no encryption key (--key, {KEY_ENV})")
        return None
    from .dsmr.dlms import KeyFormatError, MeterKeys, parse_key  # noqa: PLC0415

    try:
        encryption = parse_key(key, "encryption key")
    except KeyFormatError as error:
        raise KeyProblem(f"{key_from}: {error}") from None
    if auth is None:
        return MeterKeys(encryption)
    try:
        return MeterKeys(encryption, parse_key(auth, "authentication key"))
    except KeyFormatError as error:
        raise KeyProblem(f"{auth_from}: {error}") from None


def _first(*candidates: tuple[object, str]) -> tuple[str | None, str]:
    for value, source in candidates:
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise KeyProblem(f"{source} must be a string of 32 hex digits")
        return value, source
    return None, ""


def configured_meter(prog: str) -> Callable[[], Mapping[str, object]]:
    """The config file's [meter] section, loaded on demand by a command line tool.

    Loading prints the file's notices (a key in a file other users can read, unknown
    keys) on stderr, once.
    """

    def load() -> Mapping[str, object]:
        return config.load_for_command(prog).section("meter")

    return load
