"""The engine end to end on a tiny template set and hand-built Apis (no spec parsing).

Override chain, extend-and-override, determinism, --check, hand-edit protection,
user files, stale files, atomicity, incremental regeneration, eject, CLI commands.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import project_cache
from project_support import tree_bytes

from asyncgen import render as render_module
from asyncgen.cli import main
from asyncgen.errors import OutputConflict, TemplateError
from asyncgen.generate import FORMAT_CACHE, GenerateResult, generate_from_api
from asyncgen.model import Api, Channel, Message, Operation, SchemaDef
from asyncgen.templateset import TemplateSetError, eject

MINI = Path(__file__).parent / "fixtures" / "templatesets" / "mini"
SOURCES = {"/specs/api.yaml": b"asyncapi: 3.0.0\n# the contract\n"}


def make_api(*channel_keys: str, title: str = 'Lights "API"') -> Api:
    payload = SchemaDef(
        "LightMeasured",
        {"type": "object", "properties": {"id": {"type": "integer"}, "sentAt": {"type": "string"}}},
    )
    message = Message("lightMeasured", "light_measured", "LightMeasured", payload=payload)
    channels = tuple(
        Channel(
            key, key.replace("-", "_"), f"{key}/{{id}}", messages=(message,), description=f"The {key} channel"
        )
        for key in channel_keys or ("lights", "dim")
    )
    operations = (
        Operation("onLights", "on_lights", "receive", channels[0], (message,)),
        Operation("sendDim", "send_dim", "send", channels[-1], (message,)),
    )
    return Api(
        "asyncapi",
        "3.0.0",
        title,
        "1.0.0",
        "lights",
        channels=channels,
        operations=operations,
        schemas=(payload,),
    )


def run(api: Api, out: Path, **kwargs: object) -> GenerateResult:
    kwargs.setdefault("template_set", MINI)
    kwargs.setdefault("sources", SOURCES)
    return generate_from_api(api, out, **kwargs)  # type: ignore[arg-type]


def test_generates_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(make_api(), out)
    files = tree_bytes(out)
    assert sorted(files) == [  # no cache in the output: they live in the private cache folder
        ".asyncgen/manifest.json",
        "README.md",
        "lights/__init__.py",
        "lights/channels/dim.py",
        "lights/channels/lights.py",
        "lights/handlers.py",
        "lights/models.py",
        "lights/sends.py",
        "spec/api.yaml",
    ]
    assert files["spec/api.yaml"] == SOURCES["/specs/api.yaml"]
    assert result.written and not result.unchanged
    init = files["lights/__init__.py"].decode()
    assert init == '"""Lights \\"API\\x22"""\n\nGREETING = "hello"\n'
    channel = files["lights/channels/lights.py"].decode()
    assert "# generated for lights" in channel and 'ADDRESS = "lights/{id}"' in channel
    assert "class LightMeasured(BaseModel):" in files["lights/models.py"].decode()
    manifest = json.loads(files[".asyncgen/manifest.json"])
    assert manifest["files"]["lights/handlers.py"]["ownership"] == "user"
    assert manifest["params"] == {"flavour": "plain", "greeting": "hello", "level": 1, "with_readme": True}
    assert "/specs" not in files[".asyncgen/manifest.json"].decode()  # no absolute paths


def test_when_and_params(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out, params={"with_readme": "no", "greeting": "hi"})
    assert not (out / "README.md").exists()
    assert 'GREETING = "hi"' in (out / "lights/__init__.py").read_text()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"nope": "1"}, "unknown parameter 'nope'"),
        ({"level": "high"}, "'high' is not a valid int"),
        ({"with_readme": "maybe"}, "accepted: true/1/yes/on or false/0/no/off"),
        ({"flavour": "spicy"}, "choose one of: plain, fancy"),
    ],
)
def test_param_errors(tmp_path: Path, params: dict[str, str], expected: str) -> None:
    with pytest.raises(TemplateSetError) as err:
        run(make_api(), tmp_path / "out", params=params)
    assert expected in err.value.message
    if "unknown" in expected:
        assert "greeting (str, default 'hello'): What every module says" in err.value.message
    else:
        assert "\n  accepted: " in err.value.message  # name, type, default (and choices)
    assert not (tmp_path / "out").exists()


