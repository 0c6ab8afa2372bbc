"""Incremental ``models.py``: run datamodel-code-generator (dcg) only for the schemas that changed.

The canonical ``models.py`` is what **one** dcg call over every schema writes (a cold run,
:func:`asyncgen.schemas.generate_models`). A regeneration must give the same bytes, so it
may take a shortcut only where it can show that the cold run would write exactly that:

1. the schemas fall into *groups*: connected components of the ``$ref`` graph between
   ``$defs`` (a def's class can only depend on the defs it reaches);
2. the groups that hold a changed def are run through dcg alone, once as they were
   (from the previous run's schemas, kept in the cache) and once as they are now;
3. the classes whose text differs between those two standalone runs are replaced in the
   previous ``models.py``, in place.

dcg is not local: it merges identical inline models of the same name across the whole
document (one ``Status`` for every payload with the same ``status`` enum), renames clashes
(``Status2``), sorts classes by their references and collects one import block. So the
shortcut is refused, and a full dcg run is made, unless every one of these holds (each
refusal is reported as :attr:`ModelsRun.reason`):

* same dcg and asyncgen versions, same def names in the same order, only ``#/$defs/...``
  references, and the same groups before and after for the changed defs;
* both standalone runs have the same classes in the same order, the same import block,
  the same dcg warnings, and the same def -> class mapping as the previous full run;
* every changed class is text-identical in the previous ``models.py`` and the old
  standalone run (so the full run did not rename it or anything it refers to), is not a
  ``RootModel`` (dcg merges those by type, not by name), refers to the same classes before
  and after, and is the group's own: no class outside the group refers to it, no def
  outside the group maps to it, and no class outside the group has its base name
  (``Status``, ``Status2`` ...), so no merge or rename can involve it;
* no statement other than imports and classes in any of the three codes.

The cache (``models-cache.json`` in the project's private cache folder,
:func:`asyncgen.cachedir.project_dir`; never in the output, which is committed) holds the
previous code, class mapping, dcg warnings and each def's schema as JSON text in spec
order: a function of the inputs only, so a cold and an incremental run write the same
cache bytes.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from asyncgen.engine import engine_id
from asyncgen.errors import GenerationError
from asyncgen.model import Api, SchemaDef
from asyncgen.schemas import (
    _EMPTY,
    DcgRun,
    ModelsModule,
    _plain,
    class_offsets,
    def_fixer,
    fix_defaults,
    inlinable,
    module_from,
    prepare_document,
    run_document,
    schema_document,
)

if TYPE_CHECKING:
    from asyncgen.dcgworker import DcgWorker

CACHE_VERSION = 4  # 4: "memo" (each def's source digest, notes, references: the prepare memo)
_DEFS_REF = "#/$defs/"


@dataclass(frozen=True)
class ModelsRun:
    module: ModelsModule
    #: the cache file's bytes (written to the project's private cache folder)
    cache: bytes
    #: "cached" (nothing changed), "incremental" (dcg over the changed groups only) or "full"
    mode: str
    #: the defs dcg ran over in this run (every def for "full", none for "cached")
    regenerated: tuple[str, ...] = ()
    #: why a run with a cache was not incremental (None when it was, or when there was no cache)
    reason: str | None = None


class _Refused(Exception):
    """The shortcut cannot prove itself: run dcg over everything."""


def _engine() -> dict[str, str]:
    return {
        "asyncgen": engine_id(),
        "dcg": version("datamodel-code-generator"),
        "cache": str(CACHE_VERSION),
        # the source digests are of marshal's bytes, which are this interpreter's
        "python": sys.version,
    }


#: one def's schema as the document dcg gets holds it: JSON text, key order kept (dcg's field order)
_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def _source_digests(defs: Sequence[SchemaDef]) -> list[str] | None:
    """A digest of each def's schema as the IR holds it (None: one is not marshal's plain data).

    marshal's bytes are a function of the value that :func:`marshal.loads` inverts (key order,
    types: ``1``, ``1.0`` and ``True`` differ): equal digests mean equal schemas. The same schema
    may give other bytes (shared or interned objects): then it is only prepared again."""
    try:
        return [hashlib.sha256(marshal.dumps(cast(Any, d.schema), 2)).hexdigest() for d in defs]
    except (ValueError, TypeError):
        return None


def _memo_key(memo: list[list[Any]]) -> str:
    return hashlib.sha256(json.dumps(memo, ensure_ascii=False).encode("utf-8")).hexdigest()


def _def_record(source: str, raw: Any, fixed: Any, notes: list[str]) -> list[Any]:
    """A def's "memo" entry: [source digest, inlinable, references (or why they refuse), notes]."""
    found: set[str] = set()
    try:
        _refs(fixed, found)
        refs: list[str] | str = sorted(found)
    except _Refused as refused:
        refs = str(refused)
    return [source, inlinable(raw) or inlinable(fixed), refs, notes]


