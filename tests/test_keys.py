"""Where the meter's keys come from: the command line, then the environment, then the config."""

from __future__ import annotations

import argparse

import pytest

from p1tui.dsmr.dlms import LUXEMBOURG_AUTH_KEY
from p1tui.keys import VISIBLE_WARNING, KeyProblem, add_key_options, meter_keys

A, B, C = "AA" * 16, "BB" * 16, "CC" * 16


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_key_options(parser)
    return parser.parse_args(argv)


def test_no_key_anywhere_is_a_meter_that_does_not_encrypt(capsys):
    assert meter_keys(args(), {}, environ={}) is None
    assert capsys.readouterr().err == ""


def test_the_command_line_wins_then_the_environment_then_the_config(capsys):
    config = {"key": C, "auth_key": C}
    environ = {"P1TUI_KEY": B}
    keys = meter_keys(args("--key", A), config, environ=environ)
    assert keys.encryption == bytes.fromhex(A)
    assert keys.authentication == bytes.fromhex(C)  # only the config has one
    assert capsys.readouterr().err == VISIBLE_WARNING + "\n"
    keys = meter_keys(args(), config, environ=environ)
    assert keys.encryption == bytes.fromhex(B)
    assert capsys.readouterr().err == ""  # nothing on the command line: no warning
    keys = meter_keys(args(), {"key": C}, environ={})
    assert (keys.encryption, keys.authentication) == (bytes.fromhex(C), LUXEMBOURG_AUTH_KEY)


@pytest.mark.parametrize(
    ("config", "environ", "expected"),
    [
        ({"key": 12}, {}, "[meter] key must be a string of 32 hex digits"),
        ({"key": "12"}, {}, "[meter] key: the encryption key must be 32 hexadecimal digits"),
        ({}, {"P1TUI_AUTH_KEY": A}, "P1TUI_AUTH_KEY is set but no encryption key"),
        ({"key": A, "auth_key": "zz"}, {}, "[meter] auth_key: the authentication key holds"),
    ],
)
def test_a_key_that_cannot_be_used_is_named_by_where_it_came_from(config, environ, expected):
    with pytest.raises(KeyProblem) as caught:
        meter_keys(args(), config, environ=environ)
    assert str(caught.value).startswith(expected)
    assert A not in str(caught.value)
