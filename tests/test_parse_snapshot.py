"""parse's output on seeded random specs stays what it was (a differential check kept as a test).

The schema graph and dialect code is tuned for speed (see asyncgen/parse/schema_graph.py and
dialect.py); this pins down what it computes: for 150 seeded random documents (AsyncAPI 3.x
and 2.6, OpenAPI 3.0 and 3.1; schema graphs with component refs, shared and recursive nodes,
ref+siblings, nullable, boolean exclusive bounds, draft-07 tuples, dependencies,
discriminators, malformed keywords and nesting beyond MAX_INLINE_DEPTH) the Api (every field,
locations included, and which IR objects are the same object) and the warnings are hashed, and
the hashes must equal those in ``fixtures/parse/snapshot.json``. They were written by the parser
before the speed work (6db3efa) and checked against it on 600 seeds plus the corpus.

A deliberate change of parse output: run this file with ``ASYNCGEN_UPDATE_SNAPSHOT=1``, then
review the seeds whose hash changed (``git diff``) as part of the change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

from parse_support import make_doc

from asyncgen.errors import AsyncgenError, Diagnostics, Location
from asyncgen.parse import parse

SNAPSHOT = Path(__file__).parent / "fixtures" / "parse" / "snapshot.json"
SEEDS = range(150)

_SCALAR_KEYS = [
    *("format", "minimum", "maximum", "pattern", "minLength", "title", "description", "default"),
    *("deprecated", "readOnly", "$comment", "multipleOf", "const", "uniqueItems", "x-ext", "xml"),
    *("$id", "externalDocs", "unknownKw", "contentEncoding"),
]


def _leaf(r: random.Random, comps: list[str], allow_ref: bool) -> Any:
    choice = r.random()
    if choice < 0.1:
        return r.choice([True, False])
    if choice < 0.13:
        return r.choice([1, "str", None, [1]])  # malformed
    if allow_ref and comps and choice < 0.55:
        node: dict[str, Any] = {"$ref": f"#/components/schemas/{r.choice(comps)}"}
        if r.random() < 0.3:  # ref with siblings
            node[r.choice(["description", "title", "x-a", "nullable", "type"])] = r.choice(
                ["d", True, "string"]
            )
        return node
    return {"type": r.choice(["string", "integer", "null", "bogus", ["string", "null"], ["x"]])}


def _schema(r: random.Random, depth: int, comps: list[str], allow_ref: bool = True) -> Any:
    if depth > 4 or r.random() < 0.15:
        return _leaf(r, comps, allow_ref)
    s: dict[str, Any] = {}
    for _ in range(r.randint(1, 6)):
        k = r.random()
        if k < 0.3:
            s["type"] = "object"
            s["properties"] = {
                f"p{i}{r.choice(['', '-x', ' y', 'Ünï'])}": _schema(r, depth + 1, comps, allow_ref)
                for i in range(r.randint(0, 4))
            }
            if r.random() < 0.5:
                s["required"] = r.choice([["p0"], True, False, ["p0", "p0"], [1]])
        elif k < 0.4:
            s["type"] = "array"
            if r.random() < 0.7:
                s["items"] = _schema(r, depth + 1, comps, allow_ref)
            else:
                s["items"] = [_schema(r, depth + 1, comps, allow_ref) for _ in range(2)]
            if r.random() < 0.3:
                s["additionalItems"] = _schema(r, depth + 1, comps, allow_ref)
        elif k < 0.5:
            s[r.choice(["allOf", "anyOf", "oneOf"])] = [
                _schema(r, depth + 1, comps, allow_ref) for _ in range(r.randint(0, 3))
            ]
        elif k < 0.55:
            key = r.choice(["additionalProperties", "not", "if", "then", "contains", "propertyNames"])
            s[key] = _schema(r, depth + 1, comps, allow_ref)
        elif k < 0.6:
            s["dependencies"] = {"a": ["b", "c"], "d": _schema(r, depth + 1, comps, allow_ref), "e": 3}
        elif k < 0.65:
            s["enum"] = r.choice([["a", "b"], "notalist", [1, None, {"k": [1]}]])
        elif k < 0.7:
            s[r.choice(["example", "examples"])] = r.choice([{"x": 1}, [1, 2], {"a": {"value": 3}, "b": 4}])
        elif k < 0.75:
            s.update(minimum=1, maximum=9)
            s["exclusiveMinimum"] = r.choice([True, False, 3])
            s["exclusiveMaximum"] = r.choice([True, 7])
        elif k < 0.8:
            s["nullable"] = r.choice([True, False])
        elif k < 0.85 and comps:
            mapping = {"a": f"#/components/schemas/{r.choice(comps)}", "b": "Nope", "c": r.choice(comps)}
            s["discriminator"] = r.choice(
                ["kind", {"propertyName": "kind", "mapping": mapping}, {"propertyName": 3}]
            )
        elif k < 0.88:
            key = r.choice(["$dynamicRef", "$defs", "definitions", "patternProperties"])
            s[key] = {"x": {"type": "string"}} if r.random() < 0.5 else "#/x"
        else:
            s[r.choice(_SCALAR_KEYS)] = r.choice(["v", 1, 2.5, True, None, {"n": 1}])
    return s


def _deep(levels: int) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "string"}
    for i in range(levels):
        s = {"type": "object", "properties": {f"level{i}": s}}
    return s


def random_spec(seed: int) -> dict[str, Any]:
    r = random.Random(seed)
    family = r.choice(["asyncapi3", "asyncapi2", "openapi30", "openapi31"])
    names = [f"S{i}" if r.random() < 0.8 else f"s-{i} name" for i in range(r.randint(0, 6))]
    comps = {n: _schema(r, 1, names) for n in names}
    if names and r.random() < 0.3:  # recursion through a property and an array
        comps[names[0]] = {
            "type": "object",
            "properties": {
                "self": {"$ref": f"#/components/schemas/{names[0]}"},
                "kids": {"type": "array", "items": {"$ref": f"#/components/schemas/{names[-1]}"}},
            },
        }
    if r.random() < 0.1:
        comps["Deep"] = _deep(r.choice([59, 61, 70, 130]))
        names.append("Deep")
    payloads = [_schema(r, 0, names) for _ in range(r.randint(1, 5))]
    info = {"title": f"F{seed}", "version": "1"}
    if family == "asyncapi3":
        doc: dict[str, Any] = {
            "asyncapi": r.choice(["3.0.0", "3.1.0"]), "info": info, "channels": {}, "operations": {},
            "components": {"schemas": comps},
        }  # fmt: skip
        for i, p in enumerate(payloads):
            msg: dict[str, Any] = {"payload": p}
            if r.random() < 0.3:
                msg["headers"] = _schema(r, 1, names)
            if r.random() < 0.2:
                msg["payload"] = {"schemaFormat": "application/vnd.oai.openapi;version=3.0.0", "schema": p}
            doc["channels"][f"c{i}"] = {"address": f"a/{i}", "messages": {f"m{i}": msg}}
            doc["operations"][f"o{i}"] = {
                "action": r.choice(["send", "receive"]),
                "channel": {"$ref": f"#/channels/c{i}"},
            }
        return doc
    if family == "asyncapi2":
        doc = {"asyncapi": "2.6.0", "info": info, "channels": {}, "components": {"schemas": comps}}
        for i, p in enumerate(payloads):
            doc["channels"][f"c/{i}/{{id}}"] = {
                "parameters": {"id": {"schema": _schema(r, 3, [])}},  # (inlined: no refs, or it grows)
                r.choice(["publish", "subscribe"]): {"operationId": f"op{i}", "message": {"payload": p}},
            }
        return doc
    doc = {
        "openapi": "3.0.3" if family == "openapi30" else "3.1.0", "info": info, "paths": {},
        "components": {"schemas": comps},
    }  # fmt: skip
    for i, p in enumerate(payloads):
        doc["paths"][f"/p{i}/{{id}}"] = {
            "post": {
                "operationId": f"op{i}",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": _schema(r, 3, [])}],
                "requestBody": {"content": {"application/json": {"schema": p}}},
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": _schema(r, 1, names)}},
                    }
                },
            }
        }
    return doc


def _serialise(value: Any, seen: dict[int, int], keep: list[Any]) -> Any:
    """JSON-able form: IR objects by field (a repeated object as ``["@", n]``), locations by repr."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return [kind.__name__, value]
    if kind is Location:
        return ["Location", repr(value)]
    if dataclasses.is_dataclass(value) or (isinstance(value, (dict, list, tuple)) and value):
        if id(value) in seen:
            return ["@", seen[id(value)]]
        seen[id(value)] = len(seen)
        keep.append(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [[f.name, _serialise(getattr(value, f.name), seen, keep)] for f in dataclasses.fields(value)]
        return [kind.__name__, fields]
    if isinstance(value, dict):
        items = [[_serialise(k, seen, keep), _serialise(v, seen, keep)] for k, v in value.items()]
        return [kind.__name__, items]
    if isinstance(value, (list, tuple)):
        return [kind.__name__, [_serialise(v, seen, keep) for v in value]]
    return [kind.__name__, repr(value)]


def digest(seed: int) -> str:
    diagnostics = Diagnostics()
    try:
        api: Any = parse(make_doc(random_spec(seed), f"fuzz{seed}.yaml"), diagnostics)
    except AsyncgenError as err:
        api = ["error", str(err)]
    found = {"api": _serialise(api, {}, []), "warnings": [w.to_json() for w in diagnostics.warnings]}
    return hashlib.sha256(json.dumps(found, ensure_ascii=False).encode("utf-8")).hexdigest()


def test_parse_output_matches_the_snapshot() -> None:
    found = {str(seed): digest(seed) for seed in SEEDS}
    if os.environ.get("ASYNCGEN_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = sorted((int(s) for s in found if found[s] != expected.get(s)), key=int)
    assert not changed, f"parse output changed for seeds {changed} (see this module's docstring)"
    assert expected.keys() == found.keys()