@dataclass
class _Prepared:
    """The document's defs as dcg gets them (:func:`asyncgen.schemas.prepare_document`)."""

    #: [name, JSON text] of every def, in order
    defs: list[list[str]]
    #: fix_defaults' notes, all defs
    notes: list[str]
    #: the cache's "memo" entry of every def, in order (None: no source digests)
    memo: list[list[Any]] | None
    #: fixed schema of each def prepared in this run (every def when ``document`` is there)
    fixed: dict[str, Any]
    #: the whole document, when it was built
    document: dict[str, Any] | None
    #: :func:`_key` of ``defs`` when known already: the previous run's, checked, when no def changed
    key: str | None = None

    def schema(self, name: str, text: str) -> Any:
        """A def's fixed schema: as prepared here, else read back from its text (the same JSON)."""
        found = self.fixed.get(name)
        return json.loads(text) if found is None else found


def _prepare_all(defs: tuple[SchemaDef, ...], sources: list[str] | None) -> _Prepared:
    document = schema_document(defs)
    raw = list(document["$defs"].values()) if sources is not None else []
    by_def: list[list[str]] = []
    notes = fix_defaults(document, by_def)
    fixed: dict[str, Any] = document["$defs"]
    texts = [[name, _TEXT(schema)] for name, schema in fixed.items()]
    memo = None
    if sources is not None:
        memo = [
            _def_record(source, r, f, n)
            for source, r, f, n in zip(sources, raw, fixed.values(), by_def, strict=True)
        ]
    return _Prepared(texts, notes, memo, fixed, document)


class _Lookup(Mapping[str, Any]):
    """``defs`` as :func:`asyncgen.schemas.fix_defaults` sees them while it fixes def number ``at``:
    fixed before it, as written from it on (read only where a ``$ref`` asks)."""

    def __init__(self, defs: tuple[SchemaDef, ...], texts: list[list[str]], fixed: dict[str, Any]) -> None:
        self.index = {d.name: i for i, d in enumerate(defs)}
        self.defs, self.texts, self.fixed = defs, texts, fixed
        self.at = 0

    def __getitem__(self, name: str) -> Any:
        i = self.index[name]
        if i >= self.at:
            return _plain(self.defs[i].schema)
        found = self.fixed.get(name)
        return json.loads(self.texts[i][1]) if found is None else found

    def __iter__(self) -> Any:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _prepare(
    defs: tuple[SchemaDef, ...], previous: Mapping[str, Any] | None, engine: Mapping[str, str]
) -> _Prepared:
    """The prepared defs, reusing the previous run's for the defs whose schema is the same.

    A def's fixed form is a function of its own schema and, through ``$ref``s that
    :func:`asyncgen.schemas.fix_defaults` inlines, of the inlinable (plain primitive) defs it
    reaches, and of the defs' order. So the previous run's texts, notes and references are kept
    for every def whose source digest is the same, when the defs are the same names in the same
    order and no changed def is inlinable, before or after; else every def is prepared again."""
    sources = _source_digests(defs)
    memo = previous.get("memo") if previous is not None and previous.get("engine") == dict(engine) else None
    if sources is None or not isinstance(memo, list) or previous is None:
        return _prepare_all(defs, sources)
    try:
        old_defs = previous["defs"]
        # what is kept must be what the previous run wrote: its texts hash to its key, its
        # entries to theirs (a damaged file is prepared again, never half trusted)
        if previous["key"] != _key(old_defs, engine) or previous["memo_key"] != _memo_key(memo):
            return _prepare_all(defs, sources)
        if len(memo) != len(defs) or len(old_defs) != len(defs):
            return _prepare_all(defs, sources)
        if any(old[0] != d.name for old, d in zip(old_defs, defs, strict=True)):
            return _prepare_all(defs, sources)
        dirty = [i for i, (source, entry) in enumerate(zip(sources, memo, strict=True)) if entry[0] != source]
        if any(memo[i][1] is not False for i in dirty):
            return _prepare_all(defs, sources)  # the def was inlinable (or the entry is not ours)
        texts = [list(d) for d in old_defs]
        records = [list(entry) for entry in memo]
        fixed: dict[str, Any] = {}
        lookup = _Lookup(defs, texts, fixed)
        for i in dirty:
            name = defs[i].name
            raw = _plain(defs[i].schema)
            found: list[str] = []
            lookup.at = i
            schema = def_fixer(lookup, found)(name, raw)
            record = _def_record(sources[i], raw, schema, found)  # visit copies: raw is as written
            if record[1]:
                return _prepare_all(defs, sources)  # inlinable now: the defs that refer to it change
            fixed[name] = schema
            texts[i] = [name, _TEXT(schema)]
            records[i] = record
        notes = [note for entry in records for note in entry[3]]
        if not all(isinstance(note, str) for note in notes):
            return _prepare_all(defs, sources)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return _prepare_all(defs, sources)  # a cache that is not what this code writes
    # no def changed: the texts are the previous run's, whose key was checked above
    return _Prepared(texts, notes, records, fixed, None, None if dirty else previous["key"])


