"""The JSON Schema compatibility core: one change per pair, classified per mode.

Each row: (old schema, new schema, expected kind, where it breaks). ``where`` is
"B" (breaks BACKWARD: writer OLD, reader NEW), "F" (breaks FORWARD: writer NEW,
reader OLD), "BF" (both) or "-" (neither). FULL breaks when either does, NONE never.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncgen.diff.changes import Mode
from asyncgen.diff.schema import SchemaOptions, compare

S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
N = {"type": "number"}


def obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = required
    return schema


CARD = obj({"pan": S, "cvc": S}, ["pan"])
SEPA = obj({"iban": S}, ["iban"])
CASH = obj({"amount": N}, ["amount"])

CASES: list[tuple[str, Any, Any, str, str]] = [
    # id, old, new, kind, breaks
    ("number->integer", N, I, "type-narrowed", "B"),
    ("integer->number", I, N, "type-widened", "F"),
    ("string->integer", S, I, "type-changed", "BF"),
    ("null removed from type list", {"type": ["string", "null"]}, S, "nullable-removed", "B"),
    ("null added to type list", S, {"type": ["string", "null"]}, "nullable-added", "F"),
    ("oas30 nullable removed", {"type": "string", "nullable": True}, S, "nullable-removed", "B"),
    ("type removed from list", {"type": ["string", "integer"]}, S, "type-narrowed", "B"),
    ("type added to list", S, {"type": ["string", "integer"]}, "type-widened", "F"),
    ("any -> string", {}, S, "type-narrowed", "B"),
    ("string -> any", S, {}, "type-widened", "F"),
    ("enum value removed", {"enum": ["a", "b"]}, {"enum": ["a"]}, "enum-value-removed", "B"),
    ("enum value added", {"enum": ["a"]}, {"enum": ["a", "b"]}, "enum-value-added", "F"),
    ("enum introduced", S, {"type": "string", "enum": ["a"]}, "enum-added", "B"),
    ("enum dropped", {"type": "string", "enum": ["a"]}, S, "enum-removed", "F"),
    ("const changed", {"const": "v1"}, {"const": "v2"}, "const-changed", "BF"),
    ("minimum raised", {**I, "minimum": 0}, {**I, "minimum": 1}, "constraint-tightened", "B"),
    ("minimum lowered", {**I, "minimum": 1}, {**I, "minimum": 0}, "constraint-loosened", "F"),
    ("maximum lowered", {**N, "maximum": 100}, {**N, "maximum": 50}, "constraint-tightened", "B"),
    ("maximum added", N, {**N, "maximum": 50}, "constraint-tightened", "B"),
    ("maximum removed", {**N, "maximum": 50}, N, "constraint-loosened", "F"),
    (
        "minimum made exclusive",
        {**N, "minimum": 0},
        {**N, "exclusiveMinimum": 0},
        "constraint-tightened",
        "B",
    ),
    (
        "draft4 exclusiveMaximum dropped",
        {**N, "maximum": 9, "exclusiveMaximum": True},
        {**N, "maximum": 9},
        "constraint-loosened",
        "F",
    ),
    ("minLength raised", {**S, "minLength": 1}, {**S, "minLength": 2}, "constraint-tightened", "B"),
    ("maxLength raised", {**S, "maxLength": 10}, {**S, "maxLength": 20}, "constraint-loosened", "F"),
    ("pattern added", S, {**S, "pattern": "^[A-Z]+$"}, "constraint-tightened", "B"),
    ("pattern changed", {**S, "pattern": "^a"}, {**S, "pattern": "^b"}, "constraint-changed", "BF"),
    ("pattern removed", {**S, "pattern": "^a"}, S, "constraint-loosened", "F"),
    ("format added", S, {**S, "format": "date-time"}, "constraint-tightened", "B"),
    ("format changed", {**S, "format": "email"}, {**S, "format": "uri"}, "constraint-changed", "BF"),
    ("multipleOf finer", {**N, "multipleOf": 0.1}, {**N, "multipleOf": 0.01}, "constraint-loosened", "F"),
    ("multipleOf coarser", {**I, "multipleOf": 2}, {**I, "multipleOf": 4}, "constraint-tightened", "B"),
    ("multipleOf unrelated", {**I, "multipleOf": 2}, {**I, "multipleOf": 3}, "constraint-changed", "BF"),
    (
        "minItems raised",
        {"type": "array", "minItems": 0},
        {"type": "array", "minItems": 1},
        "constraint-tightened",
        "B",
    ),
    (
        "maxItems lowered",
        {"type": "array", "maxItems": 5},
        {"type": "array", "maxItems": 3},
        "constraint-tightened",
        "B",
    ),
    (
        "uniqueItems added",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        "constraint-tightened",
        "B",
    ),
    ("items narrowed", {"type": "array", "items": N}, {"type": "array", "items": I}, "type-narrowed", "B"),
    (
        "maxProperties added",
        {"type": "object"},
        {"type": "object", "maxProperties": 3},
        "constraint-tightened",
        "B",
    ),
    ("optional property added (open)", obj({"a": S}), obj({"a": S, "b": I}), "property-added", "-"),
    ("optional property removed (open)", obj({"a": S, "b": I}), obj({"a": S}), "property-removed", "-"),
    ("required property added", obj({"a": S}), obj({"a": S, "b": I}, ["b"]), "property-added", "B"),
    ("required property removed", obj({"a": S, "b": I}, ["b"]), obj({"a": S}), "property-removed", "F"),
    ("property made required", obj({"a": S}), obj({"a": S}, ["a"]), "required-added", "B"),
    ("property made optional", obj({"a": S}, ["a"]), obj({"a": S}), "required-removed", "F"),
    (
        "optional property added (closed)",
        obj({"a": S}, additionalProperties=False),
        obj({"a": S, "b": I}, additionalProperties=False),
        "property-added",
        "F",
    ),
    (
        "property removed (closed)",
        obj({"a": S, "b": I}, additionalProperties=False),
        obj({"a": S}, additionalProperties=False),
        "property-removed",
        "B",
    ),
    (
        "additionalProperties true->false",
        obj({"a": S}),
        obj({"a": S}, additionalProperties=False),
        "additional-properties-restricted",
        "B",
    ),
    (
        "additionalProperties false->true",
        obj({"a": S}, additionalProperties=False),
        obj({"a": S}),
        "additional-properties-allowed",
        "F",
    ),
    (
        "additionalProperties schema widened",
        {"type": "object", "additionalProperties": S},
        {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
        "type-widened",
        "F",
    ),
    (
        "property added over a map schema",
        {"type": "object", "additionalProperties": S},
        {"type": "object", "properties": {"n": I}, "additionalProperties": S},
        "property-added",
        "BF",
    ),
    ("nested property type", obj({"a": obj({"b": N})}), obj({"a": obj({"b": I})}), "type-narrowed", "B"),
    ("oneOf variant added", {"oneOf": [CARD, SEPA]}, {"oneOf": [CARD, SEPA, CASH]}, "variant-added", "F"),
    (
        "oneOf variant removed",
        {"oneOf": [CARD, SEPA, CASH]},
        {"oneOf": [CARD, SEPA]},
        "variant-removed",
        "B",
    ),
    (
        "anyOf branch narrowed",
        {"anyOf": [CARD, SEPA]},
        {"anyOf": [{**CARD, "required": ["pan", "cvc"]}, SEPA]},
        "required-added",
        "B",
    ),
    (
        "type-only union widened",
        {"oneOf": [S, I]},
        {"oneOf": [S, I, {"type": "boolean"}]},
        "type-widened",
        "F",
    ),
    (
        "3.1 nullable union dropped",
        {"anyOf": [obj({"a": S}), {"type": "null"}]},
        obj({"a": S}),
        "nullable-removed",
        "B",
    ),
    (
        "allOf part's required dropped",
        {"allOf": [obj({"a": S}), {"required": ["a"]}]},
        {"allOf": [obj({"a": S})]},
        "required-removed",
        "F",
    ),
    ("schema true -> false", True, False, "schema-changed", "B"),
    ("not changed", {"not": S}, {"not": I}, "not-changed", "BF"),
    ("default changed", {**I, "default": 1}, {**I, "default": 2}, "default-changed", "-"),
    ("deprecated", S, {**S, "deprecated": True}, "deprecated-changed", "-"),
]


@pytest.mark.parametrize(("old", "new", "kind", "breaks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_single_change(old: Any, new: Any, kind: str, breaks: str) -> None:
    changes = compare(old, new)
    assert [c.kind for c in changes] == [kind], [c.detail for c in changes]
    change = changes[0]
    assert change.breaks(Mode.BACKWARD) is ("B" in breaks)
    assert change.breaks(Mode.FORWARD) is ("F" in breaks)
    assert change.breaks(Mode.FULL) is (breaks != "-")
    assert change.breaks(Mode.BACKWARD_TRANSITIVE) is ("B" in breaks)
    assert change.breaks(Mode.FORWARD_TRANSITIVE) is ("F" in breaks)
    assert change.breaks(Mode.FULL_TRANSITIVE) is (breaks != "-")
    assert not change.breaks(Mode.NONE)


def test_at_least_forty_pairs() -> None:
    assert len(CASES) >= 40


def test_identical_and_description_only_changes_are_silent() -> None:
    schema = obj({"a": {**S, "description": "x"}, "b": {"type": "array", "items": I}}, ["a"])
    assert compare(schema, schema) == []
    other = obj({"a": {**S, "description": "changed"}, "b": {"type": "array", "items": I}}, ["a"])
    assert compare(schema, other) == []


def test_paths_name_the_element() -> None:
    old = obj({"order": obj({"lines": {"type": "array", "items": obj({"total": N})}})})
    new = obj({"order": obj({"lines": {"type": "array", "items": obj({"total": I})}})})
    [change] = compare(old, new)
    assert change.path == "properties/order/properties/lines/items/properties/total"
    assert change.detail == "type narrowed number -> integer"
    assert (change.old, change.new) == (["number"], ["integer"])


def test_property_names_with_slashes_are_escaped() -> None:
    [change] = compare(obj({"a/b": S}), obj({"a/b": I}))
    assert change.path == "properties/a~1b"


def test_recursive_schema_through_defs_terminates() -> None:
    def tree(leaf: dict[str, Any]) -> dict[str, Any]:
        return {
            "$ref": "#/$defs/Node",
            "$defs": {
                "Node": obj({"value": leaf, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}})
            },
        }

    [change] = compare(tree(N), tree(I))
    assert change.kind == "type-narrowed"
    assert change.path == "properties/value"


def test_python_object_cycles_terminate() -> None:
    old: dict[str, Any] = obj({"v": S})
    old["properties"]["next"] = old
    new: dict[str, Any] = obj({"v": S, "w": I}, ["w"])
    new["properties"]["next"] = new
    changes = compare(old, new)
    assert [(c.kind, c.path) for c in changes] == [("property-added", "properties/w")]


def test_defs_mapping_resolves_ir_style_refs() -> None:
    old_defs = {"Money": obj({"amount": N})}
    new_defs = {"Money": obj({"amount": I})}
    payload = obj({"total": {"$ref": "#/$defs/Money"}})
    [change] = compare(payload, payload, old_defs=old_defs, new_defs=new_defs)
    assert change.path == "properties/total/properties/amount"
    assert change.kind == "type-narrowed"


def test_single_schema_becoming_a_union_is_a_variant_added() -> None:
    defs_old = {"Order": obj({"id": S}, ["id"])}
    defs_new = {"Order": obj({"id": S}, ["id"]), "Refund": obj({"refundId": S}, ["refundId"])}
    old = {"$ref": "#/$defs/Order"}
    new = {"oneOf": [{"$ref": "#/$defs/Order"}, {"$ref": "#/$defs/Refund"}]}
    [change] = compare(old, new, old_defs=defs_old, new_defs=defs_new)
    assert (change.kind, change.path, change.new) == ("variant-added", "oneOf/1", "Refund")
    assert change.forward and not change.backward


def test_variant_folded_into_another_breaks_nobody() -> None:
    # every instance of the new variant (id and code required) is valid under the old one
    old = {"oneOf": [obj({"id": S}, ["id"])]}
    new = {"oneOf": [obj({"id": S}, ["id"]), obj({"id": S, "code": I}, ["id", "code"])]}
    [change] = compare(old, new)
    assert change.kind == "variant-added"
    assert change.detail == "oneOf variant #1 added, within an existing variant"
    assert not (change.backward or change.forward)


def test_nullable_spellings_are_equivalent() -> None:
    spellings = [
        {"type": ["string", "null"]},
        {"type": "string", "nullable": True},
        {"anyOf": [S, {"type": "null"}]},
        {"oneOf": [{"type": "null"}, S]},
    ]
    for old in spellings:
        for new in spellings:
            assert compare(old, new) == [], (old, new)


def test_union_branches_matched_by_ref_name_not_position() -> None:
    defs = {"A": obj({"a": S}), "B": obj({"b": S}), "C": obj({"c": S})}
    old = {"oneOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}
    new = {"oneOf": [{"$ref": "#/$defs/C"}, {"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}
    [change] = compare(old, new, old_defs=defs, new_defs=defs)
    assert (change.kind, change.new) == ("variant-added", "C")


def test_strict_open_content_flags_additions_and_removals() -> None:
    strict = SchemaOptions(strict_open_content=True)
    [added] = compare(obj({"a": S}), obj({"a": S, "b": I}), options=strict)
    assert added.backward and not added.forward
    [removed] = compare(obj({"a": S, "b": I}), obj({"a": S}), options=strict)
    assert removed.forward and not removed.backward


def test_type_change_stops_descent() -> None:
    changes = compare({**S, "maxLength": 3}, {"type": "object", "properties": {"x": I}})
    assert [c.kind for c in changes] == ["type-changed"]


def test_constraints_of_types_not_shared_are_ignored() -> None:
    # maxLength only applies to strings; number -> number keeps it irrelevant
    assert compare({**N, "maxLength": 3}, {**N, "maxLength": 1}) == []


def test_unresolvable_refs_compare_by_text() -> None:
    [change] = compare({"$ref": "other.json#/A"}, {"$ref": "other.json#/B"})
    assert change.kind == "ref-changed"
    assert change.backward and change.forward


def test_json_shape_of_a_change() -> None:
    [change] = compare(N, I)
    data = change.to_json(Mode.FORWARD)
    assert data["breaking_under"] == ["BACKWARD", "BACKWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"]
    assert data["breaking"] is False
    assert data["severity"] == "non-breaking"
    assert change.to_json(Mode.BACKWARD)["severity"] == "breaking"


def test_object_keywords_imply_the_object_type() -> None:
    implicit = {"properties": {"a": S}, "required": ["a"]}
    assert compare(implicit, {**implicit, "type": "object"}) == []
    assert compare({"items": I}, {"type": "array", "items": I}) == []
    [change] = compare(implicit, {**implicit, "type": ["object", "null"]})
    assert change.kind == "nullable-added"


def test_json_of_a_change_with_a_cyclic_value() -> None:
    node: dict[str, Any] = obj({})
    node["properties"]["self"] = node
    [change] = compare(obj({"x": node}), obj({}))
    assert change.to_json(Mode.BACKWARD)["old"] == "<recursive dict>"
