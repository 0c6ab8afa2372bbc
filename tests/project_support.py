"""Running things inside a generated project, and reading one (shared by the tests that generate one)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


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


def generate_service(data: Mapping[str, Any], name: str, out: Path) -> str:
    """Generate the app of spec ``data`` (as if read from a file ``name``) into ``out``; its package."""
    from asyncgen.generate import generate_from_api
    from asyncgen.load import load_data
    from asyncgen.parse import parse

    api = parse(load_data(dict(data), name))
    generate_from_api(api, out, role="app", params={})
    return api.package


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative POSIX path -> bytes), in path order: a tree to compare."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
