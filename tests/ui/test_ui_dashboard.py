"""The dashboard on real telegrams: what each panel shows, per meter generation and country."""

from __future__ import annotations

import re

import pytest
from conftest import NOW, plain, publish, screen_text, telegram_events

from p1tui.link.events import LinkState, StateChanged

NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"
NL42 = "dsmrparser__kaifa-dsmr42-3ph__1.txt"
NL22_GAS_CH2 = "dsmrtools__iskra-mt382-dsmr22-gasch2__1.txt"
BE_PEAKS_WATER = "dsmrparser__fluvius-t211-gas-water__1.txt"
NO_MBUS = "dsmr5rs__sagemcom-t211-nogas__1.txt"
HEAT_ONLY = "dsmrparser__nwa-warmtelink-heat__1.txt"


async def show(make_app, name: str, size=(120, 40)):
    """Run the app, feed one telegram, return (app, pilot context) texts of every panel."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        for event in telegram_events(name):
            publish(app, event)
        await pilot.pause()
        screen = app.screen
        return {
            name: plain(screen.query_one(selector))
            for name, selector in (
                ("status", "StatusBar"),
                ("power", "#direction"),
                ("tariffs", "#tariffs"),
                ("phases", "#phases"),
                ("mbus", "#mbus"),
                ("events", "#events"),
            )
        } | {
            "import": screen.query_one("#import-digits").value,
            "export": screen.query_one("#export-digits").value,
        }


async def test_nl5_three_phase_with_gas(make_app):
    shown = await show(make_app, NL5)
    assert "NL DSMR 5 (v50)" in shown["status"]
    assert "meter clock 2018-01-04 23:19:41" in shown["status"]
    assert shown["import"] == "519" and shown["export"] == "0"
    assert "TAKING 519 W FROM THE GRID" in shown["power"]
    tariffs = shown["tariffs"].splitlines()
    assert any(line.startswith("▶ T1 low") and "156.167" in line for line in tariffs)
    assert any("T2 normal" in line and "71.546" in line for line in tariffs)
    assert any("total" in line and "227.713" in line for line in tariffs)
    assert "now: tariff 1, low" in shown["tariffs"]
    phases = shown["phases"].splitlines()
    assert [line.split()[:3] for line in phases[1:]] == [
        ["L1", "234.8", "0"],
        ["L2", "232.1", "1"],
        ["L3", "235.3", "1"],
    ]
    assert phases[2].split()[3] == "237"  # L2 import in watts
    assert "ch1 gas" in shown["mbus"] and "212.529 m3" in shown["mbus"]
    assert "at 23:15, 4 min ago" in shown["mbus"]  # on the meter's clock (23:19:41)
    assert "id G0039001763378717" in shown["mbus"]  # 120 columns leave room for the ID
    events = shown["events"]
    assert "power failures 9 short, 5 long" in events
    # the log, newest first, with its durations
    assert events.index("2017-06-11 00:17  lasted 41 h 34 min") < events.index(
        "2017-06-09 06:32  lasted 4 min"
    )
    assert "voltage swells L1 2 · L2 2 · L3 2" in events


async def test_nl42_tariff_2_is_normal(make_app):
    shown = await show(make_app, NL42)
    assert "NL DSMR 4 (v42)" in shown["status"]
    assert shown["import"] == "2027"
    assert any(line.startswith("▶ T2 normal") for line in shown["tariffs"].splitlines())
    assert "now: tariff 2, normal" in shown["tariffs"]
    # voltages are not sent by this meter: shown as unknown, currents still there
    assert shown["phases"].splitlines()[2].split()[:3] == ["L2", "-", "6"]
    assert "981.443 m3" in shown["mbus"]


async def test_nl22_without_clock_and_gas_on_channel_2(make_app):
    shown = await show(make_app, NL22_GAS_CH2)
    assert "NL DSMR 2.2/3.0" in shown["status"]
    assert "meter clock unknown" in shown["status"]
    assert "CRC failures 0" in shown["status"]
    assert shown["import"] == "890"
    assert "16719.940" in shown["tariffs"] and "859.681" in shown["tariffs"]
    assert "ch2 gas" in shown["mbus"] and "13368.864 m3" in shown["mbus"]
    assert "ch1" not in shown["mbus"]
    assert "valve open" in shown["mbus"]
    assert "no per-phase values" in shown["phases"]
    # no meter clock: the capture time is shown, but no age (the host's clock is no measure)
    assert "at 11-22 21:00 ·" in shown["mbus"] and "ago" not in shown["mbus"]


async def test_belgian_meter_names_tariffs_and_shows_peaks_and_water(make_app):
    shown = await show(make_app, BE_PEAKS_WATER)
    assert "BE e-MUCS (v50217)" in shown["status"]
    assert any(line.startswith("▶ T1 day") for line in shown["tariffs"].splitlines())
    assert "T2 night" in shown["tariffs"]
    assert "now: tariff 1, day" in shown["tariffs"]
    events = shown["events"]
    assert "quarter-hour average 0.052 kW" in events
    assert "month peak 3.064 kW at 11-02 11:45" in events
    # rows are stamped at the end of their month: the peak of 09-10 is September's
    assert "2023-09 4.229 kW (09-10 18:30)" in events
    assert "2023-07 0.000 kW" in events  # a month whose peak time is a placeholder
    mbus = shown["mbus"]
    assert "ch1 gas" in mbus and "92.287 m3" in mbus and "valve open" in mbus
    assert "ch2 water" in mbus and "8.579 m3" in mbus


async def test_meter_without_mbus(make_app):
    shown = await show(make_app, NO_MBUS)
    assert "no M-Bus meter" in shown["mbus"]
    assert "945.206" in shown["tariffs"]  # export tariff 2
    assert "voltage sags L1 3 · L2 3 · L3 3" in shown["events"]


async def test_heat_only_interface(make_app):
    shown = await show(make_app, HEAT_ONLY)
    assert "ch1 heat" in shown["mbus"] and "240.860 GJ" in shown["mbus"]
    assert "no electricity counters" in shown["tariffs"]
    assert "no power reading" in shown["power"]


async def test_export_reads_as_delivery(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events("athombv__kaifa-3ph-solar-gas__1.txt"):
            publish(app, event)
        await pilot.pause()
        power = app.screen.query_one("#power")
        assert "DELIVERING 1869 W TO THE GRID" in plain(power.query_one("#direction"))
        assert power.has_class("-exporting") and not power.has_class("-importing")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_panel_is_on_screen(make_app, size):
    """At 80x24 nothing important is cut off: every panel lies within the screen."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        for event in telegram_events(BE_PEAKS_WATER):
            publish(app, event)
        await pilot.pause()
        width, height = size
        for selector in ("StatusBar", "#power", "#tariffs", "#phases", "#mbus", "#events-box"):
            region = app.screen.query_one(selector).region
            assert region.height > 0 and region.right <= width and region.bottom <= height - 1
        assert "import" in plain(app.screen.query_one("#tariffs"))


