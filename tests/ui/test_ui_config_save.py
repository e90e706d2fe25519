"""The settings form saves into the user's own config file: the real app, driven by keys."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import wait_until

from p1tui import config
from p1tui.link.settings import PRESETS, SerialSettings

sys.path.insert(0, str(Path(__file__).parent.parent))
from config_files import HAND_WRITTEN, outside_serial, unprivileged, world_readable_dir

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
    app = make_app(saved_serial=loaded.config.serial, config_problem="\n".join(loaded.notices))
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
        path.chmod(0o644)
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
