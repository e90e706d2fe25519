"""Encrypted P1 frames: the public vector, the built-in meter, broken frames, dsmr_parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p1tui.dsmr import Framer, parse
from p1tui.dsmr.crc import crc16_arc
from p1tui.dsmr.decryptor import Decryptor, encrypt_frame
from p1tui.dsmr.dlms import (
    LUXEMBOURG_AUTH_KEY,
    KeyFormatError,
    MeterKeys,
    holds_encrypted_frames,
    parse_key,
)
from p1tui.dsmr.export import to_json
from p1tui.sim.simulator import Simulator

HERE = Path(__file__).parent / "telegrams" / "encrypted"
VECTOR = (HERE / "esphomelibs__sagemcom-t210d-smarty-style__1.bin").read_bytes()
VECTOR_PLAIN = (HERE / "esphomelibs__sagemcom-t210d-smarty-style__1.plain.txt").read_bytes()
VECTOR_KEYS = MeterKeys(bytes.fromhex("AA" * 16))
KEYS = MeterKeys(bytes.fromhex("000102030405060708090A0B0C0D0E0F"))
TITLE = b"SAG\x01\x02\x03\x04\x05"
START = 1_780_000_000  # 2026-05-28


def lu_telegrams(count: int, keys: MeterKeys | None = None, seed: int = 4) -> list[bytes]:
    meter = Simulator("lu", seed, START, keys=keys)
    return [meter.next_telegram() for _ in range(count)]


def short_telegram(size: int) -> bytes:
    """A valid telegram of exactly ``size`` bytes (padding in its header line)."""
    body = b"/XYZ5 %s\r\n\r\n1-0:1.8.0(000123.456*kWh)\r\n!"
    pad = size - (len(body) - 2) - 6
    data = body % (b"x" * pad)
    telegram = data + b"%04X\r\n" % crc16_arc(data)
    assert len(telegram) == size
    return telegram


def decrypt_all(decryptor: Decryptor, stream: bytes, chunks: list[int] | None = None) -> bytes:
    out = bytearray()
    at = 0
    for size in chunks or []:
        out += decryptor.feed(stream[at : at + size])
        at += size
    out += decryptor.feed(stream[at:])
    return bytes(out + decryptor.close())


def values(stream: bytes) -> list[str]:
    """What the framer and parser make of a plaintext stream, as decode's JSON."""
    framer = Framer()
    frames = framer.feed(stream) + framer.close()
    assert all(frame.valid for frame in frames)
    return [to_json(parse(frame), frame) for frame in frames]


# --- the public vector ---------------------------------------------------------------------


def test_the_public_vector_decrypts_to_its_known_telegram() -> None:
    decryptor = Decryptor(VECTOR_KEYS)
    plaintext = decrypt_all(decryptor, VECTOR)
    assert plaintext == VECTOR_PLAIN
    (frame,) = Framer().feed(plaintext + b"\r\n")
    assert frame.crc_ok and frame.crc_received == 0x7EF9
    assert parse(frame).header == "/EST5\\253710000_A"
    (envelope,) = decryptor.take_envelopes()
    assert envelope.system_title == b"SYSTEMID"
    assert envelope.frame_counter == 0x10000001
    assert envelope.security == 0x30
    assert envelope.counter_increased
    assert envelope.describe() == "system title SYSTEMID, frame counter 268435457, security 0x30"
    assert decryptor.stats.frames_decrypted == 1 and decryptor.stats.frames_failed == 0


def test_the_public_vector_byte_by_byte() -> None:
    decryptor = Decryptor(VECTOR_KEYS)
    assert decrypt_all(decryptor, VECTOR, [1] * len(VECTOR)) == VECTOR_PLAIN


def test_our_encryption_reproduces_the_public_vector() -> None:
    assert encrypt_frame(VECTOR_PLAIN, VECTOR_KEYS, b"SYSTEMID", 0x10000001) == VECTOR


