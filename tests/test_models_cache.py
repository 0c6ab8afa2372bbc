"""Incremental models.py (asyncgen.models_cache): byte-identical to a cold full dcg run.

Random single-schema changes on synthetic specs and corpus specs: the incremental result
(code, class names, warnings, cache bytes) must equal a cold run's for the same inputs,
and the run says which schemas dcg went over (never judged by timing).
"""

from __future__ import annotations

import copy
import random
import shutil
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SHARED, corpus_load_options, project_cache, require_shared

from asyncgen.errors import Diagnostics
from asyncgen.generate import MODELS_CACHE, generate
from asyncgen.load import load
from asyncgen.model import Api
from asyncgen.models_cache import (
    _engine,
    _prepare,
    _prepare_all,
    _source_digests,
    build_models,
    groups,
    read_cache,
)
from asyncgen.parse import parse
from asyncgen.schemas import _plain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synth import synth_spec

CORPUS = [
    "asyncapi/2.x/asyncapi__parser-js__zbos_mqtt-all-asyncapi.json",
    "asyncapi/2.x/asyncapi__spec__streetlights-kafka.yml",
    "asyncapi/3.0/asyncapi__spec__social-media/backend/asyncapi.yaml",
    "asyncapi/2.x/asyncapi__generator__dummy.yml",
]


def _api_of(path: Path) -> Api:
    return parse(load(path, corpus_load_options(path)), Diagnostics())


def _mutations(rng: random.Random, schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, changed copy) of one schema: local edits of the sorts a spec's authors make."""
    out: list[tuple[str, dict[str, Any]]] = []
    props = schema.get("properties")
    if isinstance(props, dict):
        s = copy.deepcopy(schema)
        s["properties"][f"added{rng.randrange(100)}"] = rng.choice(
            [{"type": "string", "maxLength": 20}, {"type": "integer"}, {"type": "boolean", "default": True}]
        )
        out.append(("add primitive property", s))
        if props:
            s = copy.deepcopy(schema)
            s["properties"].pop(rng.choice(list(props)))
            out.append(("remove property", s))
            s = copy.deepcopy(schema)
            s["properties"][rng.choice(list(props))] = {"type": "number", "minimum": rng.randrange(5)}
            out.append(("retype property", s))
        s = copy.deepcopy(schema)
        s["properties"]["nested"] = {"type": "object", "properties": {"x": {"type": "integer"}}}
        out.append(("add inline object", s))
        s = copy.deepcopy(schema)
        s["properties"]["status"] = {"type": "string", "enum": ["new", "gone"]}
        out.append(("add/replace status enum", s))
    s = copy.deepcopy(schema)
    s["description"] = f"changed {rng.randrange(1000)}"
    out.append(("description", s))
    return out


def _check_prepared(api: Api, cache: Path) -> None:
    """The schemas prepared with the previous run's memo == all prepared again (cold)."""
    memo = _prepare(api.schemas, read_cache(cache), _engine())
    cold = _prepare_all(api.schemas, _source_digests(api.schemas))
    assert (memo.defs, memo.notes, memo.memo) == (cold.defs, cold.notes, cold.memo)


def _check_case(api: Api, name: str, new_schema: dict[str, Any], cache: Path) -> tuple[str, tuple[str, ...]]:
    changed = replace(
        api, schemas=tuple(replace(d, schema=new_schema) if d.name == name else d for d in api.schemas)
    )
    _check_prepared(changed, cache)
    incremental = build_models(changed, cache)
    if incremental.mode == "full":  # the cold run's own code path: nothing to compare
        assert incremental.reason and incremental.regenerated == tuple(d.name for d in api.schemas)
        return incremental.mode, incremental.regenerated
    assert incremental.mode == "incremental"
    cold = build_models(changed, None)
    assert cold.mode == "full"
    assert incremental.module.code == cold.module.code, (name, incremental.mode)
    assert incremental.module.class_names == cold.module.class_names
    assert incremental.module.warnings == cold.module.warnings
    assert incremental.module.extra_dependencies == cold.module.extra_dependencies
    assert incremental.cache == cold.cache
    assert name in incremental.regenerated
    assert len(incremental.regenerated) < len(api.schemas)
    return incremental.mode, incremental.regenerated


