"""Filters and tests from the ``asyncgen.filters`` entry point group (fake distributions on sys.path)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from asyncgen.cli import main
from asyncgen.errors import TemplateError
from asyncgen.render import run_extensions

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "templatesets" / "mini"
SPEC = """\
asyncapi: 3.0.0
info: {title: Lights, version: "1"}
servers: {local: {host: "localhost:1883", protocol: mqtt}}
channels:
  lights: {address: lights, messages: {m: {payload: {type: object, properties: {on: {type: boolean}}}}}}
operations:
  send: {action: send, channel: {$ref: "#/channels/lights"}}
"""
SHOUT = "def shout(text):\n    return str(text).upper() + '{mark}'\n\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path where the tests put fake distributions; their modules leave with it."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if name.startswith("acme_"):
            del sys.modules[name]


def fake_dist(site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[asyncgen.filters]\n{lines}")
    for module, code in modules.items():
        (site / f"{module}.py").write_text(code)


def unique(prefix: str) -> str:
    return f"acme_{prefix}_{uuid.uuid4().hex[:8]}"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_generate_uses_entry_point_filters_and_tests(site: Path, tmp_path: Path) -> None:
    module = unique("filters")
    code = SHOUT.format(mark="!") + "FILTERS = {'acme_shout': shout}\n"
    code += "TESTS = {'acme_short': lambda t: len(t) < 9}\n"
    fake_dist(site, "acme-filters", {"acme": module}, {module: code})
    spec = tmp_path / "api.yaml"
    spec.write_text(SPEC)
    mine = tmp_path / "mine"
    mine.mkdir()
    readme = mine / "README.md.j2"
    readme.write_text("{{ api.title|acme_shout }} {{ 'short' if api.title is acme_short }}\n")
    out = tmp_path / "out"
    args = ["generate", str(spec), "-o", str(out), "--template-set", str(MINI), "--templates", str(mine)]
    code_, text = cli(*args)
    assert code_ == 0, text
    assert (out / "README.md").read_text() == "LIGHTS! short\n"

    # the plugin's code is an input: a new version of it re-renders (fresh import, as in a new process)
    (site / f"{module}.py").write_text(SHOUT.format(mark="?") + "FILTERS = {'acme_shout': shout}\n")
    del sys.modules[module]
    (mine / "README.md.j2").write_text("{{ api.title|acme_shout }}\n")
    code_, text = cli(*args)
    assert code_ == 0, text
    assert (out / "README.md").read_text() == "LIGHTS?\n"


def test_callable_entry_point_and_filters_file_wins(site: Path, tmp_path: Path) -> None:
    module = unique("factory")
    fake_dist(
        site,
        "acme-factory",
        {"acme": f"{module}:extensions"},
        {module: "def extensions():\n    return {'FILTERS': {'acme_twice': lambda t: t * 2}}\n"},
    )
    house = tmp_path / "house.py"
    house.write_text("FILTERS = {'acme_twice': lambda t: t * 3}\n")
    assert run_extensions(None).filters["acme_twice"]("a") == "aa"
    assert run_extensions(house).filters["acme_twice"]("a") == "aaa"


@pytest.mark.parametrize(
    ("entry_points", "modules", "message"),
    [
        (
            {"acme": "{m}"},
            {"{m}": "FILTERS = {'snake': str.lower}\n"},
            "filter 'snake' is a built-in filter; pick another name",
        ),
        ({"acme": "{m}"}, {"{m}": "TESTS = {'defined': bool}\n"}, "test 'defined' is a built-in test"),
        ({"acme": "{m}"}, {"{m}": "import no_such_module_here\n"}, "loading it failed: ModuleNotFoundError"),
        ({"acme": "{m}:make"}, {"{m}": "def make():\n    raise ValueError('nope')\n"}, "calling it failed"),
        ({"acme": "{m}"}, {"{m}": "FILTERS = {'acme_x': 1}\n"}, "FILTERS must be a dict of name -> callable"),
        ({"acme": "{m}"}, {"{m}": "X = 1\n"}, "defines neither FILTERS nor TESTS"),
        (
            {"a": "{m}", "b": "{m}"},
            {"{m}": "FILTERS = {'acme_x': str}\n"},
            "filter 'acme_x' is also defined by entry point 'a'",
        ),
    ],
)
def test_bad_entry_points_are_refused_with_their_distribution(
    site: Path, entry_points: dict[str, str], modules: dict[str, str], message: str
) -> None:
    module = unique("bad")
    fake_dist(
        site,
        "acme-bad",
        {k: v.format(m=module) for k, v in entry_points.items()},
        {k.format(m=module): v for k, v in modules.items()},
    )
    with pytest.raises(TemplateError, match=r"distribution acme-bad 1\.0") as caught:
        run_extensions(None)
    assert message in str(caught.value)


def test_docs_and_generate_refuse_a_broken_entry_point(site: Path, tmp_path: Path) -> None:
    module = unique("broken")
    fake_dist(site, "acme-broken", {"acme": module}, {module: "raise RuntimeError('boom')\n"})
    spec = tmp_path / "api.yaml"
    spec.write_text(SPEC)
    for command in (["docs", str(spec)], ["generate", str(spec), "--template-set", str(MINI)]):
        code, text = cli(*command, "-o", str(tmp_path / command[0]))
        assert code != 0
        assert "entry point 'acme'" in text and "acme-broken 1.0" in text and "RuntimeError: boom" in text
        assert not (tmp_path / command[0]).exists()


def test_a_run_lists_the_entry_points_and_hashes_the_templates_once(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncgen import plugins
    from asyncgen.generate import generate
    from asyncgen.templateset import TemplateSet

    module = unique("once")
    fake_dist(
        site,
        "acme-once",
        {"acme": module},
        {module: SHOUT.format(mark="!") + "FILTERS = {'acme_shout': shout}\n"},
    )
    spec = tmp_path / "api.yaml"
    spec.write_text(SPEC)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md.j2").write_text("{{ api.title|acme_shout }}\n")
    calls = {"entry points": 0, "fingerprint": 0}
    listed, fingerprint = plugins._installed, TemplateSet.fingerprint

    def counted_installed() -> Any:
        calls["entry points"] += 1
        return listed()

    def counted_fingerprint(self: TemplateSet) -> str:
        calls["fingerprint"] += 1
        return fingerprint(self)

    monkeypatch.setattr(plugins, "_installed", counted_installed)
    monkeypatch.setattr(TemplateSet, "fingerprint", counted_fingerprint)
    generate(spec, tmp_path / "out", template_set=MINI, templates_dir=mine)
    assert (tmp_path / "out" / "README.md").read_text() == "LIGHTS!\n"  # the listed plugin was used
    assert calls == {"entry points": 1, "fingerprint": 1}
