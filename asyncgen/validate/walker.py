"""A small typed rule engine: declarative *kinds* checked over the resolved graph.

A kind says what a value must be: a primitive (:class:`Prim`), an object with
fields (:class:`Obj`), a map or list of another kind, or a custom check. Object
kinds are looked up by name in a per-version table (``Ctx.kinds``), so tables
can refer to each other (and to themselves) without import cycles.

Every container is checked once per kind (``Ctx.seen`` holds ``(id, kind)``), so
shared and recursive nodes cost one visit and report their problems once, at
their own file/line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncgen.document import MapNode, SeqNode, child_loc, loc_of
from asyncgen.errors import Location, SpecError
from asyncgen.validate.hints import close_match, did_you_mean

EXTENSION = re.compile(r"^x-[\w\d.\-_]+$")
Version = tuple[int, int, int]


def json_type(value: Any) -> str:
    """The JSON type name of a value ("integer" for whole numbers, like JSON Schema)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def is_type(value: Any, wanted: str) -> bool:
    got = json_type(value)
    return got == wanted or (wanted == "number" and got == "integer")


def article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


@dataclass
class Ctx:
    """State of one validation run."""

    version: Version
    kinds: Mapping[str, Kind]
    errors: list[SpecError] = field(default_factory=list)
    seen: set[tuple[int, str]] = field(default_factory=set)
    #: ids of nodes that got a structural error (semantic checks skip them: one error per root cause)
    broken: set[int] = field(default_factory=set)
    #: id(mapping) -> (the MapOf, keys whose values it need not check): entries the cross-run memo
    #: (:mod:`asyncgen.validate.memo`) knows to have no problem, with all they lead to
    skip: dict[int, tuple[Kind, set[str]]] = field(default_factory=dict)
    #: how many values were not checked because of ``skip``
    skipped: int = 0

    def error(self, message: str, where: Location, hint: str | None = None, *, node: Any = None) -> None:
        self.errors.append(SpecError(message, where, hint=hint))
        if node is not None:
            self.broken.add(id(node))

    def warn(self, message: str, where: Location, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, where, hint=hint, severity="warning"))

    def memo_clean(self, section: Any) -> frozenset[str] | set[str]:
        """The keys of ``section`` whose entries the memo knows to be clean with all they lead to."""
        found = self.skip.get(id(section)) if self.skip else None
        return found[1] if found is not None else frozenset()

    def check(self, kind: Kind | str, value: Any, where: Location, label: str) -> None:
        resolved = self.kinds[kind] if isinstance(kind, str) else kind
        resolved.check(self, value, where, label)

    def first_visit(self, node: Any, kind: str) -> bool:
        key = (id(node), kind)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


class Kind:
    """What a value must be. ``label`` names the value in messages (a key or ``name[3]``)."""

    title = "value"

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        raise NotImplementedError


class AnyValue(Kind):
    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        return None


ANY = AnyValue()


def type_error(ctx: Ctx, value: Any, where: Location, label: str, expected: str) -> None:
    ctx.error(f"`{label}` must be {expected}, not {article(json_type(value))}", where, node=value)


@dataclass
class Prim(Kind):
    """A JSON primitive (or any of several types), optionally an enum or a regex pattern."""

    types: tuple[str, ...]
    enum: tuple[Any, ...] = ()
    pattern: str | None = None
    pattern_hint: str | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return " or ".join(article(t) for t in self.types)

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        if not any(is_type(value, t) for t in self.types):
            type_error(ctx, value, where, label, self.title)
            return
        if self.enum and value not in self.enum:
            allowed = ", ".join(f"`{v}`" for v in self.enum)
            ctx.error(
                f"`{label}` is {value!r}; allowed: {allowed}",
                where,
                did_you_mean(str(value), [str(v) for v in self.enum]),
            )
        elif self.pattern is not None and isinstance(value, str) and not re.match(self.pattern, value):
            ctx.error(f"`{label}` {value!r} is not valid", where, self.pattern_hint)


STR = Prim(("string",))
BOOL = Prim(("boolean",))
NUM = Prim(("number",))
INT = Prim(("integer",))
OBJECT = Prim(("object",))
ARRAY = Prim(("array",))


@dataclass
class ListOf(Kind):
    item: Kind | str
    unique: bool = False
    min_items: int = 0
    what: str = "an array"

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        if not isinstance(value, list):
            type_error(ctx, value, where, label, self.what)
            return
        if len(value) < self.min_items:
            ctx.error(f"`{label}` must have at least {self.min_items} item(s)", where, node=value)
        seen: list[Any] = []
        for index, item in enumerate(value):
            item_where = child_loc(value, index) if isinstance(value, SeqNode) else where.child(index)
            if self.unique:
                if any(_json_equal(item, other) for other in seen):
                    ctx.error(f"`{label}` has a duplicate item: {_short(item)}", item_where, node=value)
                seen.append(item)
            ctx.check(self.item, item, item_where, f"{label}[{index}]")


