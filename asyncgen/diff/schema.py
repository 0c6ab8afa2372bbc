"""JSON Schema compatibility: pure functions on two versions of a schema.

``compare(old, new)`` walks both schemas together and returns every
:class:`~asyncgen.diff.changes.Change`, each with its two facts:

* ``backward``: the NEW schema may reject an instance the OLD one accepted
  (writer = OLD, reader = NEW: a consumer on NEW cannot read OLD data);
* ``forward``: the OLD schema may reject an instance the NEW one accepts
  (writer = NEW, reader = OLD: a consumer on OLD cannot read NEW data).

So *narrowing* a schema is backward-breaking, *widening* it forward-breaking,
and a change that is neither (pattern rewritten, type swapped) is both.

Conventions worth knowing (each a choice; registries differ in places):

* **Open content model, practical reading.** Under ``additionalProperties``
  absent/true, adding an *optional* property or removing one is compatible both
  ways: we assume writers do not emit undeclared properties with conflicting
  values. ``SchemaOptions(strict_open_content=True)`` takes the strict
  set-theoretic view instead (as Confluent does: adding a property to an open
  model is backward-breaking, removing one forward-breaking).
* **Closed content model.** Under ``additionalProperties: false`` a removed
  property is backward-breaking (the new reader rejects old data that has it)
  and an added one forward-breaking (the old reader rejects new data that has
  it). When ``additionalProperties`` is a schema (a map: writers do emit
  such keys), the property is compared against that schema, both ways.
* A *required* property added is backward-breaking (old data lacks it), a
  required property removed (or made optional) forward-breaking (old readers
  still require it).
* ``format`` is treated as an assertion (pydantic and most validators check it).
* ``pattern``, ``not``, ``if``/``then``/``else`` changes cannot be decided in
  general: a changed value is reported as breaking both ways.
* ``allOf`` is merged into one schema before comparing (properties merged,
  ``required`` united, ``type`` intersected) - an approximation.
* ``oneOf``/``anyOf`` branches are matched by ``$ref`` name or ``title``, then by
  equality, then by position (same count) or by the closest branch. An unmatched
  old branch is backward-breaking (variant removed), an unmatched new branch
  forward-breaking (variant added) - unless another branch covers it. Unions that
  only spell a type list (``anyOf: [X, {type: 'null'}]``, ``oneOf`` of bare types)
  compare as that type list, so the nullable spellings of 3.0 and 3.1 are equal.
  ``oneOf`` exclusivity is not checked.
* ``$ref``: local refs (``#/...``, and ``#/$defs/<Name>`` through ``defs``) are
  followed. A pair of nodes is compared once; a schema reached again (shared
  definitions, recursion) is not walked a second time, so its changes are
  reported at the first path that reached it. Unresolvable refs compare by text.
* **Avro / Protobuf payloads** (converted to JSON Schema by the parser) are
  compared with ``open_records``: their readers skip unknown fields, so the
  converters' ``additionalProperties: false`` does not make added/removed fields
  breaking; a field without a default is ``required``, so Avro's rules follow
  (field added without default -> BACKWARD-breaking, removed without default ->
  FORWARD-breaking, with a default -> compatible). Protobuf field numbers are
  not in the converted schema and are not compared.
* OpenAPI 3.0 ``nullable: true`` and draft-4 boolean ``exclusiveMinimum`` are understood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asyncgen.diff.changes import Change, join
from asyncgen.diff.keywords import (
    ALL_TYPES,
    SIZE_KEYWORDS,
    Resolver,
    Schema,
    accepts,
    additional_schema,
    array_parts,
    canonical,
    divides,
    effective_types,
    enum_of,
    fallback_schema,
    lower_bound,
    mapping,
    merge,
    ordered_union,
    show,
    show_bound,
    stricter_lower,
    stricter_upper,
    strings,
    upper_bound,
)
from asyncgen.diff.unions import compare_union, simplify_union

MAX_DEPTH = 200


@dataclass(frozen=True)
class SchemaOptions:
    #: strict view of open content models (see module docstring)
    strict_open_content: bool = False
    #: ``additionalProperties: false`` counts as open: set for Avro/Protobuf payloads, whose
    #: readers skip fields they do not know (the converters close records for JSON validation)
    open_records: bool = False


def compare(
    old: Schema,
    new: Schema,
    *,
    old_root: Schema = None,
    new_root: Schema = None,
    old_defs: Mapping[str, Any] | None = None,
    new_defs: Mapping[str, Any] | None = None,
    options: SchemaOptions | None = None,
) -> list[Change]:
    """Every change from ``old`` to ``new``; paths are relative to the schema (``""`` = its root).

    ``*_root`` is the document local ``#/...`` refs point into (default: the schema
    itself); ``*_defs`` maps names for ``#/$defs/<Name>`` refs (the IR's ``Api.schemas``).
    """
    comparer = Comparer(
        Resolver(old if old_root is None else old_root, old_defs),
        Resolver(new if new_root is None else new_root, new_defs),
        options or SchemaOptions(),
    )
    comparer.compare(old, new, "")
    return comparer.changes


class Comparer:
    """One comparison of two schema graphs; collects :attr:`changes`."""

    def __init__(self, old: Resolver, new: Resolver, options: SchemaOptions) -> None:
        self.old = old
        self.new = new
        self.options = options
        self.changes: list[Change] = []
        self._seen: set[tuple[int, int]] = set()
        self._keep: list[Any] = []  # merged dicts kept alive so their id()s stay unique

    # -- helpers -----------------------------------------------------------------

    def add(
        self,
        kind: str,
        path: str,
        detail: str,
        old: Any = None,
        new: Any = None,
        *,
        backward: bool = False,
        forward: bool = False,
    ) -> None:
        self.changes.append(Change(kind, path, detail, old, new, backward, forward))

    def keep(self, schema: Any) -> None:
        """Keep a schema built here alive, so its ``id()`` is never reused during the walk."""
        self._keep.append(schema)

    def sub(self) -> Comparer:
        """A scratch comparer sharing resolvers (for trial comparisons)."""
        return Comparer(self.old, self.new, self.options)

    def flatten(self, schema: Schema, resolver: Resolver, depth: int = 0) -> Schema:
        """Resolve refs and merge ``allOf`` parts into one mapping."""
        schema, _ = resolver.resolve(schema, self._keep)
        if not isinstance(schema, Mapping) or "allOf" not in schema or depth > 16:
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        parts = schema["allOf"] if isinstance(schema["allOf"], list) else []
        for part in parts:
            flat = self.flatten(part, resolver, depth + 1)
            if flat is False:
                return False
            if isinstance(flat, Mapping):
                merged = merge(merged, flat)
        self._keep.append(merged)
        return merged

    # -- the walk ------------------------------------------------------------------

    def compare(self, old_raw: Schema, new_raw: Schema, path: str) -> None:
        if path.count("/") > MAX_DEPTH:
            return
        old_res, _ = self.old.resolve(old_raw, self._keep)
        new_res, _ = self.new.resolve(new_raw, self._keep)
        key = (id(old_res), id(new_res))
        if key in self._seen:
            return
        self._seen.add(key)
        old = self.flatten(old_res, self.old)
        new = self.flatten(new_res, self.new)
        if old is True or old is None:
            old = {}
        if new is True or new is None:
            new = {}
        if old is False or new is False:
            if old is not new:
                self.add(
                    "schema-changed",
                    path,
                    f"schema {show(old)} -> {show(new)}",
                    old,
                    new,
                    backward=new is False,
                    forward=old is False,
                )
            return
        if not isinstance(old, Mapping) or not isinstance(new, Mapping):
            return
        old = simplify_union(self, old, self.old)
        new = simplify_union(self, new, self.new)
        if "$ref" in old or "$ref" in new:
            if old.get("$ref") != new.get("$ref"):
                self.add(
                    "ref-changed",
                    path,
                    f"$ref {show(old.get('$ref'))} -> {show(new.get('$ref'))}",
                    old.get("$ref"),
                    new.get("$ref"),
                    backward=True,
                    forward=True,
                )
            return
        if any(k in old or k in new for k in ("oneOf", "anyOf")):
            compare_union(self, old_raw, old, new_raw, new, path=path)
            return
        self.compare_plain(old, new, path)

    def compare_plain(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        common = self.compare_types(old, new, path)
        if not common:
            return
        self.compare_enum(old, new, path)
        if "number" in common or "integer" in common:
            self.compare_numbers(old, new, path)
        for type_name, keywords in SIZE_KEYWORDS.items():
            if type_name in common:
                for keyword, larger_is_stricter in keywords:
                    self.compare_size(old, new, path, keyword, larger_is_stricter)
        if "string" in common:
            self.compare_assertion(old, new, path, "pattern")
            self.compare_assertion(old, new, path, "format")
        for keyword in ("not", "if", "then", "else", "dependentRequired", "dependentSchemas"):
            if (keyword in old or keyword in new) and canonical(old.get(keyword)) != canonical(
                new.get(keyword)
            ):
                self.add(
                    f"{keyword}-changed",
                    path,
                    f"'{keyword}' changed (compatibility not decidable)",
                    old.get(keyword),
                    new.get(keyword),
                    backward=True,
                    forward=True,
                )
        if "array" in common:
            self.compare_arrays(old, new, path)
        if "object" in common:
            self.compare_objects(old, new, path)
        if ("default" in old or "default" in new) and canonical(old.get("default")) != canonical(
            new.get("default")
        ):
            self.add(
                "default-changed",
                path,
                f"default {show(old.get('default'))} -> {show(new.get('default'))}",
                old.get("default"),
                new.get("default"),
            )
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            state = "deprecated" if new.get("deprecated") else "no longer deprecated"
            self.add("deprecated-changed", path, state, old.get("deprecated"), new.get("deprecated"))

    def compare_types(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> set[str]:
        """Report type changes; return the types both accept (what deeper checks apply to)."""
        old_t, new_t = effective_types(old), effective_types(new)
        narrowed = [t for t in ALL_TYPES if accepts(old_t, t) and not accepts(new_t, t)]
        widened = [t for t in ALL_TYPES if accepts(new_t, t) and not accepts(old_t, t)]
        if narrowed or widened:
            old_v = sorted(old_t) if old_t is not None else None
            new_v = sorted(new_t) if new_t is not None else None
            if set(narrowed + widened) == {"null"}:
                kind = "nullable-removed" if narrowed else "nullable-added"
                detail = "no longer nullable" if narrowed else "now nullable"
            else:
                kind = {(True, False): "type-narrowed", (False, True): "type-widened"}.get(
                    (bool(narrowed), bool(widened)), "type-changed"
                )
                verb = kind.split("-")[1]
                detail = f"type {verb} {show(old_v or 'any')} -> {show(new_v or 'any')}"
            self.add(kind, path, detail, old_v, new_v, backward=bool(narrowed), forward=bool(widened))
        return {t for t in ALL_TYPES if accepts(old_t, t) and accepts(new_t, t)}

    def compare_enum(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        old_e, new_e = enum_of(old), enum_of(new)
        if old_e is None and new_e is None:
            return
        word = "const" if "const" in old or "const" in new else "enum"
        if old_e is None:
            self.add(f"{word}-added", path, f"{word} added: {show(new_e)}", None, new_e, backward=True)
            return
        if new_e is None:
            self.add(
                f"{word}-removed", path, f"{word} removed (was {show(old_e)})", old_e, None, forward=True
            )
            return
        old_keys = {canonical(v) for v in old_e}
        new_keys = {canonical(v) for v in new_e}
        removed = [v for v in old_e if canonical(v) not in new_keys]
        added = [v for v in new_e if canonical(v) not in old_keys]
        if word == "const" and (removed or added):
            self.add(
                "const-changed",
                path,
                f"const {show(old_e)} -> {show(new_e)}",
                old_e,
                new_e,
                backward=bool(removed),
                forward=bool(added),
            )
            return
        if removed:
            self.add(
                "enum-value-removed",
                path,
                f"enum value(s) removed: {show(removed)}",
                removed,
                None,
                backward=True,
            )
        if added:
            self.add(
                "enum-value-added", path, f"enum value(s) added: {show(added)}", None, added, forward=True
            )

    def compare_numbers(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        for low, get, stricter in (
            (True, lower_bound, stricter_lower),
            (False, upper_bound, stricter_upper),
        ):
            old_b, new_b = get(old), get(new)
            if old_b == new_b:
                continue
            name = "minimum" if low else "maximum"
            self._constraint(
                path,
                name,
                show_bound(old_b, low),
                show_bound(new_b, low),
                old=old_b and old_b[0],
                new=new_b and new_b[0],
                tightened=stricter(new_b, old_b),
                loosened=stricter(old_b, new_b),
            )
        old_m, new_m = old.get("multipleOf"), new.get("multipleOf")
        if old_m != new_m:
            tightened = new_m is not None and (old_m is None or not divides(new_m, old_m))
            loosened = old_m is not None and (new_m is None or not divides(old_m, new_m))
            self._constraint(
                path,
                "multipleOf",
                show(old_m),
                show(new_m),
                old=old_m,
                new=new_m,
                tightened=tightened,
                loosened=loosened,
            )

    def compare_size(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        keyword: str,
        larger_is_stricter: bool,
    ) -> None:
        old_v, new_v = old.get(keyword), new.get(keyword)
        if old_v == new_v:
            return
        default = 0 if larger_is_stricter else float("inf")
        o = old_v if isinstance(old_v, (int, float)) else default
        n = new_v if isinstance(new_v, (int, float)) else default
        tightened = n > o if larger_is_stricter else n < o
        loosened = n < o if larger_is_stricter else n > o
        self._constraint(
            path,
            keyword,
            show(old_v),
            show(new_v),
            old=old_v,
            new=new_v,
            tightened=tightened,
            loosened=loosened,
        )

    def compare_assertion(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, keyword: str
    ) -> None:
        old_v, new_v = old.get(keyword), new.get(keyword)
        if old_v == new_v:
            return
        self._constraint(
            path,
            keyword,
            show(old_v),
            show(new_v),
            old=old_v,
            new=new_v,
            tightened=new_v is not None,
            loosened=old_v is not None,
        )

    def _constraint(
        self,
        path: str,
        name: str,
        old_s: str,
        new_s: str,
        *,
        old: Any,
        new: Any,
        tightened: bool,
        loosened: bool,
    ) -> None:
        if not (tightened or loosened):
            return
        if tightened and loosened:
            kind, verb = "constraint-changed", "changed"
        elif tightened:
            kind, verb = "constraint-tightened", "tightened"
        else:
            kind, verb = "constraint-loosened", "loosened"
        self.add(
            kind, path, f"{name} {verb} {old_s} -> {new_s}", old, new, backward=tightened, forward=loosened
        )

    # -- arrays ----------------------------------------------------------------------

    def compare_arrays(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            self._constraint(
                path,
                "uniqueItems",
                show(old.get("uniqueItems", False)),
                show(new.get("uniqueItems", False)),
                old=old.get("uniqueItems"),
                new=new.get("uniqueItems"),
                tightened=bool(new.get("uniqueItems")),
                loosened=bool(old.get("uniqueItems")),
            )
        old_prefix, old_items = array_parts(old)
        new_prefix, new_items = array_parts(new)
        for index in range(max(len(old_prefix), len(new_prefix))):
            o = old_prefix[index] if index < len(old_prefix) else old_items
            n = new_prefix[index] if index < len(new_prefix) else new_items
            self.compare(o, n, join(path, "prefixItems", index))
        if old_items is not None or new_items is not None:
            self.compare(
                True if old_items is None else old_items,
                True if new_items is None else new_items,
                join(path, "items"),
            )

    # -- objects ---------------------------------------------------------------------

    def compare_objects(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        old_props = mapping(old.get("properties"))
        new_props = mapping(new.get("properties"))
        old_req = strings(old.get("required"))
        new_req = strings(new.get("required"))
        for name in ordered_union(old_props, new_props):
            where = join(path, "properties", name)
            if name in old_props and name in new_props:
                self.compare(old_props[name], new_props[name], where)
                self._required(name, old_req, new_req, where)
            elif name in old_props:
                self._property_removed(name, old_props[name], new, old_req, new_req, where=where)
            else:
                self._property_added(name, new_props[name], old, old_req, new_req, where=where)
        for name in ordered_union(dict.fromkeys(old_req), dict.fromkeys(new_req)):
            if name not in old_props and name not in new_props:
                self._required(name, old_req, new_req, join(path, "properties", name))
        self._additional(old, new, path)
        old_pp = mapping(old.get("patternProperties"))
        new_pp = mapping(new.get("patternProperties"))
        for pattern in ordered_union(old_pp, new_pp):
            where = join(path, "patternProperties", pattern)
            o = old_pp.get(pattern, additional_schema(old, self.options.open_records))
            n = new_pp.get(pattern, additional_schema(new, self.options.open_records))
            if (o is True and pattern not in old_pp) or (n is True and pattern not in new_pp):
                if not self.options.strict_open_content:  # open side: like an optional property
                    verb = "added" if pattern not in old_pp else "removed"
                    self.add(f"pattern-properties-{verb}", where, f"patternProperties '{pattern}' {verb}")
                    continue
            self.compare(o, n, where)

    def _required(self, name: str, old_req: list[str], new_req: list[str], where: str) -> None:
        if name in new_req and name not in old_req:
            self.add(
                "required-added", where, f"property '{name}' is now required", False, True, backward=True
            )
        elif name in old_req and name not in new_req:
            self.add(
                "required-removed",
                where,
                f"property '{name}' is no longer required",
                True,
                False,
                forward=True,
            )

    def trial(self, old: Schema, new: Schema) -> tuple[bool, bool]:
        """(backward, forward) of comparing ``old`` with ``new`` without recording changes."""
        scratch = self.sub()
        scratch.compare(old, new, "")
        return any(c.backward for c in scratch.changes), any(c.forward for c in scratch.changes)

    def _property_removed(
        self,
        name: str,
        schema: Schema,
        new: Mapping[str, Any],
        old_req: list[str],
        new_req: list[str],
        *,
        where: str,
    ) -> None:
        fallback = fallback_schema(new, name, self.options.open_records)
        notes: list[str] = []
        forward = name in old_req and name not in new_req
        if forward:
            notes.append("was required")
        backward = False
        if fallback is False:
            backward = True
            notes.append("additionalProperties: false")
        elif isinstance(fallback, Mapping) and fallback:
            backward, wider = self.trial(schema, fallback)
            forward = forward or wider  # a map schema: writers do emit such keys
            notes.append("now checked against additionalProperties")
        elif self.options.strict_open_content:
            forward = forward or self.trial(schema, {})[1]
        detail = f"property '{name}' removed" + (f" ({'; '.join(notes)})" if notes else "")
        self.add("property-removed", where, detail, schema, None, backward=backward, forward=forward)

    def _property_added(
        self,
        name: str,
        schema: Schema,
        old: Mapping[str, Any],
        old_req: list[str],
        new_req: list[str],
        *,
        where: str,
    ) -> None:
        fallback = fallback_schema(old, name, self.options.open_records)
        required = name in new_req and name not in old_req
        backward = required
        notes = ["required"] if required else ["optional"]
        forward = False
        if fallback is False:
            forward = True
            notes.append("old schema has additionalProperties: false")
        elif isinstance(fallback, Mapping) and fallback:
            narrower, forward = self.trial(fallback, schema)
            backward = backward or narrower
            notes.append("was covered by additionalProperties")
        elif self.options.strict_open_content:
            backward = backward or self.trial({}, schema)[0]
        detail = f"{notes[0]} property '{name}' added" + (f" ({'; '.join(notes[1:])})" if notes[1:] else "")
        self.add("property-added", where, detail, None, schema, backward=backward, forward=forward)

    def _additional(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
        old_ap = additional_schema(old, self.options.open_records)
        new_ap = additional_schema(new, self.options.open_records)
        if canonical(old_ap) == canonical(new_ap):
            return
        where = join(path, "additionalProperties")
        if isinstance(old_ap, Mapping) and isinstance(new_ap, Mapping):
            self.compare(old_ap, new_ap, where)
            return
        old_open = old_ap is True or old_ap == {}
        new_open = new_ap is True or new_ap == {}
        if old_open == new_open and old_ap is not False and new_ap is not False:
            return
        if new_ap is False or (old_open and not new_open):
            self.add(
                "additional-properties-restricted",
                where,
                f"additionalProperties {show(old_ap)} -> {show(new_ap)}",
                old_ap,
                new_ap,
                backward=True,
            )
        else:
            self.add(
                "additional-properties-allowed",
                where,
                f"additionalProperties {show(old_ap)} -> {show(new_ap)}",
                old_ap,
                new_ap,
                forward=True,
            )

    # -- unions ----------------------------------------------------------------------
