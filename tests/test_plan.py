"""Template-set manifests, typed params, project config, and the plan (when/foreach/path)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from asyncgen.errors import TemplateError
from asyncgen.model import Api, Channel
from asyncgen.plan import canonical_hash, plan
from asyncgen.render import make_environment
from asyncgen.templateset import (
    ParamSpec,
    TemplateSetError,
    load_config,
    load_set,
    parse_param_args,
)

MINI = Path(__file__).parent / "fixtures" / "templatesets" / "mini"


def make_set(tmp_path: Path, files: list[dict[str, Any]], **extra: Any) -> Path:
    directory = tmp_path / "set"
    directory.mkdir(exist_ok=True)
    (directory / "template.yaml").write_text(yaml.safe_dump({"name": "t", "files": files, **extra}))
    for entry in files:
        (directory / entry["template"]).write_text("x\n")
    return directory


def api(*keys: str) -> Api:
    channels = tuple(Channel(k, k, k) for k in keys)
    return Api("asyncapi", "3.0.0", "T", "1", "t", channels=channels)


def context(the_api: Api, **params: Any) -> dict[str, Any]:
    return {"api": the_api, "pkg": "pkg", "params": params, "role": "app"}


def run_plan(directory: Path, ctx: dict[str, Any]) -> list[str]:
    tset = load_set(directory)
    return [str(s.path) for s in plan(tset, make_environment(tset), ctx)]


def test_when_foreach_and_paths(tmp_path: Path) -> None:
    directory = make_set(
        tmp_path,
        [
            {"template": "a.j2", "path": "{{ pkg }}/a.py"},
            {"template": "b.j2", "path": "b.txt", "when": "params.with_b"},
            {
                "template": "c.j2",
                "path": "ch/{{ item.ident }}.py",
                "foreach": "api.channels",
                "depends_on": "item",
            },
            {"template": "d.j2", "path": "d.py", "when": "api.channels | length > 5"},
        ],
    )
    assert run_plan(directory, context(api("x", "y"), with_b=True)) == [
        "pkg/a.py",
        "b.txt",
        "ch/x.py",
        "ch/y.py",
    ]
    assert run_plan(directory, context(api(), with_b=False)) == ["pkg/a.py"]


def test_item_input_keys_are_per_item(tmp_path: Path) -> None:
    directory = make_set(
        tmp_path,
        [{"template": "c.j2", "path": "{{ item.key }}", "foreach": "api.channels", "depends_on": "item"}],
    )
    tset = load_set(directory)
    specs = plan(tset, make_environment(tset), context(api("x", "y")))
    assert specs[0].input_key != specs[1].input_key and specs[0].input_key.startswith("item:")
    again = plan(tset, make_environment(tset), context(api("x", "y")))
    assert [s.input_key for s in again] == [s.input_key for s in specs]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/etc/passwd", "must be relative"),
        ("../up.py", "must be relative"),
        (".asyncgen/manifest.json", "may not write into .asyncgen/"),
        ("", "is empty"),
        ("a//b.py", "empty, '.' or space-padded"),
        ("a\\b.py", "backslash"),
    ],
)
def test_unsafe_paths_are_refused(tmp_path: Path, path: str, problem: str) -> None:
    directory = make_set(tmp_path, [{"template": "a.j2", "path": path or "{{ '' }}"}])
    with pytest.raises(TemplateError, match="files\\[0\\]") as err:
        run_plan(directory, context(api()))
    assert problem in err.value.message


def test_duplicate_paths_from_foreach_name_both_items(tmp_path: Path) -> None:
    directory = make_set(tmp_path, [{"template": "c.j2", "path": "same.py", "foreach": "api.channels"}])
    with pytest.raises(TemplateError) as err:
        run_plan(directory, context(api("x", "y")))
    assert "channel 'x'" in err.value.message and "channel 'y'" in err.value.message


def test_expression_errors_name_the_entry(tmp_path: Path) -> None:
    directory = make_set(tmp_path, [{"template": "a.j2", "path": "a", "when": "api.nonexistent.deeper"}])
    with pytest.raises(TemplateError, match=r"files\[0\].*when 'api.nonexistent.deeper' failed"):
        run_plan(directory, context(api()))
    directory = make_set(tmp_path, [{"template": "a.j2", "path": "a", "foreach": "api.title"}])
    with pytest.raises(TemplateError, match="gave str, not a list"):
        run_plan(directory, context(api()))
    directory = make_set(tmp_path, [{"template": "a.j2", "path": "{{ nope }}"}])
    with pytest.raises(TemplateError, match="'nope' is undefined"):
        run_plan(directory, context(api()))


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"files": []}, "needs 'name'"),
        ({"name": "t", "files": [{"path": "x"}]}, "needs 'template'"),
        ({"name": "t", "files": [{"template": "a", "ownership": "mine"}]}, "ownership 'mine'"),
        ({"name": "t", "files": [{"template": "a", "depends_on": "item"}]}, "depends_on"),
        ({"name": "t", "files": [{"template": "a", "colour": "red"}]}, "unknown keys colour"),
        ({"name": "t", "params": [{"name": "p", "type": "float"}]}, "type 'float'"),
        ({"name": "t", "params": [{"name": "p", "type": "choice"}]}, "needs 'choices'"),
        ({"name": "t", "params": [{"name": "p", "type": "int", "default": "x"}]}, "not a valid int"),
        ({"name": "t", "params": [{"name": "p"}, {"name": "p"}]}, "repeat"),
    ],
)
def test_bad_manifests(tmp_path: Path, manifest: dict[str, Any], message: str) -> None:
    directory = tmp_path / "set"
    directory.mkdir()
    (directory / "template.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(TemplateSetError) as err:
        load_set(directory)
    assert message in err.value.message


def test_unknown_set_lists_builtins(tmp_path: Path) -> None:
    with pytest.raises(TemplateSetError, match="unknown template set 'nope'; built-in sets:"):
        load_set("nope")
    with pytest.raises(TemplateSetError, match="not a template set"):
        load_set(tmp_path)


def test_standalone_user_set(tmp_path: Path) -> None:
    directory = make_set(tmp_path, [{"template": "a.j2"}])
    tset = load_set("t", directory)  # no built-in "t": the user's directory is the set
    assert tset.base_dir == directory and tset.user_dir is None
    assert [f.path for f in tset.files] == ["a"]


def test_param_conversion() -> None:
    flag = ParamSpec("flag", "bool", False)
    assert [flag.convert(v, "t") for v in ("yes", "0", "TRUE", True)] == [True, False, True, True]
    number = ParamSpec("n", "int", 1)
    assert number.convert(" 7 ", "t") == 7
    with pytest.raises(TemplateSetError):
        number.convert(True, "t")
    with pytest.raises(TemplateSetError):
        ParamSpec("s", "str").convert(["x"], "t")


def test_parse_param_args() -> None:
    assert parse_param_args(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(TemplateSetError, match="NAME=VALUE"):
        parse_param_args(["novalue"])


def test_params_layers_and_sources() -> None:
    tset = load_set(MINI)
    values = tset.resolve_params(("pyproject.toml", {"level": 3, "greeting": "a"}), ("-p", {"greeting": "b"}))
    assert values == {"greeting": "b", "with_readme": True, "level": 3, "flavour": "plain"}
    with pytest.raises(TemplateSetError, match=r"from pyproject\.toml: 'x' is not a valid int"):
        tset.resolve_params(("pyproject.toml", {"level": "x"}))


def test_project_config(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncgen]\nrole = "client"\npackage = "from_toml"\ntemplates = "tpl"\n'
        '[tool.asyncgen.params]\nlevel = 2\ngreeting = "toml"\n'
    )
    (tmp_path / "asyncgen.yaml").write_text(
        "package: from_yaml\nparams: {greeting: yaml}\nmap_url: {'https://x/': schemas}\n"
    )
    config = load_config(spec)
    assert config.role == "client" and config.package == "from_yaml"
    assert config.params == {"level": 2, "greeting": "yaml"}
    assert config.templates == (tmp_path / "tpl").resolve()
    assert config.map_url == (("https://x/", (tmp_path / "schemas").resolve()),)
    assert config.sources == ("pyproject.toml", "asyncgen.yaml")


def test_project_config_errors(tmp_path: Path) -> None:
    (tmp_path / "asyncgen.yaml").write_text("colour: red\n")
    with pytest.raises(TemplateSetError, match="unknown keys colour; accepted: params"):
        load_config(tmp_path / "api.yaml")
    (tmp_path / "asyncgen.yaml").write_text("params: [1]\n")
    with pytest.raises(TemplateSetError, match="'params' must be a mapping"):
        load_config(tmp_path / "api.yaml")
    assert load_config(tmp_path / "elsewhere" / "api.yaml").params == {}


def test_canonical_hash() -> None:
    assert canonical_hash(api("x")) == canonical_hash(api("x"))
    assert canonical_hash(api("x")) != canonical_hash(api("y"))
    assert canonical_hash({"a": 1, "b": 2}) != canonical_hash({"b": 2, "a": 1})  # spec order matters
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    assert canonical_hash(cyclic) is None
    assert canonical_hash(object()) is None
    assert canonical_hash(PurePosixPath("x")) is None


def test_canonical_hash_ignores_source_locations() -> None:
    from dataclasses import replace

    from asyncgen.errors import Location

    channel = Channel("x", "x", "x", location=Location("a.yaml", 10, 3, "/channels/x"))
    moved = replace(channel, location=Location("a.yaml", 12, 3, "/channels/x"))
    assert canonical_hash(channel) == canonical_hash(moved)
    assert canonical_hash(channel) != canonical_hash(replace(channel, description="d"))


def test_manifest_expressions_are_compiled_once_then_taken_from_the_bytecode_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ASYNCGEN_NO_CACHE", raising=False)
    monkeypatch.delenv("ASYNCGEN_TEMPLATE_CACHE", raising=False)
    files = [
        {"template": "a.j2", "path": "{{ pkg }}/a.py"},
        {"template": "b.j2", "path": "b.txt", "when": "params.with_b"},
        {"template": "c.j2", "path": "ch/{{ item.ident }}.py", "foreach": "api.channels"},
    ]
    directory = make_set(tmp_path, files)
    ctx = context(api("x", "y"), with_b=True)
    assert run_plan(directory, ctx) == ["pkg/a.py", "b.txt", "ch/x.py", "ch/y.py"]
    codes = list((tmp_path / "cache" / "asyncgen" / "templates").glob("*.codes"))
    assert len(codes) == 1

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled again")

    with monkeypatch.context() as patch:  # a new environment (a new run): nothing compiled
        patch.setattr(jinja2.Environment, "compile", refuse)
        assert run_plan(directory, context(api("z"), with_b=False)) == ["pkg/a.py", "ch/z.py"]

    # an edited expression is another manifest: compiled anew, never the old code
    files[1]["when"] = "not params.with_b"
    make_set(tmp_path, files)
    assert run_plan(directory, ctx) == ["pkg/a.py", "ch/x.py", "ch/y.py"]
    assert len(list(codes[0].parent.glob("*.codes"))) == 2
    # a damaged or foreign file is ignored (compiled again, and rewritten)
    for damaged in (
        b"",
        b"asyncgen manifest codes 1\n\x00garbage",
        b"asyncgen manifest codes 1\n" + b"\xe9" * 9,
    ):
        for path in codes[0].parent.glob("*.codes"):
            path.write_bytes(damaged)
        assert run_plan(directory, ctx) == ["pkg/a.py", "ch/x.py", "ch/y.py"]
    with monkeypatch.context() as patch:
        patch.setattr(jinja2.Environment, "compile", refuse)
        assert run_plan(directory, ctx) == ["pkg/a.py", "ch/x.py", "ch/y.py"]
    # errors are reported as without the cache
    files[1]["when"] = "params.with_b )"
    make_set(tmp_path, files)
    with pytest.raises(TemplateError, match="when"):
        run_plan(directory, ctx)
