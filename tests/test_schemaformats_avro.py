"""Avro -> JSON Schema 2020-12 (asyncgen/schemaformats/avro.py)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats import ConvertedSchema, check, to_json_schema
from asyncgen.schemaformats.avro import BASE64_PATTERN
from asyncgen.schemaformats.common import FLOAT32_MAX

AVRO = "application/vnd.apache.avro;version=1.9.0"
LOC = Location("spec.yaml", 10, 7, "/components/messages/m/payload")


def convert(schema: Any, fmt: str = AVRO) -> ConvertedSchema:
    converted = to_json_schema(schema, fmt, LOC)
    document = converted.to_document()
    jsonschema.Draft202012Validator.check_schema(document)
    assert json.loads(json.dumps(document)) == document  # plain JSON: no bytes, Decimal, datetime
    return converted


def validator(converted: ConvertedSchema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        converted.to_document(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def record(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


# ------------------------------------------------------------------------ primitives


@pytest.mark.parametrize(
    ("avro_type", "expected"),
    [
        ("null", {"type": "null"}),
        ("boolean", {"type": "boolean"}),
        ("int", {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}),
        ("long", {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}),
        ("float", {"type": "number", "format": "float", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}),
        ("double", {"type": "number", "format": "double"}),
        (
            "bytes",
            {"type": "string", "contentEncoding": "base64", "format": "byte", "pattern": BASE64_PATTERN},
        ),
        ("string", {"type": "string"}),
    ],
)
def test_primitive_field(avro_type: str, expected: dict[str, Any]) -> None:
    converted = convert(record("R", {"name": "f", "type": avro_type}))
    assert converted.defs["R"]["properties"]["f"] == expected


def test_primitive_root_is_inline_with_name_hint() -> None:
    converted = to_json_schema("string", AVRO, LOC, name_hint="Greeting")
    assert converted.root == {"title": "Greeting", "type": "string"}
    assert converted.root_name is None
    assert converted.defs == {}


def test_record_shape_required_doc_defaults() -> None:
    schema = record(
        "User",
        {"name": "id", "type": "long", "doc": "the id"},
        {"name": "nick", "type": ["null", "string"]},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "age", "type": "int", "default": 18},
        doc="A user",
        namespace="com.example",
    )
    converted = convert(schema)
    assert converted.root == {"$ref": "#/$defs/User"}
    assert converted.root_name == "User"
    user = converted.defs["User"]
    assert user["type"] == "object"
    assert user["description"] == "A user"
    assert user["additionalProperties"] is False
    assert user["x-avro-name"] == "com.example.User"
    # required = what fastavro refuses to write when missing: no default and not nullable
    assert user["required"] == ["id"]
    assert user["properties"]["id"]["description"] == "the id"
    assert user["properties"]["age"]["default"] == 18
    assert user["properties"]["email"]["default"] is None
    assert user["properties"]["nick"] == {"anyOf": [{"type": "null"}, {"type": "string"}]}
    with pytest.raises(ValueError, match="no value and no default"):
        fastavro.schemaless_writer(io.BytesIO(), fastavro.parse_schema(schema), {"nick": None})
    fastavro.schemaless_writer(io.BytesIO(), fastavro.parse_schema(schema), {"id": 1})


def test_record_level_example() -> None:
    converted = convert(record("P", {"name": "x", "type": "int"}, example={"x": 1}))
    assert converted.defs["P"]["examples"] == [{"x": 1}]


def test_enum_array_map_union() -> None:
    converted = convert(
        record(
            "Bag",
            {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "counts", "type": {"type": "map", "values": "long"}},
            {"name": "either", "type": ["int", "string", "Color"]},
        )
    )
    props = converted.defs["Bag"]["properties"]
    assert converted.defs["Color"] == {
        "title": "Color",
        "type": "string",
        "enum": ["RED", "GREEN"],
        "x-avro-name": "Color",
    }
    assert props["color"] == {"$ref": "#/$defs/Color"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["counts"]["type"] == "object"
    assert props["counts"]["additionalProperties"]["format"] == "int64"
    assert [b.get("type", b.get("$ref")) for b in props["either"]["anyOf"]] == [
        "integer",
        "string",
        "#/$defs/Color",
    ]


def test_fixed_and_bytes_defaults_are_base64() -> None:
    converted = convert(
        record(
            "Blob",
            {"name": "raw", "type": "bytes", "default": "\u00ff\u0000A"},
            {"name": "md5", "type": {"type": "fixed", "name": "MD5", "size": 16}},
        )
    )
    assert converted.defs["Blob"]["properties"]["raw"]["default"] == base64.b64encode(b"\xff\x00A").decode()
    md5 = converted.defs["MD5"]
    assert md5["contentEncoding"] == "base64"
    assert md5["minLength"] == md5["maxLength"] == 24
    assert md5["x-avro-size"] == 16
    check_ = validator(converted)
    sixteen = base64.b64encode(bytes(16)).decode()
    assert check_.is_valid({"raw": "", "md5": sixteen})
    assert not check_.is_valid({"raw": "", "md5": sixteen[:-2] + "A="})  # 23 chars + pad: 17 bytes


@pytest.mark.parametrize(
    ("avro_type", "expected", "good", "bad"),
    [
        (
            {"type": "int", "logicalType": "date"},
            {"type": "string", "format": "date"},
            "2024-02-29",
            "yesterday",
        ),
        (
            {"type": "long", "logicalType": "timestamp-millis"},
            {"type": "string", "format": "date-time"},
            "2024-02-29T10:00:00Z",
            "10 o'clock",
        ),
        (
            {"type": "long", "logicalType": "timestamp-micros"},
            {"type": "string", "format": "date-time"},
            "2024-02-29T10:00:00.000001+01:00",
            "2024",
        ),
        (
            {"type": "string", "logicalType": "uuid"},
            {"type": "string", "format": "uuid"},
            "6f1c5a1e-6c4b-4f53-9a0b-39a1d0b1e8f1",
            "not-a-uuid",
        ),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
            {"type": "string", "format": "decimal", "pattern": r"^[-+]?[0-9]{1,3}(\.[0-9]{1,2})?$"},
            "-123.45",
            "1234.5",
        ),
    ],
)
def test_logical_types(avro_type: dict[str, Any], expected: dict[str, Any], good: str, bad: str) -> None:
    converted = convert(record("L", {"name": "v", "type": avro_type}))
    assert converted.defs["L"]["properties"]["v"] == expected
    check_ = validator(converted)
    assert check_.is_valid({"v": good})
    assert not check_.is_valid({"v": bad})


def test_unknown_or_misplaced_logical_type_is_ignored() -> None:
    converted = convert(
        record(
            "L",
            {"name": "a", "type": {"type": "string", "logicalType": "date"}},  # wrong base type
            {"name": "b", "type": {"type": "long", "logicalType": "mystery"}},
        )
    )
    assert converted.defs["L"]["properties"]["a"] == {"type": "string"}
    assert converted.defs["L"]["properties"]["b"]["type"] == "integer"


def test_logical_defaults_are_converted() -> None:
    converted = convert(
        record(
            "D",
            {"name": "day", "type": {"type": "int", "logicalType": "date"}, "default": 1},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 1500},
            {
                "name": "price",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
                "default": "\u0004\u00d2",  # unscaled 1234
            },
        )
    )
    props = converted.defs["D"]["properties"]
    assert props["day"]["default"] == "1970-01-02"
    assert props["at"]["default"] == "1970-01-01T00:00:01.500000Z"
    assert props["price"]["default"] == "12.34"
    assert validator(converted).is_valid({k: v["default"] for k, v in props.items()})


def test_namespaced_names_do_not_collide_and_are_deterministic() -> None:
    a = {"type": "record", "name": "User", "namespace": "com.a", "fields": []}
    b = {"type": "record", "name": "User", "namespace": "com.b", "fields": []}
    one = convert(record("Pair", {"name": "a", "type": a}, {"name": "b", "type": b}))
    two = convert(record("Pair", {"name": "b", "type": b}, {"name": "a", "type": a}))
    assert set(one.defs) == {"Pair", "ComAUser", "ComBUser"}
    assert one.defs["Pair"]["properties"]["a"] == {"$ref": "#/$defs/ComAUser"}
    assert one.defs["ComAUser"]["x-avro-name"] == "com.a.User"
    assert two.defs["Pair"]["properties"]["a"] == {"$ref": "#/$defs/ComAUser"}


def test_recursive_linked_list() -> None:
    schema = record(
        "Node",
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"], "default": None},
    )
    converted = convert(schema)
    assert list(converted.defs) == ["Node"]
    assert converted.defs["Node"]["properties"]["next"]["anyOf"][1] == {"$ref": "#/$defs/Node"}
    data = {"value": 1, "next": {"value": 2, "next": {"value": 3, "next": None}}}
    assert fastavro.validation.validate(data, fastavro.parse_schema(schema))
    assert validator(converted).is_valid(data)
    assert not validator(converted).is_valid({"value": 1, "next": {"value": "two"}})


def test_asyncapi_extra_attributes() -> None:
    converted = convert(
        record(
            "X",
            {"name": "w", "type": "float", "exclusiveMinimum": 0, "example": 1.5},
            {"name": "s", "type": ["null", "string"], "maxLength": 3, "example": "abc"},
            {"name": "l", "type": {"type": "array", "items": "int", "minItems": 1}},
        )
    )
    props = converted.defs["X"]["properties"]
    assert props["w"]["exclusiveMinimum"] == 0
    assert props["w"]["examples"] == [1.5]
    assert props["s"]["anyOf"][1]["maxLength"] == 3
    assert props["s"]["examples"] == ["abc"]
    assert props["l"]["minItems"] == 1
    assert not validator(converted).is_valid({"w": 0, "s": None, "l": [1]})
    assert not validator(converted).is_valid({"w": 1, "s": None, "l": []})
    assert validator(converted).is_valid({"w": 1, "s": None, "l": [1]})


def test_schema_as_json_text_and_multiformat_wrapper() -> None:
    schema = record("T", {"name": "a", "type": "int"})
    assert convert(json.dumps(schema)).root_name == "T"
    wrapped = to_json_schema({"schemaFormat": AVRO, "schema": schema}, AVRO, LOC)
    assert wrapped.root_name == "T"


def test_input_is_not_mutated() -> None:
    schema = record("T", {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["X"]}})
    before = json.dumps(schema, sort_keys=True)
    convert(schema)
    assert json.dumps(schema, sort_keys=True) == before


# ---------------------------------------------------------------------------- errors


def test_unknown_type_is_located_with_hint() -> None:
    (err,) = check({"name": "Person", "type": "nonexistent"}, AVRO, LOC)
    assert err.severity == "error"
    assert "unknown Avro type 'nonexistent'" in err.message
    assert err.pointer == "/components/messages/m/payload/type"
    assert (err.file, err.line) == ("spec.yaml", 10)
    assert err.hint is not None and "int, long" in err.hint


def test_typo_gets_did_you_mean() -> None:
    (err,) = check(record("R", {"name": "a", "type": "strng"}), AVRO, LOC)
    assert err.pointer.endswith("/fields/0/type")
    assert err.hint is not None and err.hint.startswith("did you mean 'string'")


@pytest.mark.parametrize(
    ("schema", "needle", "pointer_tail"),
    [
        ({"type": "record", "fields": []}, '"name" is a required field', ""),
        (record("R", {"name": "x"}), "Record field 'x' is missing 'type'", "/fields/0"),
        (
            record("R", {"name": "x", "type": {"type": "fixed", "name": "F"}}),
            "missing 'size'",
            "/fields/0/type",
        ),
        (record("R", {"name": "x", "type": {"type": "array"}}), "missing 'items'", "/fields/0/type"),
        (
            record("R", {"name": "x", "type": "int", "default": "one"}),
            "must match schema type",
            "/fields/0/default",
        ),
        ({"type": "enum", "name": "E", "symbols": ["A", "A"]}, "unique", ""),
        (42, "not int", ""),
        ({"$ref": "https://example.com/x.avsc"}, "unresolved $ref", ""),
        ("{not json", "not valid JSON", ""),
    ],
)
def test_invalid_schemas_are_located_errors(schema: Any, needle: str, pointer_tail: str) -> None:
    errors = check(schema, AVRO, LOC)
    assert [e.severity for e in errors] == ["error"]
    assert needle in errors[0].message
    assert errors[0].pointer == LOC.pointer + pointer_tail
    with pytest.raises(SpecError):
        to_json_schema(schema, AVRO, LOC)


def test_bad_default_points_at_the_default() -> None:
    (err,) = check(
        record("R", {"name": "a", "type": "string"}, {"name": "n", "type": "int", "default": "x"}), AVRO, LOC
    )
    assert err.pointer == LOC.pointer + "/fields/1/default"


def test_hostile_nesting_is_an_error_not_a_crash() -> None:
    schema: Any = "int"
    for _ in range(5000):
        schema = {"type": "array", "items": schema}
    errors = check(schema, AVRO, LOC)
    assert [e.severity for e in errors] == ["error"]
    with pytest.raises(SpecError):
        to_json_schema(schema, AVRO, LOC)


def test_field_level_logical_type_warns() -> None:
    errors = check(record("R", {"name": "id", "type": "string", "logicalType": "uuid"}), AVRO, LOC)
    assert [e.severity for e in errors] == ["warning"]
    assert errors[0].pointer.endswith("/fields/0/logicalType")


# ---------------------------------------------------------------- data round trips

SAMPLE = record(
    "Order",
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 2}},
    {"name": "blob", "type": "bytes"},
    {"name": "lines", "type": {"type": "array", "items": record("Line", {"name": "sku", "type": "string"})}},
    {"name": "attrs", "type": {"type": "map", "values": ["null", "double"]}},
    {"name": "note", "type": ["null", "string"], "default": None},
    namespace="shop",
)


def to_json_value(value: Any) -> Any:
    """The JSON form the converted schema describes for a Python value fastavro reads back."""
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def test_fastavro_round_trip_validates_against_converted_schema() -> None:
    parsed = fastavro.parse_schema(SAMPLE)
    records = [
        {
            "id": str(uuid.uuid4()),
            "placed": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
            "day": dt.date(2024, 5, 1),
            "total": Decimal("123456.78"),
            "blob": b"\x00\xff",
            "lines": [{"sku": "A-1"}],
            "attrs": {"w": 1.5, "h": None},
        },
        {
            "id": str(uuid.uuid4()),
            "placed": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            "day": dt.date(1999, 12, 31),
            "total": Decimal("-0.01"),
            "blob": b"",
            "lines": [],
            "attrs": {},
            "note": "gift",
        },
    ]
    check_ = validator(convert(SAMPLE))
    for rec in records:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, rec)
        buffer.seek(0)
        read_back = fastavro.schemaless_reader(buffer, parsed, parsed)
        errors = [e.message for e in check_.iter_errors(to_json_value(read_back))]
        assert errors == []


PLAIN = record(
    "Event",
    {"name": "n", "type": "int"},
    {"name": "big", "type": "long"},
    {"name": "ok", "type": "boolean"},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "opt", "type": ["null", "double"], "default": None},
    {"name": "ratio", "type": "float"},
    {"name": "blob", "type": "bytes"},
    {"name": "who", "type": [record("Person", {"name": "name", "type": "string"}), "string"]},
    {"name": "index", "type": {"type": "map", "values": record("Slot", {"name": "at", "type": "long"})}},
    {"name": "md5", "type": ["null", {"type": "fixed", "name": "MD5", "size": 4}], "default": None},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(convert(PLAIN).to_document()))
def test_json_accepted_by_converted_schema_is_writable_by_fastavro(value: dict[str, Any]) -> None:
    avro_value = dict(value)
    avro_value["blob"] = base64.b64decode(value["blob"])
    if value.get("md5") is not None:
        avro_value["md5"] = base64.b64decode(value["md5"])
    parsed = fastavro.parse_schema(PLAIN)
    assert fastavro.validation.validate(avro_value, parsed)
    fastavro.schemaless_writer(io.BytesIO(), parsed, avro_value)


# -------------------------------------------------------------------------- corpus


def _corpus_payload(shared: Path, relative: str) -> Any:
    doc = yaml.safe_load((shared / "corpus" / relative).read_text())
    return doc["components"]["messages"]["testMessage"]["payload"]


def test_corpus_inline_avro_payload(shared_dir: Path) -> None:
    converted = convert(
        _corpus_payload(shared_dir, "asyncapi/2.x/asyncapi__avro-schema-parser__valid-asyncapi.yaml")
    )
    assert converted.root_name == "Person"
    assert set(converted.defs) == {"Person", "ProgrammingLanguage", "Address"}
    person = converted.defs["Person"]
    assert person["required"] == ["name", "favoriteProgrammingLanguage", "address", "someid"]
    assert validator(converted).is_valid(
        {"name": "Donkey", "favoriteProgrammingLanguage": "Go", "address": {"zipcode": 53003}, "someid": "x"}
    )


def test_corpus_invalid_avro_payload(shared_dir: Path) -> None:
    errors = check(
        _corpus_payload(shared_dir, "invalid/asyncapi__avro-schema-parser__invalid-asyncapi.yaml"), AVRO, LOC
    )
    assert [e.severity for e in errors] == ["error"]
    assert "nonexistent" in errors[0].message


@pytest.mark.parametrize("version", ["2.x", "3.0"])
@pytest.mark.parametrize(
    ("avsc", "defs"),
    [
        (
            "CostingRequestPayload",
            {"CostingRequestPayload", "UnitItem", "CostingRequestBUItem", "ContainerTypeItems"},
        ),
        ("CostingResponseKey", {"CostingResponseKey"}),
        (
            "CostingResponsePayload",
            {
                "CostingResponsePayload",
                "CostingResultItem",
                "CalculationCurrencyItems",
                "CostingResultDetailsItem",
                "CostingErrorItem",
                "CostingErrorTypeItems",
            },
        ),
    ],
)
def test_corpus_adeo_avsc(shared_dir: Path, version: str, avsc: str, defs: set[str]) -> None:
    path = shared_dir / "corpus" / "asyncapi" / version / "asyncapi__website__adeo-casestudy" / f"{avsc}.avsc"
    schema = json.loads(path.read_text())
    assert check(schema, "application/vnd.apache.avro+json;version=1.9.0", LOC) == []
    converted = convert(schema)
    assert converted.root_name == avsc
    assert set(converted.defs) == defs