def test_determinism_across_directories(tmp_path: Path) -> None:
    run(make_api(), tmp_path / "a")
    run(make_api(), tmp_path / "b" / "nested")
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b" / "nested")


def test_black_and_ruff_give_the_same_tree(tmp_path: Path) -> None:
    run(make_api(), tmp_path / "ruff", formatter="ruff")
    run(make_api(), tmp_path / "black", formatter="black")
    ruff_tree, black_tree = tree_bytes(tmp_path / "ruff"), tree_bytes(tmp_path / "black")
    formats = []
    for manifest in (ruff_tree, black_tree):
        data = json.loads(manifest.pop(".asyncgen/manifest.json"))
        assert data["formatter"] in ("ruff", "black")
        formats.append(json.loads((project_cache(tmp_path / data["formatter"]) / FORMAT_CACHE).read_text()))
    assert ruff_tree == black_tree
    # the format caches differ only in who formatted (same texts, same formatted bytes)
    assert [f["formatter"].split()[0] for f in formats] == ["ruff", "black"]
    assert formats[0]["files"] == formats[1]["files"] and formats[0]["files"]


def test_override_one_file(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "README.md.j2").write_text("custom readme for {{ api.title }}\n")
    out = tmp_path / "out"
    run(make_api(), out, templates_dir=user)
    assert (out / "README.md").read_text() == 'custom readme for Lights "API"\n'
    assert "# generated for lights" in (out / "lights/channels/lights.py").read_text()


def test_extend_and_override_one_block(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "channel.py.j2").write_text(
        "{% extends 'builtin:channel.py.j2' %}\n"
        "{% block doc %}Overridden {{ item.key|docstring }}{% endblock %}\n"
    )
    out = tmp_path / "out"
    run(make_api(), out, templates_dir=user)
    text = (out / "lights/channels/lights.py").read_text()
    assert '"""Overridden lights"""' in text
    assert 'NAME = "lights"' in text  # the rest of the built-in template still renders


def test_import_through_the_chain(tmp_path: Path) -> None:
    """A built-in template's {% import %} picks up the user's macro file."""
    user = tmp_path / "mine"
    user.mkdir()
    (user / "_macros.j2").write_text(
        "{% macro header(text) -%}\n# CUSTOM {{ text|comment }}\n{%- endmacro %}\n"
    )
    out = tmp_path / "out"
    run(make_api(), out, templates_dir=user)
    assert "# CUSTOM generated for lights" in (out / "lights/channels/lights.py").read_text()


def test_undefined_variable_points_at_template_line_and_element(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "_macros.j2").write_text(
        "{% macro header(text) -%}\n# {{ text }}\n{{ no_such_thing }}\n{%- endmacro %}\n"
    )
    with pytest.raises(TemplateError) as err:
        run(make_api(), tmp_path / "out", templates_dir=user)
    message = err.value.message
    assert f"{user / '_macros.j2'}:3: undefined variable: 'no_such_thing' is undefined" in message
    assert "channel 'lights'" in message
    assert "included from" in message and "base.py.j2:2" in message
    assert not (tmp_path / "out").exists()


def test_syntax_error_points_at_template_line(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "sends.py.j2").write_text("ok\n{% for x in %}\n")
    with pytest.raises(TemplateError, match=r"sends\.py\.j2:2: template syntax error"):
        run(make_api(), tmp_path / "out", templates_dir=user)


def test_exception_inside_template_is_a_template_error(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "sends.py.j2").write_text("x = {{ api|py_literal }}\n")
    with pytest.raises(TemplateError, match=r"sends\.py\.j2:1: TypeError: py_literal: Api is not JSON-like"):
        run(make_api(), tmp_path / "out", templates_dir=user)


