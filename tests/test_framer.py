"""Framer edge cases: how real links cut, pad, corrupt and glue telegrams."""

from __future__ import annotations

from pathlib import Path

import pytest

from p1tui.dsmr import CrcStatus, Frame, Framer, crc16_arc

TELEGRAMS = Path(__file__).parent / "telegrams"
NL5 = (TELEGRAMS / "athombv__iskra-am550t1011-solar-gas__1.txt").read_bytes()
NL4 = (TELEGRAMS / "arduinodsmr__kaifa-1ph-dsmr40__1.txt").read_bytes()
BE = (TELEGRAMS / "dsmrhub__fluvius-s211-emptyhistory__1.txt").read_bytes()
NL3 = (TELEGRAMS / "dsmrtools__lg-e350-dsmr30__1.txt").read_bytes()
NWA = (TELEGRAMS / "dsmrparser__nwa-warmtelink-heat__1.txt").read_bytes()  # "!B9F"


def feed_all(data: bytes, chunk: int | None = None, framer: Framer | None = None) -> list[Frame]:
    framer = framer or Framer()
    if chunk is None:
        return framer.feed(data) + framer.close()
    frames: list[Frame] = []
    for i in range(0, len(data), chunk):
        frames += framer.feed(data[i : i + chunk])
    return frames + framer.close()


def body(data: bytes) -> bytes:
    """The telegram as the framer hands it over: '/' to the last CRC digit."""
    return data.rstrip(b"\r\n")


def with_crc(text: bytes, fmt: bytes = b"%04X") -> bytes:
    """``text`` ends with '!': append its CRC in the given format."""
    return text + fmt % crc16_arc(text)


