"""Schema graph: defs for components/shared/recursive nodes, 2020-12 normalisation."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from parse_support import parse_data

from asyncgen.errors import Diagnostics
from asyncgen.model import Api, SchemaDef


def async3(payloads: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {
            "c": {"address": "c", "messages": {k: {"payload": v} for k, v in payloads.items()}},
        },
        "components": {"schemas": schemas or {}},
    }


def openapi30(schemas: dict[str, Any], body: Any, version: str = "3.0.3") -> dict[str, Any]:
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "makeX",
                    "requestBody": {"content": {"application/json": {"schema": body}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": schemas},
    }


def by_name(api: Api) -> dict[str, SchemaDef]:
    return {s.name: s for s in api.schemas}


def assert_valid(api: Api) -> None:
    names = {s.name for s in api.schemas}
    assert len(names) == len(api.schemas)

    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
            return own + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    for sd in api.schemas:
        Draft202012Validator.check_schema(sd.schema)
        for ref in refs(sd.schema):
            assert ref.startswith("#/$defs/") and ref[8:] in names, (sd.name, ref)


def test_recursive_schema_is_one_def_that_refs_itself() -> None:
    api = parse_data(
        async3(
            {"cat": {"$ref": "#/components/schemas/Category"}},
            {
                "Category": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
                    },
                }
            },
        )
    )
    assert [s.name for s in api.schemas] == ["Category"]
    assert api.schemas[0].schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Category"}
    assert_valid(api)


def test_shared_inline_schema_is_one_def_and_others_inline() -> None:
    data = async3({"a": {"type": "object", "properties": {"addr": {"title": "Address", "type": "object"}}}})
    addr = data["channels"]["c"]["messages"]["a"]["payload"]["properties"]["addr"]
    data["channels"]["c"]["messages"]["b"] = {"payload": {"type": "object", "properties": {"home": addr}}}
    data["channels"]["c"]["messages"]["a"]["payload"]["properties"]["city"] = {"type": "string"}
    # the same object reached twice (as from a YAML anchor): one def named by its title
    api = parse_data(data)
    defs = by_name(api)
    assert list(defs) == ["APayload", "Address", "BPayload"]
    assert defs["APayload"].schema["properties"] == {
        "addr": {"$ref": "#/$defs/Address"},
        "city": {"type": "string"},
    }
    assert defs["BPayload"].schema["properties"] == {"home": {"$ref": "#/$defs/Address"}}
    assert_valid(api)


def test_shared_via_ref_and_message_payloads_shared() -> None:
    api = parse_data(
        async3(
            {"a": {"$ref": "#/components/schemas/P"}, "b": {"$ref": "#/components/schemas/P"}},
            {
                "P": {"type": "object", "properties": {"q": {"$ref": "#/components/schemas/Q"}}},
                "Q": {"type": "integer"},
            },
        )
    )
    assert [s.name for s in api.schemas] == ["P", "Q"]
    a, b = api.messages
    assert a.payload is b.payload
    assert_valid(api)


def test_openapi30_nullable_and_exclusive_bounds() -> None:
    api = parse_data(
        openapi30(
            {"Ref": {"type": "string"}},
            {
                "type": "object",
                "properties": {
                    "n": {
                        "type": "integer",
                        "nullable": True,
                        "minimum": 0,
                        "exclusiveMinimum": True,
                        "maximum": 9,
                        "exclusiveMaximum": False,
                    },
                    "e": {"type": "string", "enum": ["a", "b"], "nullable": True},
                    "o": {
                        "allOf": [{"$ref": "#/components/schemas/Ref"}],
                        "nullable": True,
                        "description": "d",
                    },
                    "x": {"type": "string", "example": "ex", "x-internal": True, "xml": {"name": "x"}},
                },
            },
        )
    )
    schema = by_name(api)["MakeXRequest"].schema
    props = schema["properties"]
    assert props["n"] == {"type": ["integer", "null"], "exclusiveMinimum": 0, "maximum": 9}
    assert props["e"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert props["o"] == {
        "description": "d",
        "anyOf": [{"allOf": [{"$ref": "#/$defs/Ref"}]}, {"type": "null"}],
    }
    assert props["x"] == {"type": "string", "examples": ["ex"]}
    assert by_name(api)["MakeXRequest"].source_format == "openapi"
    assert_valid(api)


def test_openapi31_type_arrays_kept_and_nullable_ignored() -> None:
    api = parse_data(
        openapi30(
            {},
            {
                "type": "object",
                "properties": {"a": {"type": ["string", "null"]}, "b": {"type": "string", "nullable": True}},
            },
            version="3.1.0",
        )
    )
    props = by_name(api)["MakeXRequest"].schema["properties"]
    assert props["a"] == {"type": ["string", "null"]}
    assert props["b"] == {"type": "string"}  # `nullable` is not a 3.1 keyword
    assert_valid(api)


def test_draft07_forms_become_2020_12() -> None:
    api = parse_data(
        async3(
            {
                "m": {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "$id": "urn:x",
                    "type": "object",
                    "definitions": {"unused": {"type": "string"}},
                    "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
                    "properties": {
                        "pair": {
                            "type": "array",
                            "items": [{"type": "string"}, {"type": "integer"}],
                            "additionalItems": False,
                        },
                        "kind": {"type": "string"},
                    },
                    "discriminator": "kind",
                    "required": ["kind"],
                }
            }
        )
    )
    schema = api.schemas[0].schema
    assert "$schema" not in schema and "$id" not in schema and "definitions" not in schema
    assert schema["properties"]["pair"] == {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer"}],
        "items": False,
    }
    assert schema["dependentRequired"] == {"a": ["b"]}
    assert schema["dependentSchemas"] == {"c": {"required": ["d"]}}
    assert schema["discriminator"] == {"propertyName": "kind"}
    assert_valid(api)


def test_keeps_constraints_and_combinators() -> None:
    payload = {
        "type": "object",
        "additionalProperties": {"type": "number", "multipleOf": 0.5},
        "propertyNames": {"pattern": "^[a-z]+$"},
        "minProperties": 1,
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
        "not": {"const": {}},
        "if": {"properties": {"a": {"const": 1}}},
        "then": {"required": ["b"]},
        "else": {"required": ["c"]},
        "examples": [{"a": 1}],
    }
    api = parse_data(async3({"m": payload}))
    assert api.schemas[0].schema == payload
    assert_valid(api)


def test_invalid_keyword_values_are_warned_and_dropped() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        async3({"m": {"type": "object", "properties": {"a": {"type": "int", "required": True}}}}), diagnostics
    )
    assert api.schemas[0].schema["properties"]["a"] == {}
    assert len(diagnostics.warnings) == 2
    assert all(w.location.pointer.startswith("/channels/c/messages/m/payload") for w in diagnostics.warnings)
    assert_valid(api)


def test_output_is_plain_json() -> None:
    from asyncgen.document import MapNode, SeqNode

    api = parse_data(async3({"m": {"type": "object", "properties": {"a": {"enum": [1, 2]}}}}))

    def walk(value: Any) -> None:
        assert not isinstance(value, (MapNode, SeqNode))
        for child in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
            walk(child)

    for sd in api.schemas:
        walk(sd.schema)


def test_name_collisions_resolved_deterministically() -> None:
    api = parse_data(
        async3(
            {"order": {"type": "string"}, "other": {"$ref": "#/components/schemas/orderPayload"}},
            {"orderPayload": {"type": "integer"}},
        )
    )
    # the component keeps its name, the inline payload of message "order" gets a suffix
    assert [m.payload.name for m in api.messages if m.payload] == ["OrderPayload2", "OrderPayload"]


def test_discriminator_mapping_points_at_defs() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        openapi30(
            {
                "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
                "Dog": {"type": "object", "properties": {"kind": {"type": "string"}}},
            },
            {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {
                        "cat": "#/components/schemas/Cat",
                        "dog": "Dog",
                        "eel": "#/components/schemas/Eel",
                    },
                },
            },
        ),
        diagnostics,
    )
    schema = by_name(api)["MakeXRequest"].schema
    assert schema["discriminator"] == {
        "propertyName": "kind",
        "mapping": {"cat": "#/$defs/Cat", "dog": "#/$defs/Dog"},
    }
    assert any("eel" in w.message for w in diagnostics.warnings)
    assert_valid(api)


# -- properties: random (possibly recursive, shared) schema graphs ---------------------

NAMES = ["S0", "S1", "S2", "S3"]
leaf = st.one_of(
    st.sampled_from([{"type": t} for t in ("string", "integer", "number", "boolean", "null")]),
    st.sampled_from([{"$ref": f"#/components/schemas/{n}"} for n in NAMES]),
    st.just({"enum": ["a", 1, None]}),
    st.just(True),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(
            lambda props: {"type": "object", "properties": props},
            st.dictionaries(st.sampled_from(["a", "b-c", "class", "1st"]), children, max_size=3),
        ),
        st.builds(lambda item: {"type": "array", "items": item}, children),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"allOf": xs}, st.lists(children, min_size=1, max_size=2)),
    )


schemas = st.recursive(leaf, _extend, max_leaves=8)
composite = _extend(schemas)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries({n: composite for n in NAMES}),
    st.lists(schemas, min_size=1, max_size=4),
)
def test_random_schema_graphs_give_sound_defs(components: dict[str, Any], payloads: list[Any]) -> None:
    data = async3({f"m{i}": p for i, p in enumerate(payloads)}, components)
    api = parse_data(data)
    assert_valid(api)
    assert parse_data(data) == api  # deterministic
    # a component reached by the payloads is exactly one def, named after its key
    names = [s.name for s in api.schemas]
    for name in NAMES:
        assert names.count(name) <= 1


def test_deep_nesting_is_split_into_defs_without_recursion_errors() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(150):
        schema = {"type": "object", "properties": {"x": schema}}
    api = parse_data(async3({"deep": schema}))
    assert len(api.schemas) >= 3  # split every MAX_INLINE_DEPTH levels
    assert api.schemas[0].name == "DeepPayload"
    assert_valid(api)


def test_dynamic_refs_are_warned_not_silently_dropped() -> None:
    diagnostics = Diagnostics()
    api = parse_data(
        async3({"m": {"type": "object", "properties": {"kids": {"$dynamicRef": "#node"}}}}), diagnostics
    )
    assert api.schemas[0].schema["properties"]["kids"] == {}
    assert any("$dynamicRef" in w.message for w in diagnostics.warnings)
