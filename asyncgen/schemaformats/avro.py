"""Avro 1.x schemas -> JSON Schema 2020-12.

fastavro parses and validates the Avro schema (names, namespaces, defaults, enum
symbols, decimal precision...); this module only maps the parsed schema to JSON
Schema and turns fastavro's exceptions into located :class:`SpecError` s.

Why not datamodel-code-generator's own Avro converter: it emits draft-07
``definitions``, marks nullable fields without a default as required (fastavro, and
AsyncAPI's avro-schema-parser, treat them as optional), puts Python ``bytes`` objects
in defaults (not JSON), drops the extra validation attributes the AsyncAPI Avro parser
supports (``minItems``, ``exclusiveMinimum``, ``example``...) and is not a public API.

What the JSON Schema describes: the payload as a JSON value / the Python object that
fastavro writes - *not* Avro's own JSON encoding (which wraps union values as
``{"type": value}``). Choices:

* ``int``/``long`` -> integer with int32/int64 bounds; ``float``/``double`` -> number
  (``float`` bounded to what 32 bits hold; NaN and infinities have no JSON form).
* ``bytes`` and ``fixed`` -> string, ``contentEncoding: base64`` (2020-12) plus
  ``format: byte`` (the OpenAPI spelling datamodel-code-generator maps to base64 bytes,
  so a pydantic model round-trips it) and a base64 ``pattern`` (contentEncoding alone is
  not checked by validators); ``fixed`` also gets the exact base64 length.
  Byte defaults (Avro writes them as latin-1 code points) are re-encoded as base64.
* logical types: ``date`` -> string/date, ``time-*`` -> string/time,
  ``timestamp-*`` -> string/date-time, ``local-timestamp-*`` -> string/date-time-local
  (datamodel-code-generator's naive datetime), ``uuid`` -> string/uuid,
  ``decimal`` -> string/decimal with a pattern from precision and scale (a JSON number
  would lose precision; pydantic's ``Decimal`` reads and writes exactly this string).
  Unknown logical types, or ones on the wrong base type, are ignored as the Avro spec says.
  A ``logicalType`` on a *field* (not its type) is ignored by Avro too: ``check`` warns.
* records -> objects with ``additionalProperties: false``; a field is ``required``
  when fastavro would refuse a record without it: no default and not nullable.
  Field ``doc`` -> description, defaults kept (converted to their JSON form).
* enums -> string enums; arrays -> ``items``; maps -> ``additionalProperties``;
  unions -> ``anyOf`` in Avro's order (a ``null`` branch makes it nullable).
* named types (record, error, enum, fixed) -> ``$defs`` (see ``common.assign_def_names``;
  ``com.a.User`` and ``com.b.User`` become ``ComAUser``/``ComBUser``), recursion included.
* the extra attributes of AsyncAPI's avro-schema-parser on a field or type are copied
  where the JSON type fits: ``example`` (-> ``examples``), ``minimum``, ``maximum``,
  ``exclusiveMinimum``, ``exclusiveMaximum``, ``multipleOf``, ``minLength``,
  ``maxLength``, ``pattern``, ``minItems``, ``maxItems``, ``uniqueItems``.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from fastavro.schema import SchemaParseException, UnknownType, parse_schema

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats.common import (
    FLOAT32_MAX,
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    ConvertedSchema,
    assign_def_names,
    locate,
    ref,
)

# contentEncoding is only an annotation in 2020-12: the pattern makes validators check it
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
COMPLEX = ("record", "enum", "array", "map", "fixed")
NAMED = ("record", "error", "enum", "fixed")

_PRIMITIVE_SCHEMAS: dict[str, dict[str, Any]] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "long": {"type": "integer", "format": "int64", "minimum": INT64_MIN, "maximum": INT64_MAX},
    "float": {"type": "number", "format": "float", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX},
    "double": {"type": "number", "format": "double"},
    "bytes": {"type": "string", "contentEncoding": "base64", "format": "byte", "pattern": BASE64_PATTERN},
    "string": {"type": "string"},
}

# logicalType -> (allowed base types, JSON Schema)
_LOGICAL: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "date": (("int",), {"type": "string", "format": "date"}),
    "time-millis": (("int",), {"type": "string", "format": "time"}),
    "time-micros": (("long",), {"type": "string", "format": "time"}),
    "timestamp-millis": (("long",), {"type": "string", "format": "date-time"}),
    "timestamp-micros": (("long",), {"type": "string", "format": "date-time"}),
    "timestamp-nanos": (("long",), {"type": "string", "format": "date-time"}),
    "local-timestamp-millis": (("long",), {"type": "string", "format": "date-time-local"}),
    "local-timestamp-micros": (("long",), {"type": "string", "format": "date-time-local"}),
    "local-timestamp-nanos": (("long",), {"type": "string", "format": "date-time-local"}),
    "uuid": (("string",), {"type": "string", "format": "uuid"}),
    "decimal": (("bytes", "fixed"), {"type": "string", "format": "decimal"}),
}

# AsyncAPI avro-schema-parser's extra attributes, by the JSON type they apply to
_EXTRA_KEYWORDS: dict[str, tuple[str, ...]] = {
    "integer": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "string": ("minLength", "maxLength", "pattern"),
    "array": ("minItems", "maxItems", "uniqueItems"),
}
_EXTRA_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    "minimum": (int, float),
    "maximum": (int, float),
    "exclusiveMinimum": (int, float),
    "exclusiveMaximum": (int, float),
    "multipleOf": (int, float),
    "minLength": int,
    "maxLength": int,
    "pattern": str,
    "minItems": int,
    "maxItems": int,
    "uniqueItems": bool,
}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# ---------------------------------------------------------------------------- parsing


def load(schema: Any, location: Location) -> Any:
    """The Avro schema as plain JSON data (dicts/lists); a string may hold the schema as JSON text."""
    if isinstance(schema, str) and schema.lstrip()[:1] in ("{", "[", '"'):
        try:
            return json.loads(schema)
        except ValueError as exc:
            raise SpecError(
                f"Avro schema given as text is not valid JSON: {exc}",
                location,
                hint="write the Avro schema as YAML/JSON under the payload, or as a JSON string",
            ) from None
    return _plain(schema)


def _plain(node: Any) -> Any:
    """A plain-dict deep copy: fastavro wants ``dict`` and must never see (or mutate) our input."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    return node