def test_the_public_vector_with_a_wrong_key_is_rejected_and_counted() -> None:
    decryptor = Decryptor(MeterKeys(bytes.fromhex("AA" * 15 + "AB")))
    assert decrypt_all(decryptor, VECTOR) == b""
    assert decryptor.stats.key_mismatches == 1
    assert decryptor.stats.frames_decrypted == 0
    assert decryptor.stats.bytes_rejected == len(VECTOR)
    assert decryptor.take_envelopes() == []


def test_a_wrong_authentication_key_is_told_apart_from_a_wrong_key() -> None:
    keys = MeterKeys(VECTOR_KEYS.encryption, bytes(16))
    decryptor = Decryptor(keys)
    assert decrypt_all(decryptor, VECTOR) == b""
    assert decryptor.stats.auth_failures == 1
    assert decryptor.stats.key_mismatches == 0


# --- the built-in meter's encrypted stream ------------------------------------------------


def test_the_encrypting_meter_sends_its_plaintext_telegrams_encrypted() -> None:
    encrypted = lu_telegrams(3, KEYS)
    plain = lu_telegrams(3)
    assert all(frame.startswith(b"\xdb\x08") for frame in encrypted)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, b"".join(encrypted)) == b"".join(plain)
    counters = [e.frame_counter for e in decryptor.take_envelopes()]
    assert counters == [counters[0], counters[0] + 1, counters[0] + 2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    junk=st.lists(st.binary(max_size=40), min_size=6, max_size=6),
    cuts=st.lists(st.integers(min_value=1, max_value=700), max_size=30),
)
def test_any_chunking_with_junk_between_frames_gives_the_plaintext_values(
    junk: list[bytes], cuts: list[int]
) -> None:
    # Junk is line noise: it holds no telegram start of its own.
    junk = [j.replace(b"/", b"") for j in junk]
    encrypted, plain = lu_telegrams(5, KEYS), lu_telegrams(5)
    stream = junk[0] + b"".join(frame + j for frame, j in zip(encrypted, junk[1:], strict=True))
    decryptor = Decryptor(KEYS)
    assert values(decrypt_all(decryptor, stream, cuts)) == values(b"".join(plain))
    assert decryptor.stats.frames_decrypted == 5
    assert decryptor.stats.frames_failed == 0


def test_a_fake_frame_start_in_junk_does_not_cost_the_next_frame() -> None:
    # DB 08, a title, a plausible length and security byte, then nothing of the sort.
    fake = b"\xdb\x08" + TITLE + b"\x82\x01\x00\x30" + b"\x00" * 7
    (frame,) = lu_telegrams(1, KEYS)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, fake + frame) == lu_telegrams(1)[0]
    assert decryptor.stats.frames_truncated == 1


@pytest.mark.parametrize(
    ("form", "size", "length_bytes"),
    [(1, 60, b"\x4d"), (0x81, 200, b"\x81\xd9"), (0x82, 481, b"\x82\x01\xf2"), (0x82, 60, None)],
)
def test_all_three_length_forms(form: int, size: int, length_bytes: bytes | None) -> None:
    telegram = short_telegram(size)
    frame = encrypt_frame(telegram, KEYS, TITLE, 7, length_form=form)
    if length_bytes is not None:
        assert frame[10 : 10 + len(length_bytes)] == length_bytes
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, frame, [3] * (len(frame) // 3)) == telegram


@pytest.mark.parametrize("security", [0x20, 0x21, 0x30, 0x31])
def test_security_with_and_without_authentication(security: int) -> None:
    telegram = short_telegram(300)
    frame = encrypt_frame(telegram, KEYS, TITLE, 9, security=security)
    assert len(frame) == len(telegram) + 18 + (12 if security & 0x10 else 0)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, frame) == telegram
    assert decryptor.take_envelopes()[0].security == security


def test_without_a_tag_a_wrong_key_is_still_rejected() -> None:
    frame = encrypt_frame(short_telegram(300), KEYS, TITLE, 9, security=0x20)
    decryptor = Decryptor(MeterKeys(bytes(16)))
    assert decrypt_all(decryptor, frame) == b""
    assert decryptor.stats.key_mismatches == 1


