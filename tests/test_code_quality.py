"""asyncgen's own code stays as clean as the code it generates.

The configuration is pyproject.toml's: ruff (lint rules and format) over the package, the
tests and the benchmarks; mypy in strict mode over the package. Each check runs as the
tool's own command line, so a failure prints exactly what a developer would see.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PATHS = ("asyncgen", "tests", "bench")

CHECKS = {
    "ruff check": ["ruff", "check", "--output-format", "concise", *PATHS],
    "ruff format": ["ruff", "format", "--check", *PATHS],
    "mypy --strict": ["mypy"],  # [tool.mypy]: strict, files = asyncgen
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_repository_code_passes(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *CHECKS[name]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{name} found problems in asyncgen's own code "
        f"(fix them, or run `python -m {' '.join(CHECKS[name])}` to see them):\n"
        f"{proc.stdout}{proc.stderr}"
    )
