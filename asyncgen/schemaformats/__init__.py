"""Non-JSON-Schema payload formats -> JSON Schema (Avro, Protobuf).

Contract (used by parse and validate):

    kind_of(schema_format: str | None) -> str
        "jsonschema" | "openapi" | "asyncapi" | "avro" | "protobuf" | "raml" | "unknown"

    check(schema, schema_format, location) -> list[SpecError]
        problems in a payload of that format (invalid Avro type, unparsable .proto...)

    to_json_schema(schema, schema_format, location, *, name_hint) -> ConvertedSchema
        JSON Schema (2020-12) for the payload; named types (Avro records/enums,
        protobuf messages/enums) go to ``defs`` (name -> schema) and are referenced
        as "#/$defs/<name>" from ``root`` and each other. Raises SpecError when the
        schema cannot be converted.

JSON Schema / AsyncAPI / OpenAPI-3.0 schema dialects are handled by the parser's
schema graph walk, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncgen.errors import Location, SpecError


@dataclass(frozen=True)
class ConvertedSchema:
    root: Mapping[str, Any]
    defs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def kind_of(schema_format: str | None) -> str:
    if not schema_format:
        return "jsonschema"
    fmt = schema_format.lower()
    if "avro" in fmt:
        return "avro"
    if "protobuf" in fmt:
        return "protobuf"
    if "openapi" in fmt:
        return "openapi"
    if "raml" in fmt:
        return "raml"
    if "asyncapi" in fmt:
        return "asyncapi"
    if "schema+json" in fmt or "schema+yaml" in fmt:
        return "jsonschema"
    return "unknown"


def check(schema: Any, schema_format: str | None, location: Location) -> list[SpecError]:
    return []


def to_json_schema(
    schema: Any, schema_format: str | None, location: Location, *, name_hint: str = "Payload"
) -> ConvertedSchema:
    kind = kind_of(schema_format)
    if kind in ("jsonschema", "asyncapi", "openapi"):
        return ConvertedSchema(root=schema if isinstance(schema, Mapping) else {})
    raise SpecError(f"schemaFormat {schema_format!r} is not supported yet", location)
