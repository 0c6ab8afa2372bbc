"""Properties of the schema core over random schemas (hypothesis).

* a schema compared with itself (or a deep copy) has no changes;
* ``compare(a, b)`` and ``compare(b, a)`` swap the two facts: what breaks
  BACKWARD one way breaks FORWARD the other way (checked on single keyword edits);
* wrapping a schema in ``anyOf`` with another branch only widens it: nothing
  breaks BACKWARD.
* where a change says "nothing breaks BACKWARD", every instance valid under OLD
  that hypothesis-jsonschema can draw is valid under NEW (and the same for FORWARD):
  on fixed edits, on random edits of random schemas with ``strict_open_content``,
  and on random edits in the default reading with instances that carry only
  declared properties.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from asyncgen.diff.schema import SchemaOptions, compare

NAMES = st.sampled_from(["a", "b", "c", "id", "total"])

scalars = st.one_of(
    st.builds(dict, type=st.just("string")),
    st.builds(dict, type=st.just("integer")),
    st.builds(dict, type=st.just("number")),
    st.builds(dict, type=st.just("boolean")),
    st.fixed_dictionaries(
        {"type": st.just("string"), "enum": st.lists(st.sampled_from("xyz"), min_size=1, unique=True)}
    ),
    st.fixed_dictionaries({"type": st.just("integer"), "minimum": st.integers(-5, 5)}),
    st.fixed_dictionaries({"type": st.just("string"), "maxLength": st.integers(0, 5)}),
    st.fixed_dictionaries({"type": st.sampled_from([["string", "null"], ["integer", "number"]])}),
)


def objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(props: dict[str, Any], required: list[str], closed: bool) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": props}
        names = [r for r in required if r in props]
        if names:
            schema["required"] = names
        if closed:
            schema["additionalProperties"] = False
        return schema

    return st.builds(
        build,
        st.dictionaries(NAMES, children, max_size=3),
        st.lists(NAMES, max_size=2, unique=True),
        st.booleans(),
    )


schemas = st.recursive(
    scalars,
    lambda children: st.one_of(
        objects(children), st.builds(lambda items: {"type": "array", "items": items}, children)
    ),
    max_leaves=6,
)

# single edits of one keyword, for the symmetry and oracle properties
EDITS = [
    ({"type": "number"}, {"type": "integer"}),
    ({"type": "string", "enum": ["x", "y"]}, {"type": "string", "enum": ["x"]}),
    ({"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 3}),
    ({"type": "integer", "maximum": 9}, {"type": "integer", "maximum": 4}),
    ({"type": "string", "maxLength": 4}, {"type": "string", "maxLength": 2}),
    ({"type": "string", "minLength": 0}, {"type": "string", "minLength": 2}),
    ({"type": ["string", "null"]}, {"type": "string"}),
    (
        {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
        {"type": "array", "items": {"type": "integer"}},
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    ),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "additionalProperties": False,
        },
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
    ),
    (
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
    ),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, {"oneOf": [{"type": "string"}]}),
    ({"type": "number", "multipleOf": 2}, {"type": "number", "multipleOf": 4}),
]


@given(schemas)
def test_a_schema_against_itself_has_no_changes(schema: dict[str, Any]) -> None:
    assert compare(schema, schema) == []
    assert compare(schema, copy.deepcopy(schema)) == []


@given(schemas, schemas)
def test_adding_a_union_branch_never_breaks_backward(schema: dict[str, Any], other: dict[str, Any]) -> None:
    widened = {"anyOf": [copy.deepcopy(schema), other]}
    assert not any(c.backward for c in compare(schema, widened))


@given(st.sampled_from(EDITS))
def test_reversing_a_change_swaps_backward_and_forward(edit: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old, new = edit
    there = compare(old, new)
    back = compare(new, old)
    assert there and back
    assert any(c.backward for c in there) == any(c.forward for c in back)
    assert any(c.forward for c in there) == any(c.backward for c in back)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data(), st.sampled_from(EDITS + [(new, old) for old, new in EDITS]))
def test_compatible_claims_hold_for_drawn_instances(
    data: st.DataObject, edit: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    old, new = edit
    changes = compare(old, new)
    backward = any(c.backward for c in changes)
    forward = any(c.forward for c in changes)
    if not backward:  # every OLD instance must be NEW-valid
        instance = data.draw(from_schema(old))
        assert Draft202012Validator(new).is_valid(instance), (old, new, instance)
    if not forward:  # every NEW instance must be OLD-valid
        instance = data.draw(from_schema(new))
        assert Draft202012Validator(old).is_valid(instance), (old, new, instance)
    assume(backward or forward)


# -- oracle on random edits: a "compatible" claim must hold for drawn instances ---------


def _nodes(schema: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            found += _nodes(sub, (*path, "properties", name))
        if isinstance(schema.get("items"), dict):
            found += _nodes(schema["items"], (*path, "items"))
    return found


def _at(schema: Any, path: tuple[Any, ...]) -> dict[str, Any]:
    for part in path:
        schema = schema[part]
    return schema  # type: ignore[no-any-return]


EDIT_KINDS = [
    "type",
    "nullable",
    "enum-add",
    "enum-drop",
    "minimum",
    "maxLength",
    "prop-add",
    "prop-drop",
    "required",
    "closed",
    "union",
]


@st.composite
def edited(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    old = draw(schemas)
    new = copy.deepcopy(old)
    node = _at(new, draw(st.sampled_from(_nodes(new))))
    kind = draw(st.sampled_from(EDIT_KINDS))
    if kind == "type":
        node["type"] = draw(st.sampled_from(["string", "integer", "number", "boolean", "object"]))
    elif kind == "nullable":
        current = node.get("type", "string")
        node["type"] = [*current, "null"] if isinstance(current, list) else [current, "null"]
    elif kind in ("enum-add", "enum-drop"):
        values = list(node.get("enum", ["x", "y"]))
        if kind == "enum-add":
            values.append(draw(st.sampled_from(["z", "w"])))
        else:
            values = values[:-1] or ["x"]
        node["enum"] = list(dict.fromkeys(values))
    elif kind == "minimum":
        node["minimum"] = draw(st.integers(-5, 5))
    elif kind == "union":  # the node becomes one variant of an anyOf (or, nullable, of two)
        content = dict(node)
        node.clear()
        node["anyOf"] = [content, draw(st.one_of(scalars, st.just({"type": "null"})))]
    elif kind == "maxLength":
        node["maxLength"] = draw(st.integers(0, 5))
    elif kind in ("prop-add", "prop-drop", "required", "closed") and node.get("type") == "object":
        props = node.setdefault("properties", {})
        name = draw(NAMES)
        if kind == "prop-add":
            props[name] = draw(scalars)
        elif kind == "prop-drop":
            props.pop(name, None)
            node["required"] = [r for r in node.get("required", []) if r != name]
        elif kind == "required":
            required = node.get("required", [])
            node["required"] = [r for r in required if r != name] if name in required else [*required, name]
        else:
            node["additionalProperties"] = not node.get("additionalProperties", True)
        if not node.get("required"):
            node.pop("required", None)
    return old, new


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), edited())
def test_random_edits_against_a_validator(
    data: st.DataObject, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    old, new = pair
    changes = compare(old, new, options=SchemaOptions(strict_open_content=True))
    backward = any(c.backward for c in changes)
    forward = any(c.forward for c in changes)
    if not backward:
        instance = data.draw(from_schema(old), label="old instance")
        assert Draft202012Validator(new).is_valid(instance), ("claimed BACKWARD-compatible", changes)
    if not forward:
        instance = data.draw(from_schema(new), label="new instance")
        assert Draft202012Validator(old).is_valid(instance), ("claimed FORWARD-compatible", changes)


def _declared_only(schema: Any) -> Any:
    """The schema with every object closed: instances a writer emits when it sends only
    what it declares - the assumption behind the practical open-content reading."""
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                node.setdefault("additionalProperties", False)
            stack.extend((node.get("properties") or {}).values())
            if isinstance(node.get("items"), dict):
                stack.append(node["items"])
    return schema


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), edited())
def test_random_edits_practical_reading(
    data: st.DataObject, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    old, new = pair
    changes = compare(old, new)
    if not any(c.backward for c in changes):
        instance = data.draw(from_schema(_declared_only(old)), label="old instance")
        assert Draft202012Validator(new).is_valid(instance), ("claimed BACKWARD-compatible", changes)
    if not any(c.forward for c in changes):
        instance = data.draw(from_schema(_declared_only(new)), label="new instance")
        assert Draft202012Validator(old).is_valid(instance), ("claimed FORWARD-compatible", changes)
