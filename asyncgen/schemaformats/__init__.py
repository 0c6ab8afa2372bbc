"""Non-JSON-Schema payload formats -> JSON Schema (Avro, Protobuf).

Contract (used by parse and validate):

    kind_of(schema_format: str | None) -> str
        "jsonschema" | "openapi" | "asyncapi" | "avro" | "protobuf" | "raml" | "unknown"

    check(schema, schema_format, location) -> list[SpecError]
        problems in a payload of that format (invalid Avro type, unparsable .proto...);
        errors and warnings (``severity``), never raises for bad input.

    to_json_schema(schema, schema_format, location, *, name_hint) -> ConvertedSchema
        JSON Schema (2020-12) for the payload; named types (Avro records/enums,
        protobuf messages/enums) go to ``defs`` (name -> schema) and are referenced
        as "#/$defs/<name>" from ``root`` and each other. When the payload is itself a
        named type, ``root`` is ``{"$ref": "#/$defs/<root_name>"}`` and
        ``ConvertedSchema.root_name`` names that def. Raises SpecError when the
        schema cannot be converted (invalid, or RAML / unknown formats, which
        ``check`` reports as warnings: a caller that wants to go on catches it).

``schema`` is the payload as written: for AsyncAPI 3 multi-format schemas
(``{schemaFormat, schema}``) pass the inner ``schema`` (the wrapper is unwrapped
here too, for convenience). Avro: the schema as data (or JSON text); Protobuf: the
.proto text (see ``protobuf.py`` for how the root message is chosen).

JSON Schema / AsyncAPI / OpenAPI-3.0 schema dialects are handled by the parser's
schema graph walk, not here: ``to_json_schema`` passes them through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats.common import ConvertedSchema, SchemaFormat, parse_schema_format

__all__ = ["ConvertedSchema", "SchemaFormat", "check", "kind_of", "parse_schema_format", "to_json_schema"]

_KNOWN_MAJOR_VERSIONS = {"avro": ("1",), "protobuf": ("2", "3")}


def kind_of(schema_format: str | None) -> str:
    """Which family a schemaFormat names; exact media types only (see ``common._MEDIA_TYPES``)."""
    return parse_schema_format(schema_format).kind


def _unwrap(schema: Any, location: Location) -> tuple[Any, Location]:
    if isinstance(schema, Mapping) and "schemaFormat" in schema and "schema" in schema:
        return schema["schema"], location.child("schema")
    return schema, location


def check(schema: Any, schema_format: str | None, location: Location) -> list[SpecError]:
    fmt = parse_schema_format(schema_format)
    schema, location = _unwrap(schema, location)
    found: list[SpecError] = []
    majors = _KNOWN_MAJOR_VERSIONS.get(fmt.kind)
    if majors and fmt.version and fmt.version.split(".")[0] not in majors:
        found.append(
            SpecError(
                f"schemaFormat {schema_format!r}: {fmt.kind} version {fmt.version} is not one asyncgen knows",
                location,
                hint=f"known {fmt.kind} versions: " + ", ".join(f"{m}.x" for m in majors),
                severity="warning",
            )
        )
    if fmt.kind == "avro":
        from asyncgen.schemaformats import avro

        found.extend(avro.check(schema, location))
    elif fmt.kind == "protobuf":
        from asyncgen.schemaformats import protobuf

        found.extend(protobuf.check(schema, location))
    elif fmt.kind == "raml":
        found.append(
            SpecError(
                "RAML data types are not supported for model generation; the payload is not checked",
                location,
                hint="convert the type to JSON Schema, Avro or Protobuf to get a typed model",
                severity="warning",
            )
        )
    elif fmt.kind == "unknown":
        found.append(
            SpecError(
                f"unknown schemaFormat {schema_format!r}; the payload is not checked",
                location,
                hint="known formats: application/vnd.aai.asyncapi+json;version=X, "
                "application/schema+json;version=draft-07, application/vnd.oai.openapi;version=3.0.0, "
                "application/vnd.apache.avro;version=1.9.0, application/vnd.google.protobuf;version=3, "
                "application/raml+yaml;version=1.0 (+json/+yaml variants)",
                severity="warning",
            )
        )
    return found


def to_json_schema(
    schema: Any, schema_format: str | None, location: Location, *, name_hint: str = "Payload"
) -> ConvertedSchema:
    fmt = parse_schema_format(schema_format)
    schema, location = _unwrap(schema, location)
    if fmt.kind in ("jsonschema", "asyncapi", "openapi"):
        return ConvertedSchema(root=schema if isinstance(schema, Mapping) else {})
    if fmt.kind == "avro":
        from asyncgen.schemaformats import avro

        return avro.to_json_schema(schema, location, name_hint=name_hint)
    if fmt.kind == "protobuf":
        from asyncgen.schemaformats import protobuf

        return protobuf.to_json_schema(schema, location, name_hint=name_hint)
    if fmt.kind == "raml":
        raise SpecError(
            "RAML data types cannot be converted to a model",
            location,
            hint="convert the type to JSON Schema, Avro or Protobuf",
        )
    raise SpecError(f"schemaFormat {schema_format!r} is not supported", location)
