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
from pathlib import Path
from typing import Any

from asyncgen import cachedir
from asyncgen.document import Document
from asyncgen.engine import engine_id
from asyncgen.errors import SpecError
from asyncgen.fingerprint import Entries, entries
from asyncgen.validate.walker import Kind, MapOf, Obj

FORMAT = "asyncgen-validate-memo 1"

#: pointer -> [fingerprint, the entries its refs point into...] (as read: not trusted to be that)
Records = dict[str, Any]


def file_name(doc: Document) -> str:
    """The memo's file name in the project cache folder (one per root spec file)."""
    where = os.path.abspath(doc.path)
    return "validate-" + hashlib.sha256(os.fsencode(where)).hexdigest()[:16] + ".memo"


class Memo:
    """The memo of one document: read, asked which entries to skip, then updated and written."""

    def __init__(self, folder: Path, doc: Document) -> None:
        self.folder = folder
        self.name = file_name(doc)
        self.entries: Entries | None = entries(doc)
        self.key = [FORMAT, engine_id(), doc.version]
        self.records: Records = self.read() if self.entries is not None else {}

    def read(self) -> Records:
        data = cachedir.read_bytes(self.folder, self.name)
        if not data:
            return {}
        try:
            memo = json.loads(data)
        except ValueError:  # (UnicodeDecodeError, JSONDecodeError)
            return {}
        if not isinstance(memo, dict) or memo.get("key") != self.key:
            return {}  # another engine, version or format
        records = memo.get("entries")
        return records if isinstance(records, dict) else {}

    def skips(self, table: Mapping[str, Kind]) -> dict[int, tuple[Kind, set[str]]]:
        """The walker's ``Ctx.skip``: entries recorded clean that lead only to entries recorded clean."""
        try:
            return self._skips(table)
        except (TypeError, IndexError, AttributeError):  # a foreign file that parsed as JSON
            self.records = {}  # (nothing of it is kept either)
            return {}

    def _skips(self, table: Mapping[str, Kind]) -> dict[int, tuple[Kind, set[str]]]:
        found = self.entries
        if found is None or not self.records:
            return {}
        fingerprints = found.fingerprints
        matched = {p: r for p, r in self.records.items() if r and fingerprints.get(p) == r[0]}
        users: dict[str, list[str]] = {}
        bad: list[str] = []
        for pointer, record in matched.items():
            for dep in record[1:]:
                if dep in matched:
                    users.setdefault(dep, []).append(pointer)
                else:
                    bad.append(pointer)
                    break
        not_ok = set(bad)
        while bad:  # everything that leads to a changed or unrecorded entry is walked again
            for user in users.get(bad.pop(), ()):
                if user not in not_ok:
                    not_ok.add(user)
                    bad.append(user)
        skip: dict[int, tuple[Kind, set[str]]] = {}
        section_kinds: dict[tuple[str, ...], Kind | None] = {}
        for pointer in matched:
            if pointer in not_ok:
                continue
            path, key = found.keys[pointer]
            if path not in section_kinds:
                section_kinds[path] = _section_kind(table, path)
            kind = section_kinds[path]
            if kind is None:
                continue
            node = found.sections[path]
            item = skip.get(id(node))
            if item is None:
                item = skip[id(node)] = (kind, set())
            item[1].add(key)
        return skip

    def update(self, problems: Iterable[SpecError]) -> None:
        """Record this run's clean entries and write the memo (when it changed)."""
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
        old = self.records
        new: Records = {}
        todo: list[str] = []
        for pointer, fingerprint in found.fingerprints.items():
            if pointer in dirty:
                continue
            before = old.get(pointer)
            if type(before) is list and before and before[0] == fingerprint:
                new[pointer] = before
            else:
                todo.append(pointer)
        if todo:
            for pointer, deps in found.dependencies(todo).items():
                if deps is not None:
                    new[pointer] = [found.fingerprints[pointer], *sorted(deps)]
        if new == old:
            return
        self.records = new
        data = json.dumps({"key": self.key, "entries": new}, separators=(",", ":"))
        cachedir.write_bytes(self.folder, self.name, data.encode("utf-8"))


def _section_kind(table: Mapping[str, Kind], path: tuple[str, ...]) -> Kind | None:
    """The MapOf that checks the entries of the section ``path`` (None: not one we skip in)."""
    holder: Kind | str | None = table.get("root")
    for part in path[:-1]:
        field = holder.fields.get(part) if isinstance(holder, Obj) else None
        holder = table.get(field) if isinstance(field, str) else field
    kind = holder.fields.get(path[-1]) if isinstance(holder, Obj) else None
    return kind if isinstance(kind, MapOf) else None