def _run_cases(api: Api, tmp_path: Path, rng: random.Random, picks: int) -> Counter[str]:
    cache = tmp_path / "models-cache.json"
    cache.write_bytes(build_models(api, None).cache)
    modes: Counter[str] = Counter()
    candidates = [d for d in api.schemas if isinstance(d.schema.get("properties"), dict)] or list(api.schemas)
    for schema_def in rng.sample(candidates, min(picks, len(candidates))):
        plain = _plain(schema_def.schema)  # dicts/lists in spec order
        for kind, new_schema in _mutations(rng, plain):
            mode, _ = _check_case(api, schema_def.name, new_schema, cache)
            modes[f"{kind}: {mode}"] += 1
    return modes


def test_synthetic_random_changes_equal_cold_runs(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    doc = synth_spec(12)
    # a shared def and a small $ref web, so groups are not all single schemas
    doc["components"]["schemas"]["Money"] = {"type": "object", "properties": {"amount": {"type": "number"}}}
    for i in (1, 2):
        doc["components"]["schemas"][f"Entity{i}Payload"]["properties"]["price"] = {
            "$ref": "#/components/schemas/Money"
        }
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    api = _api_of(spec)
    modes = _run_cases(api, tmp_path, random.Random(5), picks=4)
    print(dict(modes))
    # the common edits stay local on this spec (shared Status/Line classes included)
    assert modes["add primitive property: incremental"] >= 3, modes
    assert modes["description: incremental"] >= 3, modes
    # a new inline class or a changed shared enum needs the whole document
    assert modes["add inline object: full"] >= 3, modes


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_random_changes_equal_cold_runs(name: str, tmp_path: Path) -> None:
    require_shared()
    api = _api_of(SHARED / "corpus" / name)
    if len(api.schemas) < 2:
        pytest.skip("fewer than two schemas")
    # zbos has 317 schemas: each incremental case there costs a 3 s cold run to compare with
    modes = _run_cases(api, tmp_path, random.Random(name), picks=1 if len(api.schemas) > 100 else 3)
    print(name, len(api.schemas), dict(modes))


def test_groups_are_ref_components() -> None:
    schemas = {
        "A": {"properties": {"b": {"$ref": "#/$defs/B"}}},
        "B": {"type": "string"},
        "C": {"items": {"$ref": "#/$defs/D/properties/x"}},
        "D": {"properties": {"x": {"type": "integer"}}},
        "E": {"type": "object"},
        "F": {"examples": [{"$ref": "#/$defs/E"}]},  # data, counted anyway: coarser is still safe
        "G": {"type": "string"},
    }
    assert groups(schemas) == {"A": 0, "B": 0, "C": 1, "D": 1, "E": 2, "F": 2, "G": 3}


def test_generate_incremental_check_and_cold_trees_agree(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    doc = synth_spec(20)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    first = generate(spec, warm, formatter="ruff")
    assert (first.models_mode, len(first.models_regenerated)) == ("full", 20)

    doc["components"]["schemas"]["Entity3Payload"]["properties"]["note"] = {"type": "string", "maxLength": 9}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    again = generate(spec, warm, formatter="ruff")
    assert (again.models_mode, again.models_regenerated) == ("incremental", ["Entity3Payload"])
    assert again.to_json()["models"]["regenerated"] == ["Entity3Payload"]
    assert "models.py" in " ".join(again.written)

    checked = generate(spec, warm, formatter="ruff", check=True)  # reuses the cache
    assert checked.ok and checked.models_mode == "cached"

    generate(spec, cold, formatter="ruff")
    files = sorted(p.relative_to(warm) for p in warm.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(cold) for p in cold.rglob("*") if p.is_file())
    for path in files:
        assert (warm / path).read_bytes() == (cold / path).read_bytes(), path

    # a stale or damaged cache is never trusted for the check: drift is still found
    (project_cache(warm) / MODELS_CACHE).write_text("{not json")
    shutil.rmtree(warm / "spec")
    assert not generate(spec, warm, formatter="ruff", check=True).ok


def test_property_order_is_part_of_the_key(tmp_path: Path) -> None:
    """Reordering properties reorders the fields: the cache must not return the old order."""
    spec = tmp_path / "s.yaml"
    doc = synth_spec(2)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    generate(spec, tmp_path / "out", formatter="ruff")
    props = doc["components"]["schemas"]["Entity0Payload"]["properties"]
    doc["components"]["schemas"]["Entity0Payload"]["properties"] = dict(reversed(list(props.items())))
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = generate(spec, tmp_path / "out", formatter="ruff")
    assert result.models_mode != "cached"
    generate(spec, tmp_path / "cold", formatter="ruff")
    models = next((tmp_path / "out").rglob("models.py"))
    assert models.read_bytes() == (tmp_path / "cold" / models.relative_to(tmp_path / "out")).read_bytes()


def _api(schemas: dict[str, Any]) -> Api:
    from asyncgen.model import SchemaDef

    return Api("asyncapi", "3.0.0", "T", "1", "t", schemas=tuple(SchemaDef(n, s) for n, s in schemas.items()))


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


ENUM_A = {"type": "string", "enum": ["a"]}
ENUM_B = {"type": "string", "enum": ["b"]}
NAMESAKE_CASES = {
    # one shared Status class for X and Y; X's changes: the full run must split them again
    "shared inline enum changes": (
        {"X": _obj(status=ENUM_A), "Y": _obj(status=ENUM_A)},
        "X",
        _obj(status=ENUM_B),
    ),
    # Status and Status2 (a rename); Y's becomes equal to X's: the full run merges them
    "renamed inline enum becomes equal": (
        {"X": _obj(status=ENUM_A), "Y": _obj(status=ENUM_B)},
        "Y",
        _obj(status=ENUM_A),
    ),
    # a def named like another group's inline class
    "def named like an inline class": (
        {"Status": ENUM_B, "X": _obj(status=ENUM_A)},
        "X",
        _obj(status=ENUM_B, n={"type": "integer"}),
    ),
    # a class whose change is purely local, beside shared ones
    "local change beside namesakes": (
        {"X": _obj(status=ENUM_A), "Y": _obj(status=ENUM_B), "Z": _obj(q={"type": "integer"})},
        "Z",
        _obj(q={"type": "string"}),
    ),
}


@pytest.mark.parametrize("case", list(NAMESAKE_CASES))
def test_namesakes_across_groups(case: str, tmp_path: Path) -> None:
    schemas, name, new_schema = NAMESAKE_CASES[case]
    api = _api(schemas)
    cache = tmp_path / "models-cache.json"
    cache.write_bytes(build_models(api, None).cache)
    mode, regenerated = _check_case(api, name, new_schema, cache)
    if case == "local change beside namesakes":
        assert (mode, regenerated) == ("incremental", ("Z",))


def test_a_damaged_cache_falls_back_to_a_full_run(tmp_path: Path) -> None:
    import json

    api = _api({"X": _obj(a={"type": "integer"}), "Y": _obj(b={"type": "integer"}), "Z": _obj()})
    cache = tmp_path / "models-cache.json"
    first = replace(api.schemas[0], schema=_obj(a={"type": "string"}))
    changed = replace(api, schemas=(first, *api.schemas[1:]))
    cold = build_models(changed, None).module.code
    damages = {
        "offsets": lambda d: d["segments"][1].__setitem__(1, d["segments"][1][1] + 3),
        "KeyError": lambda d: d["class_names"].pop("Y"),
        "ValueError": lambda d: d.__setitem__("segments", [[1]]),
    }
    for expected, damage in damages.items():
        data = json.loads(build_models(api, None).cache)
        damage(data)
        cache.write_text(json.dumps(data))
        run = build_models(changed, cache)
        assert run.mode == "full" and expected in (run.reason or ""), run.reason
        assert run.module.code == cold


PRIMITIVE_BAD_DEFAULT = {"type": "integer", "default": "x"}  # fixed: the default is dropped, with a note
REFERS = _obj(p={"$ref": "#/$defs/P"})
PREPARE_CASES = {
    # (defs, def changed, its new schema, whether the previous run's prepared defs can be kept)
    # a changed def that refers to an inlinable def: inlined as written (P after X) or fixed (P before X)
    "refers to a later primitive": ({"X": _obj(), "P": PRIMITIVE_BAD_DEFAULT}, "X", REFERS, True),
    "refers to an earlier primitive": ({"P": PRIMITIVE_BAD_DEFAULT, "X": _obj()}, "X", REFERS, True),
    # the inlined def changes: every def that refers to it changes with it
    "inlined def changes": (
        {"X": REFERS, "P": {"type": "integer", "default": 1}, "Y": _obj()},
        "P",
        {"type": "integer", "default": 2},
        False,
    ),
    "a def becomes inlinable": ({"X": REFERS, "P": _obj()}, "P", PRIMITIVE_BAD_DEFAULT, False),
    "a def stops being inlinable": ({"X": REFERS, "P": PRIMITIVE_BAD_DEFAULT}, "P", _obj(), False),
    # deeper in a $ref chain: Y -> X -> P, X changes its reference
    "a reference deeper in a chain": (
        {"Y": _obj(x={"$ref": "#/$defs/X"}), "X": _obj(q={"type": "string"}), "P": PRIMITIVE_BAD_DEFAULT},
        "X",
        _obj(p={"$ref": "#/$defs/P", "default": 3}),
        True,
    ),
    # notes come and go with the def that has them
    "a note goes": ({"X": _obj(n={"type": "integer", "default": "x"}), "Y": _obj()}, "X", _obj(), True),
    "a note comes": ({"X": _obj(), "Y": _obj()}, "X", _obj(n={"type": "boolean", "default": "no"}), True),
    # 1 and True are equal in Python, and other JSON: never the same source
    "1 becomes true": (
        {"X": _obj(n={"type": "integer", "default": 1})},
        "X",
        _obj(n={"type": "integer", "default": True}),
        True,
    ),
}


@pytest.mark.parametrize("case", list(PREPARE_CASES))
def test_prepared_defs_are_kept_only_where_nothing_they_read_changed(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncgen import models_cache

    schemas, name, new_schema, kept = PREPARE_CASES[case]
    api = _api(schemas)
    cache = tmp_path / "models-cache.json"
    cache.write_bytes(build_models(api, None).cache)
    changed = replace(
        api, schemas=tuple(replace(d, schema=new_schema) if d.name == name else d for d in api.schemas)
    )
    calls: list[int] = []
    real = models_cache._prepare_all
    monkeypatch.setattr(models_cache, "_prepare_all", lambda *a: calls.append(1) or real(*a))
    run = build_models(changed, cache)
    assert (not calls) == kept, calls
    monkeypatch.undo()
    cold = build_models(changed, None)
    assert run.module.code == cold.module.code, run.reason
    assert run.module.warnings == cold.module.warnings
    assert run.cache == cold.cache
    _check_prepared(changed, cache)


def test_a_damaged_memo_is_not_used(tmp_path: Path) -> None:
    import json

    api = _api(
        {"X": _obj(a={"type": "integer"}), "P": PRIMITIVE_BAD_DEFAULT, "Y": _obj(p={"$ref": "#/$defs/P"})}
    )
    cache = tmp_path / "models-cache.json"
    changed = replace(
        api, schemas=(replace(api.schemas[0], schema=_obj(a={"type": "string"})), *api.schemas[1:])
    )
    cold = build_models(changed, None)
    damages = {
        "a note changed": lambda d: d["memo"][2][3].append("made up"),
        "refs changed": lambda d: d["memo"][2].__setitem__(2, []),
        "inlinable flag": lambda d: d["memo"][1].__setitem__(1, False),
        "a text changed": lambda d: d["defs"][2].__setitem__(1, json.dumps(_obj())),
        "entries of another type": lambda d: d.__setitem__("memo", [1, 2, 3]),
        "no memo key": lambda d: d.pop("memo_key"),
    }
    for what, damage in damages.items():
        data = json.loads(build_models(api, None).cache)
        damage(data)
        cache.write_text(json.dumps(data))
        run = build_models(changed, cache)
        assert run.module.code == cold.module.code, what
        assert run.module.warnings == cold.module.warnings, what
        assert run.cache == cold.cache, what


def test_check_prepares_every_schema_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncgen import models_cache

    spec = tmp_path / "s.yaml"
    doc = synth_spec(3)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    generate(spec, tmp_path / "out", formatter="ruff")
    doc["components"]["schemas"]["Entity1Payload"]["properties"]["note"] = {"type": "string"}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    calls: list[bool] = []
    real = models_cache._prepare
    monkeypatch.setattr(
        models_cache, "_prepare", lambda d, p, e: calls.append(p is not None) or real(d, p, e)
    )
    assert not generate(spec, tmp_path / "out", formatter="ruff", check=True).ok  # drift: not regenerated
    assert calls == [False]  # --check: no previous run's memo
    assert generate(spec, tmp_path / "out", formatter="ruff").models_mode == "incremental"
    assert calls == [False, True]
