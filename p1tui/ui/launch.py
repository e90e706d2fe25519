"""Start the monitor from the command line: ``p1tui [--port ... | --replay ... | --demo]``.

Everything here runs before the UI exists, so every problem is one sentence on stderr.
Textual is imported only once the arguments are known to be good.
"""

from __future__ import annotations

import argparse
import functools
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config as config_file
from ..cli_options import add_line_options
from ..collector.announce import announced, running
from ..collector.listen import (
    ListenAddress,
    configured_listen,
    parse_listen,
    running_collector,
)
from ..errors import CommandError
from ..keys import add_key_options, meter_keys
from ..link.settings import (
    LINE_OPTIONS,
    CollectorSettings,
    ReplaySettings,
    SerialSettings,
    SimulatorSettings,
    SourceSettings,
    serial_to_read,
)

if TYPE_CHECKING:
    from ..dsmr.dlms import MeterKeys
    from ..store.browse import HistoryAccess
    from ..store.settings import HistorySettings
    from .app import AttachedHistory

VARIANTS = ("nl5", "nl4", "nl2", "be", "lu")


def add_options(parser: argparse.ArgumentParser) -> None:
    """The monitor's options on the top-level parser (dests start with ``app_``)."""
    group = parser.add_argument_group(
        "monitor (when no COMMAND is given)",
        "With no option, p1tui attaches to a running collector (p1tui serve: the config's "
        "[collector] listen address, else 127.0.0.1:2323), else opens the port saved in "
        "the config file, or the settings form when none is saved. Serial settings not "
        "given come from the config, else 115200 8N1 (DSMR 4 and 5).",
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--port",
        dest="app_port",
        metavar="PORT_OR_URL",
        help="serial device (/dev/ttyUSB0) or pyserial URL (socket://host:port, rfc2217://...)",
    )
    source.add_argument(
        "--replay", dest="app_replay", metavar="FILE", type=Path, help="play back a recorded file"
    )
    source.add_argument(
        "--demo", dest="app_demo", action="store_true", help="run the built-in meter (no hardware)"
    )
    add_line_options(group, dest_prefix="app_")
    group.add_argument(
        "--speed",
        dest="app_speed",
        type=float,
        metavar="X",
        help="replay or demo pace: 1 = real time (default), 10 = ten times faster, 0 = flat out",
    )
    group.add_argument(
        "--seed", dest="app_seed", type=int, metavar="N", help="demo: the household's seed"
    )
    group.add_argument(
        "--variant",
        dest="app_variant",
        choices=VARIANTS,
        help="demo: the meter generation (lu: a Luxembourg Smarty)",
    )
    group.add_argument(
        "--db",
        dest="app_db",
        type=Path,
        metavar="PATH",
        help="the history the History screen reads (default: the attached collector's, "
        "else [history] db in the config)",
    )
    add_key_options(group, prefix="app_")


def source_settings(
    args: argparse.Namespace, saved: SerialSettings | None, keys: MeterKeys | None = None
) -> SourceSettings | None:
    """What to read, from the options and the saved config; None opens the settings form.

    ``keys``: the meter's keys; the demo meter encrypts with them when ``--key`` is given.
    """
    serial_given = {
        name: getattr(args, f"app_{name}")
        for name in LINE_OPTIONS
        if getattr(args, f"app_{name}") is not None
    }
    if args.app_speed is not None and args.app_speed < 0:
        raise CommandError("--speed must be 0 or more")
    if not args.app_demo and (args.app_seed is not None or args.app_variant is not None):
        raise CommandError("--seed and --variant go with --demo")
    if args.app_speed is not None and not (args.app_demo or args.app_replay):
        raise CommandError("--speed goes with --replay or --demo: a meter sends at its own pace")
    if (args.app_demo or args.app_replay) and serial_given:
        raise CommandError("serial settings go with --port, not with --replay or --demo")
    speed = 1.0 if args.app_speed is None else args.app_speed
    if args.app_demo:
        return SimulatorSettings(
            variant=args.app_variant or "nl5",
            seed=1 if args.app_seed is None else args.app_seed,
            speed=speed,
            keys=keys if args.app_key else None,
        )
    if args.app_replay is not None:
        path: Path = args.app_replay
        if str(path) == "-":
            raise CommandError("the monitor cannot replay standard input; give a file name")
        if not os.access(path, os.R_OK) or not path.is_file():
            if not path.exists():
                reason = "no such file"
            else:
                reason = "it is a directory" if path.is_dir() else "not a readable file"
            raise CommandError(f"cannot replay {path}: {reason}")
        return ReplaySettings(path, speed)
    return serial_to_read(args.app_port, saved, serial_given)


