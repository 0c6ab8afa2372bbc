"""A cross-run memo of the AsyncAPI structural pass: entries known to have no problem.

A run that may use the project's cache folder (``validate(doc, memo_dir=...)``: generate
passes it, except for ``--check``, ``--no-cache`` and ``ASYNCGEN_NO_CACHE=1``) records, per
entry of the root file (``/channels/X``, ``/components/schemas/Y``...: see
:mod:`asyncgen.fingerprint`), its fingerprint and the entries its ``$ref`` s point into,
for every entry that has **no problem** (no error, no warning located in it). The next
run does not walk an entry again (the walker's ``skip`` hook, at the section's own
``MapOf``) when it and every entry it leads to, transitively, are recorded with the
fingerprints they have now.

Why that is exact: what the walk of an entry checks is made of the entry's own text and
of the entries its refs lead to, and whether a node has a problem does not depend on the
path it is reached by (only the words and place of the message do). Had anything the
skipped walk reaches had a problem, it would have been reported, in the run that
recorded it, at a location inside one of those entries, and such an entry is never
recorded. A skipped walk adds no problem and marks no node broken, so every other check
(the semantic pass included, which always runs) sees what it sees in a cold run, and a
node first left unvisited is visited, without problems, on the next path that reaches it.
Problems are never taken from the memo: their locations shift with the text.

Nothing is memoised when the entries have no fingerprints (anchors, JSON...), for
OpenAPI documents, or for an entry whose refs leave the fingerprinted entries (another
file, a whole section). The file is keyed by the engine (:func:`asyncgen.engine.engine_id`)
and the document's version; a missing, foreign or corrupt file is ignored (and replaced).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from itertools import compress, count, repeat
from operator import not_
from pathlib import Path
from typing import Any

from asyncgen import cachedir
from asyncgen.document import Document
from asyncgen.engine import engine_id
from asyncgen.errors import SpecError
from asyncgen.fingerprint import Entries, entries
from asyncgen.validate.walker import Kind, MapOf, Obj

FORMAT = "asyncgen-validate-memo 4"


def file_name(doc: Document) -> str:
    """The memo's file name in the project cache folder (one per root spec file)."""
    where = os.path.abspath(doc.path)
    return "validate-" + hashlib.sha256(os.fsencode(where)).hexdigest()[:16] + ".memo"


