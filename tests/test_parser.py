"""The parser's generic layer (every line kept, whatever its form) and its error family."""

from __future__ import annotations

from decimal import Decimal

import pytest

from p1tui.dsmr import (
    CrcStatus,
    DSMRError,
    Frame,
    Framer,
    ParseError,
    Parser,
    Variant,
    crc16_arc,
    parse,
    parse_bytes,
)
from p1tui.dsmr.parser import SEEN_MAX


def telegram(*lines: str, header: str = "/XXX5 test", blank: bool = True, eol: str = "\r\n"):
    """A telegram with a correct CRC around the given data lines."""
    text = header + eol + (eol if blank else "") + "".join(line + eol for line in lines) + "!"
    body = text.encode("latin-1")
    return body + b"%04X" % crc16_arc(body) + eol.encode()


def unchecked(*lines: str, header: str = "/XXX5 test", blank: bool = True) -> bytes:
    """A DSMR 2.2/3.0-style telegram: no CRC."""
    text = header + "\r\n" + ("\r\n" if blank else "") + "".join(f"{x}\r\n" for x in lines)
    return (text + "!\r\n").encode("latin-1")


def values_of(data: bytes) -> dict[str, tuple[str, ...]]:
    return {o.obis: o.values for o in parse_bytes(data).objects}


# --- generic layer -----------------------------------------------------------------


def test_continuation_line_carries_the_dsmr22_gas_reading() -> None:
    data = unchecked(
        "0-0:96.1.1(4B384547303034303436333935353037)",
        "0-1:24.1.0(03)",
        "0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)",
        "(00001.001)",
        "0-1:24.4.0(1)",
    )
    t = parse_bytes(data)
    assert [o.obis for o in t.objects] == [
        "0-0:96.1.1", "0-1:24.1.0", "0-1:24.3.0", "0-1:24.4.0",
    ]  # fmt: skip
    assert t.objects[2].values[-1] == "00001.001"
    (gas,) = t.mbus
    assert (gas.medium, gas.reading, gas.unit, gas.valve) == ("gas", Decimal("1.001"), "m3", 1)
    assert gas.timestamp is not None
    assert gas.timestamp.isoformat() == "2009-02-12T16:00:00+01:00"


def test_value_wrapped_over_lines_is_joined() -> None:
    # The DSMR 3.0 CS example wraps the text message over three lines.
    data = unchecked(
        "0-0:96.1.1(4B384547303034303436333935353037)",
        "0-0:96.13.0(303132333435363738393A3B3C3D3E3F3031323334353637",
        "38393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F",
        "303132333435363738393A3B3C3D3E3F)",
        "1-0:1.8.1(00001.001*kWh)",
    )
    t = parse_bytes(data)
    assert t.text_message == "0123456789:;<=>?" * 4
    assert [o.obis for o in t.objects] == ["0-0:96.1.1", "0-0:96.13.0", "1-0:1.8.1"]
    assert t.energy_import_kwh.tariff1 == Decimal("1.001")


@pytest.mark.parametrize("suffix", [".255", "*255"])
def test_255_suffix_is_dropped_from_the_reference(suffix: str) -> None:
    t = parse_bytes(telegram(f"1-0:31.7.0{suffix}(001*A)", f"1-0:1.8.0{suffix}(000001.500*kWh)"))
    assert [o.obis for o in t.objects] == ["1-0:31.7.0", "1-0:1.8.0"]
    assert t.phases["l1"].current_a == 1
    assert t.energy_import_kwh.total == Decimal("1.500")


def test_double_brackets_are_one_group_and_do_not_disturb_other_lines() -> None:
    data = telegram("1-0:0.2.0((ER11))", "1-0:0.2.8((ER12))", "1-0:1.7.0(00.111*kW)")
    t = parse_bytes(data)
    by_code = {o.obis: o.values for o in t.objects}
    assert by_code["1-0:0.2.0"] == ("(ER11)",)
    assert by_code["1-0:0.2.8"] == ("(ER12)",)
    assert t.power_import_kw == Decimal("0.111")
    assert t.dsmr_version is None  # 1-0:0.2.8 is the firmware checksum, not 1-3:0.2.8


def test_spaces_before_the_bracket() -> None:
    data = telegram(
        "1-3:0.2.8(50)",
        "0-1:24.1.0 (003)",
        "0-1:24.2.1  (231102121002W)(00092.287*m3)",
    )
    (gas,) = parse_bytes(data).mbus
    assert gas.reading == Decimal("92.287")
    assert gas.device_type == 3


