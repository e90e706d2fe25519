"""The Decoder: one link's byte path (decryptor slot, framer, parser caches), shared with none."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
from pathlib import Path

import pytest

import p1tui.dsmr
from p1tui.dsmr import CrcStatus, Decoded, Decoder, Framer, parse
from p1tui.dsmr.export import JsonWriter, to_json
from p1tui.sim.simulator import Simulator

TELEGRAMS = Path(__file__).parent / "telegrams"
START = 1_700_000_000


def corpus(*names: str) -> list[bytes]:
    return [(TELEGRAMS / name).read_bytes() for name in names]


def meter_stream(variant: str, seed: int, count: int, captures: list[bytes]) -> bytes:
    """A simulated meter's telegrams with real captures of the same family between them."""
    meter = Simulator(variant, seed=seed, start=START)
    parts = []
    for n in range(count):
        parts.append(meter.next_telegram())
        if n % 25 == 0:
            parts.append(captures[(n // 25) % len(captures)])
    return b"\x00junk".join(parts)


STREAMS = {
    "nl5": meter_stream(
        "nl5",
        1,
        300,
        corpus("unattr-py__lg-e360-3ph__1.txt", "dsmrparser__iskra-am550t-2mbus__1.txt"),
    ),
    "nl4": meter_stream(
        "nl4",
        2,
        300,
        corpus("dsmrparser__kaifa-dsmr42-3ph__1.txt", "openhab__kaifa-3ph-nogas__1.txt"),
    ),
    "nl2": meter_stream(
        "nl2",
        3,
        300,
        corpus(
            "dsmrtools__kamstrup-zabf-gasch2__1.txt",
            "dsmrtools__iskra-mt382-dsmr22-gasch2__1.txt",
        ),
    ),
    "be": meter_stream(
        "be",
        4,
        300,
        corpus(
            "dsmrparser__fluvius-t211-gas-water__1.txt",
            "dsmrhub__fluvius-s211-emptyhistory__1.txt",
        ),
    ),
}


def decode(stream: bytes, chunk: int) -> tuple[list[Decoded], list[str]]:
    """Everything one Decoder gives for the stream fed in chunks, and its JSON Lines."""
    decoder = Decoder()
    writer = JsonWriter()
    decoded: list[Decoded] = []
    for i in range(0, len(stream), chunk):
        decoded += decoder.feed(stream[i : i + chunk])
    decoded += decoder.close()
    json = [writer.write(t, f) for f, t in decoded if t is not None]
    return decoded, json


def test_four_meters_in_four_threads_give_what_one_thread_gives() -> None:
    expected = {name: decode(stream, 4096) for name, stream in STREAMS.items()}
    for name, (decoded, json) in expected.items():
        assert len(decoded) == 312, name  # 300 simulated + 12 captures
        assert all(f.valid and t is not None for f, t in decoded), name
        assert len(set(json)) > 250, name  # a meter's own stream, not one telegram repeated

    results: dict[tuple[str, int], tuple[list[Decoded], list[str]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(STREAMS))

    def work(name: str, chunk: int) -> None:
        try:
            start.wait(timeout=30)
            for round_ in range(3):
                results[(name, round_)] = decode(STREAMS[name], chunk)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads swap often, in the middle of telegrams
    try:
        threads = [
            threading.Thread(target=work, args=(name, chunk))
            for name, chunk in zip(STREAMS, (7, 61, 509, 4096), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(switch)
    assert not errors
    assert not any(thread.is_alive() for thread in threads)
    for (name, _), (decoded, json) in results.items():
        assert decoded == expected[name][0], name
        assert json == expected[name][1], name
    assert len(results) == 3 * len(STREAMS)


def test_decoders_share_nothing() -> None:
    one, two = Decoder(), Decoder()
    one.feed(STREAMS["nl5"][:20_000])
    assert one._parser.remembered > 0
    assert two._parser.remembered == 0
    assert two.stats.framer.frames_ok == 0
    assert one.stats.framer.frames_ok > 0


def _module_containers() -> dict[str, tuple[int, int]]:
    """(id, size) of every dict, list, set and bytearray held by a p1tui.dsmr module."""
    found = {}
    for info in pkgutil.walk_packages(p1tui.dsmr.__path__, "p1tui.dsmr."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if isinstance(value, (dict, list, set, bytearray)) and not attr.startswith("__"):
                found[f"{info.name}.{attr}"] = (id(value), len(value))
    return found


def test_decoding_changes_no_module_level_state() -> None:
    before = _module_containers()
    assert "p1tui.dsmr.parser._TABLE" in before  # the walk sees the parser's tables
    for stream in STREAMS.values():
        decoded, _ = decode(stream, 997)
        for frame, telegram in decoded:
            assert telegram is not None
            to_json(telegram, frame)
            parse(frame)
    assert _module_containers() == before


class Rot13Bytes:
    """A stand-in byte stage: 'decrypts' by undoing a byte rotation, holding a partial tail."""

    def __init__(self) -> None:
        self.stats = {"fed": 0}
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        self.stats["fed"] += len(data)
        data = self._held + data
        cut = len(data) - len(data) % 3  # releases whole 3-byte groups only
        self._held = data[cut:]
        return bytes((b - 13) % 256 for b in data[:cut])

    def close(self) -> bytes:
        held, self._held = self._held, b""
        return bytes((b - 13) % 256 for b in held)


def test_a_byte_stage_in_front_sees_the_bytes_first() -> None:
    plain = STREAMS["be"][:50_000]
    scrambled = bytes((b + 13) % 256 for b in plain)
    stage = Rot13Bytes()
    decoder = Decoder(stage)
    decoded: list[Decoded] = []
    for i in range(0, len(scrambled), 100):
        decoded += decoder.feed(scrambled[i : i + 100])
    decoded += decoder.close()
    reference = Framer()
    frames = reference.feed(plain) + reference.close()
    assert [f for f, _ in decoded] == frames[: len(decoded)]
    assert len(decoded) >= len(frames) - 1  # at most the telegram in the held tail is cut
    assert decoder.stats.decryption == {"fed": len(scrambled)}
    assert decoder.stats.framer.frames_ok == len([f for f in frames if f.valid])


def test_flush_finishes_a_telegram_without_its_last_line_ending() -> None:
    # a DSMR 2.2 telegram ends in a bare '!': only the quiet line says it is complete
    capture = corpus("dsmrtools__kamstrup-zabf-gasch2__1.txt")[0].rstrip(b"\r\n")
    decoder = Decoder()
    assert decoder.feed(capture) == []
    assert decoder.buffered == len(capture)
    ((frame, telegram),) = decoder.flush()
    assert frame.crc_status is CrcStatus.UNCHECKED
    assert telegram is not None and telegram.equipment_id == " ZABF00151772711"


@pytest.mark.parametrize("name", ["nl5", "be"])
def test_decode_after_close_starts_clean_and_remembers_the_meter(name: str) -> None:
    stream = STREAMS[name]
    decoder = Decoder()
    first = decoder.feed(stream[:10_000]) + decoder.close()
    remembered = decoder._parser.remembered
    again = decoder.feed(stream[:10_000]) + decoder.close()
    assert again == first
    assert decoder._parser.remembered == remembered


def test_a_decoder_that_drops_failed_frames_does_not_parse_them() -> None:
    good = corpus("unattr-py__lg-e360-3ph__1.txt")[0]
    bad = good.replace(b"1-0:1.7.0(02.077", b"1-0:1.7.0(02.078")
    for parse_invalid in (True, False):
        decoder = Decoder(parse_invalid=parse_invalid)
        (first, second) = decoder.feed(good + bad)
        assert first.frame.valid and first.telegram is not None
        assert not second.frame.valid
        if parse_invalid:
            assert second.telegram is not None
            assert str(second.telegram.power_import_kw) == "2.078"
        else:
            assert second.telegram is None
