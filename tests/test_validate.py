"""validate: version dispatch, the structural table, hints, one error per root cause."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from asyncgen.document import Document, from_data
from asyncgen.errors import SpecError
from asyncgen.load import load
from asyncgen.validate import validate


def run(tmp_path: Path, text: str, name: str = "spec.yaml", **files: str) -> list[SpecError]:
    for other, content in files.items():
        (tmp_path / other.replace("__", ".")).write_text(textwrap.dedent(content), encoding="utf-8")
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return validate(load(path))


def errors(problems: list[SpecError]) -> list[SpecError]:
    return [p for p in problems if p.severity == "error"]


def doc_of(data: dict[str, Any]) -> Document:
    node = from_data(data, "mem.yaml")
    family = "asyncapi" if "asyncapi" in data else "openapi" if "openapi" in data else "unknown"
    return Document(
        path=Path("mem.yaml"), raw=node, root=node, family=family, version=str(data.get(family, ""))
    )


V3 = """\
asyncapi: 3.0.0
info:
  title: Lights
  version: 1.0.0
servers:
  mosquitto:
    host: test.mosquitto.org
    protocol: mqtt
channels:
  lightMeasured:
    address: light/{id}/measured
    parameters:
      id:
        description: light id
    messages:
      measured:
        name: LightMeasured
        payload:
          type: object
          properties:
            lumens:
              type: integer
              minimum: 0
operations:
  onLightMeasured:
    action: receive
    channel:
      $ref: '#/channels/lightMeasured'
    messages:
      - $ref: '#/channels/lightMeasured/messages/measured'
"""

V2 = """\
asyncapi: 2.6.0
info:
  title: Lights
  version: 1.0.0
servers:
  production:
    url: test.mosquitto.org
    protocol: mqtt
channels:
  light/{id}/measured:
    parameters:
      id:
        schema:
          type: string
    publish:
      operationId: onLightMeasured
      message:
        name: LightMeasured
        payload:
          type: object
          properties:
            lumens:
              type: integer
              minimum: 0
