"""Deterministic example payloads for generated tests and default handlers.

The spec's own example when it validates against the schema (checked with
``jsonschema``), else one synthesised from the schema: ``const``, ``enum[0]``,
``default``, ``examples[0]``, then by type (formats get fixed sample values,
numbers respect minimum/exclusiveMinimum/maximum/multipleOf, strings min/maxLength,
objects get every required property and the optional ones that can be made).
The same input always gives the same example. A synthesised value is only used
when it validates too; otherwise there is no example (the generated test skips
with that reason) rather than a wrong one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asyncgen.model import Message


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "duration": "P1D",
    "byte": "ZXhhbXBsZQ==",
}
_MAX_DEPTH = 12


def example_for(message: Message, defs: Mapping[str, Any]) -> tuple[Any, bool]:
    """(example payload, found) for a message with a JSON payload schema."""
    if message.payload is None:
        return None, False
    schema = dict(message.payload.schema)
    for ex in message.examples:
        if ex.has_payload and valid(ex.payload, schema, defs):
            return ex.payload, True
    value = synthesise(schema, defs)
    if value is not _NOTHING and valid(value, schema, defs):
        return value, True
    return None, False


class _Nothing:
    pass


_NOTHING: Any = _Nothing()


def valid(value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    try:
        validator = jsonschema.Draft202012Validator({**schema, "$defs": {**defs, **schema.get("$defs", {})}})
        return not any(True for _ in validator.iter_errors(value))
    except Exception:  # a schema jsonschema cannot handle: no example rather than a wrong one
        return False


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        name = schema["$ref"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        target = defs.get(name)
        if not isinstance(target, Mapping):
            return {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    return schema


def synthesise(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """A deterministic instance of ``schema`` (``_NOTHING`` when none can be made)."""
    if schema is True or schema == {}:
        return "example"
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return _NOTHING
    schema = _resolve(schema, defs)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = synthesise(part, defs, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        own = {k: v for k, v in schema.items() if k != "allOf"}
        if own.get("properties") or own.get("type") == "object":
            value = synthesise(own, defs, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            for option in schema[key]:
                value = synthesise(option, defs, depth + 1)
                if value is not _NOTHING:
                    return value
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _by_type(kind, schema, defs, depth)


def _by_type(kind: str, schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> Any:
    if kind == "object":
        props = _mapping(schema.get("properties"))
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        out: dict[str, Any] = {}
        for name in [*required, *(p for p in props if p not in required)]:
            value = synthesise(props.get(name, {}), defs, depth + 1)
            if value is _NOTHING:
                if name in required:
                    return _NOTHING
                continue
            out[name] = value
        return out
    if kind == "array":
        item = synthesise(schema.get("items", {}), defs, depth + 1)
        count = int(schema.get("minItems", 1) or 0)
        if item is _NOTHING:
            return [] if count == 0 else _NOTHING
        return [item] * max(count, 1)
    if kind == "string":
        fmt = schema.get("format")
        text = _FORMATS.get(fmt, "example") if isinstance(fmt, str) else "example"
        low, high = int(schema.get("minLength", 0) or 0), schema.get("maxLength")
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text
    if kind in ("integer", "number"):
        return _number(kind, schema)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _NOTHING


def _number(kind: str, schema: Mapping[str, Any]) -> Any:
    low = schema.get("minimum")
    xlow = schema.get("exclusiveMinimum")
    high = schema.get("maximum")
    value: float = 1
    if isinstance(low, int | float):
        value = low
    if isinstance(xlow, int | float) and not isinstance(xlow, bool):
        value = xlow + 1
    if isinstance(high, int | float) and value > high:
        value = high
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = (value // step + (1 if value % step else 0)) * step
    return int(value) if kind == "integer" else value


_WRONG: dict[str, Any] = {"string": [], "integer": "x", "number": "x", "boolean": "maybe", "array": 12}
_WRONG["object"] = 12


def invalid_field_for(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(property, wrong value) that makes an otherwise valid instance invalid, or None."""
    schema = _resolve(schema, defs)
    props = _mapping(schema.get("properties"))
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    for name in [*required, *(p for p in props if p not in required)]:
        prop = _resolve(_mapping(props.get(name)), defs)
        enum = prop.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            return name, "\x00not-a-member"
        kind = prop.get("type")
        combined = any(k in prop for k in ("oneOf", "anyOf", "allOf"))
        if isinstance(kind, str) and kind in _WRONG and not combined:
            return name, _WRONG[kind]
    return None


def headers_example(message: Message, defs: Mapping[str, Any]) -> dict[str, str] | None:
    """Valid headers (the spec's example, else synthesised) as broker header strings."""
    if message.headers is None:
        return None
    schema = dict(message.headers.schema)
    value = next((e.headers for e in message.examples if e.headers is not None), None)
    if value is None or not valid(value, schema, defs):
        value = synthesise(schema, defs)
    if not isinstance(value, Mapping) or not valid(value, schema, defs):
        return None
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
