"""Where the collector listens, and where the monitor looks for it."""

from __future__ import annotations

import socket

import pytest

from p1tui.collector.listen import ListenAddress, from_section, parse_listen, running_collector
from p1tui.link.settings import CollectorSettings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:2323", ListenAddress("127.0.0.1", 2323)),
        ("0.0.0.0:2323", ListenAddress("0.0.0.0", 2323)),
        (":8088", ListenAddress("127.0.0.1", 8088)),
        ("[::1]:2323", ListenAddress("::1", 2323)),
        ("localhost:0", ListenAddress("localhost", 0)),
    ],
)
def test_addresses_as_people_write_them(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["localhost", "127.0.0.1:", "127.0.0.1:http", "h:70000", ""])
def test_what_is_not_an_address_is_said(text):
    with pytest.raises(ValueError, match=r"is not an address like 127\.0\.0\.1:2323"):
        parse_listen(text)


def test_only_loopback_counts_as_private():
    assert ListenAddress().loopback and ListenAddress("::1").loopback
    assert not ListenAddress("0.0.0.0").loopback and not ListenAddress("192.0.2.1").loopback


def test_the_config_section():
    assert from_section({}) == ListenAddress("127.0.0.1", 2323)
    assert from_section({"listen": "0.0.0.0:2424"}) == ListenAddress("0.0.0.0", 2424)
    with pytest.raises(ValueError, match=r"collector\.listen must be a string"):
        from_section({"listen": 2323})


def test_the_monitor_finds_a_collector_listening_on_every_interface():
    with socket.create_server(("0.0.0.0", 0)) as server:
        port = server.getsockname()[1]
        found = running_collector(ListenAddress("0.0.0.0", port))
    assert found == CollectorSettings("127.0.0.1", port)
    assert found.describe() == f"via collector 127.0.0.1:{port}"
    assert found.serial.port == f"socket://127.0.0.1:{port}"


def test_no_collector_is_none():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    assert running_collector(ListenAddress("127.0.0.1", port)) is None  # closed: refused
