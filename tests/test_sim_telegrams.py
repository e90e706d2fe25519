"""The built-in meter's telegrams: valid, parseable, physically sound, reproducible.

Telegrams are checked through the protocol package, the way the app sees them: framed
by :class:`Framer` (CRC verdict) and parsed by :func:`parse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise

import pytest

from p1tui.dsmr import CrcStatus, Framer, Telegram, Variant, parse
from p1tui.link.settings import SimulatorSettings
from p1tui.sim import Simulator, iter_telegrams
from p1tui.sim.legal_time import parse_iso
from p1tui.sim.outages import OutageRates

VARIANTS = {
    "nl5": Variant.NL5,
    "nl4": Variant.NL4,
    "nl2": Variant.NL2,
    "be": Variant.BE,
    "lu": Variant.LU,
}
PERIOD = {"nl5": 1, "nl4": 10, "nl2": 10, "be": 1, "lu": 10}
NO_OUTAGES = OutageRates(0, 0)


@dataclass
class Sent:
    """One generated telegram: its bytes, its frame's verdict, and the parsed result."""

    raw: bytes
    telegram: Telegram


def run(variant: str, start: str, count: int, *, seed: int = 1, water: bool = True,
        rates: OutageRates = NO_OUTAGES) -> list[Sent]:  # fmt: skip
    """``count`` consecutive telegrams, each framed and parsed on its own."""
    simulator = Simulator(variant, seed, parse_iso(start), water, rates)
    framer = Framer()
    sent = []
    for _ in range(count):
        raw = simulator.next_telegram()
        frames = framer.feed(raw)
        assert len(frames) == 1, raw
        assert frames[0].raw + b"\r\n" == raw  # one whole telegram, nothing around it
        sent.append(Sent(raw, parse(frames[0])))
    assert framer.stats.bytes_skipped == 0
    return sent


def local(t: Telegram) -> datetime:
    """The meter time (aware); nl2 has none, so its tests do not call this."""
    assert t.timestamp is not None
    return t.timestamp


def utc(text: str) -> datetime:
    return datetime.fromtimestamp(parse_iso(text), timezone.utc)


def kw(value: Decimal | None) -> Decimal:
    assert value is not None
    return value


# --- framing, CRC, variant ----------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_frames_parses_and_is_recognised(variant):
    for s in run(variant, "2026-06-22T11:00:00+02:00", 60):
        t = s.telegram
        assert t.variant is VARIANTS[variant]
        if variant == "nl2":
            assert t.crc_status is CrcStatus.UNCHECKED
            assert b"\r\n!\r\n" in s.raw and t.timestamp is None
        else:
            assert t.crc_status is CrcStatus.OK
        assert s.raw.isascii()


