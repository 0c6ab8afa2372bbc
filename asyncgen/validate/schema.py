"""The Schema Object: JSON Schema draft-07 keywords plus AsyncAPI's additions.

Walks a schema graph iteratively (recursive schemas are Python cycles in the
resolved graph; each node is checked once) and reports keywords whose *values*
have the wrong shape: ``minimum: true``, ``required: "id"``, ``type: strng``,
``additionalProperties: []``... Unknown keywords are allowed, as in JSON Schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from asyncgen.document import MapNode, SeqNode, child_loc
from asyncgen.errors import Location
from asyncgen.validate.hints import did_you_mean
from asyncgen.validate.regex import check_pattern
from asyncgen.validate.walker import Ctx, Kind, article, json_type

SIMPLE_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")

_SCHEMA_KEYS = ("additionalItems", "contains", "propertyNames", "not", "if", "then", "else")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_ARRAYS = ("allOf", "anyOf", "oneOf")
_NUMBERS = ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum")
_COUNTS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")
_STRINGS = (
    "$id", "$schema", "$ref", "$comment", "title", "description", "pattern", "format",
    "contentMediaType", "contentEncoding",
)  # fmt: skip
_BOOLS = ("readOnly", "writeOnly", "uniqueItems")
_KNOWN = (
    *_SCHEMA_KEYS, *_SCHEMA_MAPS, *_SCHEMA_ARRAYS, *_NUMBERS, *_COUNTS, *_STRINGS, *_BOOLS,
    "type", "items", "additionalProperties", "required", "enum", "const", "default", "examples",
    "multipleOf", "dependencies", "discriminator", "externalDocs", "deprecated",
)  # fmt: skip


#: a location computed only when an error needs it (a Location per keyword cost ~20% of validation)
Where = Callable[[], Location]


def _child_where(parent: MapNode | SeqNode | None, key: str | int, fallback: Where) -> Location:
    return child_loc(parent, key) if parent is not None else fallback().child(key)


class SchemaKind(Kind):
    """A Schema Object (``asyncapi=True``) or a plain draft-07 JSON Schema."""

    def __init__(self, *, asyncapi: bool = True) -> None:
        self.asyncapi = asyncapi
        self.tag = "Schema Object" if asyncapi else "JSON Schema"

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.tag

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        stack: list[tuple[Any, Where, str]] = [(value, lambda: where, label)]
        while stack:
            node, at, name = stack.pop()
            if isinstance(node, bool):
                continue
            if not isinstance(node, Mapping):
                ctx.error(
                    f"`{name}` must be a schema (an object or a boolean), not {article(json_type(node))}",
                    at(),
                    node=node,
                )
                continue
            if not ctx.first_visit(node, self.tag):
                continue
            self._one(ctx, node, stack)

    def _one(self, ctx: Ctx, node: Mapping[str, Any], stack: list[tuple[Any, Where, str]]) -> None:
        own = node.loc if isinstance(node, MapNode) else Location("<memory>")

        def loc(key: str) -> Location:
            return child_loc(node, key) if isinstance(node, MapNode) else own.child(key)

        def bad(key: str, expected: str, hint: str | None = None) -> None:
            ctx.error(
                f"schema keyword `{key}` must be {expected}, not {article(json_type(node[key]))}",
                loc(key),
                hint,
                node=node,
            )

        for key, value in node.items():
            if key in _SCHEMA_KEYS or key == "additionalProperties":
                stack.append((value, partial(loc, key), key))
            elif key in _SCHEMA_MAPS:
                if not isinstance(value, Mapping):
                    bad(key, "an object of schemas")
                    continue
                parent = value if isinstance(value, MapNode) else None
                for sub, item in value.items():
                    sub_loc = partial(_child_where, parent, sub, partial(loc, key))
                    if key == "patternProperties":
                        key_loc = value.key_loc(sub) if isinstance(value, MapNode) else sub_loc()
                        check_pattern(ctx, sub, key_loc, "`patternProperties` key", node=node)
                    stack.append((item, sub_loc, f"{key}/{sub}"))
            elif key in _SCHEMA_ARRAYS:
                self._schema_array(ctx, node, key, value, at=partial(loc, key), stack=stack, bad=bad)
            elif key == "items":
                if isinstance(value, list):
                    self._schema_array(ctx, node, key, value, at=partial(loc, key), stack=stack, bad=bad)
                else:
                    stack.append((value, partial(loc, key), key))
            elif key == "type":
                self._type(ctx, node, value, partial(loc, key), bad)
            elif key in _NUMBERS:
                if json_type(value) not in ("number", "integer"):
                    bad(key, "a number")
            elif key == "multipleOf":
                if json_type(value) not in ("number", "integer"):
                    bad(key, "a number")
                elif value <= 0:
                    ctx.error("schema keyword `multipleOf` must be greater than 0", loc(key), node=node)
            elif key in _COUNTS:
                if json_type(value) != "integer":
                    bad(key, "a non-negative integer")
                elif value < 0:
                    ctx.error(f"schema keyword `{key}` must not be negative", loc(key), node=node)
            elif key in _STRINGS or (key == "discriminator" and self.asyncapi):
                if not isinstance(value, str):
                    bad(key, "a string")
                elif key == "pattern":
                    check_pattern(ctx, value, loc(key), "schema keyword `pattern`", node=node)
            elif key in _BOOLS or (key == "deprecated" and self.asyncapi):
                if not isinstance(value, bool):
                    bad(key, "a boolean")
            elif key == "required":
                self._string_array(ctx, node, key, value, at=partial(loc, key))
            elif key == "enum":
                self._enum(ctx, node, value, partial(loc, key), bad)
            elif key == "examples":
                if not isinstance(value, list):
                    bad(key, "an array")
            elif key == "dependencies":
                self._dependencies(ctx, node, value, at=partial(loc, key), stack=stack, bad=bad)
            elif key == "externalDocs" and self.asyncapi:
                ctx.check("externalDocs", value, loc(key), key)

    @staticmethod
    def _schema_array(
        ctx: Ctx, node: Any, key: str, value: Any, *, at: Where, stack: list[Any], bad: Any
    ) -> None:
        if not isinstance(value, list):
            bad(key, "a non-empty array of schemas")
            return
        if not value:
            ctx.error(f"schema keyword `{key}` must not be an empty array", at(), node=node)
            return
        seq = value if isinstance(value, SeqNode) else None
        for index, item in enumerate(value):
            stack.append((item, partial(_child_where, seq, index, at), f"{key}[{index}]"))

    @staticmethod
    def _type(ctx: Ctx, node: Any, value: Any, at: Where, bad: Any) -> None:
        if isinstance(value, str):
            if value not in SIMPLE_TYPES:
                ctx.error(
                    f"schema `type` {value!r} is not a JSON Schema type",
                    at(),
                    did_you_mean(value, SIMPLE_TYPES) or "types: " + ", ".join(SIMPLE_TYPES),
                    node=node,
                )
            return
        if not isinstance(value, list):
            bad("type", "a type name or an array of type names")
            return
        if not value:
            ctx.error("schema `type` must not be an empty array", at(), node=node)
        for item in value:
            if item not in SIMPLE_TYPES:
                ctx.error(
                    f"schema `type` item {item!r} is not a JSON Schema type",
                    at(),
                    did_you_mean(str(item), SIMPLE_TYPES),
                    node=node,
                )
        if len(set(map(str, value))) != len(value):
            ctx.error("schema `type` lists a type twice", at(), node=node)

    @staticmethod
    def _string_array(ctx: Ctx, node: Any, key: str, value: Any, *, at: Where) -> bool:
        if not isinstance(value, list):
            ctx.error(
                f"schema keyword `{key}` must be an array of strings, not {article(json_type(value))}",
                at(),
                f"e.g. `{key}: [{value}]`" if isinstance(value, str) else None,
                node=node,
            )
            return False
        if any(not isinstance(item, str) for item in value):
            ctx.error(f"schema keyword `{key}` must contain only strings", at(), node=node)
            return False
        if len(set(value)) != len(value):
            ctx.error(f"schema keyword `{key}` lists a name twice", at(), node=node)
            return False
        return True

    @staticmethod
    def _enum(ctx: Ctx, node: Any, value: Any, at: Where, bad: Any) -> None:
        if not isinstance(value, list):
            bad("enum", "a non-empty array")
            return
        if not value:
            ctx.error("schema keyword `enum` must not be empty", at(), node=node)
            return
        keys = [_canonical(v) for v in value]
        if len(set(keys)) != len(keys):
            ctx.error("schema keyword `enum` lists a value twice", at(), node=node)

    def _dependencies(
        self, ctx: Ctx, node: Any, value: Any, *, at: Where, stack: list[Any], bad: Any
    ) -> None:
        if not isinstance(value, Mapping):
            bad("dependencies", "an object")
            return
        for sub, item in value.items():
            sub_loc = partial(_child_where, value if isinstance(value, MapNode) else None, sub, at)
            if isinstance(item, list):
                self._string_array(ctx, node, f"dependencies/{sub}", item, at=sub_loc)
            else:
                stack.append((item, sub_loc, f"dependencies/{sub}"))


def _canonical(value: Any) -> str:
    import json

    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


ASYNCAPI_SCHEMA = SchemaKind(asyncapi=True)
DRAFT07_SCHEMA = SchemaKind(asyncapi=False)