def parse(schema: Any, location: Location) -> tuple[Any, list[SpecError]]:
    """fastavro's parsed schema (names fully qualified), plus warnings; SpecError if invalid."""
    where = _Where(schema, location)
    schema = load(schema, location)
    if not isinstance(schema, str | list | dict):
        raise SpecError(
            f"an Avro schema must be a type name, a union (list) or an object, not {type(schema).__name__}",
            location,
        )
    ref_at = _find_path(schema, lambda node, _key: isinstance(node, Mapping) and "$ref" in node)
    if ref_at is not None:
        target = _get(schema, ref_at).get("$ref")
        raise SpecError(
            f"unresolved $ref {target!r} inside an Avro schema",
            where(*ref_at),
            hint="local copies of remote schemas can be mapped with --map-url PREFIX=DIR",
        )
    found: list[SpecError] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = parse_schema(schema, _write_hint=False)
        except UnknownType as exc:
            raise _unknown_type_error(schema, exc, where) from None
        except SchemaParseException as exc:
            raise SpecError(
                f"invalid Avro schema: {_short(exc)}", _locate_message(schema, str(exc), where)
            ) from None
        except KeyError as exc:
            missing = str(exc.args[0]) if exc.args else "?"
            raise SpecError(
                f"invalid Avro schema: missing {missing!r}",
                _locate_missing(schema, missing, where),
                hint=_MISSING_HINTS.get(missing),
            ) from None
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            raise SpecError(
                f"invalid Avro schema: {_short(exc)}",
                location,
                hint="an Avro schema is a type name, a list (union) or an object with a 'type'",
            ) from None
    for warning in caught:
        found.append(SpecError(f"Avro: {warning.message}", location, severity="warning"))
    found.extend(_field_logical_type_warnings(schema, where))
    return parsed, found


