"""Pairing the elements of two versions: by key, then by what makes them the same (a rename)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def match(
    old: Sequence[T],
    new: Sequence[T],
    key: Callable[[T], Any],
    *finders: Callable[[T], Any],
) -> tuple[list[tuple[T, T, bool]], list[T], list[T]]:
    """Pair elements: by ``key``; then by each of ``finders`` in turn (a rename).

    Returns ``(pairs (old, new, renamed), removed, added)`` in spec order.
    Identities that are ``None`` never match; an identity shared by several
    unmatched elements is ambiguous and matches nothing.
    """
    new_by_key = {key(n): n for n in new}
    pairs: list[tuple[T, T, bool]] = []
    free_old: list[T] = []
    used: set[int] = set()
    for o in old:
        n = new_by_key.get(key(o))
        if n is not None and id(n) not in used:
            pairs.append((o, n, False))
            used.add(id(n))
        else:
            free_old.append(o)
    for finder in finders:
        free_new = [n for n in new if id(n) not in used]
        counts: dict[Any, int] = {}
        for n in free_new:
            counts[finder(n)] = counts.get(finder(n), 0) + 1
        for o in list(free_old):
            ident = finder(o)
            if ident is None or counts.get(ident) != 1 or sum(finder(x) == ident for x in free_old) != 1:
                continue
            n = next(x for x in free_new if finder(x) == ident)
            pairs.append((o, n, True))
            used.add(id(n))
            free_old.remove(o)
    order = {id(n): i for i, n in enumerate(new)}
    pairs.sort(key=lambda p: order[id(p[1])])
    added = [n for n in new if id(n) not in used]
    return pairs, free_old, added
