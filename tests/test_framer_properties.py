"""Property tests: the framer and the parser on whatever a link can deliver.

The framer must never raise, never hand over a telegram that fails its CRC as valid, find
every intact telegram in a stream, never merge two, and keep its buffer bounded. The parser
must raise nothing but DSMRError subclasses, whatever frame it is given.

Streams with corrupted bytes use ``derandomize=True``: a random corruption passes a
CRC-16 with probability 2^-16, so the examples are fixed rather than a rare flaky failure.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from p1tui.dsmr import (
    CrcStatus,
    DSMRError,
    Frame,
    Framer,
    Parser,
    crc16_arc,
    parse,
    parse_bytes,
)
from p1tui.dsmr.parser import _split_general, interpret

TELEGRAMS = Path(__file__).parent / "telegrams"
ALL = {p.name: p.read_bytes() for p in sorted(TELEGRAMS.glob("*.txt"))}
WITH_CRC = [data for data in ALL.values() if data.rstrip().rsplit(b"!", 1)[1]]
WITHOUT_CRC = [data for data in ALL.values() if not data.rstrip().rsplit(b"!", 1)[1]]

# P1TUI_FUZZ_EXAMPLES=5000 (and P1TUI_FUZZ_RANDOM=1 for fresh examples) for a deeper run.
EXAMPLES = int(os.environ.get("P1TUI_FUZZ_EXAMPLES", "150"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXED = settings(FAST, derandomize=not os.environ.get("P1TUI_FUZZ_RANDOM"), database=None)


def body(data: bytes) -> bytes:
    return data.rstrip(b"\r\n")


def chunked(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` cut into chunks of the given sizes, cycling through them."""
    chunks, i, k = [], 0, 0
    while i < len(data):
        size = sizes[k % len(sizes)]
        chunks.append(data[i : i + size])
        i, k = i + size, k + 1
    return chunks


def run(chunks: list[bytes], framer: Framer | None = None) -> tuple[list[Frame], Framer]:
    """Feed the chunks; check the buffer bound after each; close at the end."""
    framer = framer or Framer()
    frames: list[Frame] = []
    for chunk in chunks:
        frames += framer.feed(chunk)
        assert framer.buffered <= framer.max_frame_bytes + len(chunk)
    frames += framer.flush() + framer.close()
    assert framer.buffered == 0
    return frames, framer


def assert_honest(frame: Frame) -> None:
    """A frame's verdict is what its bytes say."""
    assert frame.raw.startswith(b"/")
    bang = frame.raw.rindex(b"!")
    assert frame.crc_computed == crc16_arc(frame.raw[: bang + 1])
    digits = frame.raw[bang + 1 :]
    if frame.crc_status is CrcStatus.OK:
        assert int(digits, 16) == frame.crc_computed == frame.crc_received
    elif frame.crc_status is CrcStatus.UNCHECKED:
        assert digits == b""
        assert frame.crc_received is None
        assert not _announces_dsmr4(frame.raw)


def _announces_dsmr4(data: bytes) -> bool:
    return b"1-3:0.2.8" in data or b"0-0:96.1.4" in data


sizes = st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=8)
junk = st.binary(max_size=200)
crc_telegrams = st.lists(st.sampled_from(WITH_CRC), min_size=1, max_size=5)


# --- arbitrary bytes -----------------------------------------------------------------


@FAST
@given(st.binary(max_size=3000), sizes)
def test_arbitrary_bytes_never_raise_and_every_verdict_is_honest(data: bytes, cuts) -> None:
    frames, _ = run(chunked(data, cuts))
    for frame in frames:
        assert_honest(frame)


telegramish = st.lists(
    st.sampled_from([b"/", b"!", b"\r\n", b"\n", b"(", b")", b"*", b"1-3:0.2.8(50)",
                     b"1-0:1.8.1(000001.000*kWh)", b"ABCD", b"0", b"9", b"\x00", b"\xff"]),
    max_size=300,
).map(b"".join)  # fmt: skip


@FAST
@given(telegramish, sizes)
def test_telegram_shaped_noise_never_raises_and_every_verdict_is_honest(data, cuts) -> None:
    frames, _ = run(chunked(data, cuts))
    for frame in frames:
        assert_honest(frame)


# --- intact telegrams in a noisy stream ----------------------------------------------


