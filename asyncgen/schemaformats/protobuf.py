"""Protobuf (.proto text, proto2 or proto3) -> JSON Schema 2020-12, per the proto3 JSON mapping.

Parsing is done by ``proto-schema-parser`` (pure Python, MIT, generated from Buf's
ANTLR grammar for proto2/proto3/editions; keeps comments). It checks syntax only, so
this module resolves type names, picks the root message and maps types.

The payload is .proto text. Which message is the payload follows AsyncAPI's
protobuf-schema-parser: the message whose leading comment contains ``@RootNode``, else
the one message of the text that no other message uses as a field type (top-level ones
first: an unused nested helper does not compete). Imports are limited to Google's (see
``google_types.py``), as there.

Mapping (https://protobuf.dev/programming-guides/json/):

* messages -> objects (``additionalProperties: false``: proto3 JSON parsers reject
  unknown fields by default), property names are the fields' JSON names (``json_name``
  or lowerCamelCase); proto2 ``required`` -> ``required``; singular proto3 scalars and
  enums without ``optional`` carry their zero value as ``default`` (what an absent field
  means), repeated -> array (default ``[]``), map<K,V> -> object whose
  ``additionalProperties`` is V (integer/bool keys constrained by ``propertyNames``).
* int64/uint64/sint64/fixed64/sfixed64 -> string of digits (proto3 JSON writes them as
  strings); 32-bit integers -> integer with bounds; bytes -> base64 string; enums ->
  string enum of value names. Not pinned down: NaN/Infinity (written as strings), the
  range of 64-bit digit strings and of integer map keys, and the integer enum values
  and snake_case field names that proto3 JSON *parsers* also accept.
* oneof -> the members are ordinary optional properties; "at most one is set" is an
  ``allOf`` of ``if: {required: [member]} then: {properties: {<other>: false}}`` (draft-07
  keywords: hypothesis-jsonschema honours them, ``dependentSchemas`` it ignores;
  datamodel-code-generator leaves them out of the model), and ``x-protobuf-oneofs``
  lists the groups for generators (a model validator) and docs.
* messages/enums -> ``$defs`` named by their path inside the package: ``Outer.Inner``
  -> ``OuterInner`` (collisions -> package-qualified, see ``common.assign_def_names``);
  only what the root message reaches. Well-known types become inline schemas:
  Timestamp -> date-time string, Duration -> "1.5s" string, Struct -> object,
  Value -> anything, wrappers -> nullable scalars, Empty -> empty object.
* comments before a message/field/enum (or trailing on its line) -> description; the
  annotations AsyncAPI's protobuf parser reads (``@Example``, ``@Min``/``@Max``,
  ``@Pattern``, ``@MinLength``, ``@MaxItems``...) -> examples and constraints.

Error locations: the payload's Location, with the line moved by the line inside the
.proto text. That is exact for a YAML block scalar (``schema: |``) whose node starts on
the indicator line, and approximate otherwise; the message always names the .proto line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from proto_schema_parser import ast

from asyncgen.errors import Location, SpecError
from asyncgen.schemaformats.common import ConvertedSchema, assign_def_names, ref
from asyncgen.schemaformats.google_types import SCALARS, WELL_KNOWN, ZERO_VALUES, is_known_import
from asyncgen.schemaformats.proto_model import (
    ProtoField,
    ProtoFile,
    ProtoMessage,
    Resolver,
    index_file,
    parse_text,
)

ROOT_MARKER = "@RootNode"


# ---------------------------------------------------------------------------- checks


def _text(schema: Any, location: Location) -> str:
    if not isinstance(schema, str):
        raise SpecError(
            f"a Protobuf payload must be .proto text (a string), not {type(schema).__name__}",
            location,
            hint="write the .proto source as a YAML block scalar: `schema: |` (3.x) or `payload: |` (2.x)",
        )
    if not schema.strip():
        raise SpecError("the Protobuf payload is empty", location)
    return schema


def _at(location: Location, line: int) -> Location:
    if location.line:
        return Location(location.file, location.line + line, location.column, location.pointer)
    return location


def _line_of(text: str, pattern: str, after: str | None = None) -> int:
    """1-based line of the first match (after the first match of ``after``, if found); 0: none."""
    start = 0
    if after is not None and (anchor := re.search(after, text, flags=re.MULTILINE)):
        start = anchor.start()
    match = re.compile(pattern, flags=re.MULTILINE).search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else 0


@dataclass
class _Analysis:
    proto: ProtoFile | None
    root: str | None
    errors: list[SpecError]


def _analyse(schema: Any, location: Location) -> _Analysis:
    text = _text(schema, location)
    tree, syntax_errors = parse_text(text)
    if tree is None:
        line, column, msg = syntax_errors[0]
        more = f" ({len(syntax_errors) - 1} more after it)" if len(syntax_errors) > 1 else ""
        return _Analysis(
            None,
            None,
            [
                SpecError(
                    f"Protobuf syntax error at .proto line {line}, column {column + 1}: {msg}{more}",
                    _at(location, line),
                )
            ],
        )
    proto = index_file(tree)
    resolver = Resolver(proto)
    errors: list[SpecError] = []
    unknown_imports = [i for i in proto.imports if not is_known_import(i)]
    for imp in unknown_imports:
        errors.append(
            SpecError(
                f"import {imp!r} is not supported: only google/protobuf/* and google/type/* are bundled",
                _at(location, _line_of(text, rf"^\s*import\s+(weak\s+|public\s+)?\"{re.escape(imp)}\"")),
                hint="put the imported messages into the same .proto text",
            )
        )
    for message in proto.messages.values():
        errors.extend(
            _check_message(
                message, proto, resolver, text, location=location, has_bad_imports=bool(unknown_imports)
            )
        )
    root = None
    if not any(e.severity == "error" for e in errors):
        root, root_errors = _choose_root(proto, resolver, text, location)
        errors.extend(root_errors)
    return _Analysis(proto, root, errors)


def _check_message(
    message: ProtoMessage,
    proto: ProtoFile,
    resolver: Resolver,
    text: str,
    *,
    location: Location,
    has_bad_imports: bool,
) -> Iterator[SpecError]:
    numbers: dict[int, str] = {}
    names: set[str] = set()
    json_names: dict[str, str] = {}
    for fld in message.fields:
        declared = rf"\b(message|group)\s+{re.escape(message.relative.rsplit('.', 1)[-1])}\b"
        where = _at(location, _line_of(text, rf"\b{re.escape(fld.name)}\s*=\s*{fld.number}\b", declared))
        if fld.number in numbers:
            yield SpecError(
                f"message {message.relative}: fields {numbers[fld.number]!r} and {fld.name!r} "
                f"share number {fld.number}",
                where,
            )
        if fld.name in names:
            yield SpecError(f"message {message.relative}: field {fld.name!r} is declared twice", where)
        elif fld.json_name in json_names:
            yield SpecError(
                f"message {message.relative}: fields {json_names[fld.json_name]!r} and {fld.name!r} "
                f"have the same JSON name {fld.json_name!r}",
                where,
            )
        numbers.setdefault(fld.number, fld.name)
        names.add(fld.name)
        json_names.setdefault(fld.json_name, fld.name)
        if fld.type not in SCALARS and resolver.resolve(fld.type, message.scope) is None:
            hint = (
                "an unsupported import may define it" if has_bad_imports else _type_hint(fld.type, resolver)
            )
            yield SpecError(
                f"message {message.relative}: unknown type {fld.type!r} of field {fld.name!r}",
                where,
                hint=hint,
            )
        if fld.cardinality == "REQUIRED" and proto.syntax == "proto3":
            yield SpecError(
                f"message {message.relative}: 'required' is not allowed in proto3 (field {fld.name!r}); "
                "asyncgen treats the field as required, protoc would refuse the file",
                where,
                severity="warning",
            )


def _type_hint(type_name: str, resolver: Resolver) -> str:
    import difflib

    names = [*SCALARS, *(n.rsplit(".", 1)[-1] for n in (*resolver.messages, *resolver.enums))]
    close = difflib.get_close_matches(type_name.rsplit(".", 1)[-1], names, n=3, cutoff=0.6)
    lead = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return lead + "scalar types are " + ", ".join(SCALARS)


def _choose_root(
    proto: ProtoFile, resolver: Resolver, text: str, location: Location
) -> tuple[str | None, list[SpecError]]:
    own = [m for m in proto.messages.values() if not m.builtin]
    if not own:
        return None, [SpecError("the .proto text defines no message", location)]
    marked = [m.full for m in own if ROOT_MARKER in m.comment]
    if len(marked) == 1:
        return marked[0], []
    if len(marked) > 1:
        return None, [SpecError(f"several messages are marked {ROOT_MARKER}: {', '.join(marked)}", location)]
    used_by_others: set[str] = set()
    for message in own:
        for fld in message.fields:
            target = resolver.resolve(fld.type, message.scope)
            if target and target != message.full:
                used_by_others.add(target)
    unused = [m for m in own if m.full not in used_by_others]
    # a nested helper type nobody uses does not compete with the top-level message
    candidates = [m for m in unused if "." not in m.relative] or unused
    if len(candidates) == 1:
        return candidates[0].full, []
    names = ", ".join(m.relative for m in (candidates or own))
    return None, [
        SpecError(
            f"cannot tell which message is the payload: {names}",
            location,
            hint=f"put a `// {ROOT_MARKER}` comment right above the payload's message",
        )
    ]


def check(schema: Any, location: Location) -> list[SpecError]:
    try:
        return _analyse(schema, location).errors
    except SpecError as err:
        return [err]


# ------------------------------------------------------------------------- converting


def to_json_schema(schema: Any, location: Location, *, name_hint: str = "Payload") -> ConvertedSchema:
    analysis = _analyse(schema, location)
    failures = [e for e in analysis.errors if e.severity == "error"]
    if failures:
        raise failures[0]
    if analysis.proto is None or analysis.root is None:  # pragma: no cover - errors say why
        raise SpecError("no payload message found", location)
    return _Converter(analysis.proto).convert(analysis.root)


class _Converter:
    def __init__(self, proto: ProtoFile) -> None:
        self.proto = proto
        self.resolver = Resolver(proto)
        self.order: list[str] = []  # reachable named types, first use first

    def convert(self, root: str) -> ConvertedSchema:
        self._reach(root)
        names = assign_def_names(
            (
                full,
                self.resolver.messages[full].relative
                if full in self.resolver.messages
                else self.resolver.enums[full].relative,
            )
            for full in self.order
        )
        self.names = names
        defs = {names[full]: self._def(full) for full in self.order}
        return ConvertedSchema(root=ref(names[root]), defs=defs, root_name=names[root])

    def _reach(self, full: str) -> None:
        if full in self.order or full in WELL_KNOWN:
            return
        self.order.append(full)
        message = self.resolver.messages.get(full)
        if message is not None:
            for fld in message.fields:
                target = self.resolver.resolve(fld.type, message.scope)
                if target is not None:
                    self._reach(target)

    def _def(self, full: str) -> dict[str, Any]:
        if full in self.resolver.enums:
            enum = self.resolver.enums[full]
            out: dict[str, Any] = {"title": enum.relative.rsplit(".", 1)[-1]}
            out.update(_describe(enum.comment))
            out.update(type="string", enum=list(enum.values), **{"x-protobuf-name": full})
            return out
        message = self.resolver.messages[full]
        out = {"title": message.relative.rsplit(".", 1)[-1]}
        out.update(_describe(message.comment))
        properties: dict[str, Any] = {}
        required: list[str] = []
        for fld in message.fields:
            properties[fld.json_name] = self._field(fld, message)
            if fld.cardinality == "REQUIRED":
                required.append(fld.json_name)
        out.update(type="object", properties=properties)
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        by_name = {f.name: f.json_name for f in message.fields}
        groups = {name: [by_name[m] for m in members] for name, members in message.oneofs.items() if members}
        exclusive = [
            {"if": {"required": [member]}, "then": {"properties": dict.fromkeys(others, False)}}
            for members in groups.values()
            for member in members
            if (others := [other for other in members if other != member])
        ]
        if exclusive:
            out["allOf"] = exclusive
        if groups:
            out["x-protobuf-oneofs"] = groups
        out["x-protobuf-name"] = full
        return out

    def _type(self, type_name: str, scope: str) -> tuple[dict[str, Any], Any]:
        """Schema of a (singular) value of the type, and its proto3 zero value (None: no default)."""
        if type_name in SCALARS:
            return dict(SCALARS[type_name]), ZERO_VALUES[type_name]
        target = self.resolver.resolve(type_name, scope)
        if target is None:  # pragma: no cover - checked before converting
            raise SpecError(f"unknown type {type_name!r}")
        if target in WELL_KNOWN:
            return dict(WELL_KNOWN[target]), None
        zero = None
        if target in self.resolver.enums and self.resolver.enums[target].values:
            zero = self.resolver.enums[target].values[0]
        return ref(self.names[target]), zero

    def _field(self, fld: ProtoField, message: ProtoMessage) -> dict[str, Any]:
        value, zero = self._type(fld.type, message.scope)
        if fld.key_type is not None:
            out: dict[str, Any] = {"type": "object", "additionalProperties": value, "default": {}}
            key_pattern = {"bool": {"enum": ["true", "false"]}, "string": None}
            names = key_pattern.get(fld.key_type, {"pattern": "^-?[0-9]+$"})
            if names is not None:
                out["propertyNames"] = names
        elif fld.cardinality == "REPEATED":
            out = {"type": "array", "items": value, "default": []}
        else:
            out = value
            implicit = self.proto.syntax == "proto3" and fld.cardinality is None and fld.oneof is None
            if fld.has_default:
                out["default"] = _default_value(fld.default, fld.type)
            elif implicit and zero is not None:
                out["default"] = zero
        out.update(_describe(fld.comment))
        if fld.deprecated:
            out["deprecated"] = True
        return out


def _default_value(value: Any, type_name: str) -> Any:
    if isinstance(value, ast.Identifier):
        return value.name
    if type_name in ("int64", "sint64", "sfixed64", "uint64", "fixed64") and isinstance(value, int):
        return str(value)
    return value


_ANNOTATION = re.compile(r"^\s*@(\w+)\s*(.*)$")

# comment annotations AsyncAPI's protobuf-schema-parser reads, -> JSON Schema keyword
_NUMBER_ANNOTATIONS = {
    "min": "minimum",
    "minimum": "minimum",
    "max": "maximum",
    "maximum": "maximum",
    "exclusiveminimum": "exclusiveMinimum",
    "exclusivemaximum": "exclusiveMaximum",
    "multipleof": "multipleOf",
}
_COUNT_ANNOTATIONS = {
    "minlength": "minLength",
    "maxlength": "maxLength",
    "minitems": "minItems",
    "maxitems": "maxItems",
}


def _describe(comment: str) -> dict[str, Any]:
    """description without the @annotation lines; ``@Example`` -> examples, ``@Min 1`` ->
    minimum, ``@Pattern re`` -> pattern, ``@MaxLength 5``... (AsyncAPI's protobuf parser's set)."""
    out: dict[str, Any] = {}
    lines, examples = [], []
    for line in comment.splitlines():
        match = _ANNOTATION.match(line)
        if match is None:
            lines.append(line)
            continue
        name, raw = match.group(1).lower(), match.group(2).strip()
        value = _json_or_text(raw)
        if name == "example" and raw:
            examples.append(value)
        elif name == "pattern" and raw:
            out["pattern"] = raw
        elif name in _NUMBER_ANNOTATIONS and _is_number(value):
            out[_NUMBER_ANNOTATIONS[name]] = value
        elif (
            name in _COUNT_ANNOTATIONS
            and isinstance(value, int)
            and not isinstance(value, bool)
            and value >= 0
        ):
            out[_COUNT_ANNOTATIONS[name]] = value
    description = "\n".join(lines).strip()
    if description:
        out["description"] = description
    if examples:
        out["examples"] = examples
    return out


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
