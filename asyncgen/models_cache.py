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
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncgen.engine import engine_id
from asyncgen.errors import GenerationError
from asyncgen.model import Api
from asyncgen.schemas import (
    _EMPTY,
    DcgRun,
    ModelsModule,
    class_offsets,
    module_from,
    prepare_document,
    run_document,
)

if TYPE_CHECKING:
    from asyncgen.dcgworker import DcgWorker

CACHE_VERSION = 3  # 3: optional non-nullable fields get exclude_if (schemas.omit_none)
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
    return {"asyncgen": engine_id(), "dcg": version("datamodel-code-generator"), "cache": str(CACHE_VERSION)}


def _def_texts(document: Mapping[str, Any]) -> list[list[str]]:
    # key order matters to dcg (field order): never sort keys here
    return [[name, json.dumps(schema, ensure_ascii=False)] for name, schema in document["$defs"].items()]


def _key(defs: Sequence[Sequence[str]], engine: Mapping[str, str]) -> str:
    text = json.dumps({"defs": defs, "engine": engine}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_bytes(key: str, defs: Sequence[Sequence[str]], run: DcgRun, engine: Mapping[str, str],
                segments: list[list[Any]] | None) -> bytes:  # fmt: skip
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
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


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
) -> ModelsRun:
    """The models of ``api``: from the cache, incrementally, or by one full dcg run.

    ``worker`` (:mod:`asyncgen.dcgworker`): where dcg runs; the bytes are the same either way.
    ``meanwhile``: work that does not need the models, done while the worker runs dcg (only then).
    """
    engine = _engine()
    if not api.schemas:
        key = _key([], engine)
        return ModelsRun(
            ModelsModule(_EMPTY), cache_bytes(key, [], DcgRun(_EMPTY, {}, ()), engine, None), "full"
        )
    document, notes = prepare_document(api.schemas)
    defs = _def_texts(document)
    key = _key(defs, engine)
    previous = read_cache(cache_path) if cache_path is not None else None
    started = time.perf_counter()
    reason: str | None = None
    if previous is not None:
        if previous.get("key") == key:
            run = DcgRun(previous["code"], previous["class_names"], tuple(previous["dcg_warnings"]))
            module = module_from(run.code, run.class_names, notes, run.dcg_warnings)
            return ModelsRun(module, cache_bytes(key, defs, run, engine, previous.get("segments")), "cached")
        try:
            run, group, segments = _incremental(previous, document, defs, engine, worker, meanwhile=meanwhile)
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
            cache = cache_bytes(key, defs, run, engine, segments)
            return ModelsRun(module, cache, "incremental", tuple(group))
    [(run, segments)] = _run_dcg([document], worker, meanwhile)
    module = module_from(run.code, run.class_names, notes, run.dcg_warnings, time.perf_counter() - started)
    cache = cache_bytes(key, defs, run, engine, segments)  # None: not imports + classes (no parse again)
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


def _incremental(
    previous: Mapping[str, Any],
    document: Mapping[str, Any],
    defs: list[list[str]],
    engine: Mapping[str, str],
    worker: DcgWorker | None = None,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[DcgRun, list[str], list[list[Any]]]:
    """What a full dcg run would give, and the defs dcg ran over instead; or :class:`_Refused`."""
    if previous.get("engine") != dict(engine):
        raise _Refused("made by another asyncgen or datamodel-code-generator version")
    old_texts = dict(map(tuple, previous["defs"]))
    if [d[0] for d in previous["defs"]] != [d[0] for d in defs]:
        raise _Refused("schemas were added, removed or reordered")
    changed = [name for name, text in defs if old_texts[name] != text]
    changed_set = set(changed)
    new_schemas: Mapping[str, Any] = document["$defs"]
    # for the groups: a def whose JSON text is the same is the same schema, so only the changed
    # ones are read back from the cache, and only their references are looked for again
    old_schemas = {
        name: json.loads(text) if name in changed_set else new_schemas[name]
        for name, text in old_texts.items()
    }
    new_refs = def_refs(new_schemas)
    old_refs = {**new_refs, **def_refs({name: old_schemas[name] for name in changed})}
    old_groups, new_groups = groups(old_schemas, old_refs), groups(new_schemas, new_refs)
    members = {name for name in new_schemas if new_groups[name] in {new_groups[c] for c in changed}}
    if members != {name for name in old_schemas if old_groups[name] in {old_groups[c] for c in changed}}:
        raise _Refused("the references between schemas changed")
    if 2 * len(members) > len(new_schemas):
        raise _Refused(f"{len(members)} of {len(new_schemas)} schemas are in changed groups")
    order = [name for name in new_schemas if name in members]
    (before, _), (after, _) = _run_dcg(
        [{**document, "$defs": {n: json.loads(old_texts[n]) for n in order}},  # dcg's own copies
         {**document, "$defs": {n: new_schemas[n] for n in order}}],
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
    outside_defs = {class_names[n] for n in new_schemas if n not in members}
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