@pytest.mark.parametrize("blank", [True, False])
def test_every_line_is_kept_with_or_without_the_blank_line_after_the_header(blank) -> None:
    # Without the blank line a naive "count the lines" shortcut would drop one line.
    data = unchecked(
        "0-0:96.1.1(4B384547303034303436333935353037)",
        "1-0:1.8.1(12345.678*kWh)",
        "0-1:24.1.0(03)",
        "0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)",
        "(00001.001)",
        blank=blank,
    )
    t = parse_bytes(data)
    assert len(t.objects) == 4
    assert t.mbus[0].reading == Decimal("1.001")
    spaced = telegram("1-0:1.8.1(000001.000*kWh)", "0-1:24.2.1 (231102121002W)(00092.287*m3)",
                      blank=blank)  # fmt: skip
    assert [o.obis for o in parse_bytes(spaced).objects] == ["1-0:1.8.1", "0-1:24.2.1"]


def test_lf_only_lines_parse_like_crlf() -> None:
    lines = ("1-3:0.2.8(50)", "0-0:1.0.0(231124215658W)", "1-0:1.8.1(000341.156*kWh)")
    crlf = parse_bytes(telegram(*lines))
    lf = parse_bytes(telegram(*lines, eol="\n"))
    assert lf.objects == crlf.objects
    assert lf.timestamp == crlf.timestamp
    assert lf.energy_import_kwh == crlf.energy_import_kwh


def test_unknown_codes_and_lines_without_groups_are_kept() -> None:
    t = parse_bytes(telegram("9-9:99.99.9(abc)(def*X)", "1-0:1.8.1(000001.000*kWh)"))
    assert t.objects[0].obis == "9-9:99.99.9"
    assert t.objects[0].values == ("abc", "def*X")


def test_line_sent_with_no_entries() -> None:
    t = parse_bytes(
        telegram("1-0:99.97.0()", "0-0:96.13.0()", "0-0:98.1.0(0)(1-0:1.6.0)(1-0:1.6.0)()")
    )
    assert t.power_failure_log == ()
    assert t.text_message is None
    assert t.peak_demand is not None
    assert t.peak_demand.history == ()


def test_failure_log_keeps_the_order_sent_and_placeholder_times_are_none() -> None:
    t = parse_bytes(
        telegram(
            "1-0:99.97.0(3)(0-0:96.7.19)(101208152415W)(0000000240*s)"
            "(000101000001W)(2147483647*s)(101208151004W)(0000000301*s)"
        )
    )
    assert t.power_failure_log is not None
    assert [(e.end and e.end.isoformat(), e.duration_s) for e in t.power_failure_log] == [
        ("2010-12-08T15:24:15+01:00", 240),
        (None, 2147483647),
        ("2010-12-08T15:10:04+01:00", 301),
    ]


def test_mbus_channel_on_any_number_and_gas_on_channel_4() -> None:
    t = parse_bytes(
        telegram(
            "0-4:24.1.0(003)",
            "0-4:96.1.0(4730303339303031393336393930363139)",
            "0-4:24.2.1(200426223001S)(00246.138*m3)",
            "0-3:24.1.0(012)",
            "0-3:24.2.1(200426223001S)(00012.50*GJ)",
            "0-2:24.1.0(010)",
            "0-2:24.2.1(200426223001S)(00001.25)",
        )
    )
    assert [(m.channel, m.medium, m.unit) for m in t.mbus] == [
        (2, "cooling", "GJ"),  # no unit sent: from the device type
        (3, "heat", "GJ"),
        (4, "gas", "m3"),
    ]
    assert t.mbus[2].equipment_id == "G0039001936990619"


def test_empty_mbus_channel_is_reported_as_such() -> None:
    t = parse_bytes(
        telegram("0-1:24.1.0(003)", "0-1:96.1.0()", "0-1:24.2.1(632525252525S)(00000.000)")
    )
    (channel,) = t.mbus
    assert channel.empty
    assert channel.timestamp is None
    assert channel.reading == Decimal("0.000")  # kept as sent


def test_total_is_the_meters_own_when_sent_else_the_sum() -> None:
    own = parse_bytes(telegram("1-0:1.8.0(000010.000*kWh)", "1-0:1.8.1(000001.000*kWh)",
                               "1-0:1.8.2(000002.000*kWh)"))  # fmt: skip
    assert own.energy_import_kwh.total == Decimal("10.000")
    summed = parse_bytes(telegram("1-0:2.8.1(000001.250*kWh)", "1-0:2.8.2(000002.000*kWh)"))
    assert str(summed.energy_export_kwh.total) == "3.250"
    assert summed.energy_import_kwh.total is None