class Memo:
    """The memo of one document: read, asked which entries to skip, then updated and written.

    The file (JSON), by entry index: ``key`` (format, engine, version); ``pointers``, every
    entry of that run; ``fingerprints``, each one's if it was recorded clean, else ``""``;
    ``deps``, the entries each one's refs point into (recorded ones only); ``users``, the
    inverse of ``deps``; ``sections``, [path, digest of its text, first entry, entries] of each
    section (a section with the same text has the same entries and fingerprints: its entries'
    are not hashed again).
    """

    def __init__(self, folder: Path, doc: Document) -> None:
        self.folder = folder
        self.name = file_name(doc)
        self.entries: Entries | None = entries(doc)
        self.key = [FORMAT, engine_id(), doc.version]
        self.pointers: list[Any] = []
        self.fingerprints: list[Any] = []
        self.deps: list[Any] = []
        self.users: list[Any] = []
        self.sections: list[Any] = []
        self._same: dict[str, str] | None = None
        if self.entries is not None:
            self.read()

    def read(self) -> None:
        data = cachedir.read_bytes(self.folder, self.name)
        if not data:
            return
        try:
            memo = json.loads(data)
        except ValueError:  # (UnicodeDecodeError, JSONDecodeError)
            return
        if not isinstance(memo, dict) or memo.get("key") != self.key:
            return  # another engine, version or format
        parts: list[Any] = [memo.get(name) for name in ("pointers", "fingerprints", "deps", "users")]
        sections = memo.get("sections")
        if type(sections) is not list or any(type(part) is not list for part in parts):
            return
        pointers, fingerprints = parts[0], parts[1]
        if any(len(part) != len(pointers) for part in parts):
            return
        if not all(map(isinstance, pointers, repeat(str))) or not all(
            map(isinstance, fingerprints, repeat(str))
        ):
            return
        self.pointers, self.fingerprints, self.deps, self.users = parts
        self.sections = sections

    def forget(self) -> None:
        self.pointers, self.fingerprints, self.deps, self.users, self.sections = [], [], [], [], []
        self._same = None

    def same(self) -> dict[str, str]:
        """The entries recorded clean with today's fingerprint (``""``: not recorded): entry -> it."""
        if self._same is not None:
            return self._same
        found = self.entries
        same: dict[str, str] = {}
        self._same = same
        if found is None or not self.pointers:
            return same
        pointers, fingerprints = self.pointers, self.fingerprints
        recorded = {tuple(path): (digest, first, size) for path, digest, first, size in self.sections}
        old: dict[str, str] | None = None
        for path, names in found.by_section.items():
            digest, first, size = recorded.get(path, ("", 0, 0))
            if digest == found.section_digests[path] and size == len(names):
                if pointers[first : first + size] == list(names):  # (it must be: the same text)
                    values = fingerprints[first : first + size]
                    same.update(compress(zip(names, values, strict=True), values))
                    continue
            if old is None:
                old = dict(zip(pointers, fingerprints, strict=True))
            same.update(found.section_fingerprints(path).items() & old.items())
        return same

    def skips(self, table: Mapping[str, Kind]) -> dict[int, tuple[Kind, set[str]]]:
        """The walker's ``Ctx.skip``: entries recorded clean that lead only to entries recorded clean."""
        try:
            return self._skips(table)
        except (TypeError, AttributeError, IndexError, ValueError):  # a foreign file that parsed as JSON
            self.forget()  # (nothing of it is kept either)
            return {}

    def _skips(self, table: Mapping[str, Kind]) -> dict[int, tuple[Kind, set[str]]]:
        found = self.entries
        if found is None or not self.pointers:
            return {}
        pointers, users = self.pointers, self.users
        # recorded with today's fingerprint ("": not recorded); out go those leading to any other
        same = self.same()
        todo = list(compress(range(len(pointers)), map(not_, map(same.__contains__, pointers))))
        seen = set(todo)
        while todo:
            for user in users[todo.pop()]:
                if user not in seen:
                    seen.add(user)
                    todo.append(user)
        good = same.keys() - set(map(pointers.__getitem__, seen))
        skip: dict[int, tuple[Kind, set[str]]] = {}
        for path, names in found.by_section.items():
            kind = _section_kind(table, path)
            chosen = names.keys() & good
            if kind is not None and chosen:
                skip[id(found.sections[path])] = (kind, set(map(names.__getitem__, chosen)))
        return skip

    def update(self, problems: Iterable[SpecError]) -> None:
        """Record this run's clean entries and write the memo (when it changed)."""
        problems = list(problems)
        try:
            self._update(problems)
        except (TypeError, AttributeError, IndexError, ValueError):  # a foreign file that parsed as JSON
            self.forget()
            self._update(problems)

    def _update(self, problems: list[SpecError]) -> None:
        found = self.entries
        if found is None:
            return
        dirty: set[str] = set()
        for problem in problems:
            loc = problem.location
            if loc.file == found.file:
                owner = found.entry_of(loc.pointer)
                if owner is not None:
                    dirty.add(owner)
        old_pointers, old_fingerprints, old_deps = self.pointers, self.fingerprints, self.deps
        kept = dict(self.same())
        now = found.index
        pointers = list(now)
        index = dict(zip(pointers, count()))
        # the same text, so the same refs: their deps are kept (as indexes of today's entries)
        for pointer in dirty:
            kept.pop(pointer, None)
        renumbered = pointers != old_pointers
        deps: list[Any] = [[] for _ in pointers] if renumbered else list(old_deps)
        if renumbered:
            for old, targets in zip(old_pointers, old_deps, strict=True):
                if targets and old in kept:
                    try:
                        deps[index[old]] = [index[old_pointers[t]] for t in targets]
                    except KeyError:  # it leads to what is no entry any more: its deps are found anew
                        del kept[old]
        else:
            for pointer in now.keys() - kept.keys():
                deps[index[pointer]] = []
        recorded = kept
        todo = now.keys() - kept.keys() - dirty
        fingerprint_of = found.fingerprints.__getitem__ if len(todo) > 64 else found.fingerprint_of
        for pointer, targets in found.dependencies(todo).items() if todo else ():
            if targets is not None:  # (None: a ref leaves the entries; never recorded)
                recorded[pointer] = fingerprint_of(pointer)
                deps[index[pointer]] = sorted(map(index.__getitem__, targets))
        fingerprints = list(map(recorded.get, pointers, repeat("")))
        sections = []
        for path, names in found.by_section.items():
            sections.append([list(path), found.section_digests[path], index[next(iter(names))], len(names)])
        if (
            not renumbered
            and fingerprints == old_fingerprints
            and deps == old_deps
            and sections == self.sections
        ):
            return
        users = self.users if not renumbered and deps == old_deps else _inverse(deps)
        self.pointers, self.fingerprints, self.deps, self.users = pointers, fingerprints, deps, users
        self.sections = sections
        memo = {
            "key": self.key,
            "pointers": pointers,
            "fingerprints": fingerprints,
            "deps": deps,
            "users": users,
            "sections": sections,
        }
        cachedir.write_bytes(self.folder, self.name, json.dumps(memo, separators=(",", ":")).encode("utf-8"))


def _inverse(deps: list[list[int]]) -> list[list[int]]:
    users: list[list[int]] = [[] for _ in deps]
    for pointer, targets in enumerate(deps):
        for target in targets:
            users[target].append(pointer)
    return users


def _section_kind(table: Mapping[str, Kind], path: tuple[str, ...]) -> Kind | None:
    """The MapOf that checks the entries of the section ``path`` (None: not one we skip in)."""
    holder: Kind | str | None = table.get("root")
    for part in path[:-1]:
        field = holder.fields.get(part) if isinstance(holder, Obj) else None
        holder = table.get(field) if isinstance(field, str) else field
    kind = holder.fields.get(path[-1]) if isinstance(holder, Obj) else None
    return kind if isinstance(kind, MapOf) else None
