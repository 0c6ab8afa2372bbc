"""Schema dialects (draft-04/06/07, AsyncAPI Schema Object, OpenAPI 3.0) -> JSON Schema 2020-12.

Rules, applied to one schema node at a time (children that are defs of their own
become ``{"$ref": "#/$defs/<Name>"}``):

* dropped: ``x-*`` extensions, ``$id``, ``$schema``, ``$anchor``,
  ``$dynamicAnchor``, ``xml``, ``externalDocs``, ``definitions``/``$defs`` (their
  members are reached through the refs that use them, and become defs there),
  unknown keywords;
* ``example`` -> ``examples: [example]`` (unless ``examples`` is set);
  ``examples`` that is not a list (OpenAPI-style map) -> list of its values;
* OpenAPI 3.0 ``nullable: true`` -> ``type: [T, "null"]`` (and ``null`` added to
  ``enum``), or ``anyOf: [<schema>, {"type": "null"}]`` when there is no ``type``;
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (draft-04 / OpenAPI 3.0) ->
  the numeric form; ``items: [..]`` (draft-07 tuple) -> ``prefixItems`` with
  ``additionalItems`` -> ``items``; ``dependencies`` -> ``dependentRequired`` /
  ``dependentSchemas``;
* ``discriminator`` (AsyncAPI 2 string or OpenAPI object) -> kept as an annotation
  ``{"propertyName": ..., "mapping": {tag: "#/$defs/<Name>"}}``, mapping refs
  re-pointed at our defs (entries that cannot be are dropped with a warning);
* a ref with siblings (OpenAPI 3.1 / 2019+) -> ``{"$ref": <target def>, <siblings>}``;
* invalid keyword values (``required: true`` on a property, a non-list ``enum``,
  unknown ``type`` names) are dropped with a located warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from asyncgen.errors import Diagnostics, Location

ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
    }
)
KEEP = frozenset(
    {
        "format", "multipleOf", "maximum", "minimum", "maxLength", "minLength", "pattern",
        "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties",
        "minProperties", "dependentRequired", "contentEncoding", "contentMediaType",
        "title", "description", "deprecated", "readOnly", "writeOnly", "$comment",
    }
)  # fmt: skip
SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")
SCHEMA_ONE = (
    "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
    "propertyNames", "not", "if", "then", "else", "contentSchema",
)  # fmt: skip
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
DEF_PREFIX = "#/$defs/"


class _Where:
    """A location computed only when a warning needs it (JSON pointers are costly to build)."""

    __slots__ = ("base", "parts")

    def __init__(self, base: Location, parts: tuple[str | int, ...] = ()) -> None:
        self.base = base
        self.parts = parts

    def child(self, *parts: str | int) -> _Where:
        return _Where(self.base, self.parts + parts)

    @property
    def loc(self) -> Location:
        return self.base.child(*self.parts)


def plain(value: Any, _path: frozenset[int] = frozenset()) -> Any:
    """JSON-compatible deep copy (MapNode/SeqNode -> dict/list); a cycle becomes ``None``."""
    if isinstance(value, dict):
        if id(value) in _path:
            return None
        inner = _path | {id(value)}
        return {str(k): plain(v, inner) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if id(value) in _path:
            return None
        inner = _path | {id(value)}
        return [plain(v, inner) for v in value]
    return value


def _own_keys(node: dict[str, Any]) -> list[str]:
    """Keys of ``node`` that are not inherited from its ``ref_target`` (merged ref+siblings nodes)."""
    target = getattr(node, "ref_target", None)
    if not isinstance(target, dict):
        return list(node)
    return [k for k in node if k not in target or node[k] is not target[k]]


def schema_children(node: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, child) for every subschema position of ``node``, in spec order."""
    target = getattr(node, "ref_target", None)
    if isinstance(target, dict):
        yield ("$ref",), target
    for key in _own_keys(node):
        value = node[key]
        if key in SCHEMA_MAPS and isinstance(value, dict):
            for name, child in value.items():
                yield (key, str(name)), child
        elif key in SCHEMA_ONE or key == "additionalItems":
            yield (key,), value
        elif key == "items":
            if isinstance(value, list):
                for index, child in enumerate(value):
                    yield ("prefixItems", str(index)), child
            else:
                yield (key,), value
        elif key in SCHEMA_LISTS and isinstance(value, list):
            for index, child in enumerate(value):
                yield (key, str(index)), child
        elif key == "dependencies" and isinstance(value, dict):
            for name, child in value.items():
                if isinstance(child, dict):
                    yield ("dependentSchemas", str(name)), child


