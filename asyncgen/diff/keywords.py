"""Reading JSON Schema keywords: types, enums, bounds, refs, ``allOf`` merging.

Small pure helpers for :mod:`asyncgen.diff.schema`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

ALL_TYPES: tuple[str, ...] = ("null", "boolean", "object", "array", "number", "integer", "string")
MAX_REF_HOPS = 64

Schema = Any  # Mapping[str, Any] | bool


def canonical(value: Any) -> str:
    """A comparable text of a JSON value (cyclic graphs compare by identity)."""
    try:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    except (ValueError, RecursionError):
        return f"<cyclic {id(value)}>"


def show(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if value is None:
        return "(none)"
    return json.dumps(value, default=str) if not isinstance(value, str) else value


class Resolver:
    """Follows local ``$ref``s of one side."""

    def __init__(self, root: Schema, defs: Mapping[str, Any] | None) -> None:
        self.root = root
        self.defs = defs or {}

    def lookup(self, ref: str) -> Schema | None:
        if not ref.startswith("#"):
            return None
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[1:].split("/") if p]
        if len(parts) == 2 and parts[0] in ("$defs", "definitions") and parts[1] in self.defs:
            return self.defs[parts[1]]
        node: Any = self.root
        for part in parts:
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def resolve(self, schema: Schema, keep: list[Any]) -> tuple[Schema, str | None]:
        """Follow ``$ref`` chains (siblings merged over the target); returns (schema, ref name)."""
        name: str | None = None
        for _ in range(MAX_REF_HOPS):
            if not (isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str)):
                break
            ref = schema["$ref"]
            target = self.lookup(ref)
            if target is None:
                break
            name = name or ref.rsplit("/", 1)[-1]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            if siblings and isinstance(target, Mapping):
                target = merge(target, siblings)
                keep.append(target)
            schema = target
        return schema, name


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """``a`` and ``b`` as one schema (both must hold): the approximation used for ``allOf``."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "type":
            left, right = type_set(out), type_set({"type": value})
            if left is not None and right is not None:
                both = [t for t in ALL_TYPES if accepts(left, t) and accepts(right, t)]
                out[key] = both
    return out


def type_set(schema: Mapping[str, Any]) -> set[str] | None:
    """The ``type`` keyword as a set (``nullable`` adds ``null``); None = any type."""
    declared = schema.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {t for t in declared if isinstance(t, str)}
    else:
        return None
    if schema.get("nullable") is True:
        types.add("null")
    return types


OBJECT_KEYWORDS = ("properties", "required", "additionalProperties", "patternProperties")
ARRAY_KEYWORDS = ("items", "prefixItems")


def effective_types(schema: Mapping[str, Any]) -> set[str] | None:
    """:func:`type_set`, or the type implied by the keywords when ``type`` is absent.

    ``{properties: ...}`` without ``type`` accepts non-objects too, strictly; but a
    spec that later writes ``type: object`` next to it does not break anyone, so
    object keywords imply ``object`` and array keywords ``array`` (never both).
    """
    declared = type_set(schema)
    if declared is not None or "type" in schema:
        return declared
    is_object = any(k in schema for k in OBJECT_KEYWORDS)
    is_array = any(k in schema for k in ARRAY_KEYWORDS)
    if is_object != is_array:
        implied = {"object"} if is_object else {"array"}
        if schema.get("nullable") is True:
            implied.add("null")
        return implied
    return None


def accepts(types: set[str] | None, type_name: str) -> bool:
    if types is None or type_name in types:
        return True
    return type_name == "integer" and "number" in types


def enum_of(schema: Mapping[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def lower_bound(schema: Mapping[str, Any]) -> tuple[float, bool] | None:
    return _bound(schema, "minimum", "exclusiveMinimum", max)


def upper_bound(schema: Mapping[str, Any]) -> tuple[float, bool] | None:
    return _bound(schema, "maximum", "exclusiveMaximum", min)


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str, pick: Any) -> tuple[float, bool] | None:
    value = schema.get(inclusive)
    excl = schema.get(exclusive)
    candidates: list[tuple[float, bool]] = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        candidates.append((value, excl is True))
    if isinstance(excl, (int, float)) and not isinstance(excl, bool):
        candidates.append((excl, True))
    if not candidates:
        return None
    best = pick(c[0] for c in candidates)
    return best, any(c[1] for c in candidates if c[0] == best)


def stricter_lower(a: tuple[float, bool] | None, b: tuple[float, bool] | None) -> bool:
    """Is lower bound ``a`` stricter than ``b`` (rejects something ``b`` accepts)?"""
    if a is None:
        return False
    if b is None:
        return True
    return a[0] > b[0] or (a[0] == b[0] and a[1] and not b[1])


def stricter_upper(a: tuple[float, bool] | None, b: tuple[float, bool] | None) -> bool:
    if a is None:
        return False
    if b is None:
        return True
    return a[0] < b[0] or (a[0] == b[0] and a[1] and not b[1])


def show_bound(bound: tuple[float, bool] | None, low: bool) -> str:
    if bound is None:
        return "(none)"
    op = (">" if low else "<") + ("" if bound[1] else "=")
    return f"{op} {show(bound[0])}"


def divides(small: Any, big: Any) -> bool:
    try:
        return (Fraction(str(big)) / Fraction(str(small))).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False


#: (keyword, True when a larger value is stricter)
SIZE_KEYWORDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "string": (("minLength", True), ("maxLength", False)),
    "array": (("minItems", True), ("maxItems", False)),
    "object": (("minProperties", True), ("maxProperties", False)),
}


def name_of(raw: Schema, resolved: Schema) -> str | None:
    if isinstance(raw, Mapping) and isinstance(raw.get("$ref"), str):
        return str(raw["$ref"]).rsplit("/", 1)[-1]
    if isinstance(resolved, Mapping) and isinstance(resolved.get("title"), str):
        return str(resolved["title"])
    return None


def array_parts(schema: Mapping[str, Any]) -> tuple[list[Schema], Schema]:
    items = schema.get("items")
    if isinstance(items, list):  # draft-4..2019 tuple form
        return list(items), schema.get("additionalItems")
    prefix = schema.get("prefixItems")
    return (list(prefix) if isinstance(prefix, list) else []), items


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def ordered_union(first: Mapping[str, Any], second: Mapping[str, Any]) -> Iterator[str]:
    yield from first
    yield from (k for k in second if k not in first)


def additional_schema(schema: Mapping[str, Any], open_records: bool = False) -> Schema:
    """``additionalProperties`` (``unevaluatedProperties`` when absent); True when open.

    ``open_records``: ``false`` counts as open (Avro/Protobuf readers skip unknown fields).
    """
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if keyword in schema:
            value = schema[keyword]
            if value is True or value == {} or (value is False and open_records):
                return True
            return value
    return True


def fallback_schema(schema: Mapping[str, Any], name: str, open_records: bool = False) -> Schema:
    """The schema a property ``name`` not in ``properties`` is checked against."""
    for pattern, sub in mapping(schema.get("patternProperties")).items():
        try:
            if re.search(pattern, name):
                return sub if sub is not True else {}
        except re.error:
            continue
    ap = additional_schema(schema, open_records)
    return {} if ap is True else ap
