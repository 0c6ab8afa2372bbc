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

from collections.abc import Callable, Mapping
from typing import Any

from asyncgen.errors import Diagnostics, Location, SpecError

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
#: inline mode copies a shared sub-schema at every use: layers that each use the same one twice
#: double the copy, so a small spec could ask for billions of nodes; real parameter schemas
#: have a few dozen
MAX_INLINED_NODES = 20_000
DEF_PREFIX = "#/$defs/"


#: values ``plain`` returns as they are
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any, _path: frozenset[int] = frozenset()) -> Any:
    """JSON-compatible deep copy (MapNode/SeqNode -> dict/list); a cycle becomes ``None``."""
    if type(value) in _SCALARS:
        return value
    scalars = _SCALARS
    if isinstance(value, dict):
        if id(value) in _path:
            return None
        inner = _path | {id(value)}
        return {str(k): v if type(v) in scalars else plain(v, inner) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if id(value) in _path:
            return None
        inner = _path | {id(value)}
        return [v if type(v) in scalars else plain(v, inner) for v in value]
    return value


def _own_keys(node: dict[str, Any]) -> list[str]:
    """Keys of ``node`` that are not inherited from its ``ref_target`` (merged ref+siblings nodes)."""
    target = getattr(node, "ref_target", None)
    if not isinstance(target, dict):
        return list(node)
    return [k for k in node if k not in target or node[k] is not target[k]]


_EMAP, _EONE, _EITEMS, _ELIST, _EDEPS = range(5)
_EDGE: dict[str, int] = {
    **{k: _EMAP for k in SCHEMA_MAPS},
    **{k: _EONE for k in (*SCHEMA_ONE, "additionalItems")},
    **{k: _ELIST for k in SCHEMA_LISTS},
    "items": _EITEMS,
    "dependencies": _EDEPS,
}


def schema_edges(node: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """``(key, sub, child)`` for every subschema position of ``node`` holding an object, in spec
    order; the path of ``child`` is ``(key,)`` or ``(key, sub)`` (``("$ref",)``: a merged
    ref+siblings node's target; draft-07 ``items: [..]`` -> ``prefixItems``; ``dependencies``
    -> ``dependentSchemas``)."""
    out: list[tuple[str, str | None, dict[str, Any]]] = []
    target = getattr(node, "ref_target", None)
    items: Any
    if isinstance(target, dict):
        out.append(("$ref", None, target))
        items = [(k, node[k]) for k in _own_keys(node)]
    else:
        items = node.items()
    edge = _EDGE
    for key, value in items:
        kind = edge.get(key)
        if kind is None:
            continue
        if kind == _EMAP:
            if isinstance(value, dict):
                out.extend((key, str(n), child) for n, child in value.items() if isinstance(child, dict))
        elif kind == _EONE:
            if isinstance(value, dict):
                out.append((key, None, value))
        elif kind == _EITEMS:
            if isinstance(value, list):
                out.extend(
                    ("prefixItems", str(index), child)
                    for index, child in enumerate(value)
                    if isinstance(child, dict)
                )
            elif isinstance(value, dict):
                out.append((key, None, value))
        elif kind == _ELIST:
            if isinstance(value, list):
                out.extend((key, str(i), child) for i, child in enumerate(value) if isinstance(child, dict))
        elif isinstance(value, dict):  # dependencies
            out.extend(
                ("dependentSchemas", str(n), child) for n, child in value.items() if isinstance(child, dict)
            )
    return out


#: what ``_convert`` does with a keyword (a keyword not listed is dropped: ``x-*``, ``$id``,
#: ``xml``, ``nullable`` - applied at the end -, ``additionalItems`` - with ``items`` -, unknown ones)
_MAP, _ONE, _ITEMS, _LIST, _DEPS, _TYPE, _REQUIRED = range(7)
_ENUM, _PLAIN, _EXAMPLES, _EXAMPLE, _DISC, _EXCL, _REF = range(7, 14)
_KIND: dict[str, int] = {
    **{k: _PLAIN for k in KEEP},
    **{k: _MAP for k in SCHEMA_MAPS},
    **{k: _ONE for k in SCHEMA_ONE},
    **{k: _LIST for k in SCHEMA_LISTS},
    "items": _ITEMS,
    "dependencies": _DEPS,
    "type": _TYPE,
    "required": _REQUIRED,
    "enum": _ENUM,
    "const": _PLAIN,
    "default": _PLAIN,
    "examples": _EXAMPLES,
    "example": _EXAMPLE,
    "discriminator": _DISC,
    "exclusiveMinimum": _EXCL,
    "exclusiveMaximum": _EXCL,
    "$ref": _REF,
    "$dynamicRef": _REF,
    "$recursiveRef": _REF,
}
_NO = object()  # "no second pointer part"


class _TooLarge(Exception):
    """Inline mode ran out of MAX_INLINED_NODES (turned into a located SpecError by inline())."""


class Converter:
    """Converts schema nodes to 2020-12 dicts; ``def_names`` (``id(node)`` -> def name) says
    which nodes are defs of their own (referenced as ``{"$ref": "#/$defs/<name>"}``).

    A def's body is converted once, per call of :meth:`convert_def`; locations are
    built only for warnings.
    """

    def __init__(
        self,
        *,
        def_names: Mapping[int, str],
        diagnostics: Diagnostics,
        mapping_target: Callable[[str], Any] | None = None,
    ) -> None:
        self.def_names = def_names
        self.mapping_target: Callable[[str], Any] = mapping_target or (lambda ref: None)
        self.diagnostics = diagnostics
        #: inline mode (no defs): the nodes being converted, to cut cycles
        self._active: set[int] | None = None
        #: inline mode: how many more schema nodes may be copied (see MAX_INLINED_NODES)
        self._inline_left = 0

    def convert_def(self, node: dict[str, Any], dialect: str) -> dict[str, Any]:
        """The body of a def: ``node`` itself converted, its def children as refs."""
        return self._convert(node, dialect)

    def inline(self, node: Any, dialect: str) -> Any:
        """Fully inlined (for parameter schemas): defs are *not* referenced, cycles cut."""
        saved, saved_active, saved_left = self.def_names, self._active, self._inline_left
        self.def_names, self._active, self._inline_left = {}, set(), MAX_INLINED_NODES
        try:
            return self._child(node, dialect, None, _NO)
        except _TooLarge:
            where: Location = getattr(node, "loc", None) or Location("<memory>")
            raise SpecError(
                f"this schema grows past {MAX_INLINED_NODES:,} nodes when its $refs are inlined: "
                "a sub-schema it reaches through several layers is copied again at every use",
                where,
                hint="parameter schemas are inlined into the generated code; keep them small, or "
                "reference each shared sub-schema from one place",
            ) from None
        finally:
            self.def_names, self._active, self._inline_left = saved, saved_active, saved_left

    # ------------------------------------------------------------------
    def _warn(self, node: Any, parts: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        base: Location = getattr(node, "loc", None) or Location("<memory>")
        self.diagnostics.warn(message, base.child(*parts), hint=hint)

    def _child(self, child: Any, dialect: str, node: Any, key: Any, sub: Any = _NO) -> Any:
        """``child`` (found at ``node``/``key``[/``sub``]) as a def reference or converted inline."""
        if isinstance(child, dict):
            name = self.def_names.get(id(child))
            if name is not None:
                return {"$ref": DEF_PREFIX + name}
            active = self._active
            if active is None:  # def mode: an inline node has one parent and is on no cycle
                return self._convert(child, dialect)
            if id(child) in active:  # a cycle (inline mode): cut it
                return {}
            self._inline_left -= 1
            if self._inline_left < 0:
                raise _TooLarge
            active.add(id(child))
            try:
                return self._convert(child, dialect)
            finally:
                active.discard(id(child))
        if isinstance(child, bool):
            return child
        parts = () if key is _NO else (key,) if sub is _NO else (key, sub)
        self._warn(node, parts, f"a schema must be an object or boolean, got {type(child).__name__}")
        return {}

    def _convert(self, node: dict[str, Any], dialect: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        target = getattr(node, "ref_target", None)
        if isinstance(target, dict):
            converted = self._child(target, dialect, node, _NO)
            if isinstance(converted, dict) and set(converted) == {"$ref"}:
                out["$ref"] = converted["$ref"]
            else:  # target inlined: nest it
                out["allOf"] = [converted]
            items: Any = [(k, node[k]) for k in _own_keys(node)]
        else:
            items = node.items()
        kinds = _KIND
        child = self._child
        for key, value in items:
            kind = kinds.get(key)
            if kind is None:
                continue
            if kind == _PLAIN:
                out[key] = value if type(value) in _SCALARS else plain(value)
            elif kind == _TYPE:
                if type(value) is str and value in TYPES:
                    out["type"] = value
                else:
                    self._type(out, value, node, key)
            elif kind == _MAP:
                if isinstance(value, dict):
                    out[key] = {str(n): child(c, dialect, node, key, str(n)) for n, c in value.items()}
            elif kind == _ITEMS:
                if isinstance(value, list):
                    out["prefixItems"] = [child(c, dialect, node, key, i) for i, c in enumerate(value)]
                    extra = node.get("additionalItems", True)
                    if extra is not True:
                        out["items"] = child(extra, dialect, node, "additionalItems")
                else:
                    out["items"] = child(value, dialect, node, key)
            elif kind == _REQUIRED:
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    out["required"] = list(dict.fromkeys(value))
                elif value is not False:
                    self._warn(node, (key,), "`required` must be a list of property names; ignored")
            elif kind == _ENUM:
                if isinstance(value, list):
                    out["enum"] = plain(value)
                else:
                    self._warn(node, (key,), "`enum` must be a list; ignored")
            elif kind == _ONE:
                out[key] = child(value, dialect, node, key)
            elif kind == _LIST:
                if isinstance(value, list):
                    out[key] = [child(c, dialect, node, key, i) for i, c in enumerate(value)]
            elif kind == _EXAMPLES:
                examples = plain(value)
                out["examples"] = examples if isinstance(examples, list) else _map_values(examples)
            elif kind == _EXAMPLE:
                if "examples" not in node:
                    out["examples"] = [plain(value)]
            elif kind == _EXCL:
                if not isinstance(value, bool):
                    out[key] = value
            elif kind == _DEPS:
                if isinstance(value, dict):
                    for name, dep in value.items():
                        if isinstance(dep, list):
                            out.setdefault("dependentRequired", {})[str(name)] = [str(d) for d in dep]
                        else:
                            out.setdefault("dependentSchemas", {})[str(name)] = child(
                                dep, dialect, node, key, str(name)
                            )
            elif kind == _DISC:
                self._discriminator(out, value, node, key)
            else:  # _REF
                self._warn(
                    node,
                    (key,),
                    f"`{key}: {value!r}` could not be followed here; the reference is ignored",
                    hint="use a $ref that points into the spec or a file beside it",
                )
        if node.get("exclusiveMinimum") is True and "minimum" in out:
            out["exclusiveMinimum"] = out.pop("minimum")
        if node.get("exclusiveMaximum") is True and "maximum" in out:
            out["exclusiveMaximum"] = out.pop("maximum")
        if dialect == "openapi30" and node.get("nullable") is True:
            out = _nullable(out)
        return out

    def _discriminator(self, out: dict[str, Any], value: Any, node: Any, key: str) -> None:
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
            name = self.def_names.get(id(target)) if target is not None else None
            if name is not None:
                translated[str(tag)] = DEF_PREFIX + name
            else:
                lost.append(str(tag))
        if translated:
            out["discriminator"]["mapping"] = translated
        if lost:
            self._warn(
                node,
                (key, "mapping"),
                f"discriminator mapping entries {lost} do not point at one of this spec's models; dropped",
            )

    def _type(self, out: dict[str, Any], value: Any, node: Any, key: str) -> None:
        names = value if isinstance(value, list) else [value]
        good = [n for n in names if isinstance(n, str) and n in TYPES]
        if len(good) != len(names):
            bad = [n for n in names if n not in good]
            self._warn(node, (key,), f"unknown JSON Schema type {bad!r} ignored")
        if not good:
            return
        out["type"] = good if isinstance(value, list) else good[0]


def _map_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v.get("value", v) if isinstance(v, dict) else v for v in value.values()]
    return [value]


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
