"""The monitor and the user's own config file: its warnings shown, the form's save keeping
everything outside [serial]. The real app, driven by keys (Pilot, and tmux for the launcher)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import wait_until

from p1tui import config
from p1tui.link.settings import PRESETS, SerialSettings

sys.path.insert(0, str(Path(__file__).parent.parent))
from config_files import HAND_WRITTEN, outside_serial, unprivileged, world_readable_dir
from test_ui_terminal import tmux

DSMR22 = next(label for label, values in PRESETS.items() if values[0] == 9600)


async def save_from_the_form(app, pilot, port: str) -> None:
    """Open Settings, type a port, pick the DSMR 2.2 preset and press ctrl+s."""
    await pilot.press("s")
    await wait_until(pilot, lambda: app.current_mode == "settings")
    app.screen.query_one("#port").value = port
    app.screen.query_one("#preset").value = DSMR22
    await pilot.pause()
    await pilot.press("ctrl+s")


def messages(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_form_save_keeps_the_hand_written_file_outside_serial(make_app, config_path):
    config_path.parent.mkdir(parents=True)
    config_path.write_text(HAND_WRITTEN, encoding="utf-8")
    loaded = config.load(config_path)
    app = make_app(saved_serial=loaded.config.serial, config_notices=loaded.notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: any("baud_rate" in m for m in messages(app)))
        (warning,) = [m for m in messages(app) if "unknown keys" in m]
        assert "serial.baud_rate (did you mean serial.baudrate?)" in warning
        assert "garden" in warning
        await save_from_the_form(app, pilot, "/dev/ttyACM0")
        await wait_until(pilot, lambda: f"saved to {config_path}" in messages(app))
    text = config_path.read_text(encoding="utf-8")
    assert outside_serial(text) == outside_serial(HAND_WRITTEN)
    assert "# the dongle on the P1 port\n" in text and "baud_rate = 9600" in text
    assert config.load(config_path).config.serial == SerialSettings("/dev/ttyACM0", 9600, 7, "E")
    assert [p.name for p in config_path.parent.iterdir()] == ["config.toml"]


async def test_form_save_through_a_symlink(make_app, config_path, tmp_path):
    target = tmp_path / "dotfiles" / "p1tui.toml"
    target.parent.mkdir()
    target.write_text(HAND_WRITTEN, encoding="utf-8")
    config_path.parent.mkdir(parents=True)
    config_path.symlink_to(target)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await save_from_the_form(app, pilot, "/dev/ttyAMA0")
        await wait_until(pilot, lambda: f"saved to {config_path}" in messages(app))
    assert config_path.is_symlink() and config_path.resolve() == target
    assert outside_serial(target.read_text(encoding="utf-8")) == outside_serial(HAND_WRITTEN)
    assert config.load(config_path).config.serial.port == "/dev/ttyAMA0"


async def test_failed_form_save_names_the_file(make_app):
    with world_readable_dir() as directory:
        path = directory / "config.toml"
        path.write_text(HAND_WRITTEN, encoding="utf-8")
        path.chmod(0o666)  # the file itself may be written: the folder may not
        directory.chmod(0o555)
        app = make_app(config_path=path)
        async with app.run_test(size=(80, 24)) as pilot:
            with unprivileged():
                await save_from_the_form(app, pilot, "/dev/ttyACM0")
                await wait_until(pilot, lambda: any("cannot save" in m for m in messages(app)))
            (failure,) = [m for m in messages(app) if "cannot save" in m]
            assert failure.startswith(f"cannot save to {path}: cannot create a file in {directory}")
            assert app.is_running  # the link goes on with the new settings
        assert path.read_text(encoding="utf-8") == HAND_WRITTEN


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_monitor_names_unknown_keys_at_start(tmp_path):
    """`p1tui --demo` in a real terminal, with a config that holds a typo."""
    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    session = f"p1tui-config-{id(tmp_path)}"
    command = (
        f"env P1TUI_CONFIG={shlex.quote(str(path))} TEXTUAL_ANIMATIONS=none "
        f"{shlex.quote(sys.executable)} -m p1tui --demo --speed 0; echo EXIT=$?; sleep 30"
    )
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
    try:
        deadline = time.monotonic() + 20
        while True:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            if "serial.baud_rate" in screen and "serial.baudrate?" in screen:
                break
            assert time.monotonic() < deadline, f"no warning on the screen:\n{screen}"
            time.sleep(0.1)
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


async def test_each_config_notice_is_its_own_notification(make_app, config_path):
    """An unknown key and a readable secret: two notes, each whole, not one run together."""
    config_path.parent.mkdir(parents=True)
    config_path.write_text(
        '[serial]\nport = "/dev/ttyUSB0"\nbaud_rate = 1\n[mqtt]\npassword = "x"\n'
    )
    config_path.chmod(0o644)
    loaded = config.load(config_path)
    assert len(loaded.notices) == 2
    app = make_app(config_notices=loaded.notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(messages(app)) >= 2)
        assert sorted(messages(app)) == sorted(loaded.notices)


async def test_brackets_in_the_config_path_and_keys_are_shown_literally(make_app, tmp_path):
    """A folder named `[b]` and a quoted key `"x[/]"` are text, never markup."""
    path = tmp_path / "[b]odd[" / "]x" / "config.toml"  # the folders spell [b]odd[/]x
    path.parent.mkdir(parents=True)
    path.write_text('"x[/]" = 1\n' + HAND_WRITTEN, encoding="utf-8")
    loaded = config.load(path)
    app = make_app(config_path=path, config_notices=loaded.notices)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: any("keys: x[/], serial." in m for m in messages(app)))
        await save_from_the_form(app, pilot, "/dev/ttyACM0")
        await wait_until(pilot, lambda: f"saved to {path}" in messages(app))
        toasts = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
        assert "[b]odd[/]x" in toasts
        assert app.is_running
