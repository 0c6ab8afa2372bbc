"""Message payloads and headers: a Schema Object, or another format (Avro, Protobuf...).

2.x messages name the format in ``message.schemaFormat``; 3.x wraps the schema in a
Multi Format Schema Object ``{schemaFormat, schema}``. JSON Schema / AsyncAPI
payloads are checked as Schema Objects; Avro and Protobuf go to
``asyncgen.schemaformats.check``; OpenAPI 3.0 schemas only need to be objects
(the OpenAPI dialect is not ours to re-validate); unknown formats get the
schemaformats warning and are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncgen import schemaformats
from asyncgen.document import MapNode, child_loc, loc_of
from asyncgen.errors import Location
from asyncgen.validate.schema import ASYNCAPI_SCHEMA, DRAFT07_SCHEMA
from asyncgen.validate.walker import EXTENSION, STR, Ctx, Custom, type_error


def check_payload(ctx: Ctx, payload: Any, schema_format: Any, where: Location, label: str) -> None:
    """One payload (or multi-format ``schema``) in the format ``schema_format`` names."""
    fmt = schema_format if isinstance(schema_format, str) else None
    kind = schemaformats.kind_of(fmt)
    if fmt is None or kind == "asyncapi":
        ASYNCAPI_SCHEMA.check(ctx, payload, where, label)
    elif kind == "jsonschema":
        DRAFT07_SCHEMA.check(ctx, payload, where, label)
    elif kind == "openapi":
        if not isinstance(payload, (Mapping, bool)):
            type_error(ctx, payload, where, label, "an OpenAPI Schema Object")
    else:
        if isinstance(payload, (Mapping, list)) and not ctx.first_visit(payload, f"payload:{fmt}"):
            return
        for problem in schemaformats.check(payload, fmt, where):
            ctx.errors.append(problem)
            if problem.severity == "error":
                ctx.broken.add(id(payload))


def check_any_schema(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    """3.x ``payload``/``headers``/components ``schemas``: a Schema or a Multi Format Schema Object."""
    if isinstance(value, Mapping) and "schema" in value:
        at = loc_of(value, where)
        for key in value:
            if key not in ("schema", "schemaFormat") and not EXTENSION.match(key):
                key_at = value.key_loc(key) if isinstance(value, MapNode) else at.child(key)
                ctx.error(
                    f"Multi Format Schema Object has no field `{key}`",
                    key_at,
                    "a Multi Format Schema Object is `{schemaFormat, schema}`; "
                    "put schema keywords inside `schema`",
                    node=value,
                )
        fmt = value.get("schemaFormat")
        if "schemaFormat" in value:
            STR.check(
                ctx,
                fmt,
                child_loc(value, "schemaFormat") if isinstance(value, MapNode) else at,
                "schemaFormat",
            )
        inner_at = child_loc(value, "schema") if isinstance(value, MapNode) else at.child("schema")
        check_payload(ctx, value["schema"], fmt, inner_at, "schema")
        return
    ASYNCAPI_SCHEMA.check(ctx, value, where, label)


ANY_SCHEMA = Custom(check_any_schema, "Schema or Multi Format Schema Object")


def check_headers_2(ctx: Ctx, value: Any, where: Location, label: str) -> None:
    """2.x message ``headers``: a Schema Object of type object."""
    ASYNCAPI_SCHEMA.check(ctx, value, where, label)
    if isinstance(value, Mapping) and "type" in value and value["type"] != "object":
        at = child_loc(value, "type") if isinstance(value, MapNode) else where
        ctx.error("message `headers` must be a schema of `type: object`", at, node=value)


HEADERS_2 = Custom(check_headers_2, "Schema Object (type object)")
