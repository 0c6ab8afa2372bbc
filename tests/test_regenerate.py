"""Incremental regeneration (format cache, examples cache, models cache, dcg worker) == a cold run.

Random edits of a synthetic spec, one after the other on the same output: after each,
the incremental output tree (engine files included) must equal a cold generation of the
same spec byte for byte. Never judged by timing.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import project_cache

from asyncgen.generate import FORMAT_CACHE, generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synth import synth_spec

Doc = dict[str, Any]


def _tree(root: Path) -> dict[str, bytes]:
    """Every file's bytes; user-owned files (written once, never again) only by name."""
    files = json.loads((root / ".asyncgen/manifest.json").read_text())["files"]
    user = {name for name, record in files.items() if record["ownership"] == "user"}
    return {
        name: b"(user-owned)" if name in user else p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and (name := str(p.relative_to(root)))
    }


def _recorded_hashes_hold(root: Path) -> bool:
    """Every generated file's bytes hash to what the manifest records (the run passes hashes it
    already made on to the manifest instead of hashing again)."""
    import hashlib

    files = json.loads((root / ".asyncgen/manifest.json").read_text())["files"]
    return all(
        hashlib.sha256((root / name).read_bytes()).hexdigest() == record["sha256"]
        for name, record in files.items()
        if record["ownership"] != "user"
    )


def _schemas(doc: Doc) -> dict[str, Any]:
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def _edits(rng: random.Random) -> list[tuple[str, Callable[[Doc], None]]]:
    def pick(doc: Doc) -> dict[str, Any]:
        name = rng.choice(sorted(_schemas(doc)))
        schema: dict[str, Any] = _schemas(doc)[name]
        return schema

    def add_property(doc: Doc) -> None:
        pick(doc)["properties"][f"p{rng.randrange(100)}"] = rng.choice(
            [{"type": "string", "maxLength": 9}, {"type": "integer", "minimum": 3}, {"type": "boolean"}]
        )

    def drop_property(doc: Doc) -> None:
        props = pick(doc)["properties"]
        props.pop(rng.choice(sorted(props)))

    def example(doc: Doc) -> None:
        name = rng.choice(sorted(doc["components"]["messages"]))
        doc["components"]["messages"][name]["examples"] = [
            {"payload": {"id": "00000000-0000-4000-8000-000000000001", "status": "closed",
                         "changedAt": "2024-02-02T00:00:00Z", "amount": rng.randrange(9)}}
        ]  # fmt: skip

    def enum(doc: Doc) -> None:
        pick(doc)["properties"]["status"]["enum"] = ["closed", "new"]

    def address(doc: Doc) -> None:
        name = rng.choice(sorted(doc["channels"]))
        channel = doc["channels"][name]
        moved = f"moved.{rng.randrange(100)}"
        parameter = ".{entityId}" if "parameters" in channel else ""
        channel["address"] = f"{moved}{parameter}.changed"

    def description(doc: Doc) -> None:
        pick(doc)["description"] = f"changed {rng.randrange(1000)}"

    def title(doc: Doc) -> None:
        doc["info"]["description"] = f"about {rng.randrange(1000)}"

    def action(doc: Doc) -> None:
        op = doc["operations"][rng.choice(sorted(doc["operations"]))]
        op["action"] = "send" if op["action"] == "receive" else "receive"

    return [
        ("add property", add_property),
        ("drop property", drop_property),
        ("message example", example),
        ("enum", enum),
        ("address", address),
        ("schema description", description),
        ("info description", title),
        ("action", action),
    ]


@pytest.mark.parametrize("formatter", ["ruff", "black"])
def test_random_edits_regenerate_like_cold_runs(formatter: str, tmp_path: Path) -> None:
    rng = random.Random(7 if formatter == "ruff" else 8)
    doc = synth_spec(9)
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    warm = tmp_path / "warm"
    generate(spec, warm, formatter=formatter)
    reused_formats = reused_examples = 0
    edits = _edits(rng) * 2 if formatter == "ruff" else rng.sample(_edits(rng), 4)
    for step, (kind, edit) in enumerate(edits):
        doc = copy.deepcopy(doc)
        edit(doc)
        spec.write_text(yaml.safe_dump(doc, sort_keys=False))
        result = generate(spec, warm, formatter=formatter)
        reused_formats += len(result.format_reused)
        reused_examples += result.examples_reused
        cold = tmp_path / f"cold{step}"
        generate(spec, cold, formatter=formatter)
        assert _tree(warm) == _tree(cold), kind
        assert _recorded_hashes_hold(warm), kind
    # the caches did work (not only fall back): files not formatted again, examples not made again
    assert reused_formats and reused_examples


