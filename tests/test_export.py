"""The JSON line of a telegram: the keys the issue lists, exact numbers, nothing lost."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from p1tui.dsmr import Framer, parse
from p1tui.dsmr.export import to_json

TELEGRAMS = Path(__file__).parent / "telegrams"
KEYS = [
    "header",
    "variant",
    "dsmr_version",
    "crc_ok",
    "timestamp",
    "equipment_id",
    "tariff",
    "power_import_kw",
    "power_export_kw",
    "energy_import_kwh",
    "energy_export_kwh",
    "phases",
    "power_failures",
    "long_power_failures",
    "power_failure_log",
    "voltage_sags",
    "voltage_swells",
    "text_message",
    "peak_demand",
    "mbus",
    "unknown_obis",
    "objects",
]


def decoded(name: str) -> dict:
    (frame,) = Framer().feed((TELEGRAMS / name).read_bytes())
    return json.loads(to_json(parse(frame), frame), parse_float=Decimal)


@pytest.mark.parametrize("path", sorted(TELEGRAMS.glob("*.txt")), ids=lambda p: p.stem)
def test_every_telegram_has_the_listed_keys_and_every_line(path: Path) -> None:
    data = decoded(path.name)
    assert set(KEYS) <= set(data)
    lines = [
        line
        for line in path.read_bytes().decode("latin-1").replace("\r", "").split("\n")[2:]
        if line and not line.startswith(("(", "!"))
    ]
    assert [o["obis"] for o in data["objects"]] == [
        line.partition("(")[0].strip().removesuffix("*255") for line in lines
    ]


def test_numbers_keep_the_meters_decimals() -> None:
    text = to_json(
        parse(
            Framer().feed((TELEGRAMS / "dsmrparser__fluvius-t211-gas-water__1.txt").read_bytes())[0]
        )
    )
    assert '"power_export_kw":0.000,' in text
    assert '"energy_import_kwh":{"tariff1":301.548,"tariff2":270.014,"total":571.562}' in text


def test_placeholder_times_are_null_and_the_value_beside_them_is_kept() -> None:
    history = decoded("dsmrparser__fluvius-t211-gas-water__1.txt")["peak_demand"]["history"]
    assert history[0] == {"month": "2023-08-01T00:00:00+02:00", "at": None, "kw": Decimal("0.000")}


def test_codes_the_catalogue_does_not_know_are_named_once() -> None:
    data = decoded("dsmrparser__eso-lt-3ph__1.txt")
    assert "1-0:32.24.0" in data["unknown_obis"]
    assert len(data["unknown_obis"]) == len(set(data["unknown_obis"]))
    assert decoded("openhab__iskra-am550t-3ph-gas__1.txt")["unknown_obis"] == []


def test_every_medium_is_one_lowercase_word() -> None:
    from p1tui.dsmr.obis import MEDIA, MEDIUM_UNITS

    for word in [*MEDIA.values(), *MEDIUM_UNITS]:
        assert word.replace("_", "").isalpha() and word == word.lower(), word
    assert set(MEDIUM_UNITS) <= set(MEDIA.values())