_MISSING_HINTS = {
    "type": "every Avro schema object needs a 'type'",
    "size": "a 'fixed' type needs its 'size' in bytes",
    "items": "an 'array' type needs 'items'",
    "values": "a 'map' type needs 'values'",
    "symbols": "an 'enum' type needs its 'symbols'",
    "name": "records, enums and fixed types need a 'name'",
}


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unknown_type_error(schema: Any, exc: UnknownType, where: _Where) -> SpecError:
    name = exc.name.get("type") if isinstance(exc.name, Mapping) else exc.name
    name = str(name)
    short = name.rsplit(".", 1)[-1]
    known = list(PRIMITIVES) + list(COMPLEX) + sorted(_defined_names(schema))
    close = difflib.get_close_matches(short, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    hint += (
        "Avro types are the primitives "
        + ", ".join(PRIMITIVES)
        + ", the complex types "
        + ", ".join(COMPLEX)
        + ", or the name of a record/enum/fixed defined earlier in the schema"
    )
    path = _find_path(
        schema,
        lambda node, key: (
            isinstance(node, str) and node in (name, short) and key in ("type", "items", "values", None)
        ),
    )
    return SpecError(f"unknown Avro type {short!r}", where(*(path or ())), hint=hint)


def _defined_names(schema: Any) -> set[str]:
    names: set[str] = set()
    for node, _key, _path in _walk(schema):
        if isinstance(node, Mapping) and node.get("type") in NAMED and isinstance(node.get("name"), str):
            names.add(node["name"])
    return names


def _locate_message(schema: Any, message: str, where: _Where) -> Location:
    """Best effort: a message naming a field ("Record field 'x' ...") points at that field."""
    default = re.search(r"Default value <(.*)> must match", message)
    if default:
        path = _find_path(
            schema,
            lambda node, _key: (
                isinstance(node, Mapping) and "default" in node and str(node["default"]) == default[1]
            ),
        )
        if path is not None:
            return where(*path, "default")
    match = re.search(r"field '([^']+)'", message) or re.search(r"named type: (\S+)", message)
    if match:
        wanted = match.group(1).rsplit(".", 1)[-1]
        path = _find_path(schema, lambda node, _key: isinstance(node, Mapping) and node.get("name") == wanted)
        if path is not None:
            return where(*path)
    return where()


def _locate_missing(schema: Any, missing: str, where: _Where) -> Location:
    needs = {"size": ("fixed",), "items": ("array",), "values": ("map",), "symbols": ("enum",)}

    def lacks(node: Any, _key: str | int | None) -> bool:
        if not isinstance(node, Mapping) or missing in node:
            return False
        if missing == "type":
            return True
        return node.get("type") in needs.get(missing, NAMED)

    path = _find_path(schema, lacks)
    return where(*(path or ()))


def _field_logical_type_warnings(schema: Any, where: _Where) -> Iterator[SpecError]:
    for node, _key, path in _walk(schema):
        if not isinstance(node, Mapping) or node.get("type") not in ("record", "error"):
            continue
        for index, fld in enumerate(node.get("fields") or ()):
            if isinstance(fld, Mapping) and "logicalType" in fld and isinstance(fld.get("type"), str):
                yield SpecError(
                    f"logicalType {fld['logicalType']!r} on field {fld.get('name')!r} is ignored by Avro",
                    where(*path, "fields", index, "logicalType"),
                    hint="put it inside the type: "
                    f"type: {{type: {fld['type']}, logicalType: {fld['logicalType']}}}",
                    severity="warning",
                )


class _Where:
    """``where(*path)``: the source location of a spot inside the schema as given."""

    def __init__(self, original: Any, base: Location) -> None:
        self.original, self.base = original, base

    def __call__(self, *path: str | int) -> Location:
        return locate(self.original, path, self.base)


def _walk(
    node: Any, key: str | int | None = None, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[Any, str | int | None, tuple[str | int, ...]]]:
    yield node, key, path
    if isinstance(node, Mapping):
        for k, v in node.items():
            yield from _walk(v, str(k), (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, None if isinstance(v, str) else i, (*path, i))


def _find_path(schema: Any, pred: Callable[[Any, str | int | None], bool]) -> tuple[str | int, ...] | None:
    for node, key, path in _walk(schema):
        if pred(node, key):
            return path
    return None


def _get(node: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


# ------------------------------------------------------------------------- converting


def check(schema: Any, location: Location) -> list[SpecError]:
    try:
        _parsed, found = parse(schema, location)
    except SpecError as err:
        return [err]
    except RecursionError:
        return [_too_deep(location)]
    return found


def to_json_schema(schema: Any, location: Location, *, name_hint: str = "Payload") -> ConvertedSchema:
    try:
        parsed, _warnings = parse(schema, location)
        return _Converter(parsed).convert(name_hint)
    except RecursionError:
        raise _too_deep(location) from None


def _too_deep(location: Location) -> SpecError:
    return SpecError("the Avro schema is nested too deeply to process", location)


class _Converter:
    def __init__(self, parsed: Any) -> None:
        self.parsed = parsed
        self.named: dict[str, Mapping[str, Any]] = {}
        self._collect(parsed)
        self.names = assign_def_names((full, full.rsplit(".", 1)[-1]) for full in self.named)

    def _collect(self, node: Any) -> None:
        if isinstance(node, list):
            for branch in node:
                self._collect(branch)
        elif isinstance(node, Mapping):
            kind = node.get("type")
            if kind in NAMED and node["name"] not in self.named:
                self.named[node["name"]] = node
            if kind in ("record", "error"):
                for fld in node["fields"]:
                    self._collect(fld["type"])
            elif kind == "array":
                self._collect(node["items"])
            elif kind == "map":
                self._collect(node["values"])

    def convert(self, name_hint: str) -> ConvertedSchema:
        defs = {self.names[full]: self._named_def(node) for full, node in self.named.items()}
        if isinstance(self.parsed, Mapping) and self.parsed.get("type") in NAMED:
            root_name = self.names[self.parsed["name"]]
            return ConvertedSchema(root=ref(root_name), defs=defs, root_name=root_name)
        root = {"title": name_hint, **self.schema(self.parsed)}
        return ConvertedSchema(root=root, defs=defs)

    # ---- types

    def schema(self, node: Any) -> dict[str, Any]:
        if isinstance(node, str):
            if node in _PRIMITIVE_SCHEMAS:
                return dict(_PRIMITIVE_SCHEMAS[node])
            return ref(self.names[node])
        if isinstance(node, list):
            branches = [self.schema(b) for b in node]
            return branches[0] if len(branches) == 1 else {"anyOf": branches}
        kind = node["type"]
        if kind in NAMED:
            return ref(self.names[node["name"]])
        if kind == "array":
            out: dict[str, Any] = {"type": "array", "items": self.schema(node["items"])}
        elif kind == "map":
            out = {"type": "object", "additionalProperties": self.schema(node["values"])}
        else:
            out = self._logical(node) or dict(_PRIMITIVE_SCHEMAS[kind])
        if isinstance(node.get("doc"), str):
            out["description"] = node["doc"]
        _apply_extras(out, node)
        return out

    def _logical(self, node: Mapping[str, Any]) -> dict[str, Any] | None:
        logical = node.get("logicalType")
        spec = _LOGICAL.get(logical) if isinstance(logical, str) else None
        if spec is None or node["type"] not in spec[0]:
            return None
        out = dict(spec[1])
        if logical == "decimal":
            out["pattern"] = _decimal_pattern(node.get("precision"), node.get("scale"))
        return out

    def _named_def(self, node: Mapping[str, Any]) -> dict[str, Any]:
        full: str = node["name"]
        kind = node["type"]
        out: dict[str, Any] = {"title": full.rsplit(".", 1)[-1]}
        if isinstance(node.get("doc"), str):
            out["description"] = node["doc"]
        if kind == "enum":
            out.update(type="string", enum=list(node["symbols"]))
        elif kind == "fixed":
            size = int(node["size"])
            out.update(self._logical(node) or _PRIMITIVE_SCHEMAS["bytes"])
            if out.get("format") == "byte":
                length = 4 * -(-size // 3)
                out.update(minLength=length, maxLength=length, pattern=_fixed_base64_pattern(size))
            out["x-avro-size"] = size
        else:
            properties: dict[str, Any] = {}
            required: list[str] = []
            for fld in node["fields"]:
                properties[fld["name"]] = self._field(fld)
                if "default" not in fld and not _nullable(fld["type"]):
                    required.append(fld["name"])
            out.update(type="object", properties=properties)
            if required:
                out["required"] = required
            out["additionalProperties"] = False
        _apply_extras(out, node)
        out["x-avro-name"] = full
        return out

    def _field(self, fld: Mapping[str, Any]) -> dict[str, Any]:
        out = self.schema(fld["type"])
        if isinstance(fld.get("doc"), str):
            out["description"] = fld["doc"]
        if "default" in fld:
            converted = self.default(fld["default"], fld["type"])
            if converted is not _NO_DEFAULT:
                out["default"] = converted
        if "anyOf" in out:
            for branch in out["anyOf"]:
                _apply_extras(branch, fld, examples=False)
            _apply_extras(out, {k: v for k, v in fld.items() if k == "example"})
        else:
            _apply_extras(out, fld)
        return out

    # ---- defaults: Avro JSON form -> the JSON form our schema describes

    def default(self, value: Any, avro_type: Any) -> Any:
        try:
            return self._default(value, avro_type)
        except (ValueError, TypeError, KeyError, ArithmeticError, OverflowError):
            return _NO_DEFAULT

    def _default(self, value: Any, avro_type: Any) -> Any:
        if isinstance(avro_type, str) and avro_type not in _PRIMITIVE_SCHEMAS:
            avro_type = self.named[avro_type]
        if isinstance(avro_type, list):
            for branch in avro_type:
                if _matches(value, branch, self.named):
                    return self._default(value, branch)
            return value
        if isinstance(avro_type, str):
            return _bytes_default(value) if avro_type == "bytes" else value
        kind = avro_type["type"]
        logical = avro_type.get("logicalType")
        if logical and self._logical(avro_type) is not None:
            return _logical_default(value, logical, avro_type)
        if kind in ("bytes", "fixed"):
            return _bytes_default(value)
        if kind in ("record", "error"):
            result = {}
            for fld in avro_type["fields"]:
                if fld["name"] in value:
                    result[fld["name"]] = self._default(value[fld["name"]], fld["type"])
            return result
        if kind == "array":
            return [self._default(v, avro_type["items"]) for v in value]
        if kind == "map":
            return {k: self._default(v, avro_type["values"]) for k, v in value.items()}
        return value


_NO_DEFAULT = object()


def _nullable(avro_type: Any) -> bool:
    return avro_type == "null" or (isinstance(avro_type, list) and "null" in avro_type)


def _matches(value: Any, branch: Any, named: Mapping[str, Mapping[str, Any]]) -> bool:
    kind = branch if isinstance(branch, str) else branch["type"]
    if isinstance(branch, str) and branch in named:
        kind = named[branch]["type"]
    checks: dict[str, Callable[[Any], bool]] = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "bytes": lambda v: isinstance(v, str),
        "string": lambda v: isinstance(v, str),
        "fixed": lambda v: isinstance(v, str),
        "enum": lambda v: isinstance(v, str),
        "record": lambda v: isinstance(v, Mapping),
        "error": lambda v: isinstance(v, Mapping),
        "map": lambda v: isinstance(v, Mapping),
        "array": lambda v: isinstance(v, list),
    }
    return checks.get(kind, lambda _v: False)(value)


def _bytes_default(value: Any) -> str:
    """Avro writes byte defaults as a string of code points 0-255; we describe bytes as base64."""
    return base64.b64encode(str(value).encode("latin-1")).decode("ascii")


def _logical_default(value: Any, logical: str, avro_type: Mapping[str, Any]) -> Any:
    if logical == "date":
        return (_EPOCH + dt.timedelta(days=value)).date().isoformat()
    if logical in ("time-millis", "time-micros"):
        micros = value * 1000 if logical == "time-millis" else value
        return (dt.datetime.min + dt.timedelta(microseconds=micros)).time().isoformat()
    if logical.startswith(("timestamp-", "local-timestamp-")):
        unit = logical.rsplit("-", 1)[1]
        micros = {"millis": value * 1000, "micros": value, "nanos": value // 1000}[unit]
        stamp = _EPOCH + dt.timedelta(microseconds=micros)
        if logical.startswith("local-"):
            return stamp.replace(tzinfo=None).isoformat()
        return stamp.isoformat().replace("+00:00", "Z")
    if logical == "decimal":
        unscaled = int.from_bytes(str(value).encode("latin-1"), "big", signed=True)
        return str(Decimal(unscaled).scaleb(-int(avro_type.get("scale") or 0)))
    return value


def _fixed_base64_pattern(size: int) -> str:
    """Base64 of exactly ``size`` bytes: the padding follows from the size."""
    tail = {0: "", 1: "[A-Za-z0-9+/]{2}==", 2: "[A-Za-z0-9+/]{3}="}[size % 3]
    return f"^(?:[A-Za-z0-9+/]{{4}}){{{size // 3}}}{tail}$"


def _decimal_pattern(precision: Any, scale: Any) -> str:
    """Digits allowed before/after the point by Avro's precision and scale."""
    if isinstance(precision, int) and precision > 0:
        scale = scale if isinstance(scale, int) and scale >= 0 else 0
        whole = precision - scale
        int_part = f"[0-9]{{1,{whole}}}" if whole > 0 else "0"
        frac = f"(\\.[0-9]{{1,{scale}}})?" if scale > 0 else ""
        return f"^[-+]?{int_part}{frac}$"
    return r"^[-+]?[0-9]+(\.[0-9]+)?$"


def _apply_extras(target: dict[str, Any], source: Mapping[str, Any], *, examples: bool = True) -> None:
    if examples and "example" in source:
        target["examples"] = [source["example"]]
    json_type = target.get("type")
    for keyword in _EXTRA_KEYWORDS.get(json_type, ()) if isinstance(json_type, str) else ():
        value = source.get(keyword)
        if (
            value is not None
            and isinstance(value, _EXTRA_VALUE_TYPES[keyword])
            and not (isinstance(value, bool) and keyword != "uniqueItems")
        ):
            target[keyword] = value
