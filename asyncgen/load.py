"""load: spec files -> :class:`~asyncgen.document.Document` (data + source map, refs resolved).

``load(path)`` reads a YAML or JSON spec, ``load_data(data)`` wraps an in-memory
one; both resolve ``$ref`` the same way and raise only :class:`SpecError` /
:class:`SpecErrors` for bad input.

Reading
    YAML 1.2 core schema through :mod:`asyncgen.yaml12` (libyaml's C parser when
    present; our own iterative composer keeps line/column of every node, refuses
    non-core tags, duplicate keys, alias bombs and over-deep nesting). JSON is
    YAML, except for a few constructs libyaml rejects (keys over 1024 chars, a
    newline before a colon): text that looks like JSON and fails as YAML is
    re-read by the strict JSON parser in :mod:`asyncgen.jsonpos`. Files are read
    as UTF-8 (or UTF-16/32 with a BOM), size-checked before reading.

References
    ``#/json/pointer`` (``~0``, ``~1`` and ``%XX`` escapes), relative files
    resolved against the *referring* file, chains and pointers that pass through
    other refs, recursive schemas (left as Python object cycles). Each file is
    read once. A ``$ref`` with sibling keys becomes a new merged MapNode (siblings
    win) whose ``ref_target`` is the target.

    Refused unless allowed: files outside the root spec's folder
    (``options.allow_outside`` adds folders) and ``http(s)://`` refs
    (``options.allow_remote`` fetches them: 10 s timeout, ``max_bytes`` limit).
    ``options.map_urls`` serves remote refs from local copies: the longest
    matching prefix is replaced by its folder, and the file must stay inside that
    folder; refs inside a mapped file resolve against its URL, so they are mapped
    (or refused) the same way.

    Avro record names: in an Avro schema (a ``.avsc`` file, or JSON whose top is
    a ``record``/``enum``/``fixed`` or a union list) a fragment ``#/Name`` that is
    not a JSON pointer into it selects the named type ``Name`` (simple or full
    name), as Microcks' ``user-signedup.avsc#/User`` does.

    A ``.proto`` target loads as its text (a string), for the protobuf parser.

Limits (``LoadOptions``)
    Each file: ``max_bytes`` (checked before reading), ``max_depth`` (checked on
    the event stream, before anything recurses), ``max_nodes`` counted *after*
    alias expansion (alias bombs fail in milliseconds, in bounded memory). The
    whole spec: ``4 * max_bytes`` read and ``max_nodes`` nodes over all its files;
    at most 64 hops in a ref chain. Errors are located SpecErrors, all of them at
    once, one per root cause (a ref that fails only because its target's ref
    failed is not reported again).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urljoin, urlsplit

from asyncgen.document import Deferred, Document, LoadOptions, MapNode, SeqNode, detect_family
from asyncgen.errors import Location, SpecError, SpecErrors
from asyncgen.fingerprint import snapshot
from asyncgen.gcpause import without_gc
from asyncgen.loadsrc import decode, fetch, parse_text, read_local, restored_copy, wrap_data
from asyncgen.yaml12 import EMPTY, Parsed

__all__ = ["load", "load_data"]

MAX_REF_CHAIN = 64  # hops of ref -> ref -> ...; real specs use a handful
#: all files of one spec together may hold this many times ``max_bytes`` (each file: ``max_bytes``)
TOTAL_BYTES_FACTOR = 4
#: "did you mean" hints for this many unresolved refs, over this many keys (difflib is quadratic)
MAX_HINTS, MAX_HINT_KEYS = 50, 2000
_AVRO_NAMED = ("record", "enum", "fixed", "error")
_FAILED: Any = object()


class _Unresolved(Exception):
    """A ref could not be resolved (already reported)."""


@dataclass
class _Source:
    """One file (or remote document) that was read."""

    key: str  # real path or URL: the cache key
    display: str  # what locations show
    path: Path | None  # local file (None when fetched)
    url: str | None  # the URL it stands for (fetched or mapped), for relative refs
    tree: Any  # the resolved tree (the root file's is Document.root)


@without_gc
def load(path: str | Path, options: LoadOptions = LoadOptions()) -> Document:  # noqa: B008 - frozen
    """Read the spec at ``path`` and resolve its refs; raises SpecError/SpecErrors."""
    display = os.fspath(path)
    here = Location(display)
    try:
        folder = Path(os.path.realpath(os.path.dirname(os.path.abspath(display))))
        real = os.path.realpath(display)
        loader = _Loader(options, folder)
        text = read_local(Path(display), display, options.max_bytes, here)
        loader.bytes_read = len(text)
        parsed = parse_text(text, display, options, is_json=display.lower().endswith((".json", ".avsc")))
        return loader.finish(parsed, Path(display), display, Path(display), _cache_key(real, None))
    except (RecursionError, MemoryError) as err:
        raise _exhausted(err, here) from None
    except (OSError, ValueError) as err:  # e.g. a NUL byte in the path
        raise SpecError(f"cannot load {display!r}: {err}", here) from None


@without_gc
def load_data(
    data: Any,
    file: str = "<memory>",
    options: LoadOptions = LoadOptions(),  # noqa: B008 - frozen
    base_dir: Path | None = None,
) -> Document:
    """Like :func:`load` for a spec already in memory (plain dicts/lists or nodes).

    Relative file refs resolve against ``base_dir`` (default: the current
    directory), which is also the folder refs may not leave. ``data`` is copied,
    never modified.
    """
    try:
        base = Path(os.path.realpath(base_dir if base_dir is not None else Path.cwd()))
        loader = _Loader(options, base)
        parsed = wrap_data(data, file, options)
        return loader.finish(parsed, Path(file), file, None, _cache_key(str(base / file), None))
    except (RecursionError, MemoryError) as err:
        raise _exhausted(err, Location(file)) from None
    except (OSError, ValueError) as err:
        raise SpecError(f"cannot load {file!r}: {err}", Location(file)) from None


def _exhausted(err: BaseException, where: Location) -> SpecError:
    what = "too deeply nested" if isinstance(err, RecursionError) else "too large to load in memory"
    return SpecError(f"the spec is {what}", where, hint="check the file for runaway nesting or aliases")


# -- resolving ------------------------------------------------------------------


def _is_ref(value: Any) -> bool:
    return type(value) is MapNode and isinstance(value.get("$ref"), str)


def split_pointer(fragment: str) -> list[str] | None:
    """RFC 6901 tokens of a URI fragment (already without '#'); None if not a pointer."""
    fragment = unquote(fragment)
    if fragment == "":
        return []
    if not fragment.startswith("/"):
        return None
    tokens = fragment[1:].split("/")
    if "~" not in fragment:
        return tokens
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _owner(tokens: list[str], index: int) -> str:
    """What holds ``tokens[index]`` of a JSON pointer (for an error message)."""
    return "the document" if index == 0 else tokens[index - 1]


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), "a value")


def _is_avro(source: _Source) -> bool:
    tree = source.tree
    name = urlsplit(source.url).path if source.url else source.display
    if name.lower().endswith(".avsc"):
        return True
    if isinstance(tree, list):
        return any(isinstance(t, dict) and t.get("type") in _AVRO_NAMED for t in tree)
    return isinstance(tree, dict) and tree.get("type") in _AVRO_NAMED and "name" in tree


def _avro_names(tree: Any) -> dict[str, Any]:
    """Every named Avro type (record/enum/fixed) in ``tree`` by full and simple name (first wins)."""
    names: dict[str, Any] = {}
    stack: list[tuple[Any, str]] = [(tree, "")]
    seen: set[int] = set()
    while stack:
        node, namespace = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend((item, namespace) for item in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        name = node.get("name")
        if node.get("type") in _AVRO_NAMED and isinstance(name, str):
            space = node.get("namespace")
            space = space if isinstance(space, str) else namespace
            full = name if "." in name or not space else f"{space}.{name}"
            names.setdefault(full, node)
            names.setdefault(full.rsplit(".", 1)[-1], node)
            namespace = full.rsplit(".", 1)[0] if "." in full else ""
        stack.extend(
            (value, namespace) for value in reversed(node.values()) if isinstance(value, dict | list)
        )
    return names


class _Loader:
    def __init__(self, options: LoadOptions, root_dir: Path) -> None:
        self.options = options
        self.allowed = [root_dir] + [Path(os.path.realpath(d)) for d in options.allow_outside]
        self.root_dir = root_dir
        self.sources: dict[str, _Source | SpecError] = {}
        self.files: list[Path] = []
        self.owner: dict[int, _Source] = {}
        self.memo: dict[int, tuple[MapNode, Any]] = {}
        self.chain: list[MapNode] = []
        self.on_chain: set[int] = set()  # ids of the chain's nodes
        #: ids of containers with no $ref at or below them, in every file (see Parsed.ref_free)
        self.ref_free: set[int] = set()
        #: (container, key, the $ref mapping) for every ref resolve_all replaced
        self.replaced: list[tuple[Any, Any, MapNode]] = []
        self.errors: list[SpecError] = []
        #: running totals over all files, against the limits of the whole spec
        self.bytes_read = 0
        self.nodes = 0
        self.hints_left = MAX_HINTS
        self.avro_index: dict[str, dict[str, Any]] = {}
        self.file_set: set[Path] = set()

    # -- the whole job ----------------------------------------------------------
    def finish(self, parsed: Parsed, path: Path, display: str, local: Path | None, key: str) -> Document:
        raw = parsed.root
        if raw is EMPTY or raw is None:
            raise SpecError(
                "empty document; expected a mapping with `asyncapi:` or `openapi:`",
                Location(display, 1, 1),
                hint="the file has no content (only comments or whitespace)",
            )
        if not isinstance(raw, MapNode):
            raise SpecError(
                f"top level must be a mapping (with `asyncapi:` or `openapi:`), not {_type_name(raw)}",
                Location(display, *_first_line(raw)),
                hint="a spec starts with e.g. `asyncapi: 3.0.0` followed by `info:`, `channels:`...",
            )
        if local is not None:
            self.files.append(path)
            self.file_set.add(path)
        self.nodes = len(parsed.containers)
        root_source = _Source(key, display, local, None, raw)
        self.sources[key] = root_source
        root: Any = raw
        raw_view: MapNode | Deferred = raw
        # (before refs are resolved: the sections as written; self.memo fills in while resolving)
        source = snapshot(parsed.text, parsed.shared, raw, self.memo)
        if parsed.has_refs:
            # resolved in place; Document.raw is rebuilt from what was replaced when first read
            # (validation of OpenAPI reads it; AsyncAPI specs rarely need it)
            self.own(parsed.containers, root_source)
            self.ref_free = parsed.ref_free
            root = self.resolve_all(raw)
            replaced = self.replaced
            raw_view = Deferred(lambda: restored_copy(raw, replaced))
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else SpecErrors(self.errors)
        family, version = detect_family(root)
        return Document(
            path=path,
            raw=raw_view,
            root=root,
            family=family,
            version=version,
            files=tuple(self.files),
            source=source,
        )

    def own(self, containers: list[Any], source: _Source) -> None:
        owner = self.owner
        for node in containers:
            owner[id(node)] = source

    def resolve_all(self, tree: MapNode) -> Any:
        root: Any = tree
        if _is_ref(tree):
            root = self.follow(tree)
            if root is _FAILED:
                return tree
        stack: list[Any] = [root]
        seen: set[int] = set()
        follow, replaced, ref_free = self.follow, self.replaced, self.ref_free
        while stack:  # depth first, in document order (so errors and node.ref follow the text)
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            todo: list[Any] = []
            # replacing the value of an existing key while iterating is safe (the size stays)
            for key, value in node.items() if type(node) is MapNode else enumerate(node):
                kind = type(value)
                if kind is MapNode:
                    if not isinstance(value.get("$ref"), str):
                        if id(value) not in ref_free:  # (nothing to resolve in the others)
                            todo.append(value)
                        continue
                    child = follow(value)
                    if child is _FAILED:
                        continue
                    node[key] = child
                    replaced.append((node, key, value))
                    target = getattr(child, "ref_target", None)
                    if target is not None and id(target) not in ref_free:
                        todo.append(target)  # a merged node: its target is part of the graph too
                    if isinstance(child, MapNode | SeqNode) and id(child) not in ref_free:
                        todo.append(child)
                elif kind is SeqNode and id(value) not in ref_free:
                    todo.append(value)
            stack.extend(reversed(todo))  # (the seen ones are skipped when popped)
        return root

    # -- one ref --------------------------------------------------------------
    def follow(self, ref_node: MapNode) -> Any:
        """The node ``ref_node`` stands for (memoised), or _FAILED (error reported)."""
        done = self.memo.get(id(ref_node))
        if done is not None:
            return done[1]
        ref = ref_node["$ref"]
        where = ref_node.at_key("$ref")
        if id(ref_node) in self.on_chain or len(self.chain) >= MAX_REF_CHAIN:
            start = next((i for i, n in enumerate(self.chain) if n is ref_node), 0)
            refs = [repr(n["$ref"]) for n in [*self.chain[start:], ref_node]]
            hops = " -> ".join(refs if len(refs) < 8 else [*refs[:3], "...", *refs[-3:]])
            problem = "circular $ref" if len(self.chain) < MAX_REF_CHAIN else "$ref chain too long"
            self.report(SpecError(f"{problem}: {hops}", where, hint="a $ref must end at a real value"))
            return self.remember(ref_node, _FAILED)
        self.chain.append(ref_node)
        self.on_chain.add(id(ref_node))
        try:
            target = self.target(ref_node, ref, where)
        except _Unresolved:
            target = _FAILED
        except (OSError, ValueError) as err:  # a path the OS refuses (NUL byte, too long...)
            self.report(SpecError(f"unresolved $ref {_short(ref)}: {err}", where))
            target = _FAILED
        finally:
            self.on_chain.discard(id(self.chain.pop()))
        if target is not _FAILED:
            siblings = [k for k in ref_node if k != "$ref"] if len(ref_node) > 1 else None
            if siblings:
                target = self.merge(ref_node, target, siblings, where)
            elif isinstance(target, MapNode) and target.ref is None:
                target.ref = ref
        return self.remember(ref_node, target)

    def remember(self, ref_node: MapNode, result: Any) -> Any:
        self.memo[id(ref_node)] = (ref_node, result)
        return result

    def report(self, error: SpecError) -> None:
        self.errors.append(error)

    def merge(self, ref_node: MapNode, target: Any, siblings: list[str], where: Location) -> Any:
        if not isinstance(target, MapNode):
            self.report(
                SpecError(
                    f"$ref {ref_node['$ref']!r} has sibling keys ({', '.join(siblings)}) "
                    f"but points to {_type_name(target)}, which they cannot be merged into",
                    where,
                    hint="remove the keys next to $ref",
                )
            )
            return _FAILED
        if target.ref is None:
            target.ref = ref_node["$ref"]
        merged = MapNode(target, loc=ref_node.loc)
        merged.key_locs.update(target.key_locs)
        for key in siblings:
            merged[key] = ref_node[key]
            merged.key_locs[key] = ref_node.key_loc(key)
        merged.ref = ref_node["$ref"]
        merged.ref_target = target
        self.owner[id(merged)] = self.owner[id(ref_node)]
        return merged

    def target(self, ref_node: MapNode, ref: str, where: Location) -> Any:
        here = self.owner[id(ref_node)]
        address, _, fragment = ref.partition("#")
        tokens = split_pointer(fragment)
        source = here if not address else self.open_ref(here, address, ref, where)
        if tokens is None:
            if _is_avro(source):
                found = self.avro_named(source, unquote(fragment))
                if found is not _FAILED:
                    return found
            self.fail(
                ref,
                f"the fragment '#{fragment}' is not a JSON pointer (it must start with '/')",
                where,
                hint=f"write e.g. '{address}#/{fragment}'",
            )
        return self.walk(source, tokens, ref, where)

    def fail(self, ref: str, problem: str, where: Location, hint: str | None = None) -> NoReturn:
        self.report(SpecError(f"unresolved $ref {_short(ref)}: {problem}", where, hint=hint))
        raise _Unresolved

    def avro_named(self, source: _Source, name: str) -> Any:
        """The Avro named type ``name`` in ``source`` (indexed once per file), or _FAILED."""
        index = self.avro_index.get(source.key)
        if index is None:
            index = self.avro_index[source.key] = _avro_names(source.tree)
        return index.get(name, _FAILED)

    def suggest(self, token: str, owner: str, mapping: dict[str, Any]) -> str | None:
        """'did you mean ...? X has: ...' - for the first few misses only (difflib is slow)."""
        self.hints_left -= 1
        if self.hints_left < 0:
            return None
        if not mapping:
            return f"{owner} is empty"
        keys = list(mapping)[:MAX_HINT_KEYS]
        close = difflib.get_close_matches(token, keys, n=3, cutoff=0.6)
        listing = ", ".join(sorted(keys)[:12]) + (", ..." if len(mapping) > 12 else "")
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        return f"{hint}{owner} has: {listing}"

    def deref(self, value: Any) -> Any:
        if _is_ref(value):
            value = self.follow(value)
            if value is _FAILED:
                raise _Unresolved
        return value

    def walk(self, source: _Source, tokens: list[str], ref: str, where: Location) -> Any:
        current = self.deref(source.tree)
        if len(tokens) == 1 and not _has(current, tokens[0]) and _is_avro(source):
            found = self.avro_named(source, tokens[0])
            if found is not _FAILED:
                return found
        for index, token in enumerate(tokens):
            if isinstance(current, dict):
                if token not in current:
                    owner = _owner(tokens, index)
                    self.fail(
                        ref, f"{owner} has no key {token!r}", where, hint=self.suggest(token, owner, current)
                    )
                current = current[token]
            elif isinstance(current, list):
                if not (token.isdigit() and (token == "0" or not token.startswith("0"))):
                    self.fail(ref, f"{_owner(tokens, index)} is a list; {token!r} is not an index", where)
                if int(token) >= len(current):
                    problem = f"has no item {token} (it has {len(current)})"
                    self.fail(ref, f"{_owner(tokens, index)} {problem}", where)
                current = current[int(token)]
            else:
                problem = f"is {_type_name(current)}, not a mapping or list"
                self.fail(ref, f"{_owner(tokens, index)} {problem}", where)
            current = self.deref(current)
        return current

    # -- files --------------------------------------------------------------------
    def open_ref(self, here: _Source, address: str, ref: str, where: Location) -> _Source:
        """The source an external ref's address names (read and parsed once)."""
        if here.url is not None:
            return self.open_url(urljoin(here.url, address), ref, where)
        scheme = urlsplit(address).scheme.lower()
        if scheme in ("http", "https"):
            return self.open_url(address, ref, where)
        if scheme == "file":
            local = Path(unquote(urlsplit(address).path))
            display = str(local)
        elif scheme and len(scheme) > 1:
            self.fail(ref, f"unsupported URL scheme {scheme!r}", where, hint="use a relative path or https")
        else:
            base = here.path.parent if here.path is not None else self.root_dir
            local = base / unquote(address)
            display = os.path.normpath(os.path.join(os.path.dirname(here.display), unquote(address)))
        real = Path(os.path.realpath(local))
        if not any(real.is_relative_to(allowed) for allowed in self.allowed):
            self.fail(
                ref,
                f"the file {display} lies outside the spec's folder",
                where,
                hint=f"refs may only point inside {self.root_dir}; "
                f"allow another folder with --allow-outside {real.parent}",
            )
        return self.open_file(local, real, display, url=None, ref=ref, where=where)

    def open_url(self, url: str, ref: str, where: Location) -> _Source:
        url = url.split("#", 1)[0]
        for prefix, directory in sorted(self.options.map_urls, key=lambda p: -len(p[0])):
            if url.startswith(prefix):
                rest = unquote(url[len(prefix) :].split("?", 1)[0])
                local = Path(directory) / rest
                real = Path(os.path.realpath(local))
                if not real.is_relative_to(os.path.realpath(directory)):
                    self.fail(
                        ref,
                        f"{url} maps to {local}, outside the mapped folder {directory}",
                        where,
                        hint="a mapped URL must stay inside its --map-url folder",
                    )
                return self.open_file(
                    local, real, os.path.normpath(str(local)), url=url, ref=ref, where=where
                )
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            self.fail(ref, f"unsupported URL {url!r}", where)
        if not self.options.allow_remote:
            self.fail(
                ref,
                "remote refs are refused by default",
                where,
                hint="pass --allow-remote to fetch it, or --map-url PREFIX=DIR to read a local copy",
            )

        def produce() -> _Source:
            data = fetch(url, self.options.max_bytes, where)
            parsed = self.parse_target(data, url, url)
            source = _Source(url, url, None, url, parsed.root)
            self.own(parsed.containers, source)
            self.ref_free |= parsed.ref_free
            return source

        return self.source(url, produce, ref, where)

    def open_file(
        self, local: Path, real: Path, display: str, *, url: str | None, ref: str, where: Location
    ) -> _Source:
        key = _cache_key(str(real), url)

        def produce() -> _Source:
            data = read_local(local, display, self.options.max_bytes, where)
            if Path(display) not in self.file_set:
                self.file_set.add(Path(display))
                self.files.append(Path(display))
            parsed = self.parse_target(data, display, str(local))
            source = _Source(key, display, local, url, parsed.root)
            self.own(parsed.containers, source)
            self.ref_free |= parsed.ref_free
            return source

        return self.source(key, produce, ref, where)

    def source(self, key: str, produce: Callable[[], _Source], ref: str, where: Location) -> _Source:
        """The cached source ``key``, produced once; its errors are reported once."""
        cached = self.sources.get(key)
        if cached is None:
            try:
                cached = produce()
            except (SpecError, SpecErrors) as exc:
                errors = exc.errors if isinstance(exc, SpecErrors) else [exc]
                errors = [self.explain(error, ref, where) for error in errors]
                self.errors.extend(errors)
                cached = errors[0]
            self.sources[key] = cached
        if isinstance(cached, SpecError):
            raise _Unresolved
        return cached

    @staticmethod
    def explain(error: SpecError, ref: str, where: Location) -> SpecError:
        """Say which ref led to an error: in the message at the ref, in the hint elsewhere."""
        if error.location == where:
            if error.message.startswith("cannot fetch"):
                return error
            return SpecError(f"unresolved $ref {_short(ref)}: {error.message}", where, hint=error.hint)
        via = f"read because of $ref {_short(ref)} at {where}"
        hint = f"{error.hint}; {via}" if error.hint else via
        return SpecError(error.message, error.location, hint=hint, severity=error.severity)

    def parse_target(self, data: bytes, display: str, name: str) -> Parsed:
        """Parse a referenced file within what is left of the whole spec's byte and node budget."""
        self.bytes_read += len(data)
        limit = TOTAL_BYTES_FACTOR * self.options.max_bytes
        if self.bytes_read > limit:
            raise SpecError(
                f"the spec and the files it refers to exceed {limit:,} bytes together",
                Location(display),
                hint="raise the limit with --max-size-mb if this spec is genuine",
            )
        lowered = urlsplit(name).path.lower() if "://" in name else name.lower()
        if lowered.endswith(".proto"):
            return Parsed(decode(data, display))
        options = replace(self.options, max_nodes=max(1, self.options.max_nodes - self.nodes))
        parsed = parse_text(data, display, options, is_json=lowered.endswith((".json", ".avsc")))
        if parsed.root is EMPTY:
            raise SpecError(f"{display} is empty", Location(display, 1, 1))
        self.nodes += len(parsed.containers)
        return parsed


def _has(value: Any, token: str) -> bool:
    if isinstance(value, dict):
        return token in value
    if isinstance(value, list):
        return token.isdigit() and int(token) < len(value)
    return False


def _short(ref: str, limit: int = 160) -> str:
    """``repr(ref)``, cut in the middle when a hostile file makes it huge."""
    text = repr(ref)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"


def _cache_key(real: str, url: str | None) -> str:
    """Sources are cached by real path, and by URL for mapped copies (refs inside resolve differently)."""
    return f"{real}\n{url or ''}"


def _first_line(value: Any) -> tuple[int, int]:
    loc = getattr(value, "loc", None)
    return (loc.line, loc.column) if isinstance(loc, Location) and loc.line else (1, 1)