def flipped(frame: bytes, at: int) -> bytes:
    return frame[:at] + bytes((frame[at] ^ 0x01,)) + frame[at + 1 :]


@pytest.mark.parametrize(
    "where",
    ["tag", "ciphertext", "frame counter", "system title"],
)
def test_a_flipped_byte_rejects_the_frame_and_only_that_frame(where: str) -> None:
    first, second, third = lu_telegrams(3, KEYS)
    at = {"tag": len(first) - 3, "ciphertext": 100, "frame counter": 16, "system title": 5}[where]
    decryptor = Decryptor(KEYS)
    out = decrypt_all(decryptor, flipped(first, at) + second + third)
    assert out == b"".join(lu_telegrams(3)[1:])
    assert decryptor.stats.frames_failed == 1
    assert decryptor.stats.frames_decrypted == 2


def test_a_truncated_frame_is_rejected_and_the_next_one_read() -> None:
    first, second = lu_telegrams(2, KEYS)
    decryptor = Decryptor(KEYS)
    out = decrypt_all(decryptor, first[:-40] + second)
    assert out == lu_telegrams(2)[1]
    assert decryptor.stats.frames_truncated == 1
    assert decryptor.stats.frames_decrypted == 1


def test_a_frame_cut_by_the_end_of_the_stream_is_counted() -> None:
    (frame,) = lu_telegrams(1, KEYS)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, frame[:-1]) == b""
    assert decryptor.stats.frames_truncated == 1
    assert decryptor.stats.bytes_rejected == len(frame) - 1


def test_a_frame_counter_that_does_not_increase_is_flagged() -> None:
    telegram = short_telegram(100)
    stream = b"".join(encrypt_frame(telegram, KEYS, TITLE, n) for n in (5, 6, 6, 3, 7))
    decryptor = Decryptor(KEYS)
    decrypt_all(decryptor, stream)
    envelopes = decryptor.take_envelopes()
    assert [e.counter_increased for e in envelopes] == [True, True, False, False, True]
    assert decryptor.stats.counter_not_increasing == 2
    assert "not increasing" in envelopes[2].describe()
    assert "not increasing" not in envelopes[1].describe()


def test_plaintext_telegrams_pass_through_when_a_key_is_set() -> None:
    """A Smarty whose grid operator switched encryption off still reads."""
    plain = lu_telegrams(2)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, b"".join(plain), [17] * 40) == b"".join(plain)
    assert decryptor.stats.frames_decrypted == 0


def test_memory_stays_bounded_on_a_flood_of_frame_starts() -> None:
    decryptor = Decryptor(KEYS)
    fake = b"\xdb\x08" + TITLE + b"\x82\x7f\x00\x30"
    for _ in range(200):
        decryptor.feed(fake + b"\x00" * 1000)
        assert decryptor.buffered <= 33 * 1024


# --- agreement with dsmr_parser ------------------------------------------------------------


def test_dsmr_parser_decrypts_the_same_frames_to_the_same_telegrams() -> None:
    from dlms_cosem.connection import XDlmsApduFactory
    from dsmr_parser import telegram_specifications
    from dsmr_parser.exceptions import DecryptionError
    from dsmr_parser.parsers import TelegramParser

    frames = [(VECTOR, VECTOR_KEYS), *((f, KEYS) for f in lu_telegrams(4, KEYS, seed=9))]
    parser = TelegramParser(telegram_specifications.SAGEMCOM_T210_D_R)
    for frame, keys in frames:
        ours = decrypt_all(Decryptor(keys), frame)
        # dsmr_parser's own decryption (dlms_cosem's general-global-cipher APDU).
        apdu = XDlmsApduFactory.apdu_from_bytes(apdu_bytes=frame)
        assert apdu.to_plain_apdu(keys.encryption, keys.authentication) == ours
        theirs = parser.parse(frame.hex(), keys.encryption.hex(), keys.authentication.hex())
        (plain_frame,) = Framer().feed(ours + b"\r\n")
        telegram = parse(plain_frame)
        assert theirs.P1_MESSAGE_TIMESTAMP.value == telegram.timestamp
        imported = telegram.energy_import_kwh.total
        unit = theirs.ELECTRICITY_IMPORTED_TOTAL.unit
        scale = 1000 if unit == "Wh" else 1
        assert theirs.ELECTRICITY_IMPORTED_TOTAL.value == imported * scale
        wrong = MeterKeys(bytes(16))
        with pytest.raises(DecryptionError):
            parser.parse(frame.hex(), wrong.encryption.hex(), keys.authentication.hex())
        assert decrypt_all(Decryptor(wrong), frame) == b""


