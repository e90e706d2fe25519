"""The protocol, link and simulator layers and ``p1tui decode`` never import textual.

Each module is imported in a fresh interpreter, found by walking the packages, so a new
module is covered the day it is added. The UI packages are the only ones allowed textual.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

HEADLESS_PACKAGES = ("p1tui.dsmr", "p1tui.link", "p1tui.sim", "p1tui.store")
HEADLESS_MODULES = ("p1tui.commands.decode",)

_PROBE = """
import importlib, json, pkgutil, sys
packages, modules = json.loads(sys.argv[1])
names = []
for package in packages:
    try:
        root = importlib.import_module(package)
    except ModuleNotFoundError as error:
        if error.name == package:
            continue  # an optional package that does not exist (yet)
        raise
    names.append(package)
    names += [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
names += modules
result = {"modules": names, "culprit": None}
for name in names:
    importlib.import_module(name)
    if "textual" in sys.modules:
        result["culprit"] = name
        break
print(json.dumps(result))
"""


def _probe(packages: tuple[str, ...], modules: tuple[str, ...]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([packages, modules])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_headless_modules_do_not_import_textual() -> None:
    modules = tuple(m for m in HEADLESS_MODULES if importlib.util.find_spec(m) is not None)
    result = _probe(HEADLESS_PACKAGES, modules)
    assert result["culprit"] is None, f"{result['culprit']} imports textual"
    assert "p1tui.dsmr.framer" in result["modules"]
    assert "p1tui.dsmr.parser" in result["modules"]
    assert any(m.startswith("p1tui.link.") for m in result["modules"])


@pytest.mark.parametrize("package", ["p1tui.dsmr", "p1tui.link", "p1tui.store"])
def test_every_module_of_the_package_is_walked(package: str) -> None:
    """The walk finds the package's modules on disk, so none escapes the check."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    (root,) = spec.submodule_search_locations
    on_disk = {f"{package}.{p.stem}" for p in Path(root).glob("*.py") if p.stem != "__init__"}
    walked = set(_probe((package,), ())["modules"])
    assert on_disk <= walked


def test_the_probe_would_notice_textual() -> None:
    """The check is not vacuous: a module that does import textual is caught."""
    result = _probe((), ("textual.app",))
    assert result["culprit"] == "textual.app"