def test_duplicate_output_paths_name_both_entries(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    manifest = (MINI / "template.yaml").read_text().replace('"{{ pkg }}/sends.py"', "README.md")
    (user / "template.yaml").write_text(manifest)
    with pytest.raises(TemplateError) as err:
        run(make_api(), tmp_path / "out", templates_dir=user)
    assert "files[0] (template 'README.md.j2'" in err.value.message
    assert "files[5] (template 'sends.py.j2'" in err.value.message


def test_check_clean_and_drifted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    before = tree_bytes(out)
    clean = run(make_api(), out, check=True)
    assert clean.drift == [] and clean.ok
    drifted = run(make_api("lights", "bright"), out, check=True)
    assert tree_bytes(out) == before  # check writes nothing
    kinds = {d.path: d.kind for d in drifted.drift}
    assert kinds == {"lights/channels/bright.py": "missing", "lights/channels/dim.py": "stale",
                     "lights/sends.py": "changed"}  # fmt: skip
    assert not drifted.ok
    assert "+++ b/lights/sends.py" in next(d.diff for d in drifted.drift if d.path == "lights/sends.py")


def test_hand_edit_is_refused_then_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    edited = out / "lights/sends.py"
    edited.write_text(edited.read_text() + "# my change\n")
    with pytest.raises(OutputConflict) as err:
        run(make_api("lights", "bright"), out)
    assert "lights/sends.py" in err.value.message and "-# my change" in err.value.message
    assert "# my change" in edited.read_text()
    assert not (out / "lights/channels/bright.py").exists()  # nothing written at all
    result = run(make_api("lights", "bright"), out, force=True)
    assert result.forced == ["lights/sends.py"]
    assert "# my change" not in edited.read_text()


def test_unchanged_regeneration_keeps_identical_hand_edit_free_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    again = run(make_api(), out)
    assert again.written == [] and again.removed == []


def test_user_file_survives_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    handlers = out / "lights/handlers.py"
    handlers.write_text("# mine\n")
    result = run(make_api("lights", "bright"), out, force=True, params={"greeting": "changed"})
    assert handlers.read_text() == "# mine\n"
    assert "lights/handlers.py" in result.skipped
    handlers.unlink()
    run(make_api(), out)
    assert "async def on_on_lights" in handlers.read_text()  # re-created when missing


def test_stale_files_removed_only_when_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api("lights", "dim", "gone", "kept"), out)
    (out / "lights/channels/kept.py").write_text("# edited\n")
    result = run(make_api("lights", "dim"), out)
    assert result.removed == ["lights/channels/gone.py"]
    assert result.stale_kept == ["lights/channels/kept.py"]
    assert not (out / "lights/channels/gone.py").exists()
    assert (out / "lights/channels/kept.py").read_text() == "# edited\n"


