"""The schemaFormat dispatcher (asyncgen/schemaformats/__init__.py) and shared naming."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from asyncgen.errors import Location, SpecError
from asyncgen.load import load
from asyncgen.schemaformats import check, kind_of, parse_schema_format, to_json_schema
from asyncgen.schemaformats.common import assign_def_names, pascal_case

LOC = Location("spec.yaml", 3, 5, "/components/messages/m/payload")


@pytest.mark.parametrize(
    ("schema_format", "kind"),
    [
        (None, "jsonschema"),
        ("", "jsonschema"),
        ("application/vnd.apache.avro;version=1.9.0", "avro"),
        ("application/vnd.apache.avro+json;version=1.9.0", "avro"),
        ("application/vnd.apache.avro+yaml;version=1.9.0", "avro"),
        ("Application/VND.Apache.Avro ; version=1.9.0", "avro"),
        ("application/vnd.google.protobuf;version=3", "protobuf"),
        ("application/vnd.google.protobuf;version=2", "protobuf"),
        ("application/schema+json;version=draft-07", "jsonschema"),
        ("application/schema+yaml;version=draft-07", "jsonschema"),
        ("application/vnd.oai.openapi;version=3.0.0", "openapi"),
        ("application/vnd.oai.openapi+json;version=3.0.0", "openapi"),
        ("application/vnd.oai.openapi+yaml;version=3.0.0", "openapi"),
        ("application/vnd.aai.asyncapi;version=2.6.0", "asyncapi"),
        ("application/vnd.aai.asyncapi+json;version=3.0.0", "asyncapi"),
        ("application/vnd.aai.asyncapi+yaml;version=3.0.0", "asyncapi"),
        ("application/raml+yaml;version=1.0", "raml"),
        ("unknown-schema-format", "unknown"),
        ("application/avro", "unknown"),  # not an AsyncAPI media type: no loose substring matching
        ("application/json", "unknown"),
        ("application/vnd.apache.avro+xml;version=1.9.0", "unknown"),
    ],
)
def test_kind_of_matches_media_types_exactly(schema_format: str | None, kind: str) -> None:
    assert kind_of(schema_format) == kind


def test_parse_schema_format_version() -> None:
    fmt = parse_schema_format('application/vnd.apache.avro+json; version="1.9.0"')
    assert (fmt.kind, fmt.media_type, fmt.version) == ("avro", "application/vnd.apache.avro+json", "1.9.0")
    assert parse_schema_format("application/vnd.google.protobuf").version is None


def test_unknown_and_raml_formats_warn() -> None:
    (unknown,) = check({"type": "string"}, "unknown-schema-format", LOC)
    assert unknown.severity == "warning"
    assert "unknown schemaFormat" in unknown.message
    assert unknown.location == LOC
    (raml,) = check({"type": "string"}, "application/raml+yaml;version=1.0", LOC)
    assert raml.severity == "warning"
    assert "not supported for model generation" in raml.message
    with pytest.raises(SpecError, match="RAML"):
        to_json_schema({"type": "string"}, "application/raml+yaml;version=1.0", LOC)
    with pytest.raises(SpecError, match="not supported"):
        to_json_schema({}, "unknown-schema-format", LOC)


def test_unknown_major_version_warns() -> None:
    found = check("string", "application/vnd.apache.avro;version=2.0.0", LOC)
    assert [(e.severity, "version 2.0.0" in e.message) for e in found] == [("warning", True)]
    assert check("string", "application/vnd.apache.avro;version=1.11.1", LOC) == []


def test_json_schema_family_passes_through() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    for fmt in (
        None,
        "application/schema+json;version=draft-07",
        "application/vnd.aai.asyncapi;version=2.6.0",
    ):
        assert check(schema, fmt, LOC) == []
        converted = to_json_schema(schema, fmt, LOC)
        assert converted.root == schema
        assert converted.defs == {}


def test_multiformat_wrapper_is_unwrapped_with_its_pointer() -> None:
    wrapper = {"schemaFormat": "application/vnd.apache.avro;version=1.9.0", "schema": {"type": "nope"}}
    (err,) = check(wrapper, wrapper["schemaFormat"], LOC)
    assert err.pointer == LOC.pointer + "/schema/type"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("user_profile", "UserProfile"),
        ("com.a.User", "ComAUser"),
        ("BUItem", "BUItem"),
        ("9lives", "T9lives"),
    ],
)
def test_pascal_case(name: str, expected: str) -> None:
    assert pascal_case(name) == expected


def test_assign_def_names_is_order_independent() -> None:
    pairs = [("com.b.User", "User"), ("com.a.User", "User"), ("Order", "Order"), ("ComAUser", "ComAUser")]
    forward = assign_def_names(pairs)
    backward = assign_def_names(reversed(pairs))
    assert forward == backward
    assert forward["Order"] == "Order"
    assert len(set(forward.values())) == 4
    assert {forward["com.a.User"], forward["ComAUser"]} == {"ComAUser", "ComAUser2"}
    assert forward["com.b.User"] == "ComBUser"


def test_errors_point_at_the_line_in_the_loaded_file(tmp_path: Path) -> None:
    spec = tmp_path / "avro.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            asyncapi: 2.6.0
            info: {title: t, version: '1'}
            channels: {}
            components:
              messages:
                m:
                  schemaFormat: application/vnd.apache.avro;version=1.9.0
                  payload:
                    type: record
                    name: R
                    fields:
                      - name: ok
                        type: string
                      - name: bad
                        type: strng
            """
        )
    )
    data = load(spec).root
    payload = data["components"]["messages"]["m"]["payload"]
    (err,) = check(payload, "application/vnd.apache.avro;version=1.9.0", Location(str(spec), 8, 7, "/x"))
    assert (err.file, err.line, err.column) == (str(spec), 15, 13)  # the `type:` key
    assert err.pointer == "/components/messages/m/payload/fields/1/type"
