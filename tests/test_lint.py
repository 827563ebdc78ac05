"""The code base stays ruff clean and strict-mypy clean (pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "kismet_tx", "tests", "bench", "twisted"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_unfinished_markers() -> None:
    markers = re.compile(r"\b(TO" r"DO|FIX" r"ME|X" r"XX)\b|place" r"holder|not " r"implemented"
                         r"|NotImplemented" r"Error")
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "kismet_tx").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if markers.search(line)
    ]
    assert not found, found


def test_mypy_strict_clean() -> None:
    """``mypy`` (strict, configured in pyproject.toml) finds nothing in kismet_tx."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr
