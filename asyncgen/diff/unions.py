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
from asyncgen.diff.keywords import Schema, canonical, name_of

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
    for i, (raw, _) in enumerate(old_b):
        if i not in matched_old:
            label = name_of(raw, old_b[i][1]) or f"#{i}"
            cmp.add(
                "variant-removed",
                join(path, word, i),
                f"{word} variant {label} removed",
                label,
                None,
                backward=True,
            )
    for j, (raw, _) in enumerate(new_b):
        if j not in matched_new:
            label = name_of(raw, new_b[j][1]) or f"#{j}"
            cmp.add(
                "variant-added",
                join(path, word, j),
                f"{word} variant {label} added",
                None,
                label,
                forward=True,
            )


def branches(cmp: Comparer, raw: Schema, schema: Mapping[str, Any]) -> list[tuple[Schema, Schema]]:
    """(raw branch for naming, branch schema with the union's siblings merged in)."""
    for word in ("oneOf", "anyOf"):
        if isinstance(schema.get(word), list):
            siblings = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
            out: list[tuple[Schema, Schema]] = []
            for branch in schema[word]:
                if siblings:
                    merged = {"allOf": [siblings, branch]}
                    cmp._keep.append(merged)
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
