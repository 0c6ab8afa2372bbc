"""Schema nodes of the resolved graph -> :class:`~asyncgen.model.SchemaDef`s.

Two phases, so "shared" means shared across the whole spec:

1. ``add_root(node, hint)`` for every payload / headers / body schema, in spec
   order. Nothing is converted yet.
2. ``finalize()`` walks everything reachable from the roots once (iteratively;
   cycles and shared nodes are fine) and decides which nodes become their own
   SchemaDef: every root; every node reached through a ``$ref`` or listed under
   ``components/schemas`` (named after that key); every node reached from two
   places (shared); every node on a cycle (recursive); and - to keep the
   Python stack bounded - nodes nested deeper than ``MAX_INLINE_DEPTH``.
   Everything else is inlined. Defs refer to each other as
   ``{"$ref": "#/$defs/<Name>"}``.

Naming (through the shared class :class:`~asyncgen.naming.Namer`): component keys
are reserved first (``lightMeasuredPayload`` -> ``LightMeasuredPayload``), then
defs with a natural name (component key, last segment of the ``$ref``), then
derived names (the root's hint such as ``<Message>Payload``; a nested def's
``title``; else parent name + property path) - all in discovery order.

Output is 2020-12 JSON Schema as plain dicts; see :mod:`asyncgen.parse.dialect`
for the conversion rules. Avro/Protobuf go through :mod:`asyncgen.schemaformats`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncgen import schemaformats
from asyncgen.document import MapNode
from asyncgen.errors import Diagnostics, Location, SpecError
from asyncgen.model import NOWHERE, SchemaDef
from asyncgen.naming import Namer, pascal
from asyncgen.parse.dialect import ANNOTATIONS, Converter, plain, schema_edges

#: beyond this many nested inline levels a node becomes its own def (bounded recursion)
MAX_INLINE_DEPTH = 60

JSON_KINDS = ("jsonschema", "asyncapi", "openapi")


@dataclass
class _Root:
    node: Any
    hint: str
    kind: str  # schemaformats.kind_of(...)
    schema_format: str | None
    dialect: str  # "openapi30" | "jsonschema"
    location: Location


class _Info:
    """What finalize learnt about one schema node."""

    __slots__ = (
        *("deep", "dialect", "first_edge", "name", "node"),
        *("order", "parents", "recursive", "root_hint"),
    )

    def __init__(
        self,
        node: MapNode,
        order: int,
        dialect: str,
        root_hint: str | None = None,
        first_edge: tuple[int, str, str | None] | None = None,
    ) -> None:
        self.node = node
        self.order = order
        self.parents = 0
        self.recursive = False
        self.deep = False
        self.root_hint = root_hint
        #: (parent node id, key, sub) of the first edge that reached it (path ``(key[, sub])``)
        self.first_edge = first_edge
        self.dialect = dialect
        self.name: str | None = None


@dataclass
class _Result:
    defs: list[SchemaDef] = field(default_factory=list)
    by_root: dict[int, SchemaDef | None] = field(default_factory=dict)


class SchemaGraph:
    """Collects schema roots of one spec and turns them into SchemaDefs."""

    def __init__(
        self,
        class_names: Namer,
        diagnostics: Diagnostics,
        *,
        components: Mapping[str, Any] | None = None,
        default_dialect: str = "jsonschema",
    ) -> None:
        self.names = class_names
        self.diagnostics = diagnostics
        self.default_dialect = default_dialect
        self._roots: list[_Root] = []
        self._root_ids: set[int] = set()
        self._component_key: dict[int, str] = {}
        self._component_node: dict[str, Any] = {}
        self._result: _Result | None = None
        #: discovery order of roots that are not walked (Avro, Protobuf, boolean, ...)
        self._slot: dict[int, int] = {}
        for key, node in (components or {}).items():
            if isinstance(node, dict):
                self._component_key.setdefault(id(node), str(key))
                self._component_node[str(key)] = node
                # reserve the component's name now so it wins over derived names
                self.names.name(str(key), key=("schema", id(node)))

    # ------------------------------------------------------------------ phase 1
    def add_root(
        self,
        node: Any,
        hint: str,
        *,
        schema_format: str | None = None,
        location: Location | None = None,
        dialect: str | None = None,
    ) -> None:
        """Register a payload/headers/body schema (idempotent per node)."""
        if self._result is not None:
            raise RuntimeError("SchemaGraph.add_root after finalize")  # programming error
        if node is None or id(node) in self._root_ids:
            return
        kind = schemaformats.kind_of(schema_format)
        use_dialect = dialect or self.default_dialect
        if kind == "openapi":
            use_dialect = "jsonschema" if "3.1" in (schema_format or "") else "openapi30"
        self._root_ids.add(id(node))
        loc = location or getattr(node, "loc", None) or NOWHERE
        self._roots.append(_Root(node, hint, kind, schema_format, use_dialect, loc))

    # ------------------------------------------------------------------ phase 2
    def get(self, node: Any) -> SchemaDef | None:
        """The SchemaDef of a registered root (after :meth:`finalize`)."""
        if node is None:
            return None
        if self._result is None:
            raise RuntimeError("SchemaGraph.get before finalize")  # programming error
        return self._result.by_root.get(id(node))

    @property
    def defs(self) -> tuple[SchemaDef, ...]:
        return tuple(self._result.defs) if self._result else ()

    def natural_name(self, node: Any) -> str | None:
        """Component key or the last segment of the ``$ref`` that reached ``node``."""
        if not isinstance(node, dict):
            return None
        key = self._component_key.get(id(node))
        if key is not None:
            return key
        ref = getattr(node, "ref", None)
        if isinstance(ref, str) and getattr(node, "ref_target", None) is None:
            return ref_name(ref)
        return None

    def finalize(self) -> None:
        if self._result is not None:
            return
        result = _Result()
        self._result = result
        infos = self._scan()
        self._name(infos)
        converter = Converter(
            def_names={ident: info.name for ident, info in infos.items() if info.name is not None},
            diagnostics=self.diagnostics,
            mapping_target=self._mapping_target,
        )
        placed: list[tuple[int, int, SchemaDef]] = []  # (discovery order, position, def)
        made: dict[int, SchemaDef] = {}
        for info in infos.values():  # (in discovery order: see _scan)
            if info.name is None:
                continue
            schema = converter.convert_def(info.node, info.dialect)
            made[id(info.node)] = SchemaDef(
                name=info.name,
                schema=schema,
                source_format="openapi" if info.dialect == "openapi30" else "jsonschema",
                location=info.node.loc,
                description=_text(info.node.get("description")),
            )
            placed.append((info.order, 0, made[id(info.node)]))
        for root in self._roots:
            target = _unwrap(root.node)
            if root.kind in JSON_KINDS and isinstance(target, dict):
                result.by_root[id(root.node)] = made.get(id(target))
                continue
            slot = self._slot[id(root.node)]
            if root.kind in JSON_KINDS:  # boolean (or malformed) schema
                if not isinstance(target, bool):
                    self.diagnostics.warn(
                        f"a schema must be an object or boolean, not {type(target).__name__}; "
                        "any value passes",
                        root.location,
                    )
                sd = SchemaDef(
                    self.names.name(root.hint, key=("schema", id(root.node))),
                    {"not": {}} if target is False else {},
                    location=root.location,
                )
                result.by_root[id(root.node)] = sd
                placed.append((slot, 0, sd))
            else:
                foreign: list[SchemaDef] = []
                result.by_root[id(root.node)] = self._convert_foreign(root, foreign)
                placed.extend((slot, i, sd) for i, sd in enumerate(foreign))
        seen: set[int] = set()
        for _, _, sd in sorted(placed, key=lambda p: (p[0], p[1])):
            if id(sd) not in seen:
                seen.add(id(sd))
                result.defs.append(sd)

    # ------------------------------------------------------------------ internals
    def _mapping_target(self, ref: str) -> Any:
        """A discriminator mapping value (``#/components/schemas/X`` or ``X``) -> its schema node."""
        for prefix in ("#/components/schemas/", "#/definitions/"):
            if ref.startswith(prefix):
                name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
                return self._component_node.get(name)
        return self._component_node.get(ref) if "/" not in ref and "#" not in ref else None

    def _scan(self) -> dict[int, _Info]:
        """One DFS over everything reachable from the JSON-like roots.

        ``infos`` is filled in discovery order (``order`` ascending).
        """
        infos: dict[int, _Info] = {}
        counter = 0
        for root in self._roots:
            start = _unwrap(root.node)
            if root.kind not in JSON_KINDS or not isinstance(start, dict):
                self._slot[id(root.node)] = counter  # foreign/boolean roots keep their place in the order
                counter += 1
                continue
            first = infos.get(id(start))
            if first is not None:  # already reached from an earlier root
                first.parents += 1
                if first.root_hint is None:
                    first.root_hint = root.hint
                continue
            dialect = root.dialect
            infos[id(start)] = _Info(_as_map(start), counter, dialect, root_hint=root.hint)
            counter += 1
            # iterative DFS: (node id, children iterator, inline depth)
            on_path: set[int] = {id(start)}
            stack: list[tuple[int, Iterator[tuple[str, str | None, dict[str, Any]]], int]] = [
                (id(start), iter(schema_edges(start)), 0)
            ]
            while stack:
                node_id, children, depth = stack[-1]
                for key, sub, child in children:
                    child_id = id(child)
                    info = infos.get(child_id)
                    if info is not None:
                        info.parents += 1
                        if child_id in on_path:
                            info.recursive = True
                        continue
                    info = _Info(
                        child if type(child) is MapNode else _as_map(child),
                        counter,
                        dialect,
                        first_edge=(node_id, key, sub),
                    )
                    counter += 1
                    infos[child_id] = info
                    child_depth = depth + 1
                    if child_depth > MAX_INLINE_DEPTH:
                        info.deep = True
                        child_depth = 0
                    edges = schema_edges(child)
                    if edges:  # (a leaf would be pushed and popped at once)
                        on_path.add(child_id)
                        stack.append((child_id, iter(edges), child_depth))
                        break
                else:
                    stack.pop()
                    on_path.discard(node_id)
        return infos

    def _name(self, infos: dict[int, _Info]) -> None:
        ordered = infos.values()  # discovery order (_scan fills it so)
        # 1. natural names (components, refs) in discovery order
        components = self._component_key
        for info in ordered:
            node = info.node  # (a MapNode: natural_name() inlined for the common no-name case)
            if node.ref is None and id(node) not in components:
                continue
            natural = self.natural_name(node)
            if natural is not None:
                info.name = self.names.name(natural, key=("schema", id(node)))
        # 2. derived names: roots, shared, recursive, deep
        for info in ordered:
            if info.name is not None:
                continue
            if info.root_hint is not None:
                info.name = self.names.name(info.root_hint, key=("schema", id(info.node)))
            elif info.parents > 0 or info.recursive or info.deep:
                info.name = self.names.name(self._derived(info, infos), key=("schema", id(info.node)))

    def _derived(self, info: _Info, infos: dict[int, _Info]) -> str:
        title = info.node.get("title")
        if isinstance(title, str) and pascal(title):
            return title
        parts: list[str] = []
        current: _Info | None = info
        while current is not None and current.name is None and current.first_edge is not None:
            parent_id, key, sub = current.first_edge
            parts[:0] = [_path_word(key, sub)]
            current = infos.get(parent_id)
        base = current.name if current is not None and current.name else ""
        # the last two steps are enough to tell siblings apart; the Namer resolves the rest
        return base + "".join(pascal(p) or p for p in parts[-2:]) or "Schema"

    def _convert_foreign(self, root: _Root, out: list[SchemaDef]) -> SchemaDef:
        """Avro / Protobuf / RAML / unknown formats."""
        original = plain(root.node)
        hint = self.natural_name(root.node) or root.hint
        if root.kind in ("avro", "protobuf"):
            try:
                converted = schemaformats.to_json_schema(
                    original, root.schema_format, root.location, name_hint=pascal(hint) or "Payload"
                )
            except SpecError as err:
                self.diagnostics.warn(
                    f"payload schema ({root.schema_format}) could not be converted to JSON Schema: "
                    f"{err.message}; its model will accept any value",
                    root.location,
                )
            else:
                return self._adopt(root, hint, original, converted, out)
        else:
            self.diagnostics.warn(
                f"schemaFormat {root.schema_format!r} is not supported; the payload is treated as any value",
                root.location,
                hint="use JSON Schema, Avro or Protobuf",
            )
        sd = SchemaDef(
            name=self.names.name(hint, key=("schema", id(root.node))),
            schema={},
            source_format=root.kind,
            original=original,
            schema_format=root.schema_format,
            location=root.location,
        )
        out.append(sd)
        return sd

    def _adopt(
        self,
        root: _Root,
        hint: str,
        original: Any,
        converted: schemaformats.ConvertedSchema,
        out: list[SchemaDef],
    ) -> SchemaDef:
        renamed = {
            name: self.names.name(name, key=("schema", id(root.node), name)) for name in converted.defs
        }

        def fix(value: Any) -> Any:
            if isinstance(value, dict):
                out = {k: fix(v) for k, v in value.items()}
                ref = out.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in renamed:
                    out["$ref"] = "#/$defs/" + renamed[ref[8:]]
                return out
            if isinstance(value, list):
                return [fix(v) for v in value]
            return value

        made: dict[str, SchemaDef] = {}
        for name, schema in converted.defs.items():
            made[name] = SchemaDef(
                name=renamed[name],
                schema=fix(dict(schema)),
                source_format=root.kind,
                original=_find_named(original, name) if root.kind == "avro" else original,
                schema_format=root.schema_format,
                location=root.location,
                description=_text(schema.get("description")),
            )
        root_schema = fix(dict(converted.root))
        ref = root_schema.get("$ref")
        top: SchemaDef
        if set(root_schema) == {"$ref"} and isinstance(ref, str):
            target = next((sd for sd in made.values() if "#/$defs/" + sd.name == ref), None)
            if target is not None:
                top = target
            else:
                top = self._foreign_top(root, hint, original, root_schema)
        else:
            top = self._foreign_top(root, hint, original, root_schema)
        out.append(top)  # the payload's own def first, then the named types it uses
        out.extend(sd for sd in made.values() if sd is not top)
        return top

    def _foreign_top(self, root: _Root, hint: str, original: Any, schema: dict[str, Any]) -> SchemaDef:
        return SchemaDef(
            name=self.names.name(hint, key=("schema", id(root.node))),
            schema=schema,
            source_format=root.kind,
            original=original,
            schema_format=root.schema_format,
            location=root.location,
        )


def ref_name(ref: str) -> str | None:
    """``#/components/schemas/Foo`` -> ``Foo``; ``./order.json`` -> ``order``."""
    file_part, _, fragment = ref.partition("#")
    segments = [s for s in fragment.split("/") if s]
    if segments:
        return segments[-1].replace("~1", "/").replace("~0", "~")
    stem = file_part.rstrip("/").rsplit("/", 1)[-1]
    stem = stem.split("?", 1)[0]
    for ext in (".json", ".yaml", ".yml", ".avsc"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    return stem or None


def _unwrap(node: Any) -> Any:
    """A ref+siblings node whose siblings are only annotations counts as its target."""
    target = getattr(node, "ref_target", None)
    if isinstance(node, dict) and isinstance(target, dict):
        extra = [k for k in node if k not in target or node[k] is not target[k]]
        if all(k in ANNOTATIONS or k.startswith("x-") for k in extra):
            return _unwrap(target)
    return node


def _as_map(node: dict[str, Any]) -> MapNode:
    if isinstance(node, MapNode):
        return node
    return MapNode(node)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path_word(head: str, last: str | None) -> str:
    """A word naming the path ``(head[, last])`` from a parent to a nested def."""
    if last is None:
        last = head
    if head in ("properties", "patternProperties", "dependentSchemas"):
        return pascal(last) or "Property"
    if head == "items":
        return "Item"
    if head == "prefixItems":
        return f"Item{last}"
    if head in ("additionalProperties", "unevaluatedProperties"):
        return "Value"
    if head in ("allOf", "anyOf", "oneOf"):
        return f"{pascal(head)}{last}"
    return pascal(head) or "Schema"


def _find_named(avro: Any, name: str) -> Any:
    """The Avro named type ``name`` (simple or full name) inside ``avro``, else ``avro``."""
    found = _search_named(avro, name, 0)
    return found if found is not None else avro


def _search_named(value: Any, name: str, depth: int) -> Any:
    if depth > 50:
        return None
    if isinstance(value, dict):
        own = value.get("name")
        if isinstance(own, str) and value.get("type") in ("record", "enum", "fixed", "error"):
            full = f"{value['namespace']}.{own}" if isinstance(value.get("namespace"), str) else own
            if name in (own, full, full.replace(".", "_")):
                return value
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        hit = _search_named(child, name, depth + 1)
        if hit is not None:
            return hit
    return None


__all__ = ["SchemaGraph", "ref_name"]