@dataclass
class MapOf(Kind):
    """A mapping whose values are all ``value`` (keys optionally matching ``key_pattern``)."""

    value: Kind | str
    key_pattern: str | None = None
    key_hint: str | None = None
    what: str = "an object"

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        if not isinstance(value, Mapping):
            type_error(ctx, value, where, label, self.what)
            return
        found = ctx.skip.get(id(value)) if ctx.skip else None
        skip = found[1] if found is not None and found[0] is self else None
        for key, item in value.items():
            if self.key_pattern is not None and not re.match(self.key_pattern, key):
                key_where = value.key_loc(key) if isinstance(value, MapNode) else where.child(key)
                ctx.error(f"`{label}` key {key!r} is not a valid name", key_where, self.key_hint)
                continue
            if skip is not None and key in skip:
                ctx.skipped += 1
                continue
            item_where = child_loc(value, key) if isinstance(value, MapNode) else where.child(key)
            ctx.check(self.value, item, item_where, key)


@dataclass
class Custom(Kind):
    """A hand-written check for shapes a table cannot say (e.g. 2.x message ``oneOf``)."""

    func: Callable[[Ctx, Any, Location, str], None]
    title: str = "value"

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        self.func(ctx, value, where, label)


#: ``(key, present keys) -> hint``; a hint that also *explains* missing required keys
#: returns them in ``covers`` so no second error is reported for the same root cause
Renamed = Mapping[str, tuple[str, tuple[str, ...]]]


@dataclass
class Obj(Kind):
    """An object kind: fields with their kinds, required fields, ``x-`` extensions."""

    name: str  # e.g. "Server Object"
    fields: dict[str, Kind | str]
    required: tuple[str, ...] = ()
    extensions: bool = True
    #: keys that are a known mistake: key -> (hint, required fields it stands in for)
    renamed: Renamed = field(default_factory=dict)
    #: severity of an unknown key: "error", or "warning" where the official schema allows any key
    unknown: str = "error"
    #: extra checks after the fields (only when the object itself was well-formed enough)
    after: tuple[Callable[[Ctx, MapNode, Location], None], ...] = ()

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.name

    def check(self, ctx: Ctx, value: Any, where: Location, label: str) -> None:
        if not isinstance(value, Mapping):
            type_error(ctx, value, where, label, f"{article(self.name)} (a mapping)")
            return
        if not ctx.first_visit(value, self.name):
            return
        node_where = loc_of(value, where)
        if self._wrong_ref_target(ctx, value, where, label):
            return
        covered: set[str] = set()
        for key, item in value.items():
            item_where = child_loc(value, key) if isinstance(value, MapNode) else node_where.child(key)
            kind = self.fields.get(key)
            if kind is not None:
                before = len(ctx.errors)
                ctx.check(kind, item, item_where, key)
                if not isinstance(kind, (str, Obj)) and len(ctx.errors) != before:
                    ctx.broken.add(id(value))  # a field of its own is wrong: semantic checks skip it
                continue
            if self.extensions and EXTENSION.match(key):
                continue
            key_where = value.key_loc(key) if isinstance(value, MapNode) else item_where
            if key in self.renamed:
                hint, covers = self.renamed[key]
                covered.update(covers)
                ctx.error(f"{self.name} has no field `{key}`", key_where, hint, node=value)
                continue
            suggestion = did_you_mean(key, self.fields)
            meant = close_match(key, self.fields)
            if meant in self.required and meant not in value:
                covered.add(meant)  # the misspelling *is* the missing required field: one error
                suggestion = f"did you mean `{meant}`? (`{meant}` is required)"
            if self.unknown == "warning":
                ctx.warn(
                    f"{self.name} has no field `{key}`; ignored", key_where, suggestion or self._ext_hint(key)
                )
                continue
            ctx.error(
                f"{self.name} has no field `{key}`", key_where, suggestion or self._ext_hint(key), node=value
            )
        for key in self.required:
            if key not in value and key not in covered:
                ctx.error(f"{self.name} is missing required field `{key}`", node_where, node=value)
        for extra in self.after:
            extra(ctx, value, node_where)  # type: ignore[arg-type]

    def _ext_hint(self, key: str) -> str | None:
        if self.extensions and key.lower().startswith("x"):
            return "extension fields start with `x-` followed by letters, digits, `.`, `-` or `_`"
        return None

    def _wrong_ref_target(self, ctx: Ctx, value: Mapping[str, Any], where: Location, label: str) -> bool:
        """A ``$ref`` that landed on something else entirely: one error, not one per key."""
        ref = getattr(value, "ref", None)
        if not ref or not value:
            return False
        if any(k in self.fields or EXTENSION.match(k) for k in value):
            return False
        ctx.error(
            f"`{label}` refers to {ref!r}, which is not {article(self.name)}",
            where,
            f"its keys are {_keys(value)}; {article(self.name)} has " + _keys(self.fields),
            node=value,
        )
        return True


def _keys(keys: Iterable[str], limit: int = 6) -> str:
    names = [f"`{k}`" for k in keys]
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)