EDGES = {
    "midnight": ("2026-06-22T23:59:40+02:00", 40),
    "spring DST": ("2026-03-29T01:59:40+01:00", 40),  # 02:00 W becomes 03:00 S
    "autumn DST": ("2026-10-25T02:59:40+02:00", 40),  # 03:00 S becomes 02:00 W
    "new year": ("2026-12-31T23:59:40+01:00", 40),
    "weekend": ("2026-06-20T12:00:00+02:00", 40),  # a Saturday
    "month end": ("2026-01-31T23:59:40+01:00", 40),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("edge", EDGES)
def test_edge_times_give_valid_telegrams_with_the_right_clock(variant, edge):
    start, seconds = EDGES[edge]
    period = PERIOD[variant]
    sent = run(variant, start, seconds // period)
    first = utc(start)
    for i, s in enumerate(sent):
        assert s.telegram.variant is VARIANTS[variant]
        if variant != "nl2":
            assert s.telegram.crc_ok
            assert local(s.telegram) == first + timedelta(seconds=i * period)


def test_summer_time_flag_follows_the_legal_time():
    spring = run("nl5", "2026-03-29T01:59:59+01:00", 2)
    assert b"0-0:1.0.0(260329015959W)" in spring[0].raw
    assert b"0-0:1.0.0(260329030000S)" in spring[1].raw
    autumn = run("nl5", "2026-10-25T02:59:59+02:00", 2)
    assert b"0-0:1.0.0(261025025959S)" in autumn[0].raw
    assert b"0-0:1.0.0(261025020000W)" in autumn[1].raw


def test_a_time_without_offset_is_legal_time():
    assert parse_iso("2026-06-21T12:00:00") == parse_iso("2026-06-21T12:00:00+02:00")
    assert parse_iso("2026-01-05T12:00:00") == parse_iso("2026-01-05T12:00:00+01:00")
    assert parse_iso("2026-01-05T11:00:00Z") == parse_iso("2026-01-05T12:00:00+01:00")
    with pytest.raises(ValueError, match="not an ISO time"):
        parse_iso("yesterday")


def test_line_formats_follow_the_real_meters():
    nl5 = run("nl5", "2026-06-22T12:00:00+02:00", 1)[0].raw.decode()
    assert nl5.startswith("/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(260622120000S)")
    for pattern in ("1-0:1.8.1(00", "*kWh)", "1-0:1.7.0(", "*kW)", "1-0:32.7.0(2", "*V)",
                    "1-0:31.7.0(0", "*A)", "0-1:24.1.0(003)", "0-2:24.1.0(007)"):  # fmt: skip
        assert pattern in nl5
    nl4 = run("nl4", "2026-06-22T12:00:00+02:00", 1)[0].raw.decode()
    assert nl4.startswith("/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n")
    nl2 = run("nl2", "2026-06-22T12:00:00+02:00", 1)[0].raw.decode()
    assert nl2.startswith("/ISk5\\2MT382-1000\r\n\r\n0-0:96.1.1(")
    assert "0-1:24.3.0(260622120000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(" in nl2
    be = run("be", "2026-06-22T12:00:00+02:00", 1)[0].raw.decode()
    assert be.startswith("/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n")
    assert "0-1:24.2.3(" in be and "0-2:24.1.0(007)" in be and "0-0:98.1.0(13)(1-0:1.6.0)" in be
    lu = run("lu", "2026-06-22T12:00:00+02:00", 1)[0].raw.decode()
    assert lu.startswith("/Lux5\\253663629_D\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(260622120000S)")
    assert "0-0:42.0.0(5341473130333037" in lu and "1-0:1.8.0(" in lu and "1-0:1.8.1" not in lu
    assert "1-1:31.4.0(040*A)(-040*A)" in lu and "1-0:3.8.0(" in lu and "*kvarh)" in lu
    assert "0-1:24.2.1(" in lu and lu.index("0-1:24.2.1(") < lu.index("0-1:24.4.0(1)")


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes():
    settings = SimulatorSettings(variant="nl5", seed=7, start="2026-06-22T06:00:00+02:00")
    first = list(iter_telegrams(settings, 600))
    second = list(iter_telegrams(settings, 600))
    assert first == second
    other = SimulatorSettings(variant="nl5", seed=8, start="2026-06-22T06:00:00+02:00")
    assert list(iter_telegrams(other, 600)) != first


def test_without_water_there_is_no_second_channel():
    with_water = run("nl5", "2026-06-22T12:00:00+02:00", 1)[0].telegram
    assert [(d.channel, d.medium) for d in with_water.mbus] == [(1, "gas"), (2, "water")]
    without = run("nl5", "2026-06-22T12:00:00+02:00", 1, water=False)[0].telegram
    assert [(d.channel, d.medium) for d in without.mbus] == [(1, "gas")]
    be = run("be", "2026-06-22T12:00:00+02:00", 1)[0].telegram
    assert [(d.channel, d.medium, d.valve) for d in be.mbus] == [(1, "gas", 1), (2, "water", None)]


# --- physics ----------------------------------------------------------------------------


def check_instant(t: Telegram, variant: str) -> None:
    """Ranges and sums that hold in every single telegram."""
    imp, exp = kw(t.power_import_kw), kw(t.power_export_kw)
    assert imp >= 0 and exp >= 0 and not (imp > 0 and exp > 0)
    if variant == "nl2":
        assert not t.phases
        return
    assert set(t.phases) == {"l1", "l2", "l3"}
    net = sum(kw(p.power_import_kw) - kw(p.power_export_kw) for p in t.phases.values())
    assert net == imp - exp  # the totals are the net of the phases
    for p in t.phases.values():
        assert not (kw(p.power_import_kw) > 0 and kw(p.power_export_kw) > 0)
        current = kw(p.current_a)
        if p.voltage_v is not None:
            assert Decimal(207) <= p.voltage_v <= Decimal(253)
            watts = (kw(p.power_import_kw) + kw(p.power_export_kw)) * 1000
            tolerance = Decimal("0.006") if variant == "be" else Decimal("0.51")
            assert abs(current - watts / p.voltage_v) <= tolerance
        else:  # DSMR 4.2 (Kaifa) sends no voltages: the current fits P / (207..253 V)
            watts = (kw(p.power_import_kw) + kw(p.power_export_kw)) * 1000
            assert watts / 253 - Decimal("0.51") <= current <= watts / 207 + Decimal("0.51")


def check_sequence(sent: list[Sent], variant: str) -> None:
    """Counters only grow, registers integrate the power shown, gas steps on schedule."""
    period = PERIOD[variant]
    previous = None
    integral_wh = Decimal(0)
    first = sent[0].telegram
    for s in sent:
        t = s.telegram
        check_instant(t, variant)
        if previous is not None:
            for now, before in ((t.energy_import_kwh, previous.energy_import_kwh),
                                (t.energy_export_kwh, previous.energy_export_kwh)):  # fmt: skip
                for register in ("tariff1", "tariff2", "total"):  # those the meter sends
                    if getattr(before, register) is not None:
                        assert getattr(now, register) >= getattr(before, register)
            integral_wh += (kw(t.power_import_kw) - kw(t.power_export_kw)) * period * 1000 / 3600
            for device, before in zip(t.mbus, previous.mbus, strict=True):
                assert device.reading >= before.reading
                if device.reading != before.reading:
                    assert device.timestamp != before.timestamp  # new readings come with a capture
                if device.timestamp is not None and before.timestamp is not None:
                    assert device.timestamp >= before.timestamp
            if t.power_failures is not None:
                assert t.power_failures >= previous.power_failures
            if t.long_power_failures is not None:  # Luxembourg's Smarty sends no long count
                assert t.long_power_failures >= previous.long_power_failures
        previous = t
    last = sent[-1].telegram
    grown_wh = (
        kw(last.energy_import_kwh.total) - kw(first.energy_import_kwh.total)
        - kw(last.energy_export_kwh.total) + kw(first.energy_export_kwh.total)
    ) * 1000  # fmt: skip
    assert abs(grown_wh - integral_wh) < 2  # each register hides less than 1 Wh


@pytest.fixture(scope="module")
def june_day() -> list[Sent]:
    """A summer Monday at the DSMR 5 pace, sampled: every telegram 06:00-06:30 and
    12:00-12:30 in full, the rest every minute (the unparsed ones are still framed)."""
    simulator = Simulator("nl5", 1, parse_iso("2026-06-22T00:00:00+02:00"), True, NO_OUTAGES)
    framer = Framer()
    sampled = []
    for i in range(86400):
        raw = simulator.next_telegram()
        (frame,) = framer.feed(raw)
        assert frame.crc_status is CrcStatus.OK
        if i % 60 == 0 or 6 * 3600 <= i < 6.5 * 3600 or 12 * 3600 <= i < 12.5 * 3600:
            sampled.append(Sent(raw, parse(frame)))
    assert framer.stats.frames_ok == 86400
    return sampled


def test_a_june_day_is_physically_sound(june_day):
    for t in (s.telegram for s in june_day):
        check_instant(t, "nl5")
    morning = [s for s in june_day if local(s.telegram).hour == 6]
    midday = [s for s in june_day if local(s.telegram).hour == 12]
    check_sequence(morning[:1800], "nl5")
    check_sequence(midday[:1800], "nl5")


def test_a_june_day_shows_the_sun(june_day):
    def exported(hours: range) -> Decimal:
        return sum(
            (kw(s.telegram.power_export_kw) for s in june_day if local(s.telegram).hour in hours),
            Decimal(0),
        )

    assert exported(range(4)) == 0 and exported(range(22, 24)) == 0
    assert exported(range(11, 16)) > 50  # kW summed over minute samples: hours of export
    first, last = june_day[0].telegram, june_day[-1].telegram
    assert kw(last.energy_export_kwh.total) - kw(first.energy_export_kwh.total) > 3


def test_a_december_day_has_little_sun_and_burns_gas_mornings_and_evenings():
    def day(start: str) -> list[Sent]:
        return run("nl4", start, 8640)

    december = day("2026-12-14T00:00:00+01:00")
    june = day("2026-06-22T00:00:00+02:00")
    check_sequence(december, "nl4")
    check_sequence(june, "nl4")

    def export_kwh(sent: list[Sent]) -> Decimal:
        return kw(sent[-1].telegram.energy_export_kwh.total) - kw(
            sent[0].telegram.energy_export_kwh.total
        )

    assert export_kwh(december) < export_kwh(june) / 3

    def gas_between(sent: list[Sent], start_hour: int, end_hour: int) -> Decimal:
        """Gas used between two hourly captures (DSMR 4.2 refreshes gas on the hour)."""
        readings = {local(s.telegram).hour: s.telegram.mbus[0].reading for s in sent
                    if local(s.telegram).minute == 1}  # fmt: skip
        return kw(readings[end_hour]) - kw(readings[start_hour])

    heating = gas_between(december, 6, 9) + gas_between(december, 17, 22)
    assert heating > 2 * gas_between(december, 0, 5)
    assert gas_between(december, 0, 23) > 3 * gas_between(june, 0, 23)
    stamps = {s.telegram.mbus[0].timestamp for s in december}
    assert all(ts is not None and ts.minute == 0 and ts.second == 0 for ts in stamps)


def test_dsmr5_gas_moves_in_five_minute_steps():
    sent = run("nl5", "2026-12-14T17:00:00+01:00", 1800)
    stamps = sorted({s.telegram.mbus[0].timestamp for s in sent})
    assert len(stamps) in (6, 7)
    gaps = {b - a for a, b in pairwise(stamps)}
    assert gaps == {timedelta(minutes=5)}
    assert sent[-1].telegram.mbus[0].reading > sent[0].telegram.mbus[0].reading


def test_appliances_make_spikes():
    sent = run("nl4", "2026-12-14T16:00:00+01:00", 6 * 360)
    assert max(kw(s.telegram.power_import_kw) for s in sent) > 2
    assert min(kw(s.telegram.power_import_kw) for s in sent) < Decimal("0.8")


# --- tariffs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "start", "tariffs"),
    [
        ("nl5", "2026-06-22T06:59:59+02:00", [1, 2]),  # Monday: normal from 07:00
        ("nl5", "2026-06-22T22:59:59+02:00", [2, 1]),  # low from 23:00
        ("nl5", "2026-06-19T22:59:59+02:00", [2, 1]),  # Friday night into the weekend
        ("nl5", "2026-06-20T12:00:00+02:00", [1, 1]),  # Saturday: low all day
        ("nl5", "2026-06-21T23:59:59+02:00", [1, 1]),  # Sunday to Monday midnight: still low
        ("be", "2026-06-22T06:59:59+02:00", [2, 1]),  # BE: 1 = day from 07:00
        ("be", "2026-06-22T21:59:59+02:00", [1, 2]),  # night from 22:00
        ("be", "2026-06-20T12:00:00+02:00", [2, 2]),  # weekend: night tariff
    ],
)
def test_tariff_switches_at_the_real_hours(variant, start, tariffs):
    sent = run(variant, start, 2)
    assert [s.telegram.tariff for s in sent] == tariffs


def test_only_the_active_tariff_register_grows():
    sent = run("nl5", "2026-06-22T06:59:00+02:00", 120)
    for before, after in pairwise(sent):
        b, a = before.telegram, after.telegram
        other = "tariff2" if a.tariff == 1 else "tariff1"
        for registers in ("energy_import_kwh", "energy_export_kwh"):
            assert getattr(getattr(a, registers), other) == getattr(getattr(b, registers), other)


# --- power failures ----------------------------------------------------------------------


def test_power_failures_silence_the_meter_and_are_counted_and_logged():
    rates = OutageRates(short_per_day=150, long_per_day=150)
    sent = run("nl5", "2026-06-22T08:00:00+02:00", 2 * 3600, rates=rates)
    check_sequence(sent, "nl5")
    short = long = 0
    for before, after in pairwise(sent):
        b, a = before.telegram, after.telegram
        gap = (local(a) - local(b)).total_seconds()
        if gap == 1:
            assert a.power_failures == b.power_failures
            continue
        if gap <= 180:
            short += 1
            assert a.power_failures == b.power_failures + 1
        else:
            long += 1
            assert a.long_power_failures == b.long_power_failures + 1
            newest = a.power_failure_log[-1]
            assert b.timestamp < newest.end <= a.timestamp
            assert abs(newest.duration_s - gap) <= 1
    assert short and long
    assert len(sent[-1].telegram.power_failure_log) <= 10


def test_a_new_meter_shows_failures_from_its_past():
    t = run("nl5", "2026-06-22T12:00:00+02:00", 1)[0].telegram
    assert t.power_failure_log and t.long_power_failures >= len(t.power_failure_log)
    assert all(entry.end < local(t) for entry in t.power_failure_log)


# --- Belgian peak demand -----------------------------------------------------------------


def test_belgian_quarter_hour_average_and_month_peak():
    sent = run("be", "2026-01-31T23:00:00+01:00", 90 * 60 + 1)
    check_sequence(sent, "be")
    quarter: list[Decimal] = []
    for s in sent[1:]:
        t = s.telegram
        quarter.append(kw(t.power_import_kw))
        peak = t.peak_demand
        assert peak is not None
        average = sum(quarter, Decimal(0)) / len(quarter)
        assert abs(kw(peak.current_average_kw) - average) < Decimal("0.0015")
        if local(t).minute % 15 == 0 and local(t).second == 0:
            if local(t).day == 31:
                assert kw(peak.month_max_kw) >= kw(peak.current_average_kw)
            quarter = []
    before, after = sent[0].telegram.peak_demand, sent[-1].telegram.peak_demand
    assert len(before.history) == len(after.history) == 13
    assert after.history[:-1] == before.history[1:]  # February started: January rolled in
    january = after.history[-1]
    assert january.month == datetime(2026, 2, 1, tzinfo=january.month.tzinfo)
    assert january.at.month == 1 and january.kw >= before.month_max_kw
    assert after.month_max_at.month == 2


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_whole_day_of_every_variant_parses_and_holds_together(variant):
    for start in ("2026-03-29T00:00:00+01:00", "2026-12-19T00:00:00+01:00"):
        sent = run(variant, start, 86400 // PERIOD[variant])
        check_sequence(sent, variant)