@FAST
@given(crc_telegrams, st.lists(junk, min_size=6, max_size=6), sizes)
def test_every_intact_telegram_is_found_in_order_and_nothing_else_is_valid(
    telegrams, junks, cuts
) -> None:
    stream = junks[0] + b"".join(t + j for t, j in zip(telegrams, junks[1:], strict=False))
    frames, framer = run(chunked(stream, cuts))
    assert [f.raw for f in frames if f.valid] == [body(t) for t in telegrams]
    assert framer.stats.frames_ok == len(telegrams)
    for frame in frames:
        assert_honest(frame)


@FAST
@given(st.lists(st.sampled_from(WITHOUT_CRC), min_size=1, max_size=4), sizes)
def test_no_crc_telegrams_are_all_found_unchecked(telegrams, cuts) -> None:
    frames, _ = run(chunked(b"\x00\xff".join(telegrams), cuts))
    assert [f.raw for f in frames] == [body(t) for t in telegrams]
    assert all(f.crc_status is CrcStatus.UNCHECKED for f in frames)


@pytest.mark.parametrize("name", sorted(ALL))
def test_cut_at_every_offset_then_a_whole_telegram(name: str) -> None:
    data = ALL[name]
    whole = body(data)
    follower = WITH_CRC[0] if data in WITH_CRC else WITHOUT_CRC[0]
    for offset in range(len(data) + 1):
        frames, _ = run([data[:offset], follower])
        valid = [f.raw for f in frames if f.valid]
        if offset >= len(whole):
            assert valid == [whole, body(follower)], offset
        elif offset == whole.rindex(b"!") + 1 and not _announces_dsmr4(whole):
            # Cut right after its '!': every data line is there, only the CRC digits are
            # lost. A meter that does not announce DSMR 4+ (LT, HU) cannot be told from
            # a no-CRC meter at the start of a stream, so it passes as *unchecked*.
            assert valid in ([body(follower)], [whole[:offset], body(follower)]), offset
            assert all(f.crc_status is CrcStatus.UNCHECKED for f in frames[:-1])
        else:
            assert valid == [body(follower)], offset  # the cut one is never valid


@pytest.mark.parametrize("name", sorted(ALL))
def test_lost_footer_never_merges_two_telegrams(name: str) -> None:
    data = ALL[name]
    footer = data.rindex(b"!")
    for cut in (footer, footer - 1, data.rindex(b"\n", 0, footer - 1) + 1):
        frames, framer = run([data[:cut] + data])
        assert [f.raw for f in frames if f.valid] == [body(data)]
        assert framer.stats.frames_truncated == 1


# --- corrupted streams ---------------------------------------------------------------


@st.composite
def corrupted(draw):
    """A stream of CRC telegrams with bytes flipped, dropped or inserted."""
    telegrams = draw(crc_telegrams)
    stream = bytearray(b"".join(telegrams))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        pos = draw(st.integers(min_value=0, max_value=len(stream) - 1))
        action = draw(st.sampled_from(["flip", "drop", "insert", "byte"]))
        if action == "flip":
            stream[pos] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "drop":
            del stream[pos : pos + draw(st.integers(min_value=1, max_value=40))]
        elif action == "insert":
            stream[pos:pos] = draw(st.binary(min_size=1, max_size=20))
        else:
            stream[pos] = draw(st.sampled_from(b"/!\r\n()*\x00\xff"))
        if not stream:
            stream = bytearray(b"x")
    return telegrams, bytes(stream)


@FIXED
@given(corrupted(), sizes)
def test_corruption_never_yields_an_altered_telegram_as_valid(case, cuts) -> None:
    telegrams, stream = case
    frames, _ = run(chunked(stream, cuts))
    originals = {body(t) for t in telegrams}
    for frame in frames:
        assert_honest(frame)
        if frame.valid:
            assert frame.raw in originals


@FIXED
@given(corrupted())
def test_telegrams_untouched_by_the_corruption_are_still_found(case) -> None:
    telegrams, stream = case
    # telegrams that survived byte-for-byte, with the byte before them not a digit that
    # could be read as part of a CRC... simply: those that appear intact, CRLF included,
    # after a line end or at the start
    frames, _ = run([stream])
    found = [f.raw for f in frames if f.valid]
    for t in set(telegrams):
        for at in _occurrences(stream, t):
            if at == 0 or stream[at - 1 : at] in (b"\n", b"\x00", b"\xff"):
                assert body(t) in found


