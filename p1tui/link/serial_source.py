"""A P1 port through pyserial: a device path, ``socket://host:port`` or ``rfc2217://``.

Local ports are opened exclusively (``flock``), so a second reader gets "port busy"
instead of stealing half the bytes from the first. Reads wait at most
:data:`READ_TIMEOUT`, so the reader notices a stop request quickly, and return whatever
arrived at once rather than waiting to fill a buffer, so a telegram reaches the screen
as soon as its last byte does. pyserial's error texts are turned into sentences for the
person at the terminal, with what to try.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import select
import shlex
import socket
from urllib.parse import urlsplit

import serial

from .settings import SerialSettings
from .source import LinkError, LinkLost, LinkUnusable

READ_TIMEOUT = 0.2
"""Longest a read waits for the first byte."""

PORTS_ADVICE = "Run `p1tui ports` to list the serial ports on this computer."
DIALOUT_ADVICE = (
    "Add your user to the dialout group (sudo usermod -aG dialout $USER), then log out and back in."
)
BUSY_ADVICE = (
    "Another program is reading this port (another p1tui, dsmr-reader, Home Assistant, "
    "ModemManager?); stop it first, or share the meter through ser2net."
)
UNPLUGGED_ADVICE = "Check the USB cable; the port is reopened as soon as it is back."


try:
    from termios import error as TERMIOS_ERROR
except ImportError:  # not a POSIX system

    class TERMIOS_ERROR(Exception):
        """Never raised where there is no termios."""


class UnsupportedSettings(LinkError):
    """The port exists but its driver refuses these serial settings."""


def is_url(port: str) -> bool:
    """True for ``socket://``, ``rfc2217://`` and other pyserial URLs."""
    return "://" in port


class SerialSource:
    """The :class:`~p1tui.link.source.Source` for a serial port or a pyserial URL."""

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self._port: serial.SerialBase | None = None
        self._fd: int | None = None

    def describe(self) -> str:
        """``/dev/ttyUSB0 115200 8N1``; a network link has no serial settings of its own."""
        return self.settings.describe()

    def open(self) -> None:
        """Open the port; raise :class:`LinkError` saying why it cannot be opened."""
        s = self.settings
        options = {"exclusive": True} if not is_url(s.port) else {}
        try:
            port = serial.serial_for_url(
                s.port,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=s.parity,
                stopbits=s.stopbits,
                do_not_open=True,
                **options,
            )
            # Ports we can select() on are read without waiting (timeout 0) after
            # select says data is there; the others wait in pyserial's own read.
            selectable = type(port).fileno is not io.RawIOBase.fileno
            port.timeout = 0 if selectable else READ_TIMEOUT
            port.open()
        except (serial.SerialException, OSError) as error:
            raise open_error(s.port, error) from None
        except ValueError as error:
            raise LinkError(f"{s.describe()}: invalid setting ({error}).") from None
        except TERMIOS_ERROR as error:  # the driver refused the settings
            raise UnsupportedSettings(
                f"{s.port} does not accept {s.line} ({error.args[-1]})."
            ) from None
        self._port = port
        self._fd = port.fileno() if selectable else None

    def read(self, max_bytes: int = 4096) -> bytes:
        """What arrived, within :data:`READ_TIMEOUT`; LinkLost when the link died."""
        port = self._port
        if port is None:
            raise LinkLost(f"{self.settings.port} is not open.")
        try:
            if self._fd is not None:
                ready, _, _ = select.select([self._fd], [], [], READ_TIMEOUT)
                return port.read(max_bytes) if ready else b""
            return port.read(min(max_bytes, port.in_waiting or 1))
        except (serial.SerialException, OSError, ValueError, TypeError) as error:
            # ValueError/TypeError: the port was closed under us (fd -1 / None).
            raise read_error(self.settings.port, error) from None

    def close(self) -> None:
        """Release the port; safe to call twice."""
        port, self._port, self._fd = self._port, None, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()


def _errno(error: BaseException) -> int | None:
    """The OS error number behind a pyserial exception, if there is one."""
    while error is not None:
        if isinstance(error, OSError) and error.errno is not None:
            return error.errno
        error = error.__context__ or error.__cause__
    return None


def open_error(port: str, error: BaseException) -> LinkError:
    """A plain-words LinkError for a port that could not be opened."""
    code = _errno(error)
    if is_url(port):
        scheme = urlsplit(port).scheme
        if scheme in ("socket", "rfc2217") and not _has_host_and_port(port):
            return LinkError(
                f"{port} is not an address like {scheme}://HOST:PORT.",
                "Give the host and the port number, e.g. socket://192.168.1.20:8088.",
            )
        if code == errno.ECONNREFUSED:
            return LinkError(
                f"connection refused by {port}.",
                "Check the host and port number (P1 dongles use 23 or 8088, ser2net what "
                "its configuration says) and that the service is running.",
            )
        if code in (errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH) or isinstance(
            error.__context__, (TimeoutError, socket.timeout)
        ):
            return LinkError(
                f"no answer from {port}.",
                "Check that the dongle or server is powered and on the network.",
            )
        if isinstance(error.__context__, socket.gaierror):
            return LinkError(f"unknown host in {port}.", "Check the host name.")
        return LinkError(f"cannot connect to {port}: {_tail(error)}.")
    if code == errno.ENOENT:
        return LinkError(f"no such device: {port} (not plugged in?).", PORTS_ADVICE)
    if code == errno.EISDIR:
        return LinkUnusable(f"{port} is a directory, not a serial port.", PORTS_ADVICE)
    if code in (errno.EACCES, errno.EPERM):
        return LinkError(f"permission denied on {port}.", DIALOUT_ADVICE)
    if code in (errno.EAGAIN, errno.EBUSY):
        return LinkError(f"port busy: {port} is already open in another program.", BUSY_ADVICE)
    if code in (errno.ENXIO, errno.ENODEV, errno.EIO):
        return LinkError(f"port vanished: {port} is not there any more.", UNPLUGGED_ADVICE)
    if code == errno.ENOTTY or (
        isinstance(error.__context__, TERMIOS_ERROR) and error.__context__.args[0] == errno.ENOTTY
    ):
        if os.path.isfile(port):  # most likely a capture given to --port instead of --replay
            replay = f"A recording is played with `p1tui --replay {shlex.quote(port)}`. "
            return LinkUnusable(f"{port} is not a serial port.", replay + PORTS_ADVICE)
        return LinkUnusable(f"{port} is not a serial port.", PORTS_ADVICE)
    if "Could not configure port" in str(error):
        return LinkError(f"{port} is not a serial port.", PORTS_ADVICE)
    return LinkError(f"cannot open {port}: {_tail(error)}.")


def _has_host_and_port(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and parts.port is not None
    except ValueError:  # a port that is not a number
        return False


def read_error(port: str, error: BaseException) -> LinkLost:
    """A plain-words LinkLost for a link that died while reading."""
    text = str(error)
    if "socket disconnected" in text:
        return LinkLost(f"{port} closed the connection.", "It is reconnected automatically.")
    if "returned no data" in text:
        return LinkLost(
            f"port vanished: {port} reports data but delivers none (cable unplugged?).",
            UNPLUGGED_ADVICE,
        )
    if is_url(port):
        return LinkLost(f"connection to {port} lost: {_tail(error)}.")
    return LinkLost(f"port vanished: {port} failed ({_tail(error)}).", UNPLUGGED_ADVICE)


def _tail(error: BaseException) -> str:
    """The OS's own words for an error, without pyserial's prefix."""
    text = str(error)
    return text.rsplit(": ", 1)[-1] if ": " in text else text