def test_the_format_cache_is_only_trusted_for_what_is_on_disk(tmp_path: Path) -> None:
    doc = synth_spec(3)
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    generate(spec, out, formatter="ruff")
    cache = json.loads((project_cache(out) / FORMAT_CACHE).read_text())
    assert cache["formatter"].startswith("ruff ")
    producers = next(p for p in cache["files"] if p.endswith("producers.py"))

    _schemas(doc)["Entity0Payload"]["description"] = "changed"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    first = generate(spec, out, formatter="ruff")
    assert producers in first.format_reused

    # a file edited in a way the formatter would undo, with its hashes "fixed" to match:
    # the manifest would let it through, the format cache must not (its record is for other bytes)
    _schemas(doc)["Entity0Payload"]["description"] = "changed again"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    text = (out / producers).read_text()
    (out / producers).write_text(text.replace('"""', "'''", 1))
    manifest = json.loads((out / ".asyncgen/manifest.json").read_text())
    import hashlib

    manifest["files"][producers]["sha256"] = hashlib.sha256((out / producers).read_bytes()).hexdigest()
    (out / ".asyncgen/manifest.json").write_text(json.dumps(manifest))
    second = generate(spec, out, formatter="ruff")
    assert producers not in second.format_reused and producers in second.written
    assert (out / producers).read_text() == text

    # another formatter version: nothing is taken from the cache
    cache = json.loads((project_cache(out) / FORMAT_CACHE).read_text())
    cache["formatter"] = "ruff 0.0.1"
    (project_cache(out) / FORMAT_CACHE).write_text(json.dumps(cache))
    _schemas(doc)["Entity0Payload"]["description"] = "changed a third time"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    third = generate(spec, out, formatter="ruff")
    assert third.format_reused == []
    generate(spec, tmp_path / "cold", formatter="ruff")
    assert _tree(out) == _tree(tmp_path / "cold")


def _messages(api: Any) -> list[Any]:
    found = [m for c in api.channels for m in c.messages] + [
        m for o in api.operations for m in (*o.messages, *(o.reply.messages if o.reply else ()))
    ]
    return [m for m in found if m.payload is not None]


def test_cached_examples_equal_computed_ones_on_every_bundled_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncgen import examples
    from asyncgen.errors import Diagnostics
    from asyncgen.examples import (
        ExampleCache,
        _example_for,
        example_cache,
        example_for,
        examples_engine,
        use_example_cache,
    )
    from asyncgen.load import load
    from asyncgen.parse import parse

    engine = examples_engine()
    cached = prefetched = 0
    for spec in sorted((Path(__file__).resolve().parents[1] / "specs").glob("*.yaml")):
        api = parse(load(spec), Diagnostics())
        defs = {d.name: dict(d.schema) for d in api.schemas}
        with example_cache({}, engine) as first:
            cold = [example_for(m, defs) for m in _messages(api)]
        previous = json.loads(first.to_bytes())["examples"]
        with example_cache(previous, engine) as second:
            warm = [example_for(m, defs) for m in _messages(api)]
        assert warm == cold == [_example_for(m, defs) for m in _messages(api)], spec.name
        assert second.to_bytes() == first.to_bytes()
        assert second.hits == sum(1 for m in _messages(api) if second.key(m, defs) is not None)
        cached += second.hits
        # computed ahead (a cold run, while dcg runs in its worker): the same examples, the same cache
        ahead = ExampleCache({}, engine)
        ahead.prefetch(api.messages, defs)
        computed: list[Any] = []
        monkeypatch.setattr(
            examples, "_example_for", lambda m, d, seen=computed: seen.append(m) or _example_for(m, d)
        )
        with use_example_cache(ahead):
            assert [example_for(m, defs) for m in _messages(api)] == cold, spec.name
        monkeypatch.undo()
        assert ahead.to_bytes() == first.to_bytes() and ahead.hits == 0
        assert computed == [m for m in _messages(api) if ahead.key(m, defs) not in ahead.ready]
        prefetched += len(ahead.ready)
    assert cached > 20
    assert prefetched > 20