def collector_to_attach(
    args: argparse.Namespace, config: config_file.Config
) -> CollectorSettings | None:
    """With no source option at all, the collector that answers at the configured address,
    else the only one this user runs (``p1tui serve --listen`` elsewhere)."""
    given = [getattr(args, f"app_{name}") for name in ("port", "replay", *LINE_OPTIONS)]
    if args.app_demo or any(value is not None for value in given):
        return None
    try:
        listen = configured_listen(config)
    except ValueError as error:
        raise CommandError(f"{config_file.config_path()}: {error}") from None
    found = running_collector(listen)
    if found is None and len(collectors := running()) == 1:
        address = ListenAddress(collectors[0].host, collectors[0].port).reachable()
        found = CollectorSettings(address.host, address.port)
    return found


def known_collector(settings: SourceSettings | None) -> SourceSettings | None:
    """``--port socket://HOST:PORT`` naming a collector this user runs is that collector:
    labelled "via collector", and not recorded a second time by the monitor."""
    if not isinstance(settings, SerialSettings) or not settings.port.startswith("socket://"):
        return settings
    try:
        address = parse_listen(settings.port.removeprefix("socket://").partition("?")[0])
    except ValueError:
        return settings
    if announced(address.host, address.port) is None:
        return settings
    return CollectorSettings(address.host, address.port)


def run(args: argparse.Namespace) -> int:
    """Run the monitor until the user quits; return the exit status."""
    loaded = config_file.load()
    warnings: list[str] = []
    keys = meter_keys(args, loaded.config.section("meter"), prefix="app_", warn=warnings.append)
    settings = source_settings(args, loaded.config.serial, keys)
    collector = collector_to_attach(args, loaded.config)
    settings = known_collector(settings) if collector is None else collector
    from ..link.detect import detect_settings  # noqa: PLC0415
    from ..link.reader import Reader  # noqa: PLC0415
    from ..sources import make_any_source  # noqa: PLC0415
    from .app import P1App  # noqa: PLC0415

    access, record_into, problem = history_setup(loaded.config, args.app_db)
    attached = attached_history(settings, access, given_db=args.app_db is not None)
    notices = [*loaded.notices, *([problem] if problem else []), *warnings]
    app = P1App(
        settings,
        reader_factory=functools.partial(Reader, source_factory=make_any_source, keys=keys),
        list_ports=detected_ports,
        config_path=config_file.config_path(),
        config_notices=notices,
        saved_serial=loaded.config.serial,
        detector=detect_settings,
        history_access=access,
        record_into=record_into,
        attached_history=attached,
        exit_on_signals=True,
    )
    app.run()
    return app.return_code or 0


def history_setup(
    config: config_file.Config, db: Path | None
) -> tuple[HistoryAccess | None, HistorySettings | None, str | None]:
    """Where the History screen reads and a real meter is recorded, or None and why."""
    from ..store.browse import HistoryAccess  # noqa: PLC0415
    from ..store.prices import parse_prices  # noqa: PLC0415
    from ..store.settings import history_settings  # noqa: PLC0415

    try:
        settings = history_settings(config.section("history"), db)
        prices = parse_prices(config.section("prices"))
    except ValueError as error:
        return None, None, f"the history is off: {error}"
    return HistoryAccess(settings.db, settings.timezone, prices), settings, None


def attached_history(
    settings: SourceSettings | None, access: HistoryAccess | None, *, given_db: bool
) -> AttachedHistory | None:
    """The History screen's store while attached to a collector: the one it records into,
    when it announced itself; else the monitor's own, saying so and how to show the
    collector's. None when not attached, or ``--db`` said which store to show."""
    if not isinstance(settings, CollectorSettings) or access is None or given_db:
        return None
    from .app import AttachedHistory  # noqa: PLC0415

    found = announced(settings.host, settings.port)
    if found is not None:
        return AttachedHistory(replace(access, db=found.db), f"The collector's history: {found.db}")
    return AttachedHistory(
        access,
        f"This monitor's history: {access.db}. The collector at {settings.address} did not "
        "say where it records (it runs as another user?): to see its history, start "
        "p1tui --db PATH, or set [history] db in the config.",
    )


def detected_ports() -> list[tuple[str, str]]:
    """The serial ports for the settings form: (stable name, what it is)."""
    from ..link.ports import serial_ports  # noqa: PLC0415

    return [(port.device, port.description) for port in serial_ports()]