async def test_stale_data_is_dimmed_with_its_age(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events(NL5, received_at=NOW):
            publish(app, event)
        await pilot.pause()
        tariffs = app.screen.query_one("#tariffs")
        assert not tariffs.has_class("-stale")
        clock.now = NOW + 125
        app.refresh_view()
        await pilot.pause()
        assert not tariffs.has_class("-stale")  # old, but stale is the link's verdict
        publish(app, StateChanged(LinkState.STALE, "no telegram for 30 s", NOW + 30))
        await pilot.pause()
        assert tariffs.has_class("-stale")
        assert str(tariffs.border_subtitle) == "data 2 min old"
        assert str(app.screen.query_one("#power").border_subtitle) == "data 2 min old"
        events_box = app.screen.query_one("#events-box")  # the events' border, dimmed too
        assert events_box.has_class("-stale")
        assert str(events_box.border_subtitle) == "data 2 min old"
        status = plain(app.screen.query_one("StatusBar"))
        assert "STALE" in status and "last telegram 2 min ago" in status


async def test_a_placeholder_failure_duration_reads_unknown(make_app):
    """Kaifa meters send (2147483647*s) for a failure whose length they do not know."""
    shown = await show(make_app, "athombv__kaifa-3ph-solar-gas__1.txt")
    assert "lasted unknown" in shown["events"]
    assert "24855 d" not in shown["events"]


async def test_mbus_age_is_measured_on_the_meter_clock(make_app, clock):
    """A replay of an old file, or a host whose clock is wrong, still reads right."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in telegram_events(NL5, received_at=NOW):  # stamped 2018, received 2025
            publish(app, event)
        await pilot.pause()
        mbus = app.screen.query_one("#mbus")
        assert "at 23:15, 4 min ago" in plain(mbus)  # meter time 23:19:41, gas at 23:15:00
        clock.now = NOW + 120  # two minutes later on the host: the meter's clock ran on too
        app.refresh_view()
        await pilot.pause()
        assert "at 23:15, 6 min ago" in plain(mbus)


async def test_below_80x24_power_counters_and_tariff_are_on_screen_the_rest_scrolls(make_app):
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        for event in telegram_events(BE_PEAKS_WATER):
            publish(app, event)
        await pilot.pause()
        screen = app.screen
        for selector in ("#power", "#tariffs"):  # whole, without scrolling
            region = screen.query_one(selector).region
            assert region.height > 0 and region.right <= 60 and region.bottom <= 19
        shown = screen_text(app)
        assert "TAKING 338 W FROM THE GRID" in shown
        # table rows keep their columns: one row each, the active tariff marked
        assert "▶ T1 day        301.548       0.005" in shown
        assert "  total         571.562       0.005" in shown
        assert "now: tariff 1, day" in shown
        assert "Events" not in shown  # below, a scroll away
        await pilot.press("end")
        await pilot.pause()
        shown = screen_text(app)
        assert "Events" in shown and "2023-10 4.927 kW (10-16 13:00)" in shown
        await pilot.press("home")
        await pilot.pause()
        assert "TAKING 338 W FROM THE GRID" in screen_text(app)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (NL22_GAS_CH2, "meter sends no per-phase values"),
        (HEAT_ONLY, "meter sends no electricity counters"),
        (NO_MBUS, "no M-Bus meter coupled"),
    ],
)
async def test_what_a_meter_lacks_is_said_in_full_at_80x24(make_app, name, said):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events(name):
            publish(app, event)
        await pilot.pause()
        assert re.search(rf"│ {said} *│", screen_text(app))
