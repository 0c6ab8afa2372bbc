"""The wheel installs the `asyncgen` command and carries the built-in templates."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel and install it (without deps: they are on this interpreter) in a new venv."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
        check=True,
        cwd=work,
    )
    wheels = list((work / "dist").glob("asyncgen-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheels[0])],
        check=True,
        cwd=work,
    )
    return env_dir


@pytest.mark.slow
def test_wheel_ships_templates(installed: Path, tmp_path: Path) -> None:
    py = installed / "bin" / "python"
    code = (
        "import asyncgen, importlib.resources as r, pathlib;"
        "t = r.files('asyncgen') / 'templates' / 'service' / 'template.yaml';"
        "print(pathlib.Path(asyncgen.__file__).parent); print(t.is_file())"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    pkg_dir, found = out.stdout.split()
    assert str(installed) in pkg_dir, "must import the installed copy, not the source tree"
    assert found == "True"


@pytest.mark.slow
def test_console_script(installed: Path, tmp_path: Path) -> None:
    exe = installed / "bin" / "asyncgen"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stderr
    assert "asyncgen" in out.stdout


@pytest.mark.slow
def test_wheel_ships_the_demo_specs(installed: Path, tmp_path: Path) -> None:
    """`pip install '.[demo]' && asyncgen demo` (the README's first command) needs the ERP specs."""
    py = installed / "bin" / "python"
    code = (
        "from asyncgen.resources import specs_root; r = specs_root();"
        "print(r); print(sorted(p.name for p in r.iterdir()))"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    root, names = out.stdout.splitlines()
    assert str(installed) in root, "must be the copy inside the installed package"
    assert "erp-events.asyncapi.yaml" in names and "erp-api.openapi.yaml" in names and "schemas" in names
