"""Hostile and awkward spec text still gives a valid, working service.

A 2.6 spec (publish/subscribe translated to receive/send) whose title,
descriptions, ids, enum values, parameter names and examples carry quotes,
triple quotes, backslashes, ``{{``/``{%``, newlines, Python keywords and code:
the project must pass ruff, mypy --strict and its own tests, and none of that
text may become code. Then regeneration keeps the user's ``handlers.py``.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("faststream")

from test_service_brokers import check_project, generate_project

FIXTURES = Path(__file__).parent / "fixtures" / "service"


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("evil")
    return out, generate_project((FIXTURES / "evil-2.6.yaml").read_text(), out)


def test_awkward_spec_gives_a_valid_working_project(evil: tuple[Path, str]) -> None:
    out, package = evil
    check_project(out, package)


def test_spec_text_never_becomes_code(evil: tuple[Path, str]) -> None:
    out, package = evil
    for path in sorted((out / package).glob("*.py")) + sorted((out / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"__import__", "exit", "eval", "exec"}, (path, ast.unparse(node))
            if isinstance(node, ast.Attribute):
                assert node.attr != "system", (path, ast.unparse(node))


def test_regeneration_keeps_user_handlers(tmp_path: Path) -> None:
    first = textwrap.dedent(
        """\
        asyncapi: 3.0.0
        info: {title: Keep, version: 1.0.0}
        servers:
          dev: {host: localhost, protocol: nats}
        channels:
          a:
            address: a.events
            messages:
              m: {payload: {type: object, properties: {n: {type: integer}}}}
          b:
            address: b.events
            messages:
              m: {payload: {type: object, properties: {s: {type: string}}}}
        operations:
          onA:
            action: receive
            channel: {$ref: '#/channels/a'}
        """
    )
    package = generate_project(first, tmp_path)
    handlers = tmp_path / package / "handlers.py"
    mine = handlers.read_text().replace('"%s: received %s"', '"MINE %s %s"')
    handlers.write_text(mine)
    second = first + "  onB:\n    action: receive\n    channel: {$ref: '#/channels/b'}\n"
    generate_project(second, tmp_path)
    assert handlers.read_text() == mine  # never touched
    generated = (tmp_path / package / "handlers_generated.py").read_text()
    assert "async def on_on_b(" in generated  # the new operation's default stub
    assert "async def on_on_b(" not in mine
    check_project(tmp_path, package)


@pytest.mark.parametrize(("protocol", "role"), [("evil", "app"), ("kafka", "client"), ("ws", "client")])
def test_ruff_and_black_format_the_templates_identically(protocol: str, role: str, tmp_path: Path) -> None:
    import yaml
    from test_service_brokers import spec_yaml

    from asyncgen.generate import generate_from_api
    from asyncgen.load import load_data
    from asyncgen.parse import parse

    text = (FIXTURES / "evil-2.6.yaml").read_text() if protocol == "evil" else spec_yaml(protocol)
    trees = {}
    for formatter in ("ruff", "black"):
        api = parse(load_data(yaml.safe_load(text), "inline.yaml"))
        out = tmp_path / formatter
        generate_from_api(api, out, role=role, formatter=formatter)
        trees[formatter] = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*.py"))
            if ".asyncgen" not in p.parts
        }
    assert trees["ruff"].keys() == trees["black"].keys()
    for path, text_ruff in trees["ruff"].items():
        assert text_ruff == trees["black"][path], path
