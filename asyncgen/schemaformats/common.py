"""Shared pieces of the schema-format converters: the result type, schemaFormat parsing, def names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asyncgen.document import MapNode, SeqNode, child_loc
from asyncgen.errors import Location, join_pointer

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT32_MAX, UINT64_MAX = 2**32 - 1, 2**64 - 1
FLOAT32_MAX = 3.4028234663852886e38  # larger values cannot be written as a 32-bit float


@dataclass(frozen=True)
class ConvertedSchema:
    """A payload schema as JSON Schema 2020-12.

    ``root`` is the payload's schema. Named types (Avro records/enums/fixed, protobuf
    messages/enums) live in ``defs`` (name -> schema) and are referenced from ``root``
    and from each other as ``{"$ref": "#/$defs/<name>"}``. When the payload itself is
    a named type, ``root`` is just ``{"$ref": "#/$defs/<root_name>"}`` and
    ``root_name`` says which def it is (so a recursive root record is one def, not two).
    """

    root: Mapping[str, Any]
    defs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the def that *is* the payload, when the payload is a named type
    root_name: str | None = None

    def to_document(self) -> dict[str, Any]:
        """One self-contained JSON Schema document (``$schema`` + root + ``$defs``)."""
        doc: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, **self.root}
        if self.defs:
            doc["$defs"] = {name: dict(schema) for name, schema in self.defs.items()}
        return doc


@dataclass(frozen=True)
class SchemaFormat:
    """A parsed ``schemaFormat`` media type: ``application/vnd.apache.avro+json;version=1.9.0``."""

    kind: str  # "jsonschema" | "openapi" | "asyncapi" | "avro" | "protobuf" | "raml" | "unknown"
    media_type: str  # lower-cased, without parameters
    version: str | None = None


# Media types (without parameters, lower case) per kind. Structured-syntax suffixes
# (+json/+yaml) are listed explicitly: only the ones the AsyncAPI spec defines count.
_MEDIA_TYPES: dict[str, str] = {
    "application/vnd.apache.avro": "avro",
    "application/vnd.apache.avro+json": "avro",
    "application/vnd.apache.avro+yaml": "avro",
    "application/vnd.google.protobuf": "protobuf",
    "application/schema+json": "jsonschema",
    "application/schema+yaml": "jsonschema",
    "application/vnd.oai.openapi": "openapi",
    "application/vnd.oai.openapi+json": "openapi",
    "application/vnd.oai.openapi+yaml": "openapi",
    "application/vnd.aai.asyncapi": "asyncapi",
    "application/vnd.aai.asyncapi+json": "asyncapi",
    "application/vnd.aai.asyncapi+yaml": "asyncapi",
    "application/raml+yaml": "raml",
}


def parse_schema_format(schema_format: str | None) -> SchemaFormat:
    """Split a schemaFormat into kind, media type and ``version`` parameter.

    No schemaFormat means the spec's default (AsyncAPI Schema, a JSON Schema superset),
    reported as ``jsonschema``. Anything not in the AsyncAPI list is ``unknown``.
    """
    if schema_format is None or not schema_format.strip():
        return SchemaFormat("jsonschema", "")
    media_type, *params = (part.strip() for part in schema_format.split(";"))
    media_type = media_type.lower()
    version = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "version":
            version = value.strip().strip('"') or None
    return SchemaFormat(_MEDIA_TYPES.get(media_type, "unknown"), media_type, version)


def pascal_case(name: str) -> str:
    """``user_profile`` -> ``UserProfile``, ``com.a.User`` -> ``ComAUser``; inner capitals kept."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def assign_def_names(full_names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Unique, deterministic def names for named types.

    ``full_names`` yields (full name, short name) pairs, e.g. ("com.a.User", "User").
    A type gets the PascalCase of its short name unless another type shares it; then
    all of those get the PascalCase of their full names (``ComAUser``/``ComBUser``).
    Whatever still collides is numbered in sorted full-name order. The result does not
    depend on the order the types were met in.
    """
    pairs = dict(full_names)
    by_short: dict[str, list[str]] = {}
    for full, short in pairs.items():
        by_short.setdefault(pascal_case(short), []).append(full)
    wanted: dict[str, str] = {}
    for short_name, fulls in by_short.items():
        for full in fulls:
            wanted[full] = short_name if len(fulls) == 1 else pascal_case(full)
    result: dict[str, str] = {}
    taken: set[str] = set()
    for full in sorted(wanted, key=lambda f: (wanted[f], f)):
        name = wanted[full]
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}{n}", n + 1
        taken.add(candidate)
        result[full] = candidate
    return result


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def locate(root: Any, path: Sequence[str | int], base: Location) -> Location:
    """Where ``root[path...]`` is written: the deepest node on the path that carries a
    source location (loaded spec nodes do; it may be in another file, reached by $ref),
    plus the rest of the path as pointer; ``base`` + path for data built in memory."""
    found, rest = base, list(path)
    node = root
    for index, part in enumerate(path):
        if isinstance(node, MapNode | SeqNode):
            try:
                found, rest = child_loc(node, part), list(path[index + 1 :])
            except (KeyError, IndexError, ValueError, TypeError):
                break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if found is base:
        return base.child(*path)
    return Location(found.file, found.line, found.column, join_pointer(found.pointer, *rest))