class Converter:
    """Converts schema nodes to 2020-12 dicts; ``is_def``/``def_name`` decide what is a ``$ref``."""

    def __init__(
        self,
        *,
        is_def: Callable[[Any], bool],
        def_name: Callable[[Any], str],
        diagnostics: Diagnostics,
        mapping_target: Callable[[str], Any] | None = None,
    ) -> None:
        self.is_def = is_def
        self.mapping_target: Callable[[str], Any] = mapping_target or (lambda ref: None)
        self.def_name = def_name
        self.diagnostics = diagnostics
        self._active: set[int] = set()

    def convert_def(self, node: dict[str, Any], dialect: str) -> dict[str, Any]:
        """The body of a def: ``node`` itself converted, its def children as refs."""
        return self._node(node, dialect)

    def inline(self, node: Any, dialect: str) -> Any:
        """Fully inlined (for parameter schemas): defs are *not* referenced, cycles cut."""
        saved = self.is_def
        self.is_def = lambda n: False
        try:
            return self._child(node, dialect, _Where(Location("<memory>")))
        finally:
            self.is_def = saved

    # ------------------------------------------------------------------
    def _child(self, child: Any, dialect: str, where: _Where) -> Any:
        if isinstance(child, bool):
            return child
        if not isinstance(child, dict):
            self.diagnostics.warn(
                f"a schema must be an object or boolean, got {type(child).__name__}", where.loc
            )
            return {}
        if self.is_def(child):
            return {"$ref": DEF_PREFIX + self.def_name(child)}
        if id(child) in self._active:  # a cycle that is not a def (inline mode): cut it
            return {}
        return self._node(child, dialect)

    def _node(self, node: dict[str, Any], dialect: str) -> dict[str, Any]:
        self._active.add(id(node))
        try:
            return self._convert(node, dialect)
        finally:
            self._active.discard(id(node))

    def _convert(self, node: dict[str, Any], dialect: str) -> dict[str, Any]:
        loc: Location = getattr(node, "loc", None) or Location("<memory>")
        out: dict[str, Any] = {}
        target = getattr(node, "ref_target", None)
        if isinstance(target, dict):
            converted = self._child(target, dialect, _Where(loc))
            if isinstance(converted, dict) and set(converted) == {"$ref"}:
                out["$ref"] = converted["$ref"]
            else:  # target inlined: nest it
                out["allOf"] = [converted]
        keys = _own_keys(node)
        for key in keys:
            value = node[key]
            where = _Where(loc, (key,))
            if key.startswith("x-") or key in (
                "$id", "$schema", "$anchor", "$dynamicAnchor", "xml", "externalDocs", "definitions", "$defs",
            ):  # fmt: skip
                continue
            if key in ("$ref", "$dynamicRef", "$recursiveRef"):
                self.diagnostics.warn(
                    f"`{key}: {value!r}` could not be followed here; the reference is ignored",
                    where.loc,
                    hint="use a $ref that points into the spec or a file beside it",
                )
            elif key in SCHEMA_MAPS:
                if isinstance(value, dict):
                    out[key] = {
                        str(n): self._child(c, dialect, where.child(str(n))) for n, c in value.items()
                    }
            elif key in SCHEMA_ONE:
                out[key] = self._child(value, dialect, where)
            elif key == "items":
                if isinstance(value, list):
                    out["prefixItems"] = [
                        self._child(c, dialect, where.child(i)) for i, c in enumerate(value)
                    ]
                    extra = node.get("additionalItems", True)
                    if extra is not True:
                        out["items"] = self._child(extra, dialect, _Where(loc, ("additionalItems",)))
                else:
                    out["items"] = self._child(value, dialect, where)
            elif key in SCHEMA_LISTS:
                if isinstance(value, list):
                    out[key] = [self._child(c, dialect, where.child(i)) for i, c in enumerate(value)]
            elif key == "dependencies" and isinstance(value, dict):
                for name, dep in value.items():
                    if isinstance(dep, list):
                        out.setdefault("dependentRequired", {})[str(name)] = [str(d) for d in dep]
                    else:
                        out.setdefault("dependentSchemas", {})[str(name)] = self._child(
                            dep, dialect, where.child(str(name))
                        )
            elif key == "type":
                self._type(out, value, where)
            elif key == "required":
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    out["required"] = list(dict.fromkeys(value))
                elif value is not False:
                    self.diagnostics.warn("`required` must be a list of property names; ignored", where.loc)
            elif key == "enum":
                if isinstance(value, list):
                    out["enum"] = plain(value)
                else:
                    self.diagnostics.warn("`enum` must be a list; ignored", where.loc)
            elif key in ("const", "default"):
                out[key] = plain(value)
            elif key == "examples":
                examples = plain(value)
                out["examples"] = examples if isinstance(examples, list) else _map_values(examples)
            elif key == "example":
                if "examples" not in node:
                    out["examples"] = [plain(value)]
            elif key == "discriminator":
                self._discriminator(out, value, where)
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                if not isinstance(value, bool):
                    out[key] = value
            elif key in KEEP:
                out[key] = plain(value)
            # everything else (additionalItems handled with items, nullable below, unknown) is dropped
        _exclusive(node, out, "exclusiveMinimum", "minimum")
        _exclusive(node, out, "exclusiveMaximum", "maximum")
        if dialect == "openapi30" and node.get("nullable") is True:
            out = _nullable(out)
        return out

    def _discriminator(self, out: dict[str, Any], value: Any, where: _Where) -> None:
        prop = value.get("propertyName") if isinstance(value, dict) else value
        if not isinstance(prop, str):
            return
        out["discriminator"] = {"propertyName": prop}
        mapped = value.get("mapping") if isinstance(value, dict) else None
        if not isinstance(mapped, dict) or not mapped:
            return
        translated: dict[str, str] = {}
        lost = []
        for tag, ref in mapped.items():
            target = self.mapping_target(ref) if isinstance(ref, str) else None
            if target is not None and self.is_def(target):
                translated[str(tag)] = DEF_PREFIX + self.def_name(target)
            else:
                lost.append(str(tag))
        if translated:
            out["discriminator"]["mapping"] = translated
        if lost:
            self.diagnostics.warn(
                f"discriminator mapping entries {lost} do not point at one of this spec's models; dropped",
                where.child("mapping").loc,
            )

    def _type(self, out: dict[str, Any], value: Any, where: _Where) -> None:
        names = value if isinstance(value, list) else [value]
        good = [n for n in names if isinstance(n, str) and n in TYPES]
        if len(good) != len(names):
            bad = [n for n in names if n not in good]
            self.diagnostics.warn(f"unknown JSON Schema type {bad!r} ignored", where.loc)
        if not good:
            return
        out["type"] = good if isinstance(value, list) else good[0]


def _map_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v.get("value", v) if isinstance(v, dict) else v for v in value.values()]
    return [value]


def _exclusive(node: dict[str, Any], out: dict[str, Any], key: str, bound: str) -> None:
    flag = node.get(key)
    if flag is True and bound in out:
        out[key] = out.pop(bound)


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"] if kind != "null" else "null"
    elif isinstance(kind, list):
        if "null" not in kind:
            out["type"] = [*kind, "null"]
    else:
        notes: dict[str, Any] = {
            k: out.pop(k) for k in ("title", "description", "default", "examples") if k in out
        }
        return {**notes, "anyOf": [out, {"type": "null"}]}
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out
