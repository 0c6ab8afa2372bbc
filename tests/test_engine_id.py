"""The generator's identity: shortcuts never reuse output of other code under the same version,
and the manifest does not depend on how the spec's path was spelled."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asyncgen import engine
from asyncgen.cachedir import project_dir
from asyncgen.generate import ENGINE_MARK, MANIFEST_PATH, generate

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "specs" / "streetlights-mqtt.asyncapi.yaml"


def test_engine_id_is_the_version_plus_a_digest_of_every_package_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "asyncgen"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "data.json").write_text("{}")
    (package / "__pycache__").mkdir()
    monkeypatch.setattr(engine, "_ROOT", package)

    def ident() -> str:
        engine.engine_id.cache_clear()
        return engine.engine_id()

    try:
        first = ident()
        assert first.startswith(f"{engine.__version__}+") and len(first.split("+")[1]) == 16
        (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
        assert ident() == first  # compiled caches are not the code
        (package / "sub" / "data.json").write_text('{"x": 1}')
        assert ident() != first  # data files are part of the engine
        changed = ident()
        (package / "a.py").write_text("A = 2\n")
        assert ident() != changed
    finally:
        engine.engine_id.cache_clear()


def test_other_code_under_the_same_version_renders_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(SPEC, out, formatter="ruff")
    assert generate(SPEC, out, formatter="ruff").up_to_date
    folder, _ = project_dir(out, create=False)
    assert folder is not None and (folder / ENGINE_MARK).read_bytes() == engine.engine_id().encode()
    (folder / ENGINE_MARK).write_bytes(b"0.1.0+another-checkout")  # what a code change looks like
    again = generate(SPEC, out, formatter="ruff")
    assert not again.up_to_date and again.rendered and not again.reused  # rendered, none reused
    assert not again.written  # and, being the same code after all, gave the same bytes
    assert generate(SPEC, out, formatter="ruff").up_to_date  # the mark is this engine's again


def test_the_manifest_does_not_depend_on_how_the_spec_path_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SPEC, specs / SPEC.name)
    monkeypatch.chdir(tmp_path)
    generate(Path("specs") / SPEC.name, Path("rel"), formatter="ruff")
    generate(specs / SPEC.name, tmp_path / "abs", formatter="ruff")
    generate(Path("specs") / ".." / "specs" / SPEC.name, Path("dots"), formatter="ruff")
    manifests = {d: (tmp_path / d / MANIFEST_PATH).read_bytes() for d in ("rel", "abs", "dots")}
    assert manifests["rel"] == manifests["abs"] == manifests["dots"]
