"""Speed of reading an encrypting meter, side by side with dsmr_parser.

Run from the repository root::

    python bench/bench_decrypt.py            # the full run (a few seconds)
    python bench/bench_decrypt.py --quick    # fewer frames, for a smoke test

Both libraries in the same process on the same frames: the built-in meter's Luxembourg
Smarty telegrams, each encrypted with security 0x30 (AES-128-GCM with a 12-byte tag),
every one different (new time stamp, powers, frame counter). p1tui: a ``Decoder`` with
the ``Decryptor`` in front (tag checked), as a link reads the meter. dsmr_parser:
``TelegramParser`` with its ``SAGEMCOM_T210_D_R`` specification, which decrypts
(dlms_cosem, tag checked) and parses the hex string of one frame; it does no framing of a
byte stream, so this is its best case.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
from collections.abc import Callable

from bench_common import decoding, interleaved
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from p1tui.dsmr import Decoder
from p1tui.dsmr.decryptor import Decryptor
from p1tui.dsmr.dlms import MeterKeys
from p1tui.sim.simulator import Simulator

START = 1_700_000_000
KEYS = MeterKeys(bytes.fromhex("000102030405060708090A0B0C0D0E0F"))


def frames(count: int) -> list[bytes]:
    meter = Simulator("lu", seed=7, start=START, keys=KEYS)
    return [meter.next_telegram() for _ in range(count)]


def dsmr_parser_run(data: list[bytes]) -> Callable[[], int]:
    parser = TelegramParser(telegram_specifications.SAGEMCOM_T210_D_R)
    texts = [frame.hex() for frame in data]
    key, auth = KEYS.encryption.hex(), KEYS.authentication.hex()

    def run() -> int:
        for text in texts:
            parser.parse(text, key, auth)
        return len(texts)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames (smoke test)")
    args = parser.parse_args()
    logging.getLogger("dsmr_parser").setLevel(logging.CRITICAL)
    print(f"Python {platform.python_version()} on {platform.machine()}")
    data = frames(200 if args.quick else 2000)
    ours, theirs = interleaved(
        3 if args.quick else 7,
        decoding(data, lambda: Decoder(Decryptor(KEYS))),
        dsmr_parser_run(data),
    )
    size = sum(map(len, data)) // len(data)
    print(f"encrypted Smarty frames ({len(data)}, {size} bytes each): decrypt + frame + parse")
    print(f"   p1tui        {ours * 1e6:>8.1f} us per frame")
    print(f"   dsmr_parser  {theirs * 1e6:>8.1f} us per frame")
    print(f"   ratio        {theirs / ours:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
