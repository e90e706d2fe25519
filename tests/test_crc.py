"""CRC-16/ARC: the check value, the fact sheet's vectors, and the two implementations agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p1tui.dsmr import crc16_arc
from p1tui.dsmr.crc import crc16_arc_python

TELEGRAMS = Path(__file__).parent / "telegrams"
IMPLEMENTATIONS = [crc16_arc, crc16_arc_python]


def _reference(data: bytes) -> int:
    """The fact sheet's bit-by-bit definition, the slowest and plainest form."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@pytest.mark.parametrize("crc", IMPLEMENTATIONS)
def test_check_value(crc) -> None:
    assert crc(b"123456789") == 0xBB3D


@pytest.mark.parametrize("crc", IMPLEMENTATIONS)
def test_empty_and_one_byte(crc) -> None:
    assert crc(b"") == 0
    assert crc(b"\x00") == 0
    assert crc(b"/") == _reference(b"/")


# Fact sheet section 2, "Test vectors (all verified)": those of its fixtures that are in
# the corpus, with the CRC each one states.
VECTORS = {
    "dsmrparser__kaifa-dsmr42-3ph__1.txt": 0x6796,
    "dsmrparser__iskra-am550t-2mbus__1.txt": 0x56DD,
    "dsmrparser__fluvius-emucs171-SPECEXAMPLE__1.txt": 0x3AD7,
    "dsmrparser__fluvius-t211-gas-water__1.txt": 0xC4B0,
    "dsmrparser__sagemcom-t210dr-AT__1.txt": 0x7EF9,
    "dsmrparser__sagemcom-eon-HU__1.txt": 0x99DA,
    "dsmrparser__nwa-warmtelink-heat__1.txt": 0x0B9F,
}


@pytest.mark.parametrize("crc", IMPLEMENTATIONS)
@pytest.mark.parametrize(("name", "expected"), sorted(VECTORS.items()))
def test_fact_sheet_vectors(crc, name: str, expected: int) -> None:
    data = (TELEGRAMS / name).read_bytes()
    covered = data[: data.rindex(b"!") + 1]  # '/' .. '!' inclusive, CRLFs included
    assert crc(covered) == expected


def _stated_crc(data: bytes) -> bytes:
    return data[data.rindex(b"!") + 1 :].strip()


WITH_CRC = sorted(p.name for p in TELEGRAMS.glob("*.txt") if _stated_crc(p.read_bytes()))


@pytest.mark.parametrize("name", WITH_CRC)
def test_every_corpus_crc_matches_what_the_meter_sent(name: str) -> None:
    data = (TELEGRAMS / name).read_bytes()
    assert crc16_arc(data[: data.rindex(b"!") + 1]) == int(_stated_crc(data), 16)


@pytest.mark.parametrize("crc", IMPLEMENTATIONS)
def test_accepts_bytearray_and_memoryview(crc) -> None:
    assert crc(bytearray(b"123456789")) == 0xBB3D
    assert crc(memoryview(b"x123456789")[1:]) == 0xBB3D


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_both_implementations_follow_the_definition(data: bytes) -> None:
    assert crc16_arc(data) == _reference(data)
    assert crc16_arc_python(data) == _reference(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512), st.binary(max_size=512))
def test_python_crc_continues_from_a_previous_value(head: bytes, tail: bytes) -> None:
    assert crc16_arc_python(tail, crc16_arc_python(head)) == crc16_arc_python(head + tail)
