"""The loaded spec: plain JSON-like data that remembers where every node came from.

``load`` (``asyncgen/load.py``) produces a :class:`Document`. Every mapping is a
:class:`MapNode` (a ``dict``) and every sequence a :class:`SeqNode` (a ``list``),
so the data works with ``json``, ``jsonschema`` and ordinary code, while
``node.loc`` gives the file/line/column/JSON pointer of the node and
``node.key_loc(key)`` the location of one of its keys (for scalars: the key's
position; the pointer is that of the value).

Two views of the same spec:

* ``Document.raw`` - the root file as written, ``$ref`` objects untouched (its own
  nodes, sharing no node with ``root`` - unless the file has no ``$ref`` at all, then
  it *is* ``root``; ``load`` makes the copy on first read).
* ``Document.root`` - the *resolved graph*: every ``{"$ref": ...}`` mapping has
  been replaced by the very node object it points to (possibly in another file),
  so identity is meaningful (``op["channel"] is doc.root["channels"]["x"]``) and
  recursive schemas are Python object cycles, never infinite expansions. Any
  code walking ``root`` must track visited ``id()``s on its path. Sibling keys
  next to a ``$ref`` (allowed in OpenAPI 3.1 / JSON Schema 2019+) are kept by
  replacing the ref with a *new* MapNode that merges the target and the siblings;
  that node's ``ref_target`` names the target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from asyncgen.errors import Location, escape_pointer_part, join_pointer


class MapNode(dict[str, Any]):
    """A mapping from a spec file. ``loc`` is where it starts.

    The locations of keys are kept compact until someone asks for them: the
    composer (:mod:`asyncgen.yaml12`) stores the parser's position marks, and
    ``key_loc()`` and ``key_locs`` build the :class:`Location` objects on first
    use (equal to eagerly built ones; most are never asked for). Read and write
    them only through these accessors, never the underscored slot.
    """

    __slots__ = ("_keys", "loc", "ref", "ref_target")

    def __init__(self, *args: Any, loc: Location | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc: Location = loc or Location("<memory>")
        #: key -> Location, or a parser mark (``.line``/``.column``, 0-based) built on demand
        self._keys: dict[str, Any] = {}
        #: the ``$ref`` string this node was reached through first (resolved graph only)
        self.ref: str | None = None
        #: for merged ref+siblings nodes: the node the ref pointed to
        self.ref_target: MapNode | None = None

    @property
    def key_locs(self) -> dict[str, Location]:
        """Every key's location (a live dict: writing to it sets a key's location)."""
        keys = self._keys
        pending = [(key, found) for key, found in keys.items() if type(found) is not Location]
        for key, mark in pending:
            keys[key] = self._key_loc(key, mark)
        return keys

    def _key_loc(self, key: str, mark: Any) -> Location:
        loc = self.loc
        pointer = loc.pointer + "/" + escape_pointer_part(key)
        return Location(loc.file, mark.line + 1, mark.column + 1, pointer)

    def key_loc(self, key: str) -> Location:
        """Location of ``key`` inside this mapping (falls back to the mapping's own)."""
        found = self._keys.get(key)
        if found is not None:
            if type(found) is not Location:  # a mark: build the Location once
                found = self._keys[key] = self._key_loc(key, found)
            return found
        loc = self.loc
        return Location(loc.file, loc.line, loc.column, join_pointer(loc.pointer, key))

    def at_key(self, key: str) -> Location:
        """The mapping's own location (file, pointer) at ``key``'s line and column, if it has one.

        How a ``$ref`` mapping reports itself: on the ``$ref`` line, with its own pointer.
        """
        loc = self.loc
        file, pointer, line, column = loc.file, loc.pointer, loc.line, loc.column
        found = self._keys.get(key)
        if type(found) is Location:
            line, column = found.line, found.column
        elif found is not None:
            line, column = found.line + 1, found.column + 1
        return Location(file, line, column, pointer)

    def __reduce__(self) -> Any:  # pickling/copy as a plain dict is never what we want
        return (dict, (dict(self),))


class SeqNode(list[Any]):
    """A sequence from a spec file. ``loc`` is where it starts (item locations: like MapNode's keys)."""

    __slots__ = ("_items", "loc")

    def __init__(self, *args: Any, loc: Location | None = None) -> None:
        super().__init__(*args)
        self.loc: Location = loc or Location("<memory>")
        #: Locations, or parser marks built on demand (see MapNode)
        self._items: list[Any] = []

    @property
    def item_locs(self) -> list[Location]:
        """Every item's location (a live list)."""
        items = self._items
        for index, found in enumerate(items):
            if type(found) is not Location:
                items[index] = self._item_loc(index, found)
        return items

    def _item_loc(self, index: int, mark: Any) -> Location:
        loc = self.loc
        return Location(loc.file, mark.line + 1, mark.column + 1, f"{loc.pointer}/{index}")

    def item_loc(self, index: int) -> Location:
        items = self._items
        if 0 <= index < len(items):
            found = items[index]
            if type(found) is not Location:
                found = items[index] = self._item_loc(index, found)
            return found
        return Location(self.loc.file, self.loc.line, self.loc.column, join_pointer(self.loc.pointer, index))

    def __reduce__(self) -> Any:
        return (list, (list(self),))


def loc_of(node: Any, fallback: Location) -> Location:
    """The location of ``node`` if it carries one, else ``fallback``."""
    loc = getattr(node, "loc", None)
    return loc if isinstance(loc, Location) else fallback


def child_loc(parent: MapNode | SeqNode, key: str | int) -> Location:
    """Best location for ``parent[key]``: the child's own if a container, else the key's."""
    value = parent[key]  # type: ignore[index]
    kind = type(value)
    if kind is MapNode or kind is SeqNode:  # (the common case, without getattr; validate asks a lot)
        return value.loc  # type: ignore[no-any-return]
    own = getattr(value, "loc", None)
    if isinstance(own, Location):
        return own
    if isinstance(parent, MapNode):
        return parent.key_loc(str(key))
    return parent.item_loc(int(key))


@dataclass(frozen=True)
class LoadOptions:
    """Knobs of ``load`` (CLI flags / config map onto these)."""

    allow_remote: bool = False
    #: (url prefix, local directory) pairs; a remote ref starting with prefix is read from dir
    map_urls: tuple[tuple[str, Path], ...] = ()
    #: extra directories refs may point into besides the root spec's folder
    allow_outside: tuple[Path, ...] = ()
    max_bytes: int = 50 * 1024 * 1024
    max_depth: int = 400
    #: total nodes after alias expansion (alias-bomb guard)
    max_nodes: int = 5_000_000


class Deferred:
    """A value made by ``make()`` when first read (a :class:`Document` field may be given one)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], MapNode]) -> None:
        self.make = make


@dataclass(frozen=True, init=False)
class Document:
    """A loaded, ref-resolved spec (not yet validated).

    ``raw`` (see the module docstring) may be given as a :class:`Deferred`: ``load``
    does, as most runs never read it; the copy is then made on first read.
    """

    path: Path
    _raw: MapNode | Deferred = field(repr=False, compare=False)  # read it as ``raw``
    root: MapNode
    #: "asyncapi" | "openapi" | "unknown"
    family: str
    #: the version string as written, e.g. "2.6.0", "3.0.0", "3.1.0"; "" if missing
    version: str
    #: every file read, root first, in read order
    files: tuple[Path, ...] = field(default=())
    #: what :mod:`asyncgen.fingerprint` keeps of the root file's text (None: no fingerprints)
    source: Any = field(default=None, repr=False, compare=False)

    def __init__(  # noqa: PLR0917 - the dataclass's own signature, ``raw`` for ``_raw``
        self,
        path: Path,
        raw: MapNode | Deferred,
        root: MapNode,
        family: str,
        version: str,
        files: tuple[Path, ...] = (),
        source: Any = None,
    ) -> None:
        for name, value in (
            ("path", path), ("_raw", raw), ("root", root), ("family", family), ("version", version),
            ("files", files), ("source", source),
        ):  # fmt: skip
            object.__setattr__(self, name, value)

    @cached_property
    def raw(self) -> MapNode:
        raw = self._raw
        return raw.make() if isinstance(raw, Deferred) else raw

    @property
    def display_path(self) -> str:
        return self.root.loc.file

    def walk(self) -> Iterator[tuple[MapNode | SeqNode, str]]:
        """Every container node of the resolved graph once (cycles and shared nodes visited once)."""
        seen: set[int] = set()
        stack: list[Any] = [self.root]
        while stack:
            node = stack.pop()
            if not isinstance(node, (MapNode, SeqNode)) or id(node) in seen:
                continue
            seen.add(id(node))
            yield node, node.loc.pointer
            values = node.values() if isinstance(node, MapNode) else node
            stack.extend(reversed(list(values)))


def detect_family(data: Any) -> tuple[str, str]:
    """("asyncapi"|"openapi"|"unknown", version string) from the root mapping."""
    if isinstance(data, dict):
        for family in ("asyncapi", "openapi"):
            if family in data:
                return family, str(data[family])
    return "unknown", ""


def from_data(data: Any, file: str = "<memory>", pointer: str = "") -> Any:
    """Wrap plain JSON-like data into Map/SeqNodes with pointers (line/column 0).

    For unit tests and for code that builds specs in memory. Refs are *not*
    resolved; use ``asyncgen.load.load_data`` for that.
    """
    if isinstance(data, dict):
        node = MapNode(loc=Location(file, 0, 0, pointer))
        for key, value in data.items():
            child_pointer = join_pointer(pointer, str(key))
            node[str(key)] = from_data(value, file, child_pointer)
            node.key_locs[str(key)] = Location(file, 0, 0, child_pointer)
        return node
    if isinstance(data, list):
        seq = SeqNode(loc=Location(file, 0, 0, pointer))
        for index, value in enumerate(data):
            child_pointer = join_pointer(pointer, index)
            seq.append(from_data(value, file, child_pointer))
            seq.item_locs.append(Location(file, 0, 0, child_pointer))
        return seq
    return data