def test_example_keys_cover_what_the_example_reads() -> None:
    from asyncgen.examples import ExampleCache, examples_engine
    from asyncgen.model import Message, MessageExample, SchemaDef

    def message(schema: dict[str, Any], *payloads: Any) -> Message:
        examples = tuple(MessageExample(payload=p, has_payload=True) for p in payloads)
        return Message(key="m", ident="m", class_name="M", payload=SchemaDef("P", schema), examples=examples)

    cache = ExampleCache({}, examples_engine())
    linked = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}
    defs: dict[str, Any] = {"A": {"type": "string"}, "B": {"type": "integer"}, "P": linked}
    key = cache.key(message(linked), defs)
    assert key is not None
    assert cache.key(message(linked), {**defs, "B": {"type": "string"}}) == key  # not reached
    assert cache.key(message(linked), {**defs, "A": {"type": "string", "minLength": 3}}) != key
    assert cache.key(message(linked, {"a": "x"}), defs) != key  # the spec's own example
    reordered = {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "string"}}}
    assert cache.key(message(reordered), defs) != cache.key(
        message({"type": "object", "properties": dict(reversed(list(reordered["properties"].items())))}), defs
    )
    # references anything but "#/$defs/<name>" resolves, and what marshal cannot write: never cached
    for opaque in (
        {"properties": {"a": {"$ref": "#/$defs/A/properties/x"}}},
        {"properties": {"a": {"$ref": "other.json#/A"}}},
        {"$id": "https://example.com/p", "properties": {"a": {"$ref": "#/$defs/A"}}},
        {"properties": {"a": {"$ref": "#/$defs/Missing"}}},
        {"$anchor": "x", "enum": ("a", "b")},
        {"enum": [object()]},
    ):
        assert cache.key(message(opaque), defs) is None, opaque
    # values JSON would write alike are other keys: a tuple and a list, 1/1.0/True, a key's type
    alike = [
        {"enum": ("a", "b")},
        {"enum": ["a", "b"]},
        {"const": 1},
        {"const": 1.0},
        {"const": True},
        {"properties": {"1": {}}},
        {"properties": {1: {}}},
        {"maximum": float("inf")},
        {"maximum": 1e309 / 1e309},
    ]
    keys = [cache.key(message(schema), defs) for schema in alike]
    assert None not in keys and len(set(keys)) == len(keys)
    # the same in a def reached through a $ref
    via = [cache.key(message(linked), {**defs, "A": schema}) for schema in alike]
    assert None not in via and len(set(via)) == len(via)


def test_example_keys_are_computed_once_per_run_and_follow_the_defs_by_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from asyncgen import examples
    from asyncgen.examples import ExampleCache, examples_engine
    from asyncgen.model import Message, SchemaDef

    engine = examples_engine()
    linked = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}
    message = Message(key="m", ident="m", class_name="M", payload=SchemaDef("P", linked))
    base: dict[str, Any] = {"A": {"type": "integer", "minimum": 1}, "P": linked}
    cache = ExampleCache({}, engine)
    key = cache.key(message, base)
    texts: list[Any] = []
    real = examples._text
    monkeypatch.setattr(examples, "_text", lambda v: texts.append(v) or real(v))
    # the context looks the message up again with its own shallow copies of the same defs: no work
    assert cache.key(message, {n: dict(s) for n, s in base.items()}) == key and texts == []
    # other content under an equal-comparing value (1 == 1.0 == True), other order, other value:
    # another key, exactly the one a fresh cache computes
    for other in (
        {"type": "integer", "minimum": True},
        {"type": "integer", "minimum": 1.0},
        {"minimum": 1, "type": "integer"},
        {"type": "integer", "minimum": 2},
    ):
        changed = {**base, "A": other}
        fresh = ExampleCache({}, engine).key(message, changed)
        assert cache.key(message, changed) == fresh != key, other
    assert texts  # (a negative control: the changed defs were read again)


def test_compiled_templates_come_from_the_bytecode_cache_keyed_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import jinja2

    from asyncgen.render import UserExtensions, make_environment
    from asyncgen.templateset import load_set

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tset = load_set("service", None)
    name = "package/models.py.j2"
    make_environment(tset).get_template(name)  # compiled
    folder = tmp_path / "cache" / "asyncgen" / "templates"
    assert len(list(folder.iterdir())) == 1 and folder.stat().st_mode & 0o777 == 0o700

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled again")

    with monkeypatch.context() as patch:
        patch.setattr(jinja2.Environment, "compile", refuse)
        cached = make_environment(tset).get_template(name)
    assert cached.render(models=type("M", (), {"code": "x = 1\n"})()) == "x = 1\n\n"

    # another filter set is another environment: compiled anew, never the other's code
    caches = [make_environment(tset, UserExtensions({"house_filter": str}, {})).bytecode_cache]
    caches.append(make_environment(tset).bytecode_cache)
    keys = {c.get_cache_key(name) for c in caches if c is not None}
    assert len(keys) == 2
    # a folder that is not really ours (here: a symlink) is never used
    (tmp_path / "elsewhere" / "asyncgen").mkdir(parents=True)
    (tmp_path / "elsewhere" / "asyncgen" / "templates").symlink_to(folder)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert make_environment(tset).bytecode_cache is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ASYNCGEN_TEMPLATE_CACHE", "0")
    assert make_environment(tset).bytecode_cache is None