def _key(defs: Sequence[Sequence[str]], engine: Mapping[str, str]) -> str:
    text = json.dumps({"defs": defs, "engine": engine}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_bytes(
    key: str,
    defs: Sequence[Sequence[str]],
    run: DcgRun,
    engine: Mapping[str, str],
    segments: list[list[Any]] | None,
    *,
    memo: list[list[Any]] | None = None,
) -> bytes:
    data = {
        "version": CACHE_VERSION,
        "key": key,
        "engine": dict(engine),
        "code": run.code,
        "class_names": dict(run.class_names),
        "dcg_warnings": list(run.dcg_warnings),
        "defs": [list(d) for d in defs],
        #: where each class starts in "code" ([name, offset]); null when the code has other statements
        "segments": segments,
        #: per def: [source digest, inlinable, its references or why they refuse, fix_defaults' notes]
        "memo": memo,
        "memo_key": None if memo is None else _memo_key(memo),
    }
    # one line: json's C encoder (indent makes it the pure-Python one, ~4x the time)
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def read_cache(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = (
        isinstance(data, dict)
        and data.get("version") == CACHE_VERSION
        and isinstance(data.get("code"), str)
        and isinstance(data.get("class_names"), dict)
        and isinstance(data.get("dcg_warnings"), list)
        and isinstance(data.get("defs"), list)
        and all(
            isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d) for d in data["defs"]
        )
        and (data.get("segments") is None or isinstance(data.get("segments"), list))
        and (data.get("memo") is None or isinstance(data.get("memo"), list))
    )
    return data if ok else None


def _run_dcg(
    documents: list[dict[str, Any]], worker: DcgWorker | None, meanwhile: Callable[[], None] | None = None
) -> list[tuple[DcgRun, Any]]:
    """``run_document`` over each document, in order, in ``worker`` when given: (run, class offsets).

    ``meanwhile``: run by the main process while the worker works (see :meth:`DcgWorker.run`).
    """
    if worker is not None:
        return worker.run(documents, meanwhile)
    return [(run, run.segments) for run in map(run_document, documents)]


def build_models(
    api: Api,
    cache_path: Path | None,
    worker: DcgWorker | None = None,
    meanwhile: Callable[[], None] | None = None,
    *,
    memo: bool = True,
) -> ModelsRun:
    """The models of ``api``: from the cache, incrementally, or by one full dcg run.

    ``worker`` (:mod:`asyncgen.dcgworker`): where dcg runs; the bytes are the same either way.
    ``meanwhile``: work that does not need the models, done while the worker runs dcg (only then).
    ``memo=False``: every schema is prepared again, none taken from the cache's memo (``--check``).
    """
    engine = _engine()
    if not api.schemas:
        key = _key([], engine)
        return ModelsRun(
            ModelsModule(_EMPTY), cache_bytes(key, [], DcgRun(_EMPTY, {}, ()), engine, None), "full"
        )
    previous = read_cache(cache_path) if cache_path is not None else None
    prepared = _prepare(api.schemas, previous if memo else None, engine)
    defs, notes, records = prepared.defs, prepared.notes, prepared.memo
    key = prepared.key or _key(defs, engine)
    started = time.perf_counter()
    reason: str | None = None
    if previous is not None:
        if previous.get("key") == key:
            run = DcgRun(previous["code"], previous["class_names"], tuple(previous["dcg_warnings"]))
            module = module_from(run.code, run.class_names, notes, run.dcg_warnings)
            cache = cache_bytes(key, defs, run, engine, previous.get("segments"), memo=records)
            return ModelsRun(module, cache, "cached")
        try:
            run, group, segments = _incremental(previous, prepared, engine, worker, meanwhile=meanwhile)
        except _Refused as refused:
            reason = str(refused)
        except GenerationError as err:  # dcg refused a part: the full run reports it, or succeeds
            reason = f"datamodel-code-generator failed on the changed group: {err}"
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            reason = f"the models cache does not fit the code it holds ({type(err).__name__}: {err})"
        else:
            module = module_from(
                run.code, run.class_names, notes, run.dcg_warnings, time.perf_counter() - started
            )
            cache = cache_bytes(key, defs, run, engine, segments, memo=records)
            return ModelsRun(module, cache, "incremental", tuple(group))
    document = prepared.document
    if document is None:  # only some defs were prepared: the full run gets a document of its own
        document, _ = prepare_document(api.schemas)
    [(run, segments)] = _run_dcg([document], worker, meanwhile)
    module = module_from(run.code, run.class_names, notes, run.dcg_warnings, time.perf_counter() - started)
    # segments None: not imports + classes (no parse again)
    cache = cache_bytes(key, defs, run, engine, segments, memo=records)
    return ModelsRun(module, cache, "full", tuple(document["$defs"]), reason)


# ----------------------------------------------------------------------------- groups


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef", "$recursiveRef") and isinstance(value, str):
                if key != "$ref" or not value.startswith(_DEFS_REF):
                    raise _Refused(f"a {key} {value!r} that is not '#/$defs/<name>'")
                found.add(value[len(_DEFS_REF) :].split("/", 1)[0].replace("~1", "/").replace("~0", "~"))
            else:  # a "$ref" inside example data counts too: coarser groups are still correct
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def def_refs(schemas: Mapping[str, Any]) -> dict[str, set[str]]:
    """def name -> the def names its ``$ref``s name (:class:`_Refused` for any other reference)."""
    out: dict[str, set[str]] = {}
    for name, schema in schemas.items():
        targets: set[str] = set()
        _refs(schema, targets)
        out[name] = targets
    return out


def groups(schemas: Mapping[str, Any], refs: Mapping[str, set[str]] | None = None) -> dict[str, int]:
    """def name -> group number (connected components of the ``$ref`` graph, undirected).

    ``refs``: :func:`def_refs` of ``schemas``, when already known.
    """
    refs = def_refs(schemas) if refs is None else refs
    parent = {name: name for name in schemas}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for name in schemas:
        for target in refs[name]:
            if target not in parent:
                raise _Refused(f"{name} refers to #/$defs/{target}, which does not exist")
            parent[root(target)] = root(name)
    numbers: dict[str, int] = {}
    out: dict[str, int] = {}
    for name in schemas:
        out[name] = numbers.setdefault(root(name), len(numbers))
    return out


# ----------------------------------------------------------------------------- splicing


@dataclass(frozen=True)
class _Code:
    prefix: str  # header and imports
    classes: dict[str, str]  # class name -> its text (to the next class), in file order


def _split(code: str, what: str, segments: Any = None) -> _Code:
    """``code`` cut into its import block and its classes (``segments``: as the cache recorded them)."""
    segments = class_offsets(code) if segments is None else segments
    if not isinstance(segments, list) or not segments:
        raise _Refused(f"{what}: statements other than imports and classes")
    starts = [offset for _, offset in segments] + [len(code)]
    classes = {name: code[starts[i] : starts[i + 1]] for i, (name, _) in enumerate(segments)}
    cut = _Code(code[: starts[0]], classes)
    fits = all(text.startswith(("@", f"class {name}(", f"class {name}:")) for name, text in classes.items())
    if not fits or len(classes) != len(segments) or cut.prefix + "".join(classes.values()) != code:
        raise _Refused(f"{what}: the recorded class offsets do not fit the code")
    return cut


def _names_in(text: str, names: set[str]) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if word in names}