def test_one_telegram() -> None:
    (frame,) = feed_all(NL5)
    assert frame.raw == body(NL5)
    assert frame.crc_status is CrcStatus.OK
    assert frame.valid and frame.crc_ok is True
    assert frame.crc_received == frame.crc_computed == 0x1F28


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 500])
def test_any_chunking_gives_the_same_frames(chunk: int) -> None:
    stream = NL5 + NL4 + BE[: len(BE) // 2]
    framer = Framer()
    frames = feed_all(stream, chunk, framer)
    assert [f.raw for f in frames] == [body(NL5), body(NL4)]
    assert framer.stats.frames_ok == 2
    assert framer.stats.frames_truncated == 1  # the half telegram, at close()


def test_two_and_a_half_telegrams_in_one_chunk() -> None:
    framer = Framer()
    frames = framer.feed(NL5 + NL4 + BE[:300])
    assert [f.raw for f in frames] == [body(NL5), body(NL4)]
    assert framer.buffered == 300
    (rest,) = framer.feed(BE[300:])
    assert rest.raw == body(BE)
    assert framer.buffered == 0


def test_junk_before_and_between_is_dropped_and_counted() -> None:
    junk = b"\x00\x00\xff\xff\xff\xff ser2net noise \r\n1-0:1.8.1(000001.000*kWh)\r\n!ABCD\r\n"
    framer = Framer()
    frames = feed_all(junk + NL5 + b"\xff" * 50 + NL4 + b"\x00", framer=framer)
    assert [f.raw for f in frames] == [body(NL5), body(NL4)]
    assert framer.stats.bytes_skipped == len(junk) + 50 + 1
    assert framer.stats.crc_failures == 0


def test_nul_after_the_crc() -> None:
    # dsmr_parser PR #26: some meters put a NUL between the CRC and CRLF
    data = body(NL5) + b"\x00\r\n" + NL4
    assert [f.raw for f in feed_all(data)] == [body(NL5), body(NL4)]


def test_easymeter_padding_after_the_end() -> None:
    data = body(NL5) + b"\r\n  25803103" + b"\xff" * 40 + NL4
    assert [f.raw for f in feed_all(data)] == [body(NL5), body(NL4)]


def test_next_header_glued_to_the_crc() -> None:
    # dsmr_parser#91: "!73A4" immediately followed by "/ISK5..."
    data = body(NL5) + body(NL4) + b"\r\n"
    frames = feed_all(data)
    assert [f.raw for f in frames] == [body(NL5), body(NL4)]
    assert all(f.crc_status is CrcStatus.OK for f in frames)


def test_a_lost_footer_never_merges_two_telegrams() -> None:
    cut = NL5[: NL5.index(b"0-1:24.1.0")]  # everything after this line is lost
    framer = Framer()
    frames = feed_all(cut + NL4, framer=framer)
    assert [f.raw for f in frames] == [body(NL4)]
    assert framer.stats.frames_truncated == 1
    assert framer.stats.bytes_skipped == len(cut)


def test_lf_only_lines() -> None:
    text = NL5[: NL5.rindex(b"!") + 1].replace(b"\r\n", b"\n")
    (frame,) = feed_all(with_crc(text) + b"\n")
    assert frame.crc_status is CrcStatus.OK
    # the CRC covers the CRs: the meter's own CRC does not fit the LF-only text
    (stripped,) = feed_all(NL5.replace(b"\r\n", b"\n"))
    assert stripped.crc_status is CrcStatus.FAILED


def test_last_line_without_line_ending() -> None:
    framer = Framer()
    # four CRC digits end the telegram: no need to wait for the line ending
    assert [f.raw for f in framer.feed(body(NL5))] == [body(NL5)]
    # an unpadded CRC might still be growing, a bare '!' might get digits: wait...
    assert framer.feed(body(NWA)) == []
    # ... until the line goes quiet
    (frame,) = framer.flush()
    assert frame.raw == body(NWA)
    assert frame.crc_status is CrcStatus.OK
    assert framer.flush() == []


@pytest.mark.parametrize("digits", [0, 1, 3])
def test_a_pause_inside_the_crc_does_not_cut_the_telegram(digits: int) -> None:
    """A network link can stall between '!' and the last CRC digits: the line goes quiet
    but the end line is not complete, so the framer waits for the rest."""
    framer = Framer()
    cut = NL5.rindex(b"!") + 1 + digits
    assert framer.feed(NL5[:cut]) == []
    assert framer.flush() == []
    (frame,) = framer.feed(NL5[cut:])
    assert frame.raw == body(NL5) and frame.crc_status is CrcStatus.OK
    assert framer.stats.crc_failures == 0 and framer.stats.bytes_skipped == 0


def test_last_line_without_line_ending_is_framed_by_the_next_header() -> None:
    framer = Framer()
    frames = framer.feed(body(NWA)) + framer.feed(NL5)
    assert [f.raw for f in frames] == [body(NWA), body(NL5)]


def test_no_crc_telegram_at_the_end_of_the_stream() -> None:
    framer = Framer()
    assert framer.feed(body(NL3)) == []
    (frame,) = framer.close()
    assert frame.crc_status is CrcStatus.UNCHECKED
    assert frame.crc_ok is None and frame.valid
    assert frame.crc_received is None


def test_unpadded_crc() -> None:
    (frame,) = feed_all(NWA)
    assert frame.raw.endswith(b"!B9F")
    assert frame.crc_status is CrcStatus.OK
    assert frame.crc_received == 0x0B9F


@pytest.mark.parametrize("fmt", [b"%04x", b"%X", b"%x"])
def test_lowercase_and_unpadded_crc_forms(fmt: bytes) -> None:
    text = b"/XXX5 test\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!"
    (frame,) = feed_all(with_crc(text, fmt) + b"\r\n")
    assert frame.crc_status is CrcStatus.OK


def test_unpadded_crc_that_needs_its_padding() -> None:
    # find data whose CRC is below 0x1000 so that "%X" really drops a leading zero
    for n in range(10000):
        text = b"/XXX5 test\r\n\r\n1-0:1.8.1(%09d*kWh)\r\n!" % n
        if crc16_arc(text) < 0x1000:
            break
    (frame,) = feed_all(with_crc(text, b"%X") + b"\r\n")
    assert len(frame.raw) - frame.raw.index(b"!") - 1 <= 3
    assert frame.crc_status is CrcStatus.OK


def test_runs_of_ff_between_and_inside_junk() -> None:
    data = b"\xff" * 5000 + NL5 + b"\xff" * 5000 + NL4 + b"\xff" * 3
    framer = Framer()
    assert [f.raw for f in feed_all(data, 97, framer)] == [body(NL5), body(NL4)]
    assert framer.stats.bytes_skipped == 10003


def test_bit_flipped_byte_fails_the_crc_and_the_next_telegram_is_fine() -> None:
    broken = NL5.replace(b"1-0:1.8.1(", b"1-0:1.8.1\x95", 1)  # '(' arrived as 0x95
    framer = Framer()
    frames = feed_all(broken + NL4, framer=framer)
    assert [f.crc_status for f in frames] == [CrcStatus.FAILED, CrcStatus.OK]
    assert frames[1].raw == body(NL4)
    assert framer.stats.crc_failures == 1
    assert "CRC" in (frames[0].problem or "")


def test_restart_on_slash_before_the_end() -> None:
    data = b"/XXX5 partial\r\n\r\n1-0:1.8.1(0000" + NL5
    framer = Framer()
    assert [f.raw for f in feed_all(data, 5, framer)] == [body(NL5)]
    assert framer.stats.frames_truncated == 1


def test_stray_bang_at_a_line_start_does_not_end_the_telegram() -> None:
    # a corrupted first byte of an OBIS line turns into '!': "!-0:1.8.1(...)"
    stray = NL5.replace(b"\r\n1-0:1.8.1", b"\r\n!-0:1.8.1", 1)
    (frame,) = feed_all(stray)
    assert frame.raw == body(stray)  # still framed up to the real end...
    assert frame.crc_status is CrcStatus.FAILED  # ...and rejected


def test_stray_bang_with_hex_after_it_gives_a_failed_frame() -> None:
    # DSMR 2.2 continuation line "(00001.001)" whose '(' turned into '!': "!0000..." looks
    # like an end line with CRC 0000; that truncated telegram must not pass as valid
    data = (TELEGRAMS / "dsmrtools__kamstrup-zabf-gasch2__1.txt").read_bytes()
    stray = data.replace(b"\r\n(02025.003)", b"\r\n!02025.003)")
    frames = feed_all(stray)
    assert frames
    assert not any(f.valid for f in frames)


def test_stray_bare_bang_in_a_crc_stream_is_rejected() -> None:
    # a telegram truncated by a byte that became "!" + CRLF, after CRC telegrams went by
    truncated = NL5[: NL5.index(b"1-0:32.7.0")] + b"!\r\n"
    framer = Framer()
    frames = feed_all(NL4 + truncated + NL4, framer=framer)
    assert [f.crc_status for f in frames] == [CrcStatus.OK, CrcStatus.FAILED, CrcStatus.OK]
    assert "CRC missing" in (frames[1].problem or "")
    assert framer.stream_has_crc


@pytest.mark.parametrize("telegram", [NL5, NL4, BE], ids=["nl5", "nl4", "be"])
def test_no_crc_on_a_telegram_that_announces_dsmr4_or_newer_is_rejected(telegram) -> None:
    no_crc = telegram[: telegram.rindex(b"!") + 1] + b"\r\n"
    (frame,) = feed_all(no_crc)  # a fresh framer: the stream has not shown a CRC yet
    assert frame.crc_status is CrcStatus.FAILED
    assert "DSMR 4" in (frame.problem or "")


def test_no_crc_telegram_is_accepted_as_unchecked_in_a_stream_without_crcs() -> None:
    framer = Framer()
    frames = feed_all(NL3 + NL3 + NL3, 11, framer)
    assert [f.crc_status for f in frames] == [CrcStatus.UNCHECKED] * 3
    assert framer.stats.frames_unchecked == 3
    assert not framer.stream_has_crc


def test_no_crc_telegram_after_crc_telegrams_is_rejected() -> None:
    frames = feed_all(NL4 + NL3)
    assert [f.crc_status for f in frames] == [CrcStatus.OK, CrcStatus.FAILED]


def test_no_crc_telegram_with_binary_bytes_is_rejected() -> None:
    binary = NL3.replace(b"1-0:1.8.1(03687.771", b"1-0:1.8.1(03687\xb771", 1)
    (frame,) = feed_all(binary)
    assert frame.crc_status is CrcStatus.FAILED


def test_bare_bang_followed_by_junk_on_its_line_is_not_an_end() -> None:
    data = b"/XXX5 test\r\n\r\n1-0:1.8.1(00001.001*kWh)\r\n!xyz\r\n1-0:1.8.2(1)\r\n!\r\n"
    (frame,) = feed_all(data)
    assert frame.raw.endswith(b"1-0:1.8.2(1)\r\n!")
    assert frame.crc_status is CrcStatus.UNCHECKED


def test_size_cap_on_a_header_with_no_end() -> None:
    framer = Framer(max_frame_bytes=4096)
    framer.feed(b"/XXX5 never ends\r\n\r\n")
    for _ in range(2000):
        assert framer.feed(b"1-0:1.8.1(000001.000*kWh)\r\n") == []
        assert framer.buffered <= 4096
    assert framer.stats.frames_truncated == 1  # then junk until the next '/'
    # the stream recovers at the next telegram
    assert [f.raw for f in framer.feed(NL5)] == [body(NL5)]


def test_size_cap_on_endless_garbage() -> None:
    framer = Framer(max_frame_bytes=4096)
    for i in range(1000):
        assert framer.feed(bytes([i % 256]) * 1000 if i % 256 != ord("/") else b"x" * 1000) == []
        assert framer.buffered <= 4096
    assert framer.stats.bytes_skipped >= 1000 * 1000 - 4096


def test_telegram_larger_than_the_cap_is_dropped_and_counted() -> None:
    small = with_crc(b"/XXX5 test\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!") + b"\r\n"
    framer = Framer(max_frame_bytes=len(NL5) - 100)
    assert [f.raw for f in feed_all(NL5 + small, 64, framer)] == [body(small)]
    assert framer.stats.frames_truncated == 1


def test_close_counts_what_is_left() -> None:
    framer = Framer()
    assert framer.feed(NL5[:200]) == []
    assert framer.close() == []
    assert framer.stats.frames_truncated == 1
    assert framer.stats.bytes_skipped == 200
    assert framer.buffered == 0


def test_the_crlf_after_the_crc_is_not_counted_as_junk() -> None:
    framer = Framer()
    feed_all(NL5 + NL4, 1, framer)
    assert framer.stats.bytes_skipped == 0
