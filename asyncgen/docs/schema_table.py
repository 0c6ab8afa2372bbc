"""JSON Schema -> readable property rows for the portal (pure data; templates print them).

A :class:`SchemaTable` is a list of :class:`Row`: one per property, with its type
text, required flag, enum, format, constraints and description. Nested objects
(inline, array items, or a ``$ref`` to another def) become ``children`` that the
template shows in a ``<details>``; ``oneOf``/``anyOf`` options become ``variants``.

Recursion: a ``$ref`` to a def already being expanded on the current path is not
expanded again; the row links to that def's own section (``#schema-<Name>``), where
it is shown once. Size is bounded: beyond :data:`MAX_REF_DEPTH` nested refs or
:data:`MAX_ROWS` rows per table, refs are shown as links only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_REF_DEPTH = 4
MAX_ROWS = 400
MAX_ENUM = 40

#: def name -> href of its section (None when the def has no section of its own)
DefHref = Callable[[str], str | None]


def jtext(value: Any) -> str:
    """Compact JSON text of a value (spec order, unicode kept)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def ref_name(schema: Mapping[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return None
    return ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


@dataclass
class Row:
    id: str
    name: str
    path: str
    type: str
    required: bool = False
    ref: str | None = None  # def name the type refers to
    ref_href: str | None = None
    recursive: bool = False  # ref on the current path: link only
    enum: list[str] = field(default_factory=list)
    enum_more: int = 0
    format: str | None = None
    constraints: list[str] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    description: str | None = None
    children: list[Row] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    variant_kind: str = ""  # "one of" | "any of"
    truncated: bool = False

    @property
    def nested(self) -> bool:
        return bool(self.children or self.variants)

    def walk(self) -> list[Row]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        for variant in self.variants:
            for row in variant.rows:
                out.extend(row.walk())
        return out


@dataclass
class Variant:
    label: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class SchemaTable:
    id: str
    rows: list[Row]
    #: the schema def shown (its name) and the source format note
    name: str | None = None

    def all_rows(self) -> list[Row]:
        out: list[Row] = []
        for row in self.rows:
            out.extend(row.walk())
        return out


_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def constraints_of(schema: Mapping[str, Any]) -> list[str]:
    """Human-readable constraints, in a fixed order."""
    out: list[str] = []
    simple = (
        ("minimum", "≥ {}"),
        ("exclusiveMinimum", "> {}"),
        ("maximum", "≤ {}"),
        ("exclusiveMaximum", "< {}"),
        ("multipleOf", "multiple of {}"),
        ("minLength", "length ≥ {}"),
        ("maxLength", "length ≤ {}"),
        ("minItems", "items ≥ {}"),
        ("maxItems", "items ≤ {}"),
        ("minProperties", "properties ≥ {}"),
        ("maxProperties", "properties ≤ {}"),
        ("contentEncoding", "encoding {}"),
        ("contentMediaType", "media type {}"),
    )
    for key, text in simple:
        value = schema.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            out.append(text.format(jtext(value) if not isinstance(value, str) else value))
    if isinstance(schema.get("pattern"), str):
        out.append(f"pattern {schema['pattern']}")
    if schema.get("uniqueItems") is True:
        out.append("unique items")
    if schema.get("additionalProperties") is False:
        out.append("no other properties")
    if "const" in schema:
        out.append(f"= {jtext(schema['const'])}")
    if "default" in schema:
        out.append(f"default {jtext(schema['default'])}")
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        out.append(f"example {jtext(examples[0])}")
    elif "example" in schema:
        out.append(f"example {jtext(schema['example'])}")
    for flag in ("readOnly", "writeOnly", "deprecated"):
        if schema.get(flag) is True:
            out.append(flag.replace("Only", "-only").lower())
    return out


class TableBuilder:
    """Builds the rows of one table; ``defs`` are the Api's SchemaDefs by name."""

    def __init__(
        self,
        defs: Mapping[str, Mapping[str, Any]],
        def_href: DefHref,
        new_id: Callable[[str], str],
    ) -> None:
        self.defs = defs
        self.def_href = def_href
        self.new_id = new_id
        self.count = 0

    # -- public ----------------------------------------------------------------
    def table(self, table_id: str, schema: Any, def_name: str | None = None) -> SchemaTable:
        """Rows of ``schema`` (a def's schema when ``def_name`` is given)."""
        self.count = 0
        stack = (def_name,) if def_name else ()
        rows = self._fields(schema, table_id, "", stack, 0)
        if rows is None:
            rows = [self._row(schema, "(value)", table_id, "(value)", False, stack, 0)]
        return SchemaTable(table_id, rows, def_name)

    # -- helpers ---------------------------------------------------------------
    def _resolve(self, schema: Any) -> tuple[Mapping[str, Any], str | None]:
        """(schema with its $ref followed once and sibling keys kept, ref name)."""
        if not isinstance(schema, Mapping):
            return {}, None
        name = ref_name(schema)
        if name is None:
            return schema, None
        target = self.defs.get(name)
        if not isinstance(target, Mapping):
            return {k: v for k, v in schema.items() if k != "$ref"}, name
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}, name

    def _merge_all_of(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        parts = schema.get("allOf")
        if not isinstance(parts, list):
            return schema
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in parts:
            resolved, _ = self._resolve(part)
            resolved = self._merge_all_of(resolved)
            if isinstance(resolved.get("properties"), Mapping):
                props.update(resolved["properties"])
            required.extend(r for r in resolved.get("required", []) or [] if isinstance(r, str))
        if not props:
            return schema
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        props.update(merged.get("properties") or {})
        merged["properties"] = props
        merged["required"] = list(dict.fromkeys([*required, *(merged.get("required") or [])]))
        merged.setdefault("type", "object")
        return merged

    def type_text(self, schema: Any, depth: int = 0) -> str:
        if schema is True or schema == {}:
            return "any"
        if schema is False:
            return "nothing (never valid)"
        if not isinstance(schema, Mapping):
            return "any"
        name = ref_name(schema)
        if name is not None:
            target = self.defs.get(name)
            inner = (
                self.type_text({k: v for k, v in target.items() if k != "title"}, depth + 1)
                if (isinstance(target, Mapping) and ref_name(target) is None and depth < 3)
                else "object"
            )
            return name if inner in ("object", "any") else f"{inner} ({name})"
        kind = schema.get("type")
        options = _variant_options(schema)
        if options is not None:
            word, opts = options
            non_null = [o for o in opts if not (isinstance(o, Mapping) and o.get("type") == "null")]
            if len(non_null) == 1 and len(opts) == 2:
                return f"{self.type_text(non_null[0])} | null"
            return word
        if isinstance(kind, list):
            return " | ".join(
                self._array_text(schema) if k == "array" else str(k) for k in kind if isinstance(k, str)
            )
        if kind == "array":
            return self._array_text(schema)
        if isinstance(kind, str):
            return kind
        if "allOf" in schema:
            merged = self._merge_all_of(schema)
            return "object" if merged.get("properties") else "all of"
        if "const" in schema:
            return _json_type(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            kinds = sorted({_json_type(v) for v in schema["enum"]}, key=_TYPE_ORDER.index)
            return " | ".join(kinds)
        if "properties" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return self._array_text(schema)
        if "not" in schema:
            return "not " + self.type_text(schema["not"])
        return "any"

    def _array_text(self, schema: Mapping[str, Any]) -> str:
        items = schema.get("items")
        if isinstance(items, (Mapping, bool)):
            return f"array of {self.type_text(items)}"
        if isinstance(schema.get("prefixItems"), list):
            return "tuple"
        return "array"

    def _fields(
        self, schema: Any, prefix: str, path: str, stack: tuple[str, ...], depth: int
    ) -> list[Row] | None:
        """Rows for the members of an object schema (None when it is not object-like)."""
        resolved, _ = self._resolve(schema)
        resolved = self._merge_all_of(resolved)
        props = resolved.get("properties")
        additional = resolved.get("additionalProperties")
        patterns = resolved.get("patternProperties")
        if not isinstance(props, Mapping) and not isinstance(additional, Mapping) and not patterns:
            return None
        required = {r for r in resolved.get("required", []) or [] if isinstance(r, str)}
        rows: list[Row] = []
        for name, sub in (props or {}).items():
            rows.append(
                self._row(sub, str(name), prefix, _join(path, str(name)), name in required, stack, depth)
            )
        if isinstance(patterns, Mapping):
            for pattern, sub in patterns.items():
                label = f"/{pattern}/"
                rows.append(self._row(sub, label, prefix, _join(path, label), False, stack, depth))
        if isinstance(additional, Mapping) and additional:
            rows.append(self._row(additional, "*", prefix, _join(path, "*"), False, stack, depth))
        return rows

    def _row(  # noqa: PLR0917
        self,
        schema: Any,
        name: str,
        prefix: str,
        path: str,
        required: bool,
        stack: tuple[str, ...],
        depth: int,
    ) -> Row:
        self.count += 1
        row = Row(id=self.new_id(f"{prefix}--{path}"), name=name, path=path, type=self.type_text(schema))
        row.required = required
        if not isinstance(schema, Mapping):
            return row
        resolved, ref = self._resolve(schema)
        target = _items_ref(resolved) if ref is None else ref
        if target is not None:
            row.ref = target
            row.ref_href = self.def_href(target)
        row.description = _text(schema.get("description")) or _text(resolved.get("description"))
        row.format = resolved.get("format") if isinstance(resolved.get("format"), str) else None
        enum = resolved.get("enum")
        if isinstance(enum, list):
            row.enum = [jtext(v) for v in enum[:MAX_ENUM]]
            row.enum_more = max(0, len(enum) - MAX_ENUM)
        row.constraints = constraints_of(resolved)
        if target is not None and target in stack:
            row.recursive = True
            return row
        over = self.count >= MAX_ROWS or (target is not None and len(stack) >= MAX_REF_DEPTH)
        inner_stack = (*stack, target) if target is not None else stack
        if depth > 30:
            over = True
        # members: the object itself, or an array's items
        member_schema: Any = resolved
        member_path = path
        if self._is_array(resolved) and isinstance(resolved.get("items"), Mapping):
            member_schema = resolved["items"]
            member_path = path + "[]"
            item_resolved, item_ref = self._resolve(member_schema)
            if item_ref is not None and item_ref in stack:
                row.recursive = True
                return row
            if _variant_options(item_resolved) is not None:
                member_schema = item_resolved
        if over:
            row.truncated = self._has_members(member_schema)
            return row
        children = self._fields(member_schema, prefix, member_path, inner_stack, depth + 1)
        if children is not None:
            row.children = children
        options = _variant_options(self._resolve(member_schema)[0])
        if options is not None:
            word, opts = options
            non_null = [o for o in opts if not (isinstance(o, Mapping) and o.get("type") == "null")]
            if len(non_null) == 1 and len(opts) == 2 and not row.children:
                single = self._fields(non_null[0], prefix, member_path, inner_stack, depth + 1)
                row.children = single or []
                if ref_name(non_null[0]) and not row.ref:
                    row.ref = ref_name(non_null[0])
                    row.ref_href = self.def_href(row.ref or "")
            else:
                row.variant_kind = word
                for index, option in enumerate(opts, 1):
                    label = f"option {index}: {self.type_text(option)}"
                    option_path = f"{member_path}<{index}>"
                    option_ref = ref_name(option) if isinstance(option, Mapping) else None
                    if option_ref is not None and option_ref in inner_stack:
                        label += " (recursive, see its section)"
                        row.variants.append(Variant(label))
                        continue
                    rows = self._fields(option, prefix, option_path, inner_stack, depth + 1)
                    row.variants.append(Variant(label, rows or []))
        return row

    @staticmethod
    def _is_array(schema: Mapping[str, Any]) -> bool:
        kind = schema.get("type")
        return (
            kind == "array"
            or (isinstance(kind, list) and "array" in kind)
            or (kind is None and "items" in schema)
        )

    def _has_members(self, schema: Any) -> bool:
        resolved, _ = self._resolve(schema)
        return isinstance(resolved.get("properties"), Mapping) or _variant_options(resolved) is not None


def _variant_options(schema: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
    for key, word in (("oneOf", "one of"), ("anyOf", "any of")):
        value = schema.get(key)
        if isinstance(value, list) and value:
            return word, value
    return None


def _items_ref(schema: Mapping[str, Any]) -> str | None:
    items = schema.get("items")
    if isinstance(items, Mapping) and schema.get("type") in ("array", None):
        return ref_name(items)
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