def test_failed_render_leaves_previous_output_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    before = tree_bytes(out)
    calls = {"n": 0}
    real = render_module.render_one

    def flaky(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise TemplateError("simulated failure mid-render")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render_module, "render_one", flaky)
    with pytest.raises(TemplateError, match="simulated"):
        run(make_api("lights", "other"), out, params={"greeting": "new"})
    assert tree_bytes(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging directory left behind


def test_failed_first_generation_leaves_no_directory(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "sends.py.j2").write_text("def broken(:\n")  # not Python: the formatter refuses it
    with pytest.raises(Exception, match=r"sends\.py"):
        run(make_api(), tmp_path / "out", templates_dir=user)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_incremental_rerenders_only_the_changed_channel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run(make_api("lights", "dim", "third"), out)
    assert len(first.rendered) == 8 and first.reused == []
    second = run(make_api("lights", "dim", "third"), out)
    assert second.rendered == [] and second.models_cached
    api = make_api("lights", "dim", "third")
    changed = replace(api.channels[1], description="The dim channel, now documented differently")
    api = replace(api, channels=(api.channels[0], changed, api.channels[2]))
    third = run(api, out)
    rendered = set(third.rendered)
    assert "lights/channels/dim.py" in rendered
    assert not {"lights/channels/lights.py", "lights/channels/third.py"} & rendered
    assert "lights/sends.py" in rendered  # depends on the whole spec
    assert "Now documented" not in (out / "lights/channels/dim.py").read_text()
    assert "now documented differently" in (out / "lights/channels/dim.py").read_text()


def test_incremental_ignores_a_tampered_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(make_api(), out)
    target = out / "lights/channels/dim.py"
    target.write_text("# hand edit\n")
    result = run(make_api(), out, check=True)
    assert [(d.path, d.kind) for d in result.drift] == [("lights/channels/dim.py", "edited")]


def test_eject_then_generate_gives_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "builtin"
    shutil.copytree(MINI, root / "mini")
    monkeypatch.setattr("asyncgen.resources.builtin_root", lambda: root)
    ejected = tmp_path / "ejected"
    copied = eject("mini", ejected)
    assert "template.yaml" in copied and "pkg/__init__.py.j2" in copied
    with pytest.raises(TemplateSetError, match="not overwriting"):
        eject("mini", ejected, ["README.md.j2"])
    run(make_api(), tmp_path / "a", template_set="mini")
    run(make_api(), tmp_path / "b", template_set="mini", templates_dir=ejected)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    with pytest.raises(TemplateSetError, match="has no file"):
        eject("mini", tmp_path / "x", ["nope.j2"])


def test_cli_templates_list_and_eject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "builtin"
    shutil.copytree(MINI, root / "mini")
    monkeypatch.setattr("asyncgen.resources.builtin_root", lambda: root)
    listed = CliRunner().invoke(main, ["templates", "list"])
    assert listed.exit_code == 0, listed.output
    assert "mini: Tiny template set" in listed.output
    assert "{{ pkg }}/handlers.py" in listed.output and "user" in listed.output
    assert "-p flavour (choice, default 'plain') one of plain, fancy" in listed.output
    as_json = CliRunner().invoke(main, ["templates", "list", "--format", "json"])
    assert json.loads(as_json.output)[0]["name"] == "mini"
    ejected = CliRunner().invoke(
        main, ["templates", "eject", "mini", str(tmp_path / "e"), "--file", "sends.py.j2"]
    )
    assert ejected.exit_code == 0, ejected.output
    assert (tmp_path / "e/sends.py.j2").read_bytes() == (MINI / "sends.py.j2").read_bytes()
    again = CliRunner().invoke(
        main, ["templates", "eject", "mini", str(tmp_path / "e"), "--file", "sends.py.j2"]
    )
    assert again.exit_code == 2 and "not overwriting" in again.output


SPEC = """\
asyncapi: 3.0.0
info:
  title: Tiny Lights
  version: 1.0.0
channels:
  lights:
    address: lights/{id}
    parameters:
      id: {}
    messages:
      measured:
        $ref: '#/components/messages/measured'
operations:
  onMeasured:
    action: receive
    channel:
      $ref: '#/channels/lights'
components:
  messages:
    measured:
      payload:
        $ref: 'schemas/light.yaml'
"""
SCHEMA = """\
type: object
properties:
  lumens: {type: integer}
"""


def write_spec(folder: Path) -> Path:
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "light.yaml").write_text(SCHEMA)
    spec = folder / "api.yaml"
    spec.write_text(SPEC)
    return spec


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_generate_check_and_json(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "out"
    code, _, err = cli(
        "generate", str(spec), "-o", str(out), "--template-set", str(MINI), "-p", "greeting=hey"
    )
    assert code == 0, err
    assert "written" in err
    assert (out / "spec/api.yaml").read_text() == SPEC
    assert (out / "spec/schemas/light.yaml").read_text() == SCHEMA
    assert 'GREETING = "hey"' in (out / "tiny_lights/__init__.py").read_text()
    # optional, not nullable: None is left out of the JSON (schemas.omit_none)
    assert (
        "lumens: Annotated[int | None, Field(exclude_if=lambda v: v is None)] = None"
        in (out / "tiny_lights/models.py").read_text()
    )

    args = (
        "generate",
        str(spec),
        "-o",
        str(out),
        "--template-set",
        str(MINI),
        "-p",
        "greeting=hey",
        "--check",
    )
    code, stdout, err = cli(*args)
    assert code == 0 and "up to date" in err and stdout == ""
    code, stdout, err = cli(*args[:-2], "greeting=changed", "--check")
    assert code == 1
    assert '-GREETING = "hey"' in stdout and '+GREETING = "changed"' in stdout
    code, stdout, _ = cli(*args[:-2], "greeting=changed", "--check", "--format", "json")
    report = json.loads(stdout)
    assert code == 1 and report["ok"] is False
    assert [d["path"] for d in report["drift"]] == ["README.md", "tiny_lights/__init__.py"]


def test_cli_errors_exit_2(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "out"
    code, _, err = cli("generate", str(spec), "-o", str(out), "--template-set", str(MINI), "-p", "level=x")
    assert code == 2 and "'x' is not a valid int" in err and "Traceback" not in err
    code, stdout, _ = cli(
        "generate", str(spec), "-o", str(out), "--template-set", str(MINI), "-p", "nope=1", "--format", "json"
    )
    assert code == 2 and "unknown parameter 'nope'" in json.loads(stdout)["errors"][0]["message"]
    assert not out.exists()


def test_settings_from_asyncgen_yaml_and_pyproject(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    (spec.parent / "pyproject.toml").write_text(
        '[tool.asyncgen]\npackage = "from_toml"\n[tool.asyncgen.params]\nlevel = 5\n'
    )
    (spec.parent / "asyncgen.yaml").write_text("params:\n  greeting: from-yaml\n  with_readme: false\n")
    out = tmp_path / "out"
    code, _, err = cli(
        "generate", str(spec), "-o", str(out), "--template-set", str(MINI), "-p", "with_readme=yes"
    )
    assert code == 0, err
    assert 'GREETING = "from-yaml"' in (out / "from_toml/__init__.py").read_text()
    assert "level 5" in (out / "README.md").read_text()  # -p with_readme=yes beat the yaml's false
    manifest = json.loads((out / ".asyncgen/manifest.json").read_text())
    assert manifest["params"]["level"] == 5 and manifest["package"] == "from_toml"


def test_no_change_run_skips_the_whole_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "out"
    from asyncgen.generate import generate

    first = generate(spec, out, template_set=MINI)
    assert not first.up_to_date

    def no_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("load() must not run")

    monkeypatch.setattr("asyncgen.load.load", no_load)
    again = generate(spec, out, template_set=MINI)
    assert again.up_to_date and again.written == [] and again.rendered == []
    monkeypatch.undo()

    spec.write_text(SPEC.replace("version: 1.0.0", "version: 1.0.1"))
    changed = generate(spec, out, template_set=MINI)
    assert not changed.up_to_date and changed.written == ["spec/api.yaml"]
    assert set(changed.rendered) >= {"tiny_lights/models.py", "tiny_lights/__init__.py"}
    assert "tiny_lights/channels/lights.py" not in changed.rendered  # its channel did not change
    (spec.parent / "schemas" / "light.yaml").write_text(SCHEMA + "  color: {type: string}\n")
    changed = generate(spec, out, template_set=MINI)
    assert changed.written == ["spec/schemas/light.yaml", "tiny_lights/models.py"]
    assert "tiny_lights/channels/lights.py" in changed.rendered  # its message's schema changed

    assert generate(spec, out, template_set=MINI).up_to_date
    assert not generate(spec, out, template_set=MINI, params={"level": "2"}).up_to_date
    (out / "tiny_lights" / "__init__.py").write_text("# edited\n")
    with pytest.raises(OutputConflict):
        generate(spec, out, template_set=MINI, params={"level": "2"})


def test_cli_filters_file(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    house = tmp_path / "house.py"
    house.write_text("FILTERS = {'py_literal': lambda v: repr(str(v).upper())}\n")
    out = tmp_path / "out"
    args = ["generate", str(spec), "-o", str(out), "--template-set", str(MINI), "--filters", str(house)]
    code, _, err = cli(*args)
    assert code == 0, err
    assert "GREETING = 'HELLO'" in (out / "tiny_lights/__init__.py").read_text().replace('"', "'")
    house.write_text("FILTERS = {'py_literal': lambda v: repr(str(v).lower())}\n")
    code, _, err = cli(*args)  # a changed filter file is a changed input
    assert code == 0, err
    assert "GREETING = 'hello'" in (out / "tiny_lights/__init__.py").read_text().replace('"', "'")


def test_byte_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    spec = write_spec(tmp_path / "spec")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = ["generate", str(spec), "-o", str(tmp_path / seed), "--template-set", str(MINI)]
        proc = subprocess.run(
            [sys.executable, "-m", "asyncgen", *command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert proc.returncode == 0, proc.stderr
    assert tree_bytes(tmp_path / "1") == tree_bytes(tmp_path / "2")


def test_fail_on_warning_covers_engine_warnings(tmp_path: Path) -> None:
    from asyncgen.errors import SpecErrors

    api = make_api()
    noisy = replace(api, schemas=(SchemaDef("Bad", {"type": "boolean", "default": "false"}), *api.schemas))
    out = tmp_path / "out"
    result = run(noisy, out)
    assert [w.message for w in result.warnings] == [
        "default 'false' at #/$defs/Bad does not fit type boolean; ignored"
    ]
    with pytest.raises(SpecErrors):
        run(noisy, tmp_path / "strict", fail_on_warning=True)
    assert not (tmp_path / "strict").exists()
