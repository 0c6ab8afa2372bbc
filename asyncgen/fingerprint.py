"""Content fingerprints of a spec's entries, from the source text (for cross-run memos).

An *entry* is one named item of a top-level section of the root file: ``/channels/X``,
``/operations/Y``, ``/servers/S``, ``/paths/~1pets``..., and ``/components/<kind>/Z``
(pointers escaped like :class:`~asyncgen.errors.Location` pointers). Its fingerprint
hashes its text, from its key to the next sibling key (or the end of its section), and
the column it starts at: the same text at another indentation parses differently, and
in a block mapping nothing outside that span changes what the entry parses to. Line
numbers are not part of it: moving an entry keeps its fingerprint (its locations do
change, so only a "no problems" result is safe to reuse by fingerprint).

    entries(doc)             -> Entries | None   # None: no fingerprints for this document
    entry_fingerprints(doc)  -> dict[pointer, fingerprint] | None

There are none (``None``: a caller then redoes everything) when the span logic is not
safe: the document was not read from YAML text (in-memory data, strict-JSON fallback),
it uses anchors/aliases or ``<<`` merge keys anywhere (a node's value then depends on
text elsewhere), or ``%TAG`` directives. A section that is not a plain block mapping
(flow style ``{...}``, tagged, a ``$ref``) has no entries; neither have other files.

:meth:`Entries.dependencies` says which entries the ``$ref`` s written inside an entry
point into (directly; a pointer through another entry depends on that entry, whose own
refs say where it leads), or None when one leaves the fingerprinted entries (another
file, a whole section, the root...). An entry's subtree in the resolved graph is made of
its own text and the entries reachable by these dependencies.

``load`` calls :func:`snapshot` (cheap: a few dict copies; the hashing happens on first
use and is cached).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import compress, repeat
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from asyncgen.document import Document, MapNode
from asyncgen.errors import escape_pointer_part, join_pointer

__all__ = ["Entries", "entries", "entry_fingerprints", "snapshot"]

Path_ = tuple[str, ...]  # a section: ("channels",) or ("components", "schemas"); () the root


@dataclass
class Source:
    """What :func:`snapshot` keeps of the root file (the marks of keys, as composed)."""

    text: str
    file: str
    #: mapping path -> (the mapping, key -> mark)
    maps: dict[Path_, tuple[MapNode, dict[str, Any]]]
    #: the loader's followed refs: id -> (the ``$ref`` mapping, its target) (all files)
    refs: dict[int, tuple[MapNode, Any]]

    @cached_property
    def entries(self) -> Entries | None:
        """The entries (computed on first use)."""
        return _compute(self)


@dataclass
class Entries:
    """The entries of one document (see the module docstring).

    Fingerprints are computed per section on first use (:meth:`section_fingerprints`); each
    section also has a digest of its whole text (:attr:`section_digests`): the same digest, the
    same entries with the same fingerprints.
    """

    file: str
    #: section path -> {pointer: key} of its entries, in document order
    by_section: dict[Path_, dict[str, str]]
    #: section path -> the section's mapping (as composed; the same object in ``doc.root``)
    sections: dict[Path_, MapNode]
    #: section path -> fingerprint of the section's whole text (its entries, their keys, column)
    section_digests: dict[Path_, str]
    #: pointer -> its section's path, for every entry in document order
    index: dict[str, Path_]
    refs: dict[int, tuple[MapNode, Any]] = field(repr=False, default_factory=dict)
    #: the root file's text, and where each section's entries start (plus where the last one ends)
    text: str = field(repr=False, default="")
    starts: dict[Path_, list[int]] = field(repr=False, default_factory=dict)
    columns: dict[Path_, int] = field(repr=False, default_factory=dict)
    _ascii: Any = field(repr=False, default=None)
    _by_section_fps: dict[Path_, dict[str, str]] = field(repr=False, default_factory=dict)

    @property
    def fingerprints(self) -> dict[str, str]:
        """pointer -> fingerprint of every entry, in document order."""
        out: dict[str, str] = {}
        for path in self.by_section:
            out.update(self.section_fingerprints(path))
        return out

    def section_fingerprints(self, path: Path_) -> dict[str, str]:
        """pointer -> fingerprint of the entries of one section (computed once)."""
        found = self._by_section_fps.get(path)
        if found is None:
            starts = self.starts[path]
            cuts = list(map(slice, starts, starts[1:]))
            spans: Iterable[Any]
            if self._ascii is not None:
                spans = map(self._ascii.__getitem__, cuts)
            else:
                spans = map(_ENCODE, map(self.text.__getitem__, cuts))
            digests = map(str.__add__, map(_HEX, map(_HASH, spans)), repeat(f"@{self.columns[path]}"))
            found = self._by_section_fps[path] = dict(zip(self.by_section[path], digests, strict=True))
        return found

    def fingerprint_of(self, pointer: str) -> str:
        """One entry's fingerprint (its section's are not all computed for it)."""
        path = self.index[pointer]
        done = self._by_section_fps.get(path)
        if done is not None:
            return done[pointer]
        start, stop = self._span(path, pointer)
        return _fingerprint(self.text, self._ascii, start, stop, self.columns[path])

    def _span(self, path: Path_, pointer: str) -> tuple[int, int]:
        starts = self.starts[path]
        at = list(self.by_section[path]).index(pointer)
        return starts[at], starts[at + 1]

    @property
    def keys(self) -> dict[str, tuple[Path_, str]]:
        """pointer -> (its section's path, its key)."""
        return {p: (path, key) for path, names in self.by_section.items() for p, key in names.items()}

    def entry_of(self, pointer: str) -> str | None:
        """The entry a (Location-style, escaped) pointer of the root file lies in, if any."""
        parts = pointer.split("/", 4)
        if len(parts) < 3 or parts[0]:
            return None
        if parts[1] == "components":
            if len(parts) < 4:
                return None
            found = f"/components/{parts[2]}/{parts[3]}"
        else:
            found = f"/{parts[1]}/{parts[2]}"
        return found if found in self.index else None

    def dependencies(self, pointers: Iterable[str] | None = None) -> dict[str, frozenset[str] | None]:
        """Entry -> the entries its ``$ref`` s point into (None: one points elsewhere).

        Only for ``pointers`` (default: every entry); an entry without refs maps to an empty set.
        """
        wanted = list(self.index if pointers is None else pointers)
        found: dict[str, set[str] | None] = {p: set() for p in wanted if p in self.index}
        if not found or not self.refs:
            return {p: frozenset() for p in found}
        nodes = list(map(_FIRST, self.refs.values()))
        if len(found) <= 64:  # a few entries: a prefix test in C first (linear in the prefixes)
            # (text with no "$ref" has no ref: a key spelled otherwise needs a backslash escape)
            prefixes = tuple(p for p in found if not self._ref_free(p))
            if not prefixes:
                return {p: frozenset() for p in found}
            prefixes = (*(p + "/" for p in prefixes), *prefixes)
            pointers = map(_POINTER, map(_LOC, nodes))
            nodes = list(compress(nodes, map(str.startswith, pointers, repeat(prefixes))))
        for ref_node in nodes:
            loc = ref_node.loc
            if loc.file != self.file:
                continue
            pointer = loc.pointer
            owner = self.entry_of(pointer)
            deps = found.get(owner) if owner is not None else None
            if owner is None or deps is None:
                continue
            target = self._target_entry(ref_node.get("$ref"))
            if target is None:
                found[owner] = None
            else:
                deps.add(target)
        return {p: (frozenset(d) if d is not None else None) for p, d in found.items()}

    def _ref_free(self, pointer: str) -> bool:
        """Whether an entry's text cannot hold a ``$ref`` (no "$ref", no backslash escape in it)."""
        start, stop = self._span(self.index[pointer], pointer)
        return self.text.find("$ref", start, stop) < 0 and self.text.find("\\", start, stop) < 0

    def _target_entry(self, ref: Any) -> str | None:
        if not isinstance(ref, str):
            return None
        address, _, fragment = ref.partition("#")
        if address:
            return None  # another file (or this one by name): not fingerprinted
        from asyncgen.load import split_pointer

        tokens = split_pointer(fragment)
        if tokens is None:
            return None
        return self.entry_of(join_pointer("", *tokens))


def snapshot(parsed_text: str | None, shared: bool, root: Any, refs: dict[int, Any]) -> Source | None:
    """What fingerprints need of a composed root file, taken before refs are resolved."""
    if parsed_text is None or shared or type(root) is not MapNode:  # (shared: %TAG directives too)
        return None
    maps: dict[Path_, tuple[MapNode, dict[str, Any]]] = {}

    def keep(path: Path_, node: Any) -> bool:
        if type(node) is not MapNode or not node or "$ref" in node:
            return False
        maps[path] = (node, node._keys.copy())
        return True

    keep((), root)
    for name, value in root.items():
        if keep((name,), value) and name == "components":
            for kind, section in value.items():
                keep(("components", kind), section)
    return Source(parsed_text, root.loc.file, maps, refs)


def entries(doc: Document) -> Entries | None:
    """The entries of ``doc``'s root file with their fingerprints, or None (see the module docstring)."""
    source = doc.source
    return source.entries if isinstance(source, Source) else None


def entry_fingerprints(doc: Document) -> dict[str, str] | None:
    """pointer -> fingerprint of every entry of ``doc`` (see the module docstring), or None."""
    found = entries(doc)
    return found.fingerprints if found is not None else None


def _block(path: Path_, source: Source) -> tuple[list[str], list[int], int] | None:
    """(keys, their text's start indexes, their column) of a plain block mapping, else None."""
    item = source.maps.get(path)
    if item is None:
        return None
    node, marks = item
    line, column = node.loc.line, node.loc.column  # (a mapping's own location never changes)
    if not marks:
        return None
    values = list(marks.values())
    try:
        starts = list(map(_INDEX, values))
        columns = set(map(_COLUMN, values))
    except AttributeError:  # a Location already: no index into the text
        return None
    if columns != {column - 1} or values[0].line + 1 != line:
        return None  # keys not in one block column; or a flow mapping (it starts at "{", not its key)
    return list(marks), starts, column - 1


_INDEX, _COLUMN = attrgetter("index"), attrgetter("column")
_FIRST, _LOC, _POINTER = itemgetter(0), attrgetter("loc"), attrgetter("pointer")
_HASH = partial(hashlib.blake2b, digest_size=16)
_HEX = methodcaller("hexdigest")
_ENCODE = partial(str.encode, encoding="utf-8", errors="surrogatepass")


def _fingerprint(text: str, ascii_text: Any, start: int, stop: int, column: int) -> str:
    span = ascii_text[start:stop] if ascii_text is not None else _ENCODE(text[start:stop])
    return f"{_HASH(span).hexdigest()}@{column}"


def _compute(source: Source) -> Entries | None:
    text = source.text
    root = _block((), source)
    if root is None:
        return None
    ends: dict[Path_, int] = {}

    def end_of(path: Path_, block: tuple[list[str], list[int], int], parent_end: int) -> None:
        """Where each of these siblings' text ends: at the next one, the last one at its parent's end."""
        names, starts, _ = block
        ends.update(zip(((*path, name) for name in names), [*starts[1:], parent_end], strict=True))

    end_of((), root, len(text))
    # ASCII text (most specs): character indexes are byte offsets, so one encoding serves all
    whole = memoryview(text.encode("ascii")) if text.isascii() else None
    out = Entries(source.file, {}, {}, {}, {}, source.refs, text, {}, {}, whole)

    def add(path: Path_, prefix: str) -> None:
        block = _block(path, source)
        if block is None:
            return
        names, starts, column = block
        out.sections[path] = source.maps[path][0]
        out.starts[path] = [*starts, ends[path]]
        out.columns[path] = column
        out.section_digests[path] = _fingerprint(text, whole, starts[0], ends[path], column)
        joined = "".join(names)
        escaped = names if "~" not in joined and "/" not in joined else map(escape_pointer_part, names)
        pointers = list(map(prefix.__add__, escaped))
        out.by_section[path] = dict(zip(pointers, names, strict=True))
        out.index.update(zip(pointers, repeat(path)))

    for name in root[0]:
        if name == "components":
            components = _block(("components",), source)
            if components is None:
                continue
            end_of(("components",), components, ends[("components",)])
            for kind in components[0]:
                add(("components", kind), f"/components/{escape_pointer_part(kind)}/")
        elif (name,) in source.maps:
            add((name,), f"/{escape_pointer_part(name)}/")
    return out
