"""The repository's own files: nothing a merge left half done."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|>{7}) |^={7}$", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.toml", "*.tcss", "*.tsv", ".ci/*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:  # not a git checkout (an sdist): read the tree instead
        return [p for p in ROOT.rglob("*") if p.suffix in {".py", ".md", ".toml"}]
    return [ROOT / name for name in listed.stdout.splitlines()]


def test_no_merge_conflict_markers_are_left() -> None:
    files = tracked_text_files()
    assert any(path.name == "CHANGELOG.md" for path in files)
    left = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in files
        if path.is_file()
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for match in MARKER.finditer(text)
    ]
    assert not left, f"merge conflict markers left in {left}"
