"""``p1tui serve``: the collector, headless, for a service manager or a terminal."""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .. import config as config_file
from ..cli_options import add_line_options
from ..collector.announce import Announcer
from ..collector.listen import ListenAddress, configured_listen, parse_listen
from ..collector.log import NORMAL, QUIET, VERBOSE, collector_log
from ..collector.service import Collector
from ..collector.systemd import systemd_unit
from ..errors import CommandError
from ..keys import add_key_options, meter_keys
from ..link.reader import Reader
from ..link.settings import LINE_OPTIONS, SerialSettings, serial_to_read
from ..link.tcp_server import TcpServerError
from ..mqtt.settings import MqttSettings, from_section, parse_url
from ..store import HistoryWriter, Store, StoreError, StoreLocked, load_history_settings, open_store
from ..store.prices import parse_prices

DESCRIPTION = """\
Read the meter day and night, keep its history (`p1tui history` shows it) and share
it: every valid telegram is re-served, byte for byte, to every client of a TCP server
(127.0.0.1:2323 unless --listen or the config's [collector] listen says otherwise), so
the monitor, Home Assistant's DSMR integration or any program that reads a network P1
dongle can use the meter at the same time. The port and serial settings come from the
config when not given. Log lines go to stderr; SIGTERM or ctrl+c stops it.
"""
EXAMPLES = """\
examples:
  p1tui serve --port /dev/ttyUSB0
  p1tui serve --listen 0.0.0.0:2323            # let other machines read the meter
  p1tui serve --print-systemd-unit | sudo tee /etc/systemd/system/p1tui.service
"""


def _listen(text: str) -> ListenAddress:
    try:
        return parse_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="collect the meter around the clock and share it with other programs over TCP",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=DESCRIPTION,
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "--port", metavar="PORT_OR_URL", help="serial device or pyserial URL (default: config)"
    )
    add_line_options(parser)
    add_key_options(parser)
    parser.add_argument(
        "--listen",
        type=_listen,
        metavar="HOST:PORT",
        help="where TCP clients connect (default 127.0.0.1:2323: this machine only; "
        "0.0.0.0:2323 lets the whole network read the meter)",
    )
    parser.add_argument(
        "--mqtt",
        type=_mqtt_url,
        metavar="URL",
        help="publish to this MQTT broker with Home Assistant discovery: mqtt://HOST[:PORT] "
        "or mqtts://HOST[:PORT] (user, password and the rest: the config's [mqtt] section)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the history store to record into (default: [history] db in the config, "
        "else the user's data directory)",
    )
    volume = parser.add_mutually_exclusive_group()
    volume.add_argument(
        "--quiet", action="store_true", help="log only problems (link down, clients dropped)"
    )
    volume.add_argument(
        "--verbose", action="store_true", help="log every reconnect attempt and CRC failure"
    )
    parser.add_argument(
        "--print-systemd-unit",
        action="store_true",
        help="print a systemd unit that runs this command as a service, and exit",
    )
    parser.set_defaults(run=run)


def serial_settings(args: argparse.Namespace, saved: SerialSettings | None) -> SerialSettings:
    """The port to read: the options, then the saved settings, then 115200 8N1."""
    given = {name: getattr(args, name) for name in LINE_OPTIONS if getattr(args, name) is not None}
    settings = serial_to_read(args.port, saved, given)
    if settings is None:
        raise CommandError(
            "no port to read: give --port, or save one in the monitor's settings (p1tui)"
        )
    return settings


def service_arguments(args: argparse.Namespace) -> list[str]:
    """The options given, for the unit's ExecStart (without --print-systemd-unit)."""
    words: list[str] = []
    for name in ("port", *LINE_OPTIONS):
        value = getattr(args, name)
        if value is not None:
            words += [f"--{name}", f"{value:g}" if isinstance(value, float) else str(value)]
    if args.listen is not None:
        words += ["--listen", str(args.listen)]
    if args.mqtt is not None:
        words += ["--mqtt", args.mqtt]
    if args.db is not None:
        words += ["--db", str(args.db.expanduser().absolute())]
    words += ["--quiet"] if args.quiet else ["--verbose"] if args.verbose else []
    return words


def _mqtt_url(text: str) -> str:
    try:
        parse_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def mqtt_settings(args: argparse.Namespace, config: config_file.Config) -> MqttSettings | None:
    """The broker to publish to (``--mqtt`` over ``[mqtt] url``), or None for none."""
    section = config.section("mqtt")
    if args.mqtt is None and "url" not in section:
        return None
    return from_section(section, url=args.mqtt, base_dir=config_file.config_path().parent)


def announce(announcer: Announcer, log: logging.Logger) -> None:
    """Tell this user's monitors where the collector listens and records (see announce.py)."""
    try:
        announcer.publish()
    except OSError as error:
        log.warning(
            "cannot write %s (%s): the monitor will show its own history, not this one's",
            announcer.path,
            error.strerror or error,
        )
    else:
        log.debug("announced in %s", announcer.path)


def run(args: argparse.Namespace) -> int:
    """Collect until SIGTERM or ctrl+c; exit 0 then, 1 when it cannot start."""
    if args.print_systemd_unit:
        sys.stdout.write(systemd_unit(service_arguments(args)))
        return 0
    loaded = config_file.load()
    log = collector_log(QUIET if args.quiet else VERBOSE if args.verbose else NORMAL)
    for notice in loaded.notices:
        log.warning("%s", notice)
    settings = serial_settings(args, loaded.config.serial)
    # An encrypting meter's keys; never written into the systemd unit (service_arguments).
    keys = meter_keys(args, loaded.config.section("meter"), warn=lambda w: log.warning("%s", w))
    store: Store | None = None
    try:
        mqtt = mqtt_settings(args, loaded.config)
        listen = args.listen or configured_listen(loaded.config)
        history = load_history_settings(args.db)
        store = open_store(history.db)  # StoreLocked names the collector that has it
        writer = HistoryWriter(
            store,
            keep_minutes_days=history.keep_minutes_days,
            flush_every=history.batch_seconds,
        )
        collector = Collector(
            settings,
            listen,
            log,
            history=writer,
            reader_factory=functools.partial(Reader, keys=keys),
        )
        publisher = None
        if mqtt is not None:
            from ..mqtt import TodayTotals, start_mqtt  # noqa: PLC0415 - paho only when publishing

            prices = parse_prices(loaded.config.section("prices"))
            today = TodayTotals(history.db, prices, history.timezone, log)
            publisher = start_mqtt(mqtt, collector.fanout, log=log, today=today)
            collector.attach(publisher)  # its drops in the summary
    except (ValueError, TcpServerError, StoreError, StoreLocked) as error:
        if store is not None:
            store.close()
        print(f"p1tui serve: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    # A SIGINT ignored by whoever started us (a background job) stays ignored.
    signals = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.append(signal.SIGINT)
    previous = {s: signal.signal(s, request_stop) for s in signals}
    announcer = Announcer(collector.server.host, collector.server.port, store.path)
    try:
        announce(announcer, log)  # it listens already: clients wait for start() to serve them
        collector.start()
        collector.run_until(stop)
    finally:
        announcer.withdraw()  # first: no monitor attaches to a collector that is stopping
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        collector.stop()  # ends the fan-out: the publisher says offline and ends
        if publisher is not None:
            publisher.stop()
        store.close()
    return 0
