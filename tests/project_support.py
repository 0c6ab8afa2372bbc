"""Running things inside a generated project (shared by the tests that generate one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``args`` in ``cwd`` with the project importable and none of this session's pytest options."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_python(out: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """This interpreter with ``args`` inside the generated project ``out``."""
    return run([sys.executable, *args], out, timeout)