def _new_refs(prepared: _Prepared) -> dict[str, set[str]]:
    """:func:`def_refs` of the prepared defs (from their memo entries when there are some)."""
    if prepared.memo is None:
        assert prepared.document is not None  # no memo: every def was prepared
        return def_refs(prepared.document["$defs"])
    out: dict[str, set[str]] = {}
    for (name, _), entry in zip(prepared.defs, prepared.memo, strict=True):
        refs = entry[2]
        if isinstance(refs, str):
            raise _Refused(refs)
        out[name] = set(refs)
    return out


def _incremental(
    previous: Mapping[str, Any],
    prepared: _Prepared,
    engine: Mapping[str, str],
    worker: DcgWorker | None = None,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[DcgRun, list[str], list[list[Any]]]:
    """What a full dcg run would give, and the defs dcg ran over instead; or :class:`_Refused`."""
    if previous.get("engine") != dict(engine):
        raise _Refused("made by another asyncgen or datamodel-code-generator version")
    defs = prepared.defs
    old_texts = dict(map(tuple, previous["defs"]))
    if [d[0] for d in previous["defs"]] != [d[0] for d in defs]:
        raise _Refused("schemas were added, removed or reordered")
    changed = [name for name, text in defs if old_texts[name] != text]
    new_texts = {name: text for name, text in defs}
    # for the groups: a def whose JSON text is the same is the same schema, so only the changed
    # ones are read back from the cache, and only their references are looked for again
    new_refs = _new_refs(prepared)
    old_refs = {**new_refs, **def_refs({name: json.loads(old_texts[name]) for name in changed})}
    old_groups, new_groups = groups(old_refs, old_refs), groups(new_refs, new_refs)
    members = {name for name in new_refs if new_groups[name] in {new_groups[c] for c in changed}}
    if members != {name for name in old_refs if old_groups[name] in {old_groups[c] for c in changed}}:
        raise _Refused("the references between schemas changed")
    if 2 * len(members) > len(new_refs):
        raise _Refused(f"{len(members)} of {len(new_refs)} schemas are in changed groups")
    order = [name for name in new_refs if name in members]
    header = schema_document(())  # the document's other keys ("$schema")
    (before, _), (after, _) = _run_dcg(
        [{**header, "$defs": {n: json.loads(old_texts[n]) for n in order}},  # dcg's own copies
         {**header, "$defs": {n: prepared.schema(n, new_texts[n]) for n in order}}],
        worker,
        meanwhile,
    )  # fmt: skip
    full = _split(previous["code"], "previous models", previous.get("segments") or False)
    old, new = (
        _split(before.code, "old group", before.segments),
        _split(after.code, "new group", after.segments),
    )
    class_names: dict[str, str] = dict(previous["class_names"])
    if list(old.classes) != list(new.classes):
        raise _Refused("the changed group's classes differ")
    if old.prefix != new.prefix:
        raise _Refused("the changed group's imports differ")
    if before.dcg_warnings != after.dcg_warnings:
        raise _Refused("datamodel-code-generator's warnings for the changed group differ")
    if any(class_names.get(n) != before.class_names[n] or after.class_names[n] != before.class_names[n]
           for n in order):  # fmt: skip
        raise _Refused("the changed group's classes are named differently in the full run")
    outside = [name for name in full.classes if name not in old.classes]
    outside_text = "".join(full.classes[name] for name in outside)
    outside_defs = {class_names[n] for n in new_refs if n not in members}
    every_name = set(full.classes) | set(new.classes)
    spliced = dict(full.classes)
    for name in old.classes:
        if old.classes[name] == new.classes[name]:
            continue
        if full.classes.get(name, "").rstrip("\n") != old.classes[name].rstrip("\n"):
            raise _Refused(f"class {name} is written differently in the full run")
        if "RootModel" in old.classes[name] or "RootModel" in new.classes[name]:
            raise _Refused(f"class {name} is a RootModel")
        if _names_in(old.classes[name], every_name) != _names_in(new.classes[name], every_name):
            raise _Refused(f"class {name} refers to other classes now")
        base = re.escape(name.rstrip("0123456789") or name)
        if name in outside_defs or re.search(rf"\b{re.escape(name)}\b", outside_text):
            raise _Refused(f"class {name} is shared with other schemas")
        if any(re.fullmatch(rf"{base}\d*", other) for other in [*outside, *outside_defs]):
            raise _Refused(f"class {name} has namesakes outside its group")
        tail = full.classes[name][len(full.classes[name].rstrip("\n")) :]
        spliced[name] = new.classes[name].rstrip("\n") + tail
    code = full.prefix + "".join(spliced.values())
    segments: list[list[Any]] = []
    offset = len(full.prefix)
    for name, text in spliced.items():
        segments.append([name, offset])
        offset += len(text)
    return DcgRun(code, class_names, tuple(previous["dcg_warnings"])), order, segments
