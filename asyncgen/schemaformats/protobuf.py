"""Protobuf (.proto text) -> JSON Schema: not implemented yet."""

from __future__ import annotations

from typing import Any

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats.common import ConvertedSchema


def check(schema: Any, location: Location) -> list[SpecError]:
    return []


def to_json_schema(schema: Any, location: Location, *, name_hint: str = "Payload") -> ConvertedSchema:
    raise SpecError("Protobuf payloads are not supported yet", location)