def _occurrences(stream: bytes, needle: bytes) -> list[int]:
    out, at = [], stream.find(needle)
    while at >= 0:
        out.append(at)
        at = stream.find(needle, at + 1)
    return out


# --- bounded memory ------------------------------------------------------------------


@FAST
@given(st.binary(min_size=1, max_size=512).filter(lambda b: b"\n!" not in b), sizes)
def test_a_header_with_no_end_keeps_the_buffer_bounded(garbage: bytes, cuts) -> None:
    framer = Framer(max_frame_bytes=2048)
    chunks = [b"/XXX5 no end\r\n", *chunked(garbage * (8000 // len(garbage) + 1), cuts)]
    frames, _ = run(chunks, framer)
    assert all(not f.valid for f in frames)


# --- the parser ----------------------------------------------------------------------


statuses = st.sampled_from(list(CrcStatus))


@FAST
@given(st.binary(max_size=2000), statuses)
def test_parse_of_any_frame_raises_only_dsmr_errors(raw: bytes, status: CrcStatus) -> None:
    with contextlib.suppress(DSMRError):
        parse(Frame(raw, status, None, 0))


@FAST
@given(st.binary(max_size=2000))
def test_parse_bytes_of_any_bytes_raises_only_dsmr_errors(data: bytes) -> None:
    with contextlib.suppress(DSMRError):
        parse_bytes(data, allow_invalid=True)


group_text = st.text(
    alphabet="0123456789.*-+:ABCDEFSWsw kWhVAm3GJ()",
    max_size=30,
)
obis_codes = st.sampled_from(
    ["1-3:0.2.8", "0-0:96.1.4", "0-0:1.0.0", "0-0:96.1.1", "0-0:42.0.0", "1-0:1.8.0",
     "1-0:1.8.1", "1-0:2.8.2", "0-0:96.14.0", "1-0:1.7.0", "1-0:21.7.0", "1-0:52.7.0",
     "1-0:71.7.0", "0-0:96.7.21", "1-0:99.97.0", "1-0:32.32.0", "1-0:72.36.0",
     "0-0:96.13.0", "1-0:1.4.0", "1-0:1.6.0", "0-0:98.1.0", "0-1:24.1.0", "0-2:96.1.0",
     "0-3:24.2.1", "0-4:24.2.3", "0-1:24.3.0", "0-2:24.4.0", "9-9:9.9.9", "0-9:24.1.0"]
)  # fmt: skip
data_line = st.builds(
    lambda obis, groups, space: obis + (" " if space else "") + "".join(f"({g})" for g in groups),
    obis_codes,
    st.lists(group_text, max_size=8),
    st.booleans(),
)


@FAST
@given(st.lists(data_line, max_size=25), st.booleans())
def test_parse_of_telegram_shaped_frames_raises_only_dsmr_errors(lines, blank) -> None:
    text = "/XXX5 fuzz\r\n" + ("\r\n" if blank else "") + "".join(f"{x}\r\n" for x in lines)
    raw = (text + "!").encode("latin-1")
    raw += b"%04X" % crc16_arc(raw)
    with contextlib.suppress(DSMRError):
        parse_bytes(raw)


def _crc_frame(lines: list[str]) -> Frame:
    text = "/XXX5 fuzz\r\n\r\n" + "".join(f"{x}\r\n" for x in lines)
    raw = (text + "!").encode("latin-1")
    return Frame(raw + b"%04X" % crc16_arc(raw), CrcStatus.OK, 0, 0)


def _general(frame: Frame):
    """The telegram as the line-by-line splitter reads it (no regex, no memory)."""
    header, lines = _split_general(frame.raw.decode("latin-1"))
    return interpret(header, lines, frame.crc_status, frame.crc_received, frame.crc_computed)


simple_group = st.text(alphabet="0123456789.*-+:ABCDEFSWsw kWhVAm3GJ", max_size=30)
simple_line = st.builds(
    lambda obis, groups, more: (
        obis + "".join(f"({g})" for g in groups) + "".join(f"\r\n({g})" for g in more)
    ),
    obis_codes,
    st.lists(simple_group, min_size=1),
    st.lists(simple_group, max_size=2),  # DSMR 2.2/3.0: a reading on the next line
)


@pytest.mark.parametrize(
    ("line", "all_remembered"),
    [
        # lines the fast path takes: every one is learned once, then read from memory
        pytest.param(simple_line, True, id="simple-lines"),
        # lines it declines (spaces, double brackets) go the general way, unchanged
        pytest.param(st.one_of(data_line, group_text.map("({})".format)), False, id="any-lines"),
    ],
)
@FAST
@given(data=st.data())
def test_parser_reads_like_the_general_splitter_first_and_second_time(
    line: st.SearchStrategy[str], all_remembered: bool, data: st.DataObject
) -> None:
    """The parser's fast path (lines remembered from earlier telegrams) changes nothing."""
    lines = data.draw(st.lists(line, max_size=25), label="lines")
    frame = _crc_frame(lines)
    parser = Parser()
    try:
        general = _general(frame)
    except DSMRError as error:
        for _ in range(2):  # the parser refuses it the same way, the second time too
            with pytest.raises(type(error), match=re.escape(str(error))):
                parser.parse(frame)
        return
    assert parser.parse(frame) == general
    if all_remembered:
        # every line went through the fast path: learned once, none left to the general splitter
        assert parser.remembered == len({text.replace("\r\n(", "(") for text in lines})
    assert parser.parse(frame) == general  # the second time from memory


@FAST
@given(st.sampled_from(sorted(ALL)), st.data())
def test_parse_of_mutated_real_telegrams_raises_only_dsmr_errors(name: str, data) -> None:
    raw = bytearray(body(ALL[name]))
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        pos = data.draw(st.integers(min_value=1, max_value=len(raw) - 1))
        raw[pos] = data.draw(st.sampled_from(b"()*.!/\r\n0123456789SW ABCDEF\x00\xff"))
    assume(raw.startswith(b"/"))
    with contextlib.suppress(DSMRError):
        parse(Frame(bytes(raw), CrcStatus.FAILED, None, 0))


DIGIT = st.sampled_from("0123456789")


def _changed(capture: bytes, data: st.DataObject, kind: str) -> list[str]:
    """The capture's data lines with one change a meter (or a glitch) makes."""
    text = body(capture).decode("latin-1")
    lines = text[: text.rindex("!")].split("\r\n")[2:-1] or ["1-0:1.8.1(000001.000*kWh)"]
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    if kind == "digits":  # the clock, powers, registers: the same lines with new digits
        for i in data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=6), label="lines"):
            head, paren, groups = lines[i].partition("(")
            lines[i] = head + paren + re.sub(r"[0-9]", lambda _: data.draw(DIGIT), groups)
    elif kind == "line":  # another line in its place (an other OBIS, other groups)
        lines[i] = data.draw(simple_line, label="new line")
    elif kind == "twice":  # a line sent twice
        lines.insert(i, lines[i])
    elif kind == "dropped":
        del lines[i]
    elif kind == "swapped":
        j = data.draw(st.integers(0, len(lines) - 1), label="other line")
        lines[i], lines[j] = lines[j], lines[i]
    return lines


@FAST
@given(st.sampled_from(sorted(ALL)), st.data())
def test_a_stream_of_changing_telegrams_reads_and_writes_as_each_one_alone(name, data) -> None:
    """A parser patches the last telegram with the lines that changed, and a writer writes
    only the fields that changed: each telegram of a stream must come out exactly as when
    it is read and written on its own."""
    from p1tui.dsmr.export import JsonWriter, to_json

    parser, writer = Parser(), JsonWriter()
    kinds = st.sampled_from(["digits", "digits", "digits", "line", "twice", "dropped", "swapped"])
    last = ALL[name]
    for _ in range(data.draw(st.integers(2, 6), label="telegrams")):
        lines = _changed(last, data, data.draw(kinds, label="change"))
        raw = ("/XXX5 fuzz\r\n\r\n" + "".join(f"{x}\r\n" for x in lines) + "!").encode("latin-1")
        crc = data.draw(st.sampled_from(["good", "good", "good", "bad", "none"]), label="crc")
        if crc != "none":  # a CRC that matches, or one that does not
            raw += b"%04X" % (crc16_arc(raw) ^ (crc == "bad"))
        (frame,) = Framer().feed(raw + b"\r\n")
        try:
            alone = _general(frame)
        except DSMRError:
            continue
        streamed = parser.parse(frame)
        assert streamed == alone
        assert writer.write(streamed, frame) == to_json(alone, frame)
        last = frame.raw + b"\r\n"
