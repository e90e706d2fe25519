"""``p1tui decode``: raw P1 data in, one JSON object per telegram out (JSON Lines)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ..dsmr import Decoded, Decoder
from ..dsmr.dlms import DecryptorStats, MeterKeys, decryptor_for, holds_encrypted_frames
from ..dsmr.export import JsonWriter
from ..errors import CommandError
from ..keys import add_key_options, configured_meter, meter_keys
from ..link.diagnosis import ENCRYPTED_NO_KEY, decryption_failures

if TYPE_CHECKING:
    from ..dsmr.decryptor import Decryptor

CHUNK = 1 << 16


class OutputFailed(Exception):
    """Standard output refused the JSON (a full disk, a closed file), as opposed to the input."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``decode`` subcommand."""
    parser = subparsers.add_parser(
        "decode",
        help="turn raw P1 data (a capture, a log, glued telegrams) into JSON Lines",
        description=(
            "Read raw P1 data and write one JSON object per valid telegram to stdout, "
            "then a one-line summary to stderr. Junk between telegrams is skipped; a "
            "telegram whose CRC fails is counted and left out unless --include-invalid. "
            "Encrypted frames (Luxembourg, Austria) are decrypted with the meter's key "
            "(--key, P1TUI_KEY or [meter] key in the config file); a frame that does not "
            "decrypt is counted and left out."
        ),
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="files to read; none or '-' reads stdin"
    )
    parser.add_argument(
        "--include-invalid",
        action="store_true",
        help='also write telegrams whose CRC failed, with "crc_ok": false',
    )
    add_key_options(parser)
    parser.set_defaults(run=run)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


@dataclass(slots=True)
class Input:
    """One input stream: its decoder (behind the decryptor with a key) and what it saw."""

    decryptor: Decryptor | None = None
    include_invalid: bool = False
    decoder: Decoder = field(init=False)
    encrypted: bool = False
    """Encrypted frames were seen though no key was given."""

    def __post_init__(self) -> None:
        self.decoder = Decoder(self.decryptor, parse_invalid=self.include_invalid)

    def feed(self, chunk: bytes) -> list[Decoded]:
        if self.decryptor is None and not self.encrypted and holds_encrypted_frames(chunk):
            self.encrypted = True
        return self.decoder.feed(chunk)


def decode_stream(stream: BinaryIO, out: TextIO, source: Input) -> None:
    """Decode and write every telegram in ``stream``; counts go to ``source``.

    Telegrams whose CRC failed are written when the decoder parses them
    (``Decoder(parse_invalid=True)``, for ``--include-invalid``)."""
    writer = JsonWriter()
    for chunk in _chunks(stream):
        _write_frames(source.feed(chunk), out, writer)
    _write_frames(source.decoder.close(), out, writer)


def _write_frames(frames: list[Decoded], out: TextIO, writer: JsonWriter) -> None:
    # No telegram: a failed frame (the decoder parses those only for --include-invalid),
    # or one too broken to parse; either way it is counted in the decoder's stats already.
    lines = [writer.write(telegram, frame) for frame, telegram in frames if telegram is not None]
    if lines:
        lines.append("")  # the last line's newline, without copying the joined text again
        with _writing():
            out.write("\n".join(lines))


@contextmanager
def _writing() -> Iterator[None]:
    """Turn a failed write to standard output into :class:`OutputFailed`."""
    try:
        yield
    except BrokenPipeError:
        raise  # the reader went away: handled in run()
    except OSError as error:
        raise OutputFailed(error.strerror or str(error)) from None


def _summary(inputs: list[Input]) -> str:
    stats = [i.decoder.stats.framer for i in inputs]

    def total(name: str) -> int:
        return sum(getattr(s, name) for s in stats)

    good = total("frames_ok") + total("frames_unchecked")
    unchecked = total("frames_unchecked")
    failures = total("crc_failures")
    return (
        f"{good} telegram{'s' if good != 1 else ''}"
        + (f" ({unchecked} without CRC)" if unchecked else "")
        + f", {failures} CRC failure{'s' if failures != 1 else ''}"
        + f", {total('frames_truncated')} truncated, {total('bytes_skipped')} bytes skipped"
        + _decryption_summary(inputs)
    )


def _decryption_summary(inputs: list[Input]) -> str:
    """The frames that failed to decrypt, and in words why when none did."""
    if any(i.encrypted for i in inputs):
        return f"\n{ENCRYPTED_NO_KEY.problem} {ENCRYPTED_NO_KEY.advice}"
    decryptors = [i.decryptor.stats for i in inputs if i.decryptor is not None]
    if not decryptors:
        return ""
    total = DecryptorStats(
        **{name: sum(getattr(s, name) for s in decryptors) for name in DecryptorStats.__slots__}
    )
    failed = total.frames_failed
    text = f", {failed} frame{'s' if failed != 1 else ''} failed to decrypt"
    if failed and not total.frames_decrypted:
        diagnosis = decryption_failures(total)
        text += f"\n{diagnosis.problem} {diagnosis.advice}"
    return text


def _decode_one(name: str, source: Input) -> None:
    if name == "-":
        decode_stream(sys.stdin.buffer, sys.stdout, source)
        return
    with open(name, "rb") as stream:
        decode_stream(stream, sys.stdout, source)


def run(args: argparse.Namespace) -> int:
    """Decode every input; 0 when all were read, 2 when one could not be."""
    # A closed descriptor (`<&-`, `>&-`) leaves Python no stream at all.
    if sys.stdout is None:
        raise CommandError("standard output is closed: redirect it to a file or a pipe")
    if sys.stdin is None and (not args.files or "-" in args.files):
        raise CommandError("standard input is closed: name a FILE or pipe the data in")
    keys = meter_keys(args, configured_meter("p1tui decode"))
    with _rare_gc_passes():
        return _decode_all(args, keys)


@contextmanager
def _rare_gc_passes() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while decoding.

    Every telegram makes dozens of short-lived containers and no reference cycles, so
    the collector's frequent passes only cost time (about 4% of a large decode).
    """
    threshold = gc.get_threshold()
    gc.freeze()  # what start-up made is never garbage: keep it out of every pass
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _decode_all(args: argparse.Namespace, keys: MeterKeys | None) -> int:
    status = 0
    inputs: list[Input] = []
    try:
        for name in args.files or ["-"]:
            source = Input(decryptor_for(keys), args.include_invalid)  # one per input
            inputs.append(source)
            try:
                _decode_one(name, source)
            except OSError as error:
                if isinstance(error, BrokenPipeError):
                    raise
                reason = error.strerror or str(error)
                print(f"p1tui decode: cannot read {name}: {reason}", file=sys.stderr)
                status = 2
        with _writing():
            sys.stdout.flush()
    except OutputFailed as error:
        print(f"p1tui decode: cannot write the output: {error}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no retry at exit
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    print(f"p1tui decode: {_summary(inputs)}", file=sys.stderr)
    return status
