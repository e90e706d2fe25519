"""Value groups to Python values: times, numbers with their exact decimals, units, hex text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p1tui.dsmr import values as v

PLUS1 = timezone(timedelta(hours=1))
PLUS2 = timezone(timedelta(hours=2))


# --- time stamps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("150117185916W", datetime(2015, 1, 17, 18, 59, 16, tzinfo=PLUS1)),
        ("180529135630S", datetime(2018, 5, 29, 13, 56, 30, tzinfo=PLUS2)),
        # the flag decides, not the calendar: the e-MUCS spec example has S in March
        ("200305122139S", datetime(2020, 3, 5, 12, 21, 39, tzinfo=PLUS2)),
        ("231101000000W", datetime(2023, 11, 1, 0, 0, 0, tzinfo=PLUS1)),
        ("991231235959W", datetime(2099, 12, 31, 23, 59, 59, tzinfo=PLUS1)),
        ("150117185916w", datetime(2015, 1, 17, 18, 59, 16, tzinfo=PLUS1)),
    ],
)
def test_timestamp_with_dst_flag(group: str, expected: datetime) -> None:
    stamp = v.timestamp(group)
    assert stamp == expected
    assert stamp is not None
    assert stamp.utcoffset() == expected.utcoffset()


def test_repeated_october_hour_is_told_apart_by_the_flag() -> None:
    summer = v.timestamp("231029023000S")
    winter = v.timestamp("231029023000W")
    assert summer is not None and winter is not None
    assert summer.isoformat() == "2023-10-29T02:30:00+02:00"
    assert winter.isoformat() == "2023-10-29T02:30:00+01:00"
    assert winter - summer == timedelta(hours=1)


@pytest.mark.parametrize(
    ("group", "offset"),
    [
        ("090212160000", 1),  # February: CET
        ("211122210000", 1),
        ("190718120000", 2),  # July: CEST
        ("230326040000", 2),  # the morning after the spring change
        ("230326013000", 1),  # the night before it
        ("231029040000", 1),  # after the autumn change
    ],
)
def test_tst12_is_resolved_in_the_meters_local_zone(group: str, offset: int) -> None:
    stamp = v.timestamp(group)
    assert stamp is not None
    assert stamp.utcoffset() == timedelta(hours=offset)
    assert stamp.strftime("%y%m%d%H%M%S") == group


def test_tst12_in_the_repeated_hour_is_a_valid_aware_time() -> None:
    stamp = v.timestamp("231029023000")
    assert stamp is not None
    assert stamp.utcoffset() in (timedelta(hours=1), timedelta(hours=2))


@pytest.mark.parametrize(
    "group",
    [
        "632525252525W",
        "632525252525S",
        "632525252525",
        "000101000000W",
        "000101000001W",
        "000101000024W",
        "000101010000W",
        "000101000000",
        "700101010000W",
        "700101000000S",
        "700101010000",
    ],
)
def test_placeholders_are_unknown_never_1970_or_2000(group: str) -> None:
    assert v.timestamp(group) is None


@pytest.mark.parametrize(
    "group",
    ["", "0", "1501171859", "150117185916X", "15011718591W", "1501171859161W", "ABCDEFGHIJKLW",
     "151317185916W", "150132185916W", "150117255916W", "150117186016W", "²³0117185916W",
     "19-01-01 00:00:00"],
)  # fmt: skip
def test_anything_that_is_not_a_date_is_none(group: str) -> None:
    assert v.timestamp(group) is None


def test_dlms_hex_date_time() -> None:
    # 07E8 = 2024, 06, 1C = 28, weekday 5, 0A:2B:2B, hundredths 00, deviation FF88 = -120
    # minutes (UTC = local + deviation, so local is UTC+2), status 80 (DST active)
    stamp = v.timestamp("07E8061C050A2B2B00FF8880")
    assert stamp is not None
    assert stamp.isoformat() == "2024-06-28T10:43:43+02:00"


def test_dlms_hex_date_time_winter_and_unspecified_deviation() -> None:
    winter = v.timestamp("07E8011C050A2B2B00FFC400")  # FFC4 = -60
    assert winter is not None
    assert winter.isoformat() == "2024-01-28T10:43:43+01:00"
    unspecified = v.timestamp("07E8011C050A2B2B00800000")
    assert unspecified is not None
    assert unspecified.replace(tzinfo=None) == datetime(2024, 1, 28, 10, 43, 43)


@pytest.mark.parametrize(
    "group",
    [
        "FFFF0101FF000000FF800000",  # year not specified
        "07E80D01FF000000FF800000",  # month 13
        "07E8011CFF190000FF800000",  # hour 25
        "07E8011C050A2B2B007FFF00",  # deviation 32767 minutes: not a UTC offset
        "07E8011C050A2B2B00F00000",  # deviation -4096 minutes
    ],
)
def test_dlms_hex_date_time_that_is_not_a_time_is_none(group: str) -> None:
    assert v.timestamp(group) is None


# --- numbers and units -------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "number", "digits", "unit"),
    [
        ("000123.456*kWh", Decimal("123.456"), "123.456", "kWh"),
        ("01.193*kW", Decimal("1.193"), "1.193", "kW"),
        ("00.000*kW", Decimal(0), "0.000", "kW"),
        ("220.1*V", Decimal("220.1"), "220.1", "V"),
        ("001*A", Decimal(1), "1", "A"),
        ("002.72*A", Decimal("2.72"), "2.72", "A"),
        ("-063*A", Decimal(-63), "-63", "A"),
        ("-0.926", Decimal("-0.926"), "-0.926", None),
        ("0000000240*s", Decimal(240), "240", "s"),
        ("00000000", Decimal(0), "0", None),
        ("(00001.001)"[1:-1], Decimal("1.001"), "1.001", None),
        ("12785.123*m3", Decimal("12785.123"), "12785.123", "m3"),
        ("240.860*GJ", Decimal("240.860"), "240.860", "GJ"),
    ],
)
def test_numbers_keep_the_meters_exact_decimals(
    group: str, number: Decimal, digits: str, unit: str | None
) -> None:
    value, got_unit = v.split_number(group)
    assert value == number
    assert str(value) == digits
    assert got_unit == unit


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [("kWh", "kWh"), ("KWH", "kWh"), ("kwh", "kWh"), ("kW", "kW"), ("KW", "kW"),
     ("kvar", "kvar"), ("kVar", "kvar"), ("Kvar", "kvar"), ("kVArh", "kvarh"),
     ("kvarh", "kvarh"), ("M3", "m3"), ("gj", "GJ"), ("v", "V"), ("a", "A"), ("S", "s"),
     ("Hz", "Hz"), ("HZ", "Hz"), ("kVA", "kVA"), ("furlong", "furlong")],
)  # fmt: skip
def test_units_are_compared_case_insensitively(sent: str, canonical: str) -> None:
    assert v.canonical_unit(sent) == canonical
    assert v.split_number(f"001.5*{sent}") == (Decimal("1.5"), canonical)


@pytest.mark.parametrize(
    ("group", "kilo"),
    [
        ("006545766*Wh", "6545.766"),
        ("000000286*W", "0.286"),
        ("000000058*Wh", "0.058"),
        ("000000000*W", "0.000"),
        ("000000747*varh", "0.747"),
        ("000000166*var", "0.166"),
        ("000000166*VAR", "0.166"),
        ("1500*w", "1.500"),
        ("00.897*kW", "0.897"),
        ("00.897*KW", "0.897"),
        ("000273.764*kWh", "273.764"),
        ("00.000", "0.000"),  # no unit: taken as sent
    ],
)
def test_integer_w_and_wh_are_scaled_to_kilo_exactly(group: str, kilo: str) -> None:
    value = v.kilo(group)
    assert value is not None
    assert str(value) == kilo


@pytest.mark.parametrize(
    "group",
    ["", "*kWh", "abc*kW", "1,5*kW", "NaN", "sNaN*kW", "Infinity", "-Inf*kW", "1.2.3*V",
     "1E3*kW", "1e-3", "1_000*W", " 12 *kW", "١٢٣*kW", "9E999999*MWh"],
)  # fmt: skip
def test_a_number_that_is_not_a_plain_meter_numeral_is_none(group: str) -> None:
    assert v.split_number(group)[0] is None
    assert v.kilo(group) is None
    assert v.integer(group) is None


@pytest.mark.parametrize(
    ("group", "expected"),
    [("0002", 2), ("0001", 1), ("00116", 116), ("003", 3), ("03", 3), ("3", 3), ("5431", 5431),
     ("2147483647*s", 2147483647), ("0000000240*s", 240), ("1.5", None), ("", None),
     ("x", None), ("1.0", 1)],
)  # fmt: skip
def test_integers(group: str, expected: int | None) -> None:
    assert v.integer(group) == expected


# --- hex text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("4B384547303034303436333935353037", "K8EG004046395507"),
        ("73657450315F6D61785F337068", "setP1_max_3ph"),
        ("736574", "set"),
        ("6869", "hi"),  # lowercase hex text is hex too
        ("205A41", " ZA"),  # a leading space is part of the text
        ("ADC3100000158491", "ADC3100000158491"),  # hex digits, but bytes are not text
        ("ISK1030792957277", "ISK1030792957277"),  # plain text ID (Iskra IE)
        ("621848012D2C0B0C", "621848012D2C0B0C"),  # control bytes: kept as sent
        ("4B3", "4B3"),  # odd length
        ("4B38 ", "4B38 "),  # not all hex
        ("", ""),
        ("C3A9", "C3A9"),  # UTF-8 'é' is not ASCII text: kept as sent
        ("0D0A", "0D0A"),  # CR LF is not printable
    ],
)
def test_hex_text_is_decoded_only_when_it_is_printable(group: str, expected: str) -> None:
    assert v.hex_text(group) == expected


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("4530303334303036383130353136343136", "E0034006810516416"),
        ("205A4142463030313531373732373131", " ZABF00151772711"),
        ("12345678         ", "12345678         "),  # spaces kept exactly
        ("", None),
        ("0000000000000000000000000000000000", None),
        ("30303030303030303030", None),  # hex of "0000000000"
        ("0", None),
        ("ADC3100000158491", "ADC3100000158491"),
    ],
)
def test_equipment_id(group: str, expected: str | None) -> None:
    assert v.equipment_id(group) == expected


@pytest.mark.parametrize("group", ["231029023000", "231029020000", "230701120000", "230101120000"])
def test_tst12_has_a_fixed_offset_and_compares_equal_to_the_same_instant(group: str) -> None:
    # A zone-aware datetime inside the repeated October hour compares unequal to the same
    # instant in any other zone (PEP 495); a fixed offset does not have that trap.
    stamp = v.timestamp(group)
    assert stamp is not None
    assert stamp.tzinfo in (PLUS1, PLUS2)
    assert stamp == stamp.astimezone(timezone.utc)


def _stamp_read_plainly(text: str, flag: str) -> datetime | None:
    """The time stamp read the plain way, digit by digit (no per-minute memory)."""
    if text.startswith(("000101", "700101")):
        return None
    zone = timezone(timedelta(hours=2 if flag in "Ss" else 1))
    try:
        return datetime(
            2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]),
            int(text[6:8]), int(text[8:10]), int(text[10:12]), tzinfo=zone,
        )  # fmt: skip
    except ValueError:
        return None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12)
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.strftime("%y%m%d%H%M%S")
    ),
    st.sampled_from("SWsw"),
)
def test_flagged_time_stamps_read_like_the_plain_reading(text: str, flag: str) -> None:
    expected = _stamp_read_plainly(text, flag)
    got = v.timestamp(text + flag)
    assert got == expected
    if got is not None and expected is not None:
        assert got.utcoffset() == expected.utcoffset()
        assert got.isoformat() == expected.isoformat()


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_unflagged_time_stamps_take_the_meter_zone_offset_of_their_second(moment) -> None:
    got = v.timestamp(moment.strftime("%y%m%d%H%M%S"))
    if moment.strftime("%y%m%d").startswith(("000101", "700101")):
        assert got is None
        return
    assert got is not None
    assert got.replace(tzinfo=None) == moment.replace(microsecond=0)
    # The digits carry no fold: a repeated autumn hour reads as its first pass, a skipped
    # spring hour with the offset before the change (fold=0), whatever fold was drawn.
    in_zone = moment.replace(microsecond=0, fold=0, tzinfo=v.METER_ZONE)
    assert got.utcoffset() == in_zone.utcoffset()
