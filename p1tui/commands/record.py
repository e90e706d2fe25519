"""``p1tui record``: save a P1 port's raw byte stream to a file, across disconnects."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli_options import add_line_options
from ..keys import add_key_options, configured_meter, meter_keys
from ..link.events import Diagnosis, LinkEvent, LinkState, StateChanged, TelegramReceived
from ..link.factory import make_source
from ..link.fanout import FanOut
from ..link.masking import IdMasker
from ..link.reader import Reader
from ..link.recording import Masker, Recording, RecordingSource
from ..link.settings import SerialSettings, SourceSettings
from ..link.source import Source
from .termination import sigterm_as_ctrl_c

if TYPE_CHECKING:
    from ..dsmr.dlms import MeterKeys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``record`` subcommand."""
    parser = subparsers.add_parser(
        "record",
        help="save the raw byte stream of a P1 port to a file (for bug reports and replay)",
        description=(
            "Save the bytes a P1 port delivers exactly as received, junk and broken "
            "telegrams included, until ctrl+c or `kill`. A dropped link is reopened and "
            "recording goes on. Play the file back with `p1tui --replay FILE` or decode it with "
            "`p1tui decode FILE`. An encrypting meter's frames are saved encrypted, as they "
            "came: the key reads them back (and counts its telegrams while recording)."
        ),
    )
    parser.add_argument(
        "--port", required=True, metavar="PORT_OR_URL", help="device path or pyserial URL"
    )
    add_line_options(parser, defaults=(115200, 8, "N", 1))
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="the recording (must not exist)"
    )
    parser.add_argument(
        "--mask-ids",
        action="store_true",
        help="replace the equipment IDs (meter and M-Bus serial numbers) with X's of the "
        "same length before saving; each telegram's CRC is recomputed, so valid "
        "telegrams stay valid (and broken ones stay broken); all other bytes are kept; "
        "with the key of an encrypting meter, each frame is decrypted, masked and "
        "encrypted again",
    )
    add_key_options(parser)
    parser.set_defaults(run=run)


class Progress:
    """Turns the reader's events into lines on stderr and counts telegrams (on the main
    thread, from its subscription)."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.telegrams = 0
        self.crc_failures = 0
        self.failure: StateChanged | None = None
        self.advice = ""
        self.done = threading.Event()

    def __call__(self, event: LinkEvent) -> None:
        if self.failure is not None:
            return
        if isinstance(event, TelegramReceived):
            if event.frame.valid:
                self.telegrams += 1
            else:
                self.crc_failures += 1
        elif isinstance(event, StateChanged):
            if not self.recording.opened:
                if event.state in (LinkState.DISCONNECTED, LinkState.STOPPED):
                    self.failure = event  # never opened: give up at once
                    self.done.set()
                return
            retry = f", retrying in {event.retry_in:g} s" if event.retry_in else ""
            reason = event.reason.rstrip(".") if retry else event.reason
            said = f": {reason}" if reason != event.state.value else ""
            print(f"{event.state.value}{said}{retry}", file=sys.stderr, flush=True)
            if event.state is LinkState.STOPPED:
                self.done.set()
        elif isinstance(event, Diagnosis) and event.problem:
            if not self.recording.opened:
                self.advice = event.advice  # said with the failure, if it is one
                return
            print(f"  {event.problem} {event.advice}".rstrip(), file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Record until ctrl+c or SIGTERM; exit 1 when the port cannot be opened at all."""
    settings = SerialSettings(args.port, args.baudrate, args.bytesize, args.parity, args.stopbits)
    keys = meter_keys(args, configured_meter("p1tui record"))
    try:
        file = args.out.open("xb")
    except FileExistsError:
        print(f"p1tui record: {args.out} exists; record to a new file.", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"p1tui record: cannot create {args.out}: {error.strerror}.", file=sys.stderr)
        return 1
    recording = Recording(file, _masker(keys) if args.mask_ids else None)
    progress = Progress(recording)

    def recording_source(source_settings: SourceSettings) -> Source:
        return RecordingSource(make_source(source_settings), recording)

    fanout = FanOut()
    events = fanout.subscribe("record progress")
    reader = Reader(settings, fanout.publish, source_factory=recording_source, keys=keys)
    reader.start()
    try:
        with sigterm_as_ctrl_c():
            # Progress lines are written from here, not the reader's thread: a stderr
            # that blocks (a full pipe) never holds up the port.
            while not progress.done.is_set():
                for event in events.get_batch(100, timeout=0.5):
                    progress(event)
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()
        for event in events.get_batch(events.maxsize, timeout=0):  # up to its last word
            progress(event)
        events.close()
        recording.close()
    if progress.failure is not None:
        args.out.unlink(missing_ok=True)
        print(f"p1tui record: {progress.failure.reason}", file=sys.stderr)
        if progress.advice:
            print(progress.advice, file=sys.stderr)
        return 1
    undecrypted = reader.stats.decryption_failures
    print(
        f"recorded {recording.bytes_in} bytes ({progress.telegrams} telegrams, "
        f"{progress.crc_failures} with a failed CRC"
        + (f", {undecrypted} frames that did not decrypt" if undecrypted else "")
        + f") to {args.out}",
        file=sys.stderr,
    )
    return 0


def _masker(keys: MeterKeys | None) -> Masker:
    if keys is None:
        return IdMasker()
    # Imported here: cryptography is loaded only for an encrypting meter.
    from ..link.encrypted_masking import EncryptedIdMasker  # noqa: PLC0415

    return EncryptedIdMasker(keys)