"""


def test_valid_documents_have_no_problems(tmp_path: Path) -> None:
    assert run(tmp_path, V3) == []
    assert run(tmp_path, V2, "v2.yaml") == []


# -- dispatch ------------------------------------------------------------------------------------------


def test_unsupported_asyncapi_version() -> None:
    (err,) = validate(doc_of({"asyncapi": "4.0.0", "info": {"title": "t", "version": "1"}}))
    assert err.message == (
        "asyncapi: '4.0.0' is not a supported version; asyncgen supports 2.0.0-2.6.0, 3.0.0, 3.1.0"
    )
    assert err.pointer == "/asyncapi"


def test_version_that_is_a_number() -> None:
    (err,) = validate(doc_of({"asyncapi": 3.0, "info": {}}))
    assert "must be a string" in err.message
    assert err.hint is not None and "quote it" in err.hint


def test_neither_asyncapi_nor_openapi() -> None:
    (err,) = validate(doc_of({"info": {"title": "t"}}))
    assert "not an AsyncAPI or OpenAPI document" in err.message


def test_unsupported_openapi_version() -> None:
    (err,) = validate(doc_of({"openapi": "2.0", "info": {}}))
    assert "not a supported version" in err.message
    (swagger,) = validate(doc_of({"swagger": "2.0", "info": {}}))
    assert "Swagger 2.0" in swagger.message


@pytest.mark.parametrize("version", ["2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0"])
def test_every_2x_version_dispatches(version: str) -> None:
    assert (
        validate(doc_of({"asyncapi": version, "info": {"title": "t", "version": "1"}, "channels": {}})) == []
    )


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_every_3x_version_dispatches(version: str) -> None:
    assert validate(doc_of({"asyncapi": version, "info": {"title": "t", "version": "1"}})) == []


# -- structure and hints -----------------------------------------------------------------------------


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V3.replace("  title: Lights", "  titel: Lights"))
    assert err.message == "Info Object has no field `titel`"
    assert err.hint == "did you mean `title`? (`title` is required)"
    assert (err.line, err.column) == (3, 3)
    assert err.pointer == "/info/titel"


def test_unknown_action_did_you_mean(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V3.replace("action: receive", "action: recieve"))
    assert "`action` is 'recieve'" in err.message
    assert err.hint == "did you mean `receive`?"
    assert err.pointer == "/operations/onLightMeasured/action"


def test_publish_in_a_3x_channel_hints_operations(tmp_path: Path) -> None:
    spec = V3.replace(
        "    address: light/{id}/measured\n", "    address: light/{id}/measured\n    publish: {}\n"
    )
    (err,) = run(tmp_path, spec)
    assert err.message == "Channel Object has no field `publish`"
    assert err.hint is not None and "moved `publish`/`subscribe` to `operations`" in err.hint


def test_3x_server_url_is_one_error_with_hint(tmp_path: Path) -> None:
    spec = V3.replace("    host: test.mosquitto.org", "    url: mqtt://test.mosquitto.org")
    (err,) = run(tmp_path, spec)  # not also "missing required field `host`"
    assert err.message == "Server Object has no field `url`"
    assert err.hint is not None and "splits `url` into `host`" in err.hint


def test_2x_document_with_operations_hints_the_other_way(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V2 + "operations: {}\n")
    assert err.pointer == "/operations"
    assert err.hint is not None and "`operations` is AsyncAPI 3" in err.hint


def test_2x_server_with_host_hints_url(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V2.replace("    url: test.mosquitto.org", "    host: test.mosquitto.org"))
    assert "has no field `host`" in err.message
    assert err.hint is not None and "one `url`" in err.hint


def test_3x_message_with_2x_schema_format(tmp_path: Path) -> None:
    spec = V3.replace(
        "        name: LightMeasured\n",
        "        name: LightMeasured\n        schemaFormat: application/json\n",
    )
    (err,) = run(tmp_path, spec)
    assert err.message == "Message Object has no field `schemaFormat`"
    assert err.hint is not None and "payload: {schemaFormat: '...', schema: {...}}" in err.hint


def test_wrong_type_of_a_field(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V3.replace("  title: Lights", "  title: 42"))
    assert err.message == "`title` must be a string, not an integer"
    assert (err.line, err.pointer) == (3, "/info/title")


def test_missing_required_field(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V3.replace("    protocol: mqtt\n", ""))
    assert err.message == "Server Object is missing required field `protocol`"
    assert err.pointer == "/servers/mosquitto"


def test_bad_extension_name(tmp_path: Path) -> None:
    (err,) = run(tmp_path, V3.replace("  version: 1.0.0", "  version: 1.0.0\n  x: 1"))
    assert "has no field `x`" in err.message
    assert err.hint is not None and "`x-`" in err.hint
    assert run(tmp_path, V3.replace("  version: 1.0.0", "  version: 1.0.0\n  x-team: core"), "ok.yaml") == []


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("minimum", "true", "schema keyword `minimum` must be a number, not a boolean"),
        ("required", "id", "schema keyword `required` must be an array of strings, not a string"),
        ("type", "strng", "schema `type` 'strng' is not a JSON Schema type"),
        (
            "additionalProperties",
            "[]",
            "`additionalProperties` must be a schema (an object or a boolean), not an array",
        ),
        ("maxLength", "-1", "schema keyword `maxLength` must not be negative"),
        ("enum", "[]", "schema keyword `enum` must not be empty"),
        ("properties", "[]", "schema keyword `properties` must be an object of schemas, not an array"),
        ("allOf", "[]", "schema keyword `allOf` must not be an empty array"),
        ("multipleOf", "0", "schema keyword `multipleOf` must be greater than 0"),
    ],
)
def test_schema_keywords(tmp_path: Path, keyword: str, value: str, message: str) -> None:
    spec = V3.replace(
        "              minimum: 0", f"              minimum: 0\n              {keyword}: {value}"
    )
    if keyword in ("minimum", "type"):
        spec = V3.replace(
            "              type: integer\n              minimum: 0", f"              {keyword}: {value}"
        )
    (err,) = run(tmp_path, spec)
    assert err.message == message
    assert err.line > 20
    if keyword == "type":
        assert err.hint == "did you mean `string`?"


def test_recursive_schema_is_checked_once(tmp_path: Path) -> None:
    spec = V3 + textwrap.dedent(
        """\
        components:
          schemas:
            Category:
              type: object
              properties:
                name: {type: strng}
                children:
                  type: array
                  items:
                    $ref: '#/components/schemas/Category'
        """
    )
    (err,) = run(tmp_path, spec)
    assert err.pointer == "/components/schemas/Category/properties/name/type"


def test_2x_message_oneof_bad_payload_is_one_error(tmp_path: Path) -> None:
    spec = V2.replace(
        "      message:\n        name: LightMeasured\n",
        "      message:\n        oneOf:\n          - name: A\n            payload: {type: string}\n"
        "          - name: LightMeasured\n",
    ).replace("        payload:\n          type: object", "            payload:\n              type: object")
    spec = spec.replace(
        "          properties:\n            lumens:\n              type: integer\n              minimum: 0\n",
        "              additionalProperties: [1]\n",
    )
    (err,) = run(tmp_path, spec)
    assert err.pointer.endswith("/oneOf/1/payload/additionalProperties")


def test_2x_message_oneof_with_other_fields(tmp_path: Path) -> None:
    spec = V2.replace("        name: LightMeasured\n", "        name: LightMeasured\n        oneOf: []\n")
    (err,) = run(tmp_path, spec)
    assert "cannot have other fields" in err.message


def test_two_mistakes_two_errors(tmp_path: Path) -> None:
    spec = V3.replace("action: receive", "action: recieve").replace("minimum: 0", "minimum: zero")
    problems = run(tmp_path, spec)
    assert len(problems) == 2
    assert [p.pointer.rsplit("/", 1)[-1] for p in problems] == ["minimum", "action"]  # sorted by location


def test_errors_are_sorted_by_location(tmp_path: Path) -> None:
    spec = V3.replace("  title: Lights", "  title: 1").replace("    protocol: mqtt", "    protocol: 2")
    problems = run(tmp_path, spec)
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_ref_to_something_that_is_not_a_channel(tmp_path: Path) -> None:
    spec = V2.replace("  light/{id}/measured:\n", "  other:\n    $ref: other.yaml\n  light/{id}/measured:\n")
    (err,) = run(tmp_path, spec, other__yaml="email:\n  type: string\n")
    assert "refers to 'other.yaml', which is not a Channel Item Object" in err.message
    assert err.file.endswith("other.yaml")


def test_error_in_a_referenced_file_points_there(tmp_path: Path) -> None:
    spec = V3.replace(
        "        payload:\n          type: object",
        "        payload:\n          $ref: schemas.yaml#/Lumens\n          x-y: 1",
    )
    spec = V3.replace(
        "        payload:\n          type: object\n          properties:\n            lumens:\n"
        "              type: integer\n              minimum: 0\n",
        "        payload:\n          $ref: schemas.yaml#/Lumens\n",
    )
    (err,) = run(tmp_path, spec, schemas__yaml="Lumens:\n  type: object\n  required: lumens\n")
    assert err.file.endswith("schemas.yaml")
    assert (err.line, err.pointer) == (3, "/Lumens/required")


def test_security_schemes(tmp_path: Path) -> None:
    spec = V3 + textwrap.dedent(
        """\
        components:
          securitySchemes:
            key:
              type: apikey
              in: user
            http:
              type: httpApiKey
              in: header
            oauth:
              type: oauth2
              flows:
                implicit:
                  authorizationUrl: https://x
                  tokenUrl: https://y
                  availableScopes: {}
        """
    )
    found = run(tmp_path, spec)
    assert [e.message for e in found] == [
        "security scheme `type` 'apikey' is not one AsyncAPI defines",
        "httpApiKey security scheme is missing required field `name`",
        "OAuth Flow Object (implicit) has no field `tokenUrl`",
    ]
    assert found[0].hint == "did you mean `apiKey`?"


def test_correlation_id_location_is_a_runtime_expression(tmp_path: Path) -> None:
    spec = V3.replace(
        "        name: LightMeasured\n",
        "        name: LightMeasured\n        correlationId:\n          location: header.id\n",
    )
    (err,) = run(tmp_path, spec)
    assert err.message == "`location` 'header.id' is not valid"
    assert err.hint is not None and "$message.header#/" in err.hint


def test_bindings_loose_but_correct(tmp_path: Path) -> None:
    spec = V3.replace(
        "    address: light/{id}/measured\n",
        "    address: light/{id}/measured\n    bindings:\n      kafka:\n        partitions: '3'\n"
        "        cleanup: compact\n      mything:\n        a: 1\n",
    )
    found = run(tmp_path, spec)
    assert [(p.severity, p.message) for p in found] == [
        ("error", "`partitions` must be an integer, not a string"),
        ("warning", "`cleanup` is not a field of the kafka channel binding asyncgen knows"),
        ("warning", "`mything` is not a protocol binding AsyncAPI defines; asyncgen ignores it"),
    ]


def test_multi_format_avro_payload_goes_to_schemaformats(tmp_path: Path) -> None:
    spec = V3.replace(
        "        payload:\n          type: object\n          properties:\n            lumens:\n"
        "              type: integer\n              minimum: 0\n",
        "        payload:\n          schemaFormat: application/vnd.apache.avro;version=1.9.0\n"
        "          schema:\n            type: record\n            name: Light\n            fields:\n"
        "              - name: lumens\n                type: nonexistent\n",
    )
    found = errors(run(tmp_path, spec))
    assert len(found) == 1
    assert "nonexistent" in found[0].message
    valid = spec.replace("type: nonexistent", "type: int")
    assert errors(run(tmp_path, valid, "ok.yaml")) == []


def test_multi_format_schema_with_stray_field(tmp_path: Path) -> None:
    spec = V3.replace(
        "        payload:\n          type: object\n",
        "        payload:\n          schema:\n            type: object\n          type: object\n",
    )
    spec = spec.replace(
        "          properties:\n            lumens:\n              type: integer\n              minimum: 0\n",
        "",
    )
    (err,) = run(tmp_path, spec)
    assert err.message == "Multi Format Schema Object has no field `type`"


def test_message_example_needs_payload_or_headers(tmp_path: Path) -> None:
    spec = V3.replace(
        "        name: LightMeasured\n",
        "        name: LightMeasured\n        examples:\n          - name: one\n",
    )
    (err,) = run(tmp_path, spec)
    assert "needs `payload` or `headers`" in err.message


def test_validate_never_raises_on_odd_shapes() -> None:
    odd: list[dict[str, Any]] = [
        {
            "asyncapi": "3.0.0",
            "info": [],
            "channels": "x",
            "operations": {"o": 5},
            "components": {"schemas": 1},
        },
        {
            "asyncapi": "2.6.0",
            "info": {"title": {}},
            "channels": {"c": {"publish": {"message": {"oneOf": 5}}}},
        },
        {"asyncapi": "3.0.0", "info": {"title": "t", "version": "1"}, "servers": {"s": None}},
        {"asyncapi": "2.0.0", "info": {"title": "t", "version": "1"}, "channels": {"a": {"parameters": []}}},
    ]
    for data in odd:
        found = validate(doc_of(data))
        assert found and all(isinstance(p, SpecError) for p in found)
