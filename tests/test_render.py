"""The render environment: strictness, the loader chain, located errors, reuse."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from asyncgen.errors import TemplateError
from asyncgen.generate import build_template_context
from asyncgen.model import Api, Channel
from asyncgen.render import TemplateRenderError, file_input_hash, make_environment, render
from asyncgen.schemas import ModelsModule
from asyncgen.templateset import load_set

P = PurePosixPath


def make_set(root: Path, templates: dict[str, str], files: list[dict[str, Any]], **extra: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(
        yaml.safe_dump({"name": "t", "files": files, "context": "none", **extra})
    )
    for name, text in templates.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def api(*keys: str, title: str = "T") -> Api:
    return Api("asyncapi", "3.0.0", title, "1", "t", channels=tuple(Channel(k, k, k) for k in keys))


def ctx(the_api: Api) -> dict[str, Any]:
    return {"api": the_api, "pkg": "pkg", "params": {}, "role": "app"}


def test_strict_undefined_and_trailing_newline(tmp_path: Path) -> None:
    root = make_set(tmp_path / "s", {"a.j2": "{{ api.title }}\n"}, [{"template": "a.j2", "path": "a"}])
    out = render(load_set(root), ctx(api()))
    assert out[P("a")].text == "T\n"
    (root / "a.j2").write_text("{{ api.nothing }}")
    with pytest.raises(TemplateRenderError) as err:
        render(load_set(root), ctx(api()))
    assert err.value.template == str(root / "a.j2") and err.value.line == 1
    assert "has no attribute 'nothing'" in err.value.message


def test_no_autoescape_for_code_unless_the_manifest_asks(tmp_path: Path) -> None:
    templates = {"a.j2": "{{ api.title }}"}
    code = make_set(tmp_path / "code", templates, [{"template": "a.j2", "path": "a"}])
    assert render(load_set(code), ctx(api(title="<b>&</b>")))[P("a")].text == "<b>&</b>"
    html = make_set(tmp_path / "html", templates, [{"template": "a.j2", "path": "a"}], autoescape=True)
    assert render(load_set(html), ctx(api(title="<b>&</b>")))[P("a")].text == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_fail_global_refuses_with_the_template_line(tmp_path: Path) -> None:
    root = make_set(
        tmp_path / "s",
        {"a.j2": "ok\n{% if not api.channels %}{{ fail('this set needs a channel') }}{% endif %}\n"},
        [{"template": "a.j2", "path": "a"}],
    )
    with pytest.raises(TemplateError, match=r"a\.j2:2: GenerationError: this set needs a channel"):
        render(load_set(root), ctx(api()))


def test_missing_template_lists_the_chain(tmp_path: Path) -> None:
    root = make_set(tmp_path / "s", {}, [{"template": "gone.j2", "path": "a"}])
    with pytest.raises(TemplateError, match=r"template 'gone\.j2' not found \(manifest files\[0\]"):
        render(load_set(root), ctx(api()))


def test_include_and_builtin_prefix(tmp_path: Path) -> None:
    base = make_set(
        tmp_path / "base",
        {"page.j2": "[{% block body %}base{% endblock %}|{% include '_part.j2' %}]\n", "_part.j2": "part"},
        [{"template": "page.j2", "path": "page"}],
    )
    user = tmp_path / "user"
    user.mkdir()
    (user / "_part.j2").write_text("USER PART")
    (user / "page.j2").write_text(
        "{% extends 'builtin:page.j2' %}{% block body %}mine+{{ super() }}{% endblock %}"
    )
    out = render(load_set(base, user), ctx(api()))
    assert out[P("page")].text == "[mine+base|USER PART]\n"


def test_error_in_foreach_item_names_the_element(tmp_path: Path) -> None:
    root = make_set(
        tmp_path / "s",
        {"c.j2": "{{ item.key }}\n{{ 1 // (item.key != 'bad') }}\n"},
        [{"template": "c.j2", "path": "{{ item.key }}.py", "foreach": "api.channels"}],
    )
    with pytest.raises(TemplateError) as err:
        render(load_set(root), ctx(api("good", "bad")))
    assert "c.j2:2: ZeroDivisionError" in err.value.message
    assert "channel 'bad'" in err.value.message and "output 'bad.py'" in err.value.message


def test_reuse_skips_rendering(tmp_path: Path) -> None:
    root = make_set(
        tmp_path / "s",
        {"c.j2": "{{ item.key }}\n", "a.j2": "all\n"},
        [
            {"template": "a.j2", "path": "a"},
            {"template": "c.j2", "path": "{{ item.key }}", "foreach": "api.channels", "depends_on": "item"},
        ],
    )
    tset = load_set(root)
    first = render(tset, ctx(api("x", "y")), base_hash="b1", item_base_hash="i1")
    hashes = {p: r.input_hash for p, r in first.items()}
    second = render(tset, ctx(api("x", "y")), base_hash="b2", item_base_hash="i1")
    assert second[P("x")].input_hash == hashes[P("x")]  # the item files ignore the spec-wide hash
    assert second[P("a")].input_hash != hashes[P("a")]
    reused = render(
        tset,
        ctx(api("x", "y")),
        base_hash="b1",
        item_base_hash="i1",
        reuse=lambda path, h: "from disk\n" if hashes.get(path) == h else None,
    )
    assert all(r.reused and r.text == "from disk\n" for r in reused.values())


def test_input_hash_covers_path_and_template(tmp_path: Path) -> None:
    root = make_set(tmp_path / "s", {"a.j2": "x"}, [{"template": "a.j2", "path": "a"}])
    tset = load_set(root)
    from asyncgen.plan import plan

    (spec,) = plan(tset, make_environment(tset), ctx(api()))
    assert file_input_hash("b", spec) == file_input_hash("b", spec)
    assert file_input_hash("b", spec) != file_input_hash("c", spec)


def test_context_keeps_the_engine_keys(tmp_path: Path) -> None:
    root = make_set(tmp_path / "s", {}, [])
    models = ModelsModule("code\n")
    context = build_template_context(
        load_set(root), api(), role="client", server=None, package="p", params={"a": 1}, models=models
    )
    assert set(context) == {"api", "pkg", "params", "role", "models", "asyncgen_version"}
    assert context["role"] == "client" and context["models"] is models


def test_fingerprint_changes_with_any_template(tmp_path: Path) -> None:
    root = make_set(tmp_path / "s", {"a.j2": "x", "_macro.j2": "m"}, [{"template": "a.j2", "path": "a"}])
    before = load_set(root).fingerprint()
    (root / "_macro.j2").write_text("m2")
    assert load_set(root).fingerprint() != before


def test_user_filters_and_tests(tmp_path: Path) -> None:
    from asyncgen.render import load_user_extensions

    module = tmp_path / "house.py"
    module.write_text(
        "def shout(text):\n    return str(text).upper()\n\n"
        "def short(text):\n    return len(str(text)) < 3\n\n"
        "FILTERS = {'shout': shout}\nTESTS = {'short': short}\n"
    )
    root = make_set(
        tmp_path / "s",
        {"a.j2": "{{ api.title|shout }} {{ 'yes' if api.title is short else 'no' }}\n"},
        [{"template": "a.j2", "path": "a"}],
    )
    tset = load_set(root)
    extensions = load_user_extensions(module)
    out = render(tset, ctx(api(title="ab")), env=make_environment(tset, extensions))
    assert out[P("a")].text == "AB yes\n"
    (tmp_path / "bad.py").write_text("FILTERS = {'x': 1}\n")
    with pytest.raises(TemplateError, match="FILTERS must be a dict of name -> callable"):
        load_user_extensions(tmp_path / "bad.py")
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(TemplateError, match="importing it failed: RuntimeError: boom"):
        load_user_extensions(tmp_path / "broken.py")
    (tmp_path / "empty.py").write_text("X = 1\n")
    with pytest.raises(TemplateError, match="neither FILTERS nor TESTS"):
        load_user_extensions(tmp_path / "empty.py")


def test_preloading_gives_the_same_files_and_leaves_errors_to_render(tmp_path: Path) -> None:
    """``preload`` (a cold run: while dcg runs in its worker) only loads and compiles ahead."""
    from asyncgen.render import preload

    files = [
        {"template": "a.j2", "path": "{{ api.package }}/a.py", "when": "api.channels"},
        {"template": "c.j2", "path": "{{ item.key }}.txt", "foreach": "api.channels"},
    ]
    root = make_set(tmp_path / "s", {"a.j2": "{{ api.title }}\n", "c.j2": "{{ item.key }}\n"}, files)
    tset = load_set(root)
    env = make_environment(tset)
    preload(tset, env)
    assert {t.name for t in env.cache.values()} == {"a.j2", "c.j2"}  # type: ignore[union-attr]
    assert render(tset, ctx(api("x", "y")), env=env) == render(tset, ctx(api("x", "y")))
    broken = [
        ({"a.j2": "{% if %}\n"}, {"template": "a.j2", "path": "a"}),
        ({"a.j2": "a\n"}, {"template": "a.j2", "path": "a", "when": "api.(("}),
        ({"a.j2": "a\n"}, {"template": "a.j2", "path": "{{ api.title"}),
        ({}, {"template": "gone.j2", "path": "a"}),
    ]
    for i, (templates, entry) in enumerate(broken):
        bad = load_set(make_set(tmp_path / f"bad{i}", templates, [entry]))
        with pytest.raises(TemplateError) as plain:
            render(bad, ctx(api("x")))
        env = make_environment(bad)
        preload(bad, env)
        with pytest.raises(TemplateError) as preloaded:
            render(bad, ctx(api("x")), env=env)
        assert preloaded.value.message == plain.value.message
