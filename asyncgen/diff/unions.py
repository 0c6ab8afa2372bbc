"""``oneOf``/``anyOf``: matching the branches of two versions of a union.

Branches are matched by ``$ref`` name or ``title``, then by equality, then by
position (same number left) or else each old branch to the new branch that
compares with the fewest changes. A schema without a union on one side counts as
a union of one branch, so ``X -> oneOf: [X, Y]`` reads as "variant Y added".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from asyncgen.diff.changes import join
from asyncgen.diff.keywords import Resolver, Schema, canonical, effective_types, merge, name_of, type_set

if TYPE_CHECKING:
    from asyncgen.diff.schema import Comparer


def compare_union(
    cmp: Comparer,
    old_raw: Schema,
    old: Mapping[str, Any],
    new_raw: Schema,
    new: Mapping[str, Any],
    *,
    path: str,
) -> None:
    word = next(k for k in ("oneOf", "anyOf") if k in new or k in old)
    old_b = branches(cmp, old_raw, old)
    new_b = branches(cmp, new_raw, new)
    pairs = match(cmp, old_b, new_b)
    matched_old = {i for i, _ in pairs}
    matched_new = {j for _, j in pairs}
    use_new = any(k in new for k in ("oneOf", "anyOf"))
    for i, j in pairs:
        where = join(path, word, j if use_new else i)
        cmp.compare(old_b[i][1], new_b[j][1], where)
    for i, (raw, branch) in enumerate(old_b):
        if i in matched_old:
            continue
        label = name_of(raw, branch) or f"#{i}"
        # a variant folded into another (anyOf [string, null] -> type [string, null]) breaks nobody
        covered = any(not cmp.trial(branch, other)[0] for _, other in new_b)
        detail = f"{word} variant {label} " + ("folded into another variant" if covered else "removed")
        cmp.add("variant-removed", join(path, word, i), detail, label, None, backward=not covered)
    for j, (raw, branch) in enumerate(new_b):
        if j in matched_new:
            continue
        label = name_of(raw, branch) or f"#{j}"
        covered = any(not cmp.trial(other, branch)[1] for _, other in old_b)
        detail = f"{word} variant {label} " + ("added, within an existing variant" if covered else "added")
        cmp.add("variant-added", join(path, word, j), detail, None, label, forward=not covered)


TYPE_ONLY = frozenset({"type", "title", "description", "nullable"})


def simplify_union(cmp: Comparer, schema: Mapping[str, Any], resolver: Resolver) -> Mapping[str, Any]:
    """Unions that only spell a type list, as that type list:

    * ``anyOf: [{type: string}, {type: integer}]`` -> ``type: [string, integer]``;
    * ``anyOf: [X, {type: 'null'}]`` (OpenAPI 3.1's nullable) -> X with ``null`` added
      to its type, so it compares equal to ``X`` + ``nullable: true`` or a type list.
    Anything else is returned as it is.
    """
    word = next((k for k in ("oneOf", "anyOf") if isinstance(schema.get(k), list)), None)
    if word is None or any(k in schema for k in ("oneOf", "anyOf") if k != word):
        return schema
    siblings = {k: v for k, v in schema.items() if k != word}
    parts = [cmp.flatten(b, resolver) for b in schema[word]]
    if not parts or not all(isinstance(p, Mapping) for p in parts):
        return schema
    if all(set(p) <= TYPE_ONLY and type_set(p) is not None for p in parts):
        types = set().union(*(type_set(p) or set() for p in parts))
        out: dict[str, Any] = {**siblings, "type": sorted(types)}
    else:
        rest = [p for p in parts if not (set(p) <= TYPE_ONLY and type_set(p) == {"null"})]
        if len(rest) != 1 or len(parts) == 1:
            return schema
        out = merge(siblings, rest[0]) if siblings else dict(rest[0])
        implied = effective_types(out)
        if implied is None:
            return schema
        out["type"] = sorted(implied | {"null"})
        out.pop("nullable", None)
    cmp.keep(out)
    return out


def branches(cmp: Comparer, raw: Schema, schema: Mapping[str, Any]) -> list[tuple[Schema, Schema]]:
    """(raw branch for naming, branch schema with the union's siblings merged in)."""
    for word in ("oneOf", "anyOf"):
        if isinstance(schema.get(word), list):
            siblings = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
            out: list[tuple[Schema, Schema]] = []
            for branch in schema[word]:
                if siblings:
                    merged = {"allOf": [siblings, branch]}
                    cmp.keep(merged)
                    out.append((branch, merged))
                else:
                    out.append((branch, branch))
            return out
    return [(raw, schema)]


def match(
    cmp: Comparer, old_b: list[tuple[Schema, Schema]], new_b: list[tuple[Schema, Schema]]
) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    free_old = list(range(len(old_b)))
    free_new = list(range(len(new_b)))

    def take(i: int, j: int) -> None:
        pairs.append((i, j))
        free_old.remove(i)
        free_new.remove(j)

    new_names = {j: name_of(*new_b[j]) for j in free_new}
    for i in list(free_old):
        name = name_of(*old_b[i])
        for j in free_new:
            if name is not None and new_names[j] == name:
                take(i, j)
                break
    for i in list(free_old):
        key = canonical(cmp.flatten(old_b[i][1], cmp.old))
        for j in free_new:
            if canonical(cmp.flatten(new_b[j][1], cmp.new)) == key:
                take(i, j)
                break
    if len(free_old) == len(free_new):
        for i, j in zip(list(free_old), list(free_new), strict=True):
            take(i, j)
        return sorted(pairs)
    for i in list(free_old):
        best: tuple[int, int] | None = None
        for j in free_new:
            scratch = cmp.sub()
            scratch.compare(old_b[i][1], new_b[j][1], "")
            if any(c.kind in ("type-changed",) for c in scratch.changes):
                continue
            cost = len(scratch.changes)
            if best is None or cost < best[0]:
                best = (cost, j)
        if best is not None:
            take(i, best[1])
    return sorted(pairs)