def test_variants_from_the_telegram_itself() -> None:
    assert parse_bytes(telegram("1-3:0.2.8(50)", "0-0:96.1.1(4530)")).variant is Variant.NL5
    assert parse_bytes(telegram("1-3:0.2.8(42)", "0-0:96.1.1(4530)")).variant is Variant.NL4
    assert parse_bytes(telegram("0-0:96.1.4(50217)", "0-0:96.1.1(31)")).variant is Variant.BE
    lu = telegram("1-3:0.2.8(42)", "0-0:42.0.0(5341)", header=r"/Lux5\253663629_D")
    assert parse_bytes(lu).variant is Variant.LU
    nl2 = unchecked("0-0:96.1.1(4B38)", "1-0:1.8.1(00001.001*kWh)")
    assert parse_bytes(nl2).variant is Variant.NL2
    assert parse_bytes(telegram("1-0:1.8.1(000001.000*kWh)")).variant is Variant.OTHER


# --- errors ------------------------------------------------------------------------


def test_parse_bytes_without_a_telegram_raises_parse_error() -> None:
    for data in (b"", b"garbage", b"1-0:1.8.1(000001.000*kWh)\r\n!1234\r\n", b"/XXX5 no end"):
        with pytest.raises(ParseError):
            parse_bytes(data)


def test_parse_error_is_a_dsmr_error() -> None:
    assert issubclass(ParseError, DSMRError)


def test_failed_crc_raises_unless_allowed() -> None:
    data = bytearray(telegram("1-0:1.8.1(000001.000*kWh)"))
    data[data.index(b"1.000")] = ord("2")
    with pytest.raises(ParseError, match="CRC"):
        parse_bytes(bytes(data))
    t = parse_bytes(bytes(data), allow_invalid=True)
    assert t.crc_ok is False
    assert t.energy_import_kwh.tariff1 == Decimal("2.000")


def test_parse_of_a_frame_that_does_not_start_with_slash() -> None:
    frame = Frame(b"1-0:1.8.1(1)\r\n!", CrcStatus.FAILED, None, 0)
    with pytest.raises(ParseError):
        parse(frame)


@pytest.mark.parametrize(
    ("line", "unread"),
    [
        # a DLMS time whose deviation is not an offset
        ("0-0:1.0.0(07E8011C050A2B2B007FFF00)", lambda t: t.timestamp),
        # an exponent that overflows when scaled
        ("1-0:1.8.1(9E999999*MWh)", lambda t: t.energy_import_kwh.tariff1),
        # ... or summed into a total
        ("1-0:1.8.2(9E999999)", lambda t: t.energy_import_kwh.tariff2),
        ("1-0:1.7.0(NaN*kW)", lambda t: t.power_import_kw),
        ("0-1:24.2.1(632525252525S)(sNaN*m3)", lambda t: t.mbus[0].reading),
        ("0-1:24.2.1(632525252525S)(sNaN*m3)", lambda t: t.mbus[0].timestamp),
        # a history announcing a row it does not carry: no row, no invented one
        ("0-0:98.1.0(1)(1-0:1.6.0)(1-0:1.6.0)(1)(2)", lambda t: t.peak_demand.history or None),
        ("1-0:99.97.0(x)(y)(z)", lambda t: t.power_failure_log or None),
    ],
)
def test_crc_valid_nonsense_values_are_none(line: str, unread) -> None:
    t = parse_bytes(telegram("1-0:1.8.1(9E999999)", "1-0:2.7.0(00.123*kW)", line))
    assert t.crc_ok is True
    assert unread(t) is None
    assert t.energy_import_kwh.tariff1 is None  # 9E999999 is not a meter reading
    assert t.energy_import_kwh.total is None  # nor is a sum with it
    assert t.power_export_kw == Decimal("0.123")  # the sensible line beside them is read


# --- the remembered-lines fast path ----------------------------------------------------


def test_remembered_lines_give_the_same_telegram_as_the_general_splitter() -> None:
    from p1tui.dsmr.parser import interpret, split_lines

    data = telegram("1-3:0.2.8(50)", "0-0:1.0.0(231124215658W)", "1-0:1.8.1(000341.156*kWh)")
    (frame,) = Framer().feed(data)
    parser = Parser()
    first = parser.parse(frame)  # learns the lines
    assert parser.remembered == 3
    again = parser.parse(frame)  # reads them from memory
    header, lines = split_lines(frame.raw)
    general = interpret(header, lines, frame.crc_status, frame.crc_received, frame.crc_computed)
    assert first == again == general
    assert first.objects == general.objects
    assert first.timestamp is not None
    assert first.timestamp.isoformat() == "2023-11-24T21:56:58+01:00"


