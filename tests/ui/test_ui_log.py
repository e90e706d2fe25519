"""The raw log screen: verdicts, unknown lines, pause, save."""

from __future__ import annotations

from conftest import (
    NOW,
    TELEGRAMS,
    events_from,
    link_events,
    plain,
    publish,
    screen_text,
    telegram_events,
)

NL5 = "openhab__iskra-am550t-3ph-gas__1.txt"
LITHUANIAN = "dsmrparser__eso-lt-3ph__1.txt"


def corrupted(name: str = NL5) -> bytes:
    """The telegram with one digit changed, so its CRC no longer matches."""
    raw = (TELEGRAMS / name).read_bytes()
    return raw.replace(b"1-0:1.8.1(000156.167", b"1-0:1.8.1(000156.168")


async def test_crc_failure_shows_expected_and_received(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        failed = events_from(corrupted())
        assert not failed[0].frame.valid
        for event in link_events(((TELEGRAMS / NL5).read_bytes(), NOW), (corrupted(), NOW + 1)):
            publish(app, event)
        await pilot.pause()
        assert "CRC failures 1" in plain(app.screen.query_one("StatusBar"))
        # the dashboard still shows the last valid telegram
        assert "156.167" in plain(app.screen.query_one("#tariffs"))
        await pilot.press("l")
        await pilot.pause()
        frame = failed[0].frame
        raw = plain(app.screen.query_one("#raw-text"))
        expected = (
            f"CRC failed: expected {frame.crc_computed:04X}, received {frame.crc_received:04X}"
        )
        assert raw.startswith(expected)
        assert "1-0:1.8.1(000156.168*kWh)" in raw
        listing = app.screen.query_one("#telegrams")
        assert [listing.get_row_at(i)[1] for i in range(listing.row_count)] == ["ok", "FAILED"]
        await pilot.press("up")
        await pilot.pause()
        assert plain(app.screen.query_one("#raw-text")).startswith("CRC ok")


async def test_unknown_obis_lines_are_marked(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for event in telegram_events(LITHUANIAN):
            publish(app, event)
        await pilot.press("l")
        await pilot.pause()
        raw = plain(app.screen.query_one("#raw-text")).splitlines()
        *lines, summary = raw
        marked = [line for line in lines if line.startswith("? ")]
        assert "  1-0:1.8.1(007926.000*kWh)" in lines  # known: plain
        assert "? 1-0:32.24.0(243.0*V)" in marked  # not in the catalogue: marked
        assert summary == f"? = {len(marked)} line(s) the OBIS catalogue does not know"


async def test_pause_holds_the_list_and_save_writes_the_telegram(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events(NL5, NOW - 2):
            publish(app, event)
        await pilot.press("l", "p")
        for event in telegram_events(NL5, NOW - 1):
            publish(app, event)
        await pilot.pause()
        listing = app.screen.query_one("#telegrams")
        assert listing.row_count == 1
        await pilot.press("w")
        await pilot.pause()
        saved = list(tmp_path.glob("p1tui-telegram-*.txt"))
        assert len(saved) == 1
        assert saved[0].read_bytes() == (TELEGRAMS / NL5).read_bytes().rstrip(b"\r\n") + b"\r\n"
        await pilot.press("p")
        await pilot.pause()
        assert listing.row_count == 2


def footer_keys(app) -> str:
    """The footer line as shown: each key followed by what it does now."""
    return " ".join(screen_text(app).splitlines()[-1].split())


async def test_the_footer_says_p_resumes_while_paused(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for event in telegram_events(NL5, NOW - 2):
            publish(app, event)
        await pilot.press("l")
        await pilot.pause()
        assert "p Pause" in footer_keys(app)
        assert "Resume" not in footer_keys(app)
        await pilot.press("p")
        await pilot.pause()
        assert "p Resume" in footer_keys(app)
        assert "Pause" not in footer_keys(app)
        assert app.screen.query_one("#telegrams").border_title == "PAUSED"
        await pilot.press("p")
        await pilot.pause()
        assert "p Pause" in footer_keys(app)
        assert "Resume" not in footer_keys(app)
        assert app.screen.query_one("#telegrams").border_title == "Telegrams"


async def test_raw_log_memory_is_bounded(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        events = telegram_events(NL5)
        for i in range(250):
            publish(app, type(events[0])(events[0].frame, events[0].telegram, NOW - 250 + i))
        await pilot.press("l")
        await pilot.pause()
        assert len(app.monitor.raw) == 200
        assert app.screen.query_one("#telegrams").row_count == 200


async def test_a_line_wider_than_the_pane_scrolls_sideways(make_app):
    """A 319-character failure log: every character can be brought on screen."""
    name = "plugwise__sagemcom-t210d-10pf__1.txt"
    longest = max((TELEGRAMS / name).read_text(encoding="latin-1").splitlines(), key=len)
    assert len(longest) > 300
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        for event in telegram_events(name):
            publish(app, event)
        await pilot.press("l")
        await pilot.pause()
        head, tail = longest[:40], longest[-40:]
        assert head in screen_text(app) and tail not in screen_text(app)
        await pilot.press("tab")  # from the list to the telegram
        assert app.focused is app.screen.query_one("#raw-scroll")
        for _ in range(5):
            await pilot.press("ctrl+pagedown")  # a page to the right
        await pilot.pause()
        assert tail in screen_text(app)
