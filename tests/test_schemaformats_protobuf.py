"""Protobuf (.proto text) -> JSON Schema 2020-12 (asyncgen/schemaformats/protobuf.py).

Where ``grpcio-tools`` is installed (the test extra), protoc is an oracle: it must
agree on which .proto texts are valid, and the JSON that protobuf's own json_format
writes must validate against our schema - and JSON our schema accepts must parse.
"""

from __future__ import annotations

import functools
import importlib
import json
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats import ConvertedSchema, check, to_json_schema
from asyncgen.schemaformats.common import FLOAT32_MAX

PROTO = "application/vnd.google.protobuf;version=3"
LOC = Location("spec.yaml", 20, 7, "/components/schemas/s/schema")


def proto(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def convert(text: str) -> ConvertedSchema:
    converted = to_json_schema(proto(text), PROTO, LOC)
    document = converted.to_document()
    jsonschema.Draft202012Validator.check_schema(document)
    assert json.loads(json.dumps(document)) == document  # plain JSON: no bytes, Decimal, datetime
    return converted


def validator(converted: ConvertedSchema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        converted.to_document(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors_of(text: str) -> list[SpecError]:
    return [e for e in check(proto(text), PROTO, LOC) if e.severity == "error"]


# ---------------------------------------------------------------------------- mapping

SCALARS = """
syntax = "proto3";
message S {
  double d = 1; float f = 2; int32 i32 = 3; sint32 s32 = 4; sfixed32 sf32 = 5;
  uint32 u32 = 6; fixed32 f32 = 7; int64 i64 = 8; uint64 u64 = 9; bool b = 10;
  string s = 11; bytes raw = 12; optional int32 maybe = 13;
}
"""


def test_scalars_follow_proto3_json_mapping() -> None:
    props = convert(SCALARS).defs["S"]["properties"]
    assert props["d"] == {"type": "number", "format": "double", "default": 0}
    assert props["f"]["maximum"] == FLOAT32_MAX
    assert props["i32"] == {
        "type": "integer",
        "format": "int32",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
        "default": 0,
    }
    assert props["u32"]["minimum"] == 0 and props["u32"]["maximum"] == 2**32 - 1
    assert props["i64"] == {"type": "string", "pattern": "^-?[0-9]+$", "default": "0"}
    assert props["u64"]["pattern"] == "^[0-9]+$"
    assert props["b"] == {"type": "boolean", "default": False}
    assert props["s"] == {"type": "string", "default": ""}
    assert props["raw"]["contentEncoding"] == "base64"
    assert "default" not in props["maybe"]  # explicit presence: absent is not zero


def test_json_names_and_comments() -> None:
    converted = convert(
        """
        syntax = "proto3";
        // A user.
        // @Example {"userId": "u1"}
        message User {
          // The id.
          string user_id = 1;
          string display_name = 2 [json_name = "name"]; // shown in the UI
          int32 old = 3 [deprecated = true];
        }
        """
    )
    user = converted.defs["User"]
    assert user["description"] == "A user."
    assert user["examples"] == [{"userId": "u1"}]
    assert list(user["properties"]) == ["userId", "name", "old"]
    assert user["properties"]["userId"]["description"] == "The id."
    assert user["properties"]["name"]["description"] == "shown in the UI"
    assert user["properties"]["old"]["deprecated"] is True
    assert user["additionalProperties"] is False
    assert user["x-protobuf-name"] == "User"


def test_comment_annotations_become_constraints() -> None:
    converted = convert(
        """
        syntax = "proto3";
        message M {
          // Age in years.
          // @Min 0
          // @Max 150
          int32 age = 1;
          // @Pattern ^[A-Z]{2}$
          // @Example "DE"
          string country = 2;
          // @MinItems 1
          repeated string tags = 3;
        }
        """
    )
    props = converted.defs["M"]["properties"]
    assert props["age"]["minimum"] == 0 and props["age"]["maximum"] == 150
    assert props["age"]["description"] == "Age in years."
    assert props["country"]["pattern"] == "^[A-Z]{2}$"
    assert props["country"]["examples"] == ["DE"]
    assert props["tags"]["minItems"] == 1
    check_ = validator(converted)
    assert check_.is_valid({"age": 30, "country": "DE", "tags": ["a"]})
    assert not check_.is_valid({"age": 200})
    assert not check_.is_valid({"country": "Germany"})
    assert not check_.is_valid({"tags": []})


def test_nested_types_enums_repeated_maps() -> None:
    converted = convert(
        """
        syntax = "proto3";
        package shop.v1;
        message Order {
          message Line { string sku = 1; }
          enum Status { STATUS_UNSPECIFIED = 0; OPEN = 1; DONE = 2; }
          repeated Line lines = 1;
          Status status = 2;
          map<string, Line> by_sku = 3;
          map<int32, string> notes = 4;
          map<bool, int32> flags = 5;
        }
        """
    )
    assert list(converted.defs) == ["Order", "OrderLine", "OrderStatus"]
    assert converted.root == {"$ref": "#/$defs/Order"}
    assert converted.root_name == "Order"
    props = converted.defs["Order"]["properties"]
    assert props["lines"] == {"type": "array", "items": {"$ref": "#/$defs/OrderLine"}, "default": []}
    assert props["status"] == {"$ref": "#/$defs/OrderStatus", "default": "STATUS_UNSPECIFIED"}
    assert converted.defs["OrderStatus"]["enum"] == ["STATUS_UNSPECIFIED", "OPEN", "DONE"]
    assert props["bySku"]["additionalProperties"] == {"$ref": "#/$defs/OrderLine"}
    assert "propertyNames" not in props["bySku"]
    assert props["notes"]["propertyNames"] == {"pattern": "^-?[0-9]+$"}
    assert props["flags"]["propertyNames"] == {"enum": ["true", "false"]}
    check_ = validator(converted)
    assert check_.is_valid({"lines": [{"sku": "a"}], "status": "OPEN", "notes": {"12": "x"}})
    assert not check_.is_valid({"notes": {"twelve": "x"}})
    assert not check_.is_valid({"status": "CLOSED"})
    assert not check_.is_valid({"unknownField": 1})


def test_oneof_allows_at_most_one_member() -> None:
    converted = convert(
        """
        syntax = "proto3";
        message Pay {
          string id = 1;
          oneof method { string card = 2; string iban = 3; int32 voucher = 4; }
        }
        """
    )
    pay = converted.defs["Pay"]
    assert pay["x-protobuf-oneofs"] == {"method": ["card", "iban", "voucher"]}
    assert "default" not in pay["properties"]["card"]
    check_ = validator(converted)
    assert check_.is_valid({"id": "p"})
    assert check_.is_valid({"id": "p", "iban": "DE00"})
    assert not check_.is_valid({"card": "4111", "iban": "DE00"})
    assert not check_.is_valid({"voucher": 3, "iban": "DE00"})


def test_proto2_required_and_defaults() -> None:
    converted = convert(
        """
        syntax = "proto2";
        enum Kind { A = 1; B = 2; }
        message P {
          required int32 x = 1;
          optional int64 big = 2 [default = 7];
          optional Kind kind = 3 [default = B];
          optional string label = 4;
        }
        """
    )
    p = converted.defs["P"]
    assert p["required"] == ["x"]
    assert p["properties"]["big"]["default"] == "7"
    assert p["properties"]["kind"]["default"] == "B"
    assert "default" not in p["properties"]["label"]


def test_well_known_types() -> None:
    converted = convert(
        """
        syntax = "proto3";
        import "google/protobuf/timestamp.proto";
        import "google/protobuf/duration.proto";
        import "google/protobuf/struct.proto";
        import "google/protobuf/wrappers.proto";
        import "google/protobuf/empty.proto";
        import "google/protobuf/any.proto";
        message W {
          google.protobuf.Timestamp at = 1;
          google.protobuf.Duration took = 2;
          google.protobuf.Struct meta = 3;
          google.protobuf.Int32Value count = 4;
          google.protobuf.Int64Value total = 5;
          google.protobuf.Empty nothing = 6;
          google.protobuf.Any extra = 7;
          google.protobuf.Value anything = 8;
        }
        """
    )
    props = converted.defs["W"]["properties"]
    assert list(converted.defs) == ["W"]
    assert props["at"] == {"type": "string", "format": "date-time"}
    assert props["meta"] == {"type": "object"}
    assert props["count"]["type"] == ["integer", "null"]
    assert props["total"]["type"] == ["string", "null"]
    assert props["anything"] == {}
    check_ = validator(converted)
    assert check_.is_valid(
        {
            "at": "2024-01-01T00:00:00Z",
            "took": "1.5s",
            "meta": {"a": [1]},
            "count": None,
            "total": "12",
            "nothing": {},
            "extra": {"@type": "type.googleapis.com/x.Y", "v": 1},
            "anything": [None, 1, "x"],
        }
    )
    assert not check_.is_valid({"took": "90 minutes"})
    assert not check_.is_valid({"at": "yesterday"})


def test_recursive_message_and_unreachable_messages() -> None:
    converted = convert(
        """
        syntax = "proto3";
        message Tree { string name = 1; repeated Tree children = 2; }
        """
    )
    assert list(converted.defs) == ["Tree"]
    assert converted.defs["Tree"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert validator(converted).is_valid({"name": "a", "children": [{"name": "b", "children": []}]})


def test_def_name_collisions_are_deterministic() -> None:
    converted = convert(
        """
        syntax = "proto3";
        // @RootNode
        message Root { A.Inner one = 1; AInner two = 2; }
        message A { message Inner { int32 x = 1; } }
        message AInner { string y = 1; }
        """
    )
    props = converted.defs["Root"]["properties"]
    assert props["one"] == {"$ref": "#/$defs/AInner"}
    assert props["two"] == {"$ref": "#/$defs/AInner2"}
    assert converted.defs["AInner"]["x-protobuf-name"] == "A.Inner"


def test_google_type_messages_become_defs_and_yield_to_own_names() -> None:
    converted = convert(
        """
        syntax = "proto3";
        import "google/type/date.proto";
        import "google/type/money.proto";
        message Date { string text = 1; }
        // @RootNode
        message Invoice { google.type.Date due = 1; Date printed = 2; google.type.Money total = 3; }
        """
    )
    props = converted.defs["Invoice"]["properties"]
    assert props["due"] == {"$ref": "#/$defs/GoogleTypeDate"}
    assert props["printed"] == {"$ref": "#/$defs/Date"}
    assert props["total"] == {"$ref": "#/$defs/Money"}
    assert converted.defs["Money"]["properties"]["units"]["pattern"] == "^-?[0-9]+$"


# ------------------------------------------------------------------------- root choice


def test_root_is_the_message_nobody_uses() -> None:
    converted = convert(
        """
        message Point { required int32 x = 1; required int32 y = 2; }
        message Line { required Point start = 1; required Point end = 2; optional string label = 3; }
        """
    )
    assert converted.root_name == "Line"
    assert converted.defs["Line"]["required"] == ["start", "end"]


def test_unused_nested_types_do_not_compete_for_root() -> None:
    converted = convert(
        """
        syntax = "proto3";
        message Envelope { message Unused { int32 x = 1; } string id = 1; }
        """
    )
    assert converted.root_name == "Envelope"
    assert list(converted.defs) == ["Envelope"]


def test_root_marker_decides_between_candidates() -> None:
    text = """
        syntax = "proto3";
        message A { string a = 1; }
        /* The payload.
         * @RootNode
         */
        message B { string b = 1; }
        """
    converted = convert(text)
    assert converted.root_name == "B"
    assert converted.defs["B"]["description"] == "The payload."


def test_ambiguous_root_is_an_error_with_hint() -> None:
    (err,) = errors_of('syntax = "proto3";\nmessage A { string a = 1; }\nmessage B { string b = 1; }\n')
    assert "cannot tell which message is the payload: A, B" in err.message
    assert err.hint is not None and "@RootNode" in err.hint


# ----------------------------------------------------------------------------- errors


def test_syntax_error_is_located_inside_the_text() -> None:
    (err,) = errors_of('syntax = "proto3";\nmessage A {\n  string x = 1\n  int32 y = 2;\n}\n')
    assert "syntax error at .proto line 4" in err.message
    assert err.line == LOC.line + 4
    assert (err.file, err.pointer) == (LOC.file, LOC.pointer)


def test_unknown_type_has_did_you_mean() -> None:
    (err,) = errors_of('syntax = "proto3";\nmessage A {\n  strng name = 1;\n}\n')
    assert "unknown type 'strng' of field 'name'" in err.message
    assert err.line == LOC.line + 3
    assert err.hint is not None and err.hint.startswith("did you mean 'string'")


def test_field_errors_point_at_their_own_message() -> None:
    text = 'syntax = "proto3";\nmessage A { Nope x = 1; }\nmessage B {\n  Nope x = 1;\n}\n'
    lines = [e.line - LOC.line for e in errors_of(text)]
    assert lines == [2, 4]


def test_hostile_nesting_is_an_error_not_a_crash() -> None:
    text = "message A { " * 3000 + "}" * 3000
    errors = errors_of(text)
    assert errors
    with pytest.raises(SpecError):
        to_json_schema(text, PROTO, LOC)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('syntax = "proto3";\nimport "other/thing.proto";\nmessage A { other.T t = 1; }\n', "not supported"),
        ('syntax = "proto3";\nmessage A { int32 a = 1; int32 b = 1; }\n', "share number 1"),
        ('syntax = "proto3";\nmessage A { int32 a = 1; string a = 2; }\n', "declared twice"),
        (
            'syntax = "proto3";\nmessage A { int32 foo_bar = 1; int32 fooBar = 2; }\n',
            "same JSON name 'fooBar'",
        ),
        (
            'syntax = "proto3";\nmessage A { map<float, string> m = 1; }\n',
            "expecting {'bool', 'string', 'int32'",
        ),
        ('syntax = "proto3";\nenum E { X = 0; }\n', "defines no message"),
        ("   \n", "empty"),
    ],
)
def test_semantic_errors(text: str, needle: str) -> None:
    errors = errors_of(text)
    assert errors, text
    assert needle in errors[0].message
    with pytest.raises(SpecError):
        to_json_schema(text, PROTO, LOC)


def test_payload_must_be_text() -> None:
    (err,) = check({"type": "object"}, PROTO, LOC)
    assert "must be .proto text" in err.message


def test_proto3_required_is_a_warning_not_an_error() -> None:
    found = check('syntax = "proto3";\nmessage A { required int32 x = 1; }\n', PROTO, LOC)
    assert [e.severity for e in found] == ["warning"]
    assert (
        to_json_schema('syntax = "proto3";\nmessage A { required int32 x = 1; }\n', PROTO, LOC).root_name
        == "A"
    )


# ----------------------------------------------------------------------------- corpus


def test_corpus_complex_proto3(shared_dir: Path) -> None:
    path = shared_dir / "corpus/asyncapi/3.0/asyncapi__protobuf-schema-parser__complex.proto3.yaml"
    raw = path.read_text()
    payload = yaml.safe_load(raw)["components"]["schemas"]["protoSample"]
    node = yaml.compose(raw)
    schema_node = _mapping_get(node, "components", "schemas", "protoSample", "schema")
    where = Location(str(path), schema_node.start_mark.line + 1, schema_node.start_mark.column + 1, "/x")
    fmt = payload["schemaFormat"]
    found = check(payload, fmt, where)
    assert [e.severity for e in found] == ["warning", "warning"]  # `required` in a proto3 file
    lines = raw.splitlines()
    assert "required int32 from = 1;" in lines[found[0].line - 1]
    converted = to_json_schema(payload, fmt, where)
    jsonschema.Draft202012Validator.check_schema(converted.to_document())
    assert converted.root_name == "Test"
    assert set(converted.defs) == {
        "Test",
        "Date",
        "DateTime",
        "TimeZone",
        "Decimal",
        "SubTypeA",
        "SubTypeB",
        "SubTypeC",
        "SubTypeD",
        "Duration",
    }
    test = converted.defs["Test"]
    assert test["properties"]["delay"]["pattern"].endswith("s$")  # google.protobuf.Duration
    assert test["properties"]["dur"] == {"$ref": "#/$defs/Duration"}  # the file's own Duration
    assert test["x-protobuf-oneofs"]["first"] == ["optionA", "optionB", "optionC", "optionD"]
    assert validator(converted).is_valid({"date": {"year": 2024}, "optionA": {"element": "e"}, "y": None})
    assert not validator(converted).is_valid({"optionA": {}, "optionB": {}})


def _mapping_get(node: yaml.Node, *keys: str) -> yaml.Node:
    for key in keys:
        node = next(v for k, v in node.value if k.value == key)
    return node


# ----------------------------------------------------------------- protoc as an oracle


def _protobuf() -> tuple[Any, ModuleType, ModuleType, ModuleType]:
    protoc = pytest.importorskip("grpc_tools.protoc", reason="grpcio-tools (test extra) not installed")
    descriptor_pb2 = importlib.import_module("google.protobuf.descriptor_pb2")
    json_format = importlib.import_module("google.protobuf.json_format")
    factory = importlib.import_module("google.protobuf.message_factory")
    return protoc, descriptor_pb2, json_format, factory


def protoc_accepts(text: str, tmp: Path) -> bool:
    protoc, *_ = _protobuf()
    (tmp / "p.proto").write_text(text)
    include = Path(protoc.__file__).parent / "_proto"
    args = ["protoc", f"-I{tmp}", f"-I{include}", f"--descriptor_set_out={tmp / 'p.pb'}", "--include_imports"]
    return protoc.main([*args, "p.proto"]) == 0


def message_class(text: str, full_name: str, tmp: Path) -> Any:
    _protoc, descriptor_pb2, _json, factory = _protobuf()
    assert protoc_accepts(text, tmp)
    files = descriptor_pb2.FileDescriptorSet.FromString((tmp / "p.pb").read_bytes())
    classes = factory.GetMessages(list(files.file))
    return classes[full_name]


ORACLE_TEXTS = {
    "valid-proto3": (SCALARS, True),
    "valid-proto2": (
        'syntax = "proto2";\nmessage P { required int32 x = 1; optional string s = 2; }\n',
        True,
    ),
    "missing-semicolon": ('syntax = "proto3";\nmessage A {\n  string x = 1\n}\n', False),
    "unknown-type": ('syntax = "proto3";\nmessage A { Missing m = 1; }\n', False),
    "duplicate-number": ('syntax = "proto3";\nmessage A { int32 a = 1; int32 b = 1; }\n', False),
    "json-name-clash": ('syntax = "proto3";\nmessage A { int32 foo_bar = 1; int32 fooBar = 2; }\n', False),
    "unbalanced": ('syntax = "proto3";\nmessage A { int32 a = 1;\n', False),
}


@pytest.mark.parametrize("case", sorted(ORACLE_TEXTS))
def test_validity_agrees_with_protoc(case: str, tmp_path: Path) -> None:
    text, valid = ORACLE_TEXTS[case]
    assert protoc_accepts(text, tmp_path) is valid
    assert (errors_of(text) == []) is valid


ROUND_TRIP = """
syntax = "proto3";
package rt;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Event {
  enum Level { LEVEL_UNSPECIFIED = 0; INFO = 1; WARN = 2; }
  message Tag { string key = 1; string value = 2; }
  string event_id = 1;
  int32 seq = 2;
  int64 offset = 3;
  double score = 4;
  float ratio = 5;
  bool urgent = 6;
  bytes blob = 7;
  Level level = 8;
  repeated Tag tags = 9;
  map<string, int32> counters = 10;
  oneof target { string user_id = 11; Tag group = 12; }
  google.protobuf.Timestamp at = 13;
  google.protobuf.StringValue note = 14;
  optional uint32 retries = 15;
}
"""


def test_protobuf_json_output_validates_against_converted_schema(tmp_path: Path) -> None:
    _protoc, _pb2, json_format, _factory = _protobuf()
    event_cls = message_class(ROUND_TRIP, "rt.Event", tmp_path)
    event = event_cls(
        event_id="e1", seq=-5, offset=2**40, score=0.5, ratio=1.5, urgent=True, blob=b"\x00\xff"
    )
    event.level = 2
    event.tags.add(key="k", value="v")
    event.counters["a"] = 7
    event.group.key = "g"
    event.at.FromSeconds(1_700_000_000)
    event.note.value = "hi"
    event.retries = 3
    check_ = validator(convert(ROUND_TRIP))
    for message in (event, event_cls()):
        for always in (False, True):
            data = json_format.MessageToDict(message, always_print_fields_with_no_presence=always)
            assert [e.message for e in check_.iter_errors(data)] == []


# int64 digit strings and int-keyed map keys are not range-checked by the schema (see
# protobuf.py); the property runs on the fields whose JSON form the schema pins down fully.
PROPERTY_TEXT = """
syntax = "proto3";
message Item { string name = 1; }
message Doc {
  enum Kind { KIND_UNSPECIFIED = 0; A = 1; }
  string title = 1; int32 n = 2; uint32 u = 3; float f = 4; double d = 5; bool ok = 6;
  bytes raw = 7; Kind kind = 8; repeated Item items = 9; map<string, Item> index = 10;
  oneof choice { string text = 11; Item item = 12; }
}
"""


@functools.cache
def _property_schema() -> dict[str, Any]:
    return convert(PROPERTY_TEXT).to_document()


@pytest.fixture(scope="module")
def doc_class(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return message_class(PROPERTY_TEXT, "Doc", tmp_path_factory.mktemp("proto"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=from_schema(_property_schema()))
def test_json_accepted_by_converted_schema_is_parsed_by_protobuf(
    doc_class: Any, value: dict[str, Any]
) -> None:
    _protoc, _pb2, json_format, _factory = _protobuf()
    json_format.ParseDict(value, doc_class())