def test_remembered_lines_stay_bounded() -> None:
    parser = Parser()
    for n in range(SEEN_MAX + 500):
        data = telegram(f"1-0:1.8.1({n:06d}.000*kWh)", f"1-0:1.7.0({n % 100:02d}.000*kW)")
        (frame,) = Framer().feed(data)
        assert parser.parse(frame).energy_import_kwh.tariff1 == Decimal(n)
        assert parser.remembered <= SEEN_MAX
    assert parser.remembered < SEEN_MAX  # it was cleared once full, then went on learning
    (frame,) = Framer().feed(telegram("1-0:1.8.1(000007.000*kWh)"))
    assert parser.parse(frame).energy_import_kwh.tariff1 == Decimal("7.000")


def test_esr5_meter_with_empty_channels_and_a_dlms_time() -> None:
    # Fact sheet §6 (dsmr_parser#160): 0-n:24.1.0() and 0-n:24.2.1(0) on all four
    # channels, a DLMS hex date-time in 0-0:1.0.0, tariff 5431, duration without unit.
    channels = [line for n in "1234" for line in (f"0-{n}:24.1.0()", f"0-{n}:24.2.1(0)")]
    t = parse_bytes(
        telegram(
            "0-0:1.0.0(07E8061C050A2B2B00FF8880)",
            "0-0:96.14.0(5431)",
            "1-0:99.97.0(1)(0-0:96.7.19)(240601120000S)(0000000240)",
            *channels,
            header="/ESR5\\2ABC",
        )
    )
    assert t.timestamp is not None
    assert t.timestamp.isoformat() == "2024-06-28T10:43:43+02:00"
    assert t.tariff == 5431
    assert t.power_failure_log is not None
    assert [e.duration_s for e in t.power_failure_log] == [240]
    assert [m.channel for m in t.mbus] == [1, 2, 3, 4]
    for m in t.mbus:
        assert (m.device_type, m.medium, m.timestamp, m.unit) == (None, None, None, None)
        assert m.reading == 0
        assert m.empty


def test_iskra_ie_style_telegram_without_crc_but_with_a_time_stamp() -> None:
    # no version line, a 0-0:1.0.0 time stamp, bare '!': accepted as unchecked
    data = unchecked(
        "0-0:96.1.1(ISK1030792957277)",
        "0-0:1.0.0(230101120000W)",
        "1-0:1.8.1(000001.000*kWh)",
        header="/ISk9\\2MIE7T-200",
    )
    t = parse_bytes(data)
    assert t.crc_ok is None
    assert t.equipment_id == "ISK1030792957277"  # plain text ID, kept
    assert t.variant is Variant.OTHER  # a time stamp: not the NL 2.2/3.0 family


def test_unchanged_sections_are_shared_but_equal_values_with_other_digits_are_not() -> None:
    parser = Parser()

    def gas_and_register(reading: str, register: str):
        data = telegram(
            f"1-0:1.8.1({register}*kWh)",
            "0-1:24.1.0(003)",
            f"0-1:24.2.1(231102121002W)({reading}*m3)",
        )
        (frame,) = Framer().feed(data)
        return parser.parse(frame)

    a = gas_and_register("00012.500", "000001.000")
    b = gas_and_register("00012.500", "000001.000")
    assert a.mbus[0] is b.mbus[0]  # the very same lines: the device is not rebuilt
    assert a.energy_import_kwh is b.energy_import_kwh
    c = gas_and_register("12.5", "1")  # equal numbers, other digits: built anew
    assert str(c.mbus[0].reading) == "12.5"
    assert str(c.energy_import_kwh.tariff1) == "1"
    assert str(c.energy_import_kwh.total) == "1"
    d = gas_and_register("00012.500", "000001.000")
    assert str(d.mbus[0].reading) == "12.500"
    assert str(d.energy_import_kwh.total) == "1.000"


def test_every_meaning_says_what_it_feeds_when_its_line_changes() -> None:
    """The parser patches the last telegram through _PATCH: a meaning missing there would
    raise, and a field no meaning feeds would stay as the first telegram had it."""
    from p1tui.dsmr.parser import _PATCH, _TABLE, _TELEGRAM_FIELDS

    assert set(_PATCH) == {key for key, _ in _TABLE.values()}
    fed: set[str] = set()
    for target in _PATCH.values():
        indexes = [target] if isinstance(target, int) else [index for index, _ in target]
        fed.update(_TELEGRAM_FIELDS[index] for index in indexes)
    not_from_lines = {"header", "lines", "crc_status", "crc_received", "crc_computed"}
    assert fed == set(_TELEGRAM_FIELDS) - not_from_lines