# --- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "000102030405060708090A0B0C0D0E0F",
        "000102030405060708090a0b0c0d0e0f",
        "0001 0203 0405 0607 0809 0A0B 0C0D 0E0F",
        "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f",
        "0x000102030405060708090A0B0C0D0E0F",
    ],
)
def test_keys_in_the_spellings_grid_operators_use(spelling: str) -> None:
    assert parse_key(spelling) == KEYS.encryption


@pytest.mark.parametrize("bad", ["0011223344", "00112233445566778899AABBCCDDEEFG", ""])
def test_a_malformed_key_is_named_without_repeating_it(bad: str) -> None:
    with pytest.raises(KeyFormatError) as caught:
        parse_key(bad, "encryption key")
    message = str(caught.value)
    assert "encryption key" in message
    assert not bad or bad not in message


def test_keys_never_show_in_their_repr() -> None:
    keys = MeterKeys(parse_key("000102030405060708090A0B0C0D0E0F"), parse_key("A1" * 16))
    assert keys.authentication == bytes.fromhex("A1" * 16)
    for text in (repr(keys), str(keys), repr(Decryptor(keys))):
        assert "0A0B" not in text.upper() and "A1A1" not in text.upper()
        assert "\\x0a" not in text.lower()
    assert MeterKeys(parse_key("00" * 16)).authentication == LUXEMBOURG_AUTH_KEY


def test_encrypted_frames_are_recognised_in_a_byte_sample() -> None:
    assert holds_encrypted_frames(b"\x00\xff" + VECTOR[:200])
    assert not holds_encrypted_frames(lu_telegrams(1)[0])
    assert not holds_encrypted_frames(b"\xdb\x08" + b"\xff" * 40)


@settings(max_examples=60, deadline=None)
@given(
    noise=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=20),
    damage=st.integers(min_value=0, max_value=2000),
)
def test_pieces_cut_the_stream_without_losing_or_adding_a_byte(
    noise: bytes, cuts: list[int], damage: int
) -> None:
    first, second = lu_telegrams(2, KEYS)
    at = damage % len(first)
    stream = noise + first[:at] + bytes([first[at] ^ 0x40]) + first[at + 1 :] + noise + second
    decryptor = Decryptor(KEYS)
    pieces, done = [], 0
    for size in cuts:
        pieces += decryptor.feed_pieces(stream[done : done + size])
        done += size
    pieces += decryptor.feed_pieces(stream[done:]) + decryptor.close_pieces()
    assert b"".join(piece.raw for piece in pieces) == stream
    decrypted = [piece for piece in pieces if piece.envelope is not None]
    assert decrypted[-1].plaintext == lu_telegrams(2)[1]
    assert decryptor.buffered == 0


def test_a_frame_without_a_tag_is_refused_once_the_meter_authenticated() -> None:
    """Security 0x20 is malleable: it must not be a way around the tag check."""
    telegram = short_telegram(120)
    tagged = encrypt_frame(telegram, KEYS, TITLE, 1)
    untagged = encrypt_frame(telegram, KEYS, TITLE, 2, security=0x20)
    decryptor = Decryptor(KEYS)
    assert decrypt_all(decryptor, untagged + tagged + untagged) == telegram * 2
    assert decryptor.stats.downgrades == 1 and decryptor.stats.frames_failed == 1
