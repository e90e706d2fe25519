"""The settings form: which port, which serial settings; apply live, save for next time."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Input, Label, Select, Static
from textual.widgets.select import NoSelection

from ...config import BYTESIZES, STOPBITS
from ...link.settings import PRESETS, SerialSettings
from ..format import printable
from ..messages import ApplySettings, SaveSettings
from ..widgets.status_bar import StatusBar
from .base import MonitorScreen

BAUDRATES = (9600, 19200, 38400, 57600, 115200)
PARITY_NAMES = {"N": "none", "E": "even", "O": "odd", "M": "mark", "S": "space"}
SERIAL_FIELDS = ("baudrate", "bytesize", "parity", "stopbits")
PORT_HINT = "/dev/ttyUSB0, socket://host:port or rfc2217://host:port"


class SettingsScreen(MonitorScreen):
    """A form for the serial link. Enter in the port field applies, like ctrl+r."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "apply", "Apply", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+t", "detect", "Detect", priority=True),
        Binding("ctrl+l", "rescan", "Rescan ports", priority=True),
        Binding("escape", "app.switch_mode('dashboard')", "Back"),
    ]

    def compose(self) -> ComposeResult:
        s = self.app.form_settings  # type: ignore[attr-defined]
        yield StatusBar()
        with VerticalScroll(id="form"):
            with Horizontal(classes="row"):
                yield Label("Detected", classes="field")
                yield Select[str]([], id="detected", prompt="looking for ports…", compact=True)
            with Horizontal(classes="row"):
                yield Label("Port or URL", classes="field")
                yield Input(s.port, id="port", placeholder=PORT_HINT, compact=True)
            with Horizontal(classes="row"):
                yield Label("Preset", classes="field")
                presets = [(label, label) for label in PRESETS]
                yield Select(
                    presets,
                    id="preset",
                    prompt="choose a DSMR generation",
                    value=_preset_of(s),
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Label("Baud rate", classes="field")
                yield _select("baudrate", [(str(b), b) for b in BAUDRATES], s.baudrate)
                yield Label("Data bits", classes="field")
                yield _select("bytesize", [(str(b), b) for b in BYTESIZES], s.bytesize)
            with Horizontal(classes="row"):
                yield Label("Parity", classes="field")
                yield _select(
                    "parity", [(f"{p} {n}", p) for p, n in PARITY_NAMES.items()], s.parity
                )
                yield Label("Stop bits", classes="field")
                yield _select("stopbits", [(f"{b:g}", b) for b in STOPBITS], s.stopbits)
            with Horizontal(id="buttons"):
                yield Button("Apply ^r", id="apply", variant="primary", compact=True)
                yield Button("Save ^s", id="save", variant="success", compact=True)
                yield Button("Detect ^t", id="detect", compact=True)
            yield Static("", id="note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_rescan()
        self.query_one("#port", Input).focus()

    def read_form(self) -> SerialSettings | None:
        """The settings in the form, or None (with a message) when the port is empty."""
        port = self.query_one("#port", Input).value.strip()
        if not port:
            self.notify("enter a port or URL first", severity="warning")
            self.query_one("#port", Input).focus()
            return None
        return SerialSettings(port, **self._serial_values())

    def _serial_values(self) -> dict[str, Any]:
        """The four serial fields, by SerialSettings' names."""
        return {name: self.query_one(f"#{name}", Select).value for name in SERIAL_FIELDS}

    def action_apply(self) -> None:
        settings = self.read_form()
        if settings is not None:
            self.post_message(ApplySettings(settings))

    def action_save(self) -> None:
        settings = self.read_form()
        if settings is not None:
            self.post_message(SaveSettings(settings))

    def action_detect(self) -> None:
        self.app.detect_settings(self.query_one("#port", Input).value.strip())  # type: ignore[attr-defined]

    def action_rescan(self) -> None:
        self._scan_ports()

    @work(thread=True, exclusive=True, group="ports")
    def _scan_ports(self) -> None:
        ports = self.app.list_ports()  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show_ports, ports)

    def _show_ports(self, ports: list[tuple[str, str]]) -> None:
        detected = self.query_one("#detected", Select)
        detected.set_options(
            [(Content(printable(f"{device}  {about}".rstrip())), device) for device, about in ports]
        )
        detected.prompt = f"{len(ports)} port(s) found" if ports else "no serial port found"
        if ports:
            names = ", ".join(device for device, _ in ports[:3])
            self.show_note(f"detected: {names}{' …' if len(ports) > 3 else ''}")
        else:
            self.show_note("no serial port found: plug the P1 cable in, then ^l to rescan")

    def show_note(self, text: str) -> None:
        self.query_one("#note", Static).update(Content(printable(text)))

    def fill(self, settings: SerialSettings) -> None:
        """Put ``settings`` into the form (after a detection)."""
        self.query_one("#port", Input).value = settings.port
        for name in SERIAL_FIELDS:
            self.query_one(f"#{name}", Select).value = getattr(settings, name)

    @on(Select.Changed, "#detected")
    def _port_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query_one("#port", Input).value = str(event.value)

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        baudrate, bytesize, parity, stopbits = PRESETS[str(event.value)]
        self.fill(
            SerialSettings(
                self.query_one("#port", Input).value, baudrate, bytesize, parity, stopbits
            )
        )

    @on(Select.Changed, "#baudrate, #bytesize, #parity, #stopbits")
    def _serial_changed(self) -> None:
        """The Preset names what the fields say, whoever set them (detection, a preset, keys)."""
        preset = self.query_one("#preset", Select)
        label = _preset_of(SerialSettings("", **self._serial_values()))
        if label is Select.NULL:
            preset.clear()
        else:
            preset.value = label

    @on(Input.Submitted, "#port")
    def _port_submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#detect")
    def _detect_pressed(self) -> None:
        self.action_detect()


def _preset_of(settings: SerialSettings) -> str | NoSelection:
    """The label of the preset with these serial settings, or no selection."""
    line = (settings.baudrate, settings.bytesize, settings.parity, settings.stopbits)
    return next((label for label, values in PRESETS.items() if values == line), Select.NULL)


def _select(name: str, options: list[tuple[str, object]], value: object) -> Select:
    if value not in [v for _, v in options]:
        options = [*options, (str(value), value)]
    return Select(options, id=name, value=value, allow_blank=False, compact=True)
