"""Reading spec text for :mod:`asyncgen.load`: bytes -> text -> MapNode/SeqNode trees.

Private helper. Size-limited reads of files and of http(s) URLs (checked before
reading, read in chunks; remote through an http(s)-only opener), UTF-8/16/32
decoding with located errors, YAML 1.2 composition with a strict JSON fallback,
wrapping of in-memory data into nodes, and the cheap copy of a composed tree.
"""

from __future__ import annotations

import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from asyncgen.document import LoadOptions, MapNode, SeqNode
from asyncgen.errors import Location, SpecError, SpecErrors, join_pointer
from asyncgen.jsonpos import parse_json
from asyncgen.yaml12 import LimitError, Parsed, compose

__all__ = [
    "decode",
    "fetch",
    "parse_text",
    "read_limited",
    "read_local",
    "restored_copy",
    "too_big",
    "wrap_data",
]

REMOTE_TIMEOUT = 10.0


def read_local(path: Path, display: str, max_bytes: int, where: Location) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"{display} is a directory, not a spec file", where)
        if info.st_size > max_bytes:
            raise too_big(display, info.st_size, max_bytes, where)
        with path.open("rb") as handle:
            data = read_limited(handle, max_bytes)
    except FileNotFoundError:
        raise SpecError(f"file not found: {display}", where) from None
    except OSError as err:
        raise SpecError(f"cannot read {display}: {err.strerror or err}", where) from None
    if len(data) > max_bytes:
        raise too_big(display, None, max_bytes, where)
    return data


def read_limited(handle: Any, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes, in chunks (``read(n)`` would allocate all n at once)."""
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = handle.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def too_big(display: str, size: int | None, max_bytes: int, where: Location) -> SpecError:
    what = f"is {size:,} bytes, over" if size is not None else "exceeds"
    return SpecError(
        f"{display} {what} the {max_bytes:,}-byte limit",
        where,
        hint="raise the limit with --max-size-mb if this file is genuine",
    )


def decode(data: bytes, file: str) -> str:
    encoding = "utf-8"
    for bom, name in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xef\xbb\xbf", "utf-8"),
    ):
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise SpecError(
            f"not valid {encoding.upper()} text: byte 0x{data[err.start]:02x} cannot be decoded",
            Location(file, line, column),
            hint="is this a binary file? specs must be UTF-8 text",
        ) from None
    start = len(text) - len(text.lstrip("\r\n\t "))
    if text.startswith("\ufeff", start):  # a BOM before the content (libyaml drops it, PyYAML not)
        text = text[:start] + text[start + 1 :]
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise SpecError(
            "NUL byte in the file",
            Location(file, line, nul - (text.rfind("\n", 0, nul) + 1) + 1),
            hint="is this a binary file? specs must be text",
        )
    return text


def parse_text(data: bytes, display: str, options: LoadOptions, *, is_json: bool) -> Parsed:
    """YAML first (fast, C); strict JSON when that fails on JSON-looking text."""
    text = decode(data, display)
    looks_json = text.lstrip()[:1] in ("{", "[")
    try:
        return compose(text, display, max_depth=options.max_depth, max_nodes=options.max_nodes)
    except LimitError:
        raise
    except (SpecError, SpecErrors) as yaml_err:
        if not (looks_json or is_json):
            raise
        try:
            return parse_json(text, display, max_depth=options.max_depth, max_nodes=options.max_nodes)
        except (SpecError, SpecErrors) as json_err:
            raise (json_err if looks_json else yaml_err) from None


def wrap_data(data: Any, file: str, options: LoadOptions) -> Parsed:
    """Copy in-memory data (dicts/lists, or nodes) into fresh nodes with pointers."""
    out = Parsed(None)
    copies: dict[int, Any] = {}
    on_path: set[int] = set()
    count = 0

    def fresh(value: Any, pointer: str) -> Any:
        nonlocal count
        count += 1
        if count > options.max_nodes:
            raise SpecError(f"the data has more than {options.max_nodes:,} nodes", Location(file))
        if isinstance(value, dict):
            node: Any = MapNode(loc=_keep_loc(value, file, pointer))
        elif isinstance(value, list | tuple):
            node = SeqNode(loc=_keep_loc(value, file, pointer))
        else:
            return value
        copies[id(value)] = node
        out.containers.append(node)
        return node

    out.root = fresh(data, "")
    stack: list[tuple[Any, Any, int]] = [(data, out.root, 0)]
    if not isinstance(out.root, MapNode | SeqNode):
        return out
    while stack:
        source, node, depth = stack.pop()
        if source is None:  # marker: leaving ``node``'s subtree
            on_path.discard(id(node))
            continue
        if depth >= options.max_depth:
            where = Location(node.loc.file, node.loc.line, node.loc.column)
            raise SpecError(f"nesting deeper than {options.max_depth} levels", where)
        on_path.add(id(source))
        stack.append((None, source, 0))
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(key, dict | list | tuple):
                raise SpecError("complex mapping keys are not supported", node.loc)
            key_text = key if isinstance(key, str) else _key_text(key)
            pointer = join_pointer(node.loc.pointer, key_text)
            if id(value) in on_path:
                raise SpecError("the data contains itself (a cycle)", Location(file, 0, 0, pointer))
            child = copies.get(id(value)) if isinstance(value, dict | list | tuple) else None
            is_new = child is None
            if is_new:
                child = fresh(value, pointer)
            if isinstance(node, MapNode):
                node[key_text] = child
                node.key_locs[key_text] = _key_loc(source, key_text, file, pointer)
                if key_text == "$ref":
                    out.has_refs = True
            else:
                node.append(child)
                node.item_locs.append(_item_loc(source, int(key), file, pointer))
            if is_new and isinstance(child, MapNode | SeqNode):
                stack.append((value, child, depth + 1))
    return out


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _keep_loc(value: Any, file: str, pointer: str) -> Location:
    loc = getattr(value, "loc", None)
    return loc if isinstance(loc, Location) else Location(file, 0, 0, pointer)


def _key_loc(source: Any, key: str, file: str, pointer: str) -> Location:
    found = getattr(source, "key_locs", {}).get(key)
    return found if isinstance(found, Location) else Location(file, 0, 0, pointer)


def _item_loc(source: Any, index: int, file: str, pointer: str) -> Location:
    locs = getattr(source, "item_locs", [])
    return locs[index] if index < len(locs) else Location(file, 0, 0, pointer)


def restored_copy(root: MapNode, replaced: list[tuple[Any, Any, Any]]) -> MapNode:
    """A copy of the tree ``root`` as composed, before ref resolution replaced values in it.

    ``replaced`` lists (container, key, original value) of every replacement. The
    copy shares the nodes' (immutable) locations, shared nodes stay shared, and no
    pointer is recomputed, nothing checked (the tree passed when it was composed).
    """
    undo: dict[int, list[tuple[Any, Any]]] = {}
    for container, key, original in replaced:
        undo.setdefault(id(container), []).append((key, original))
    new_map, new_seq = dict.__new__, list.__new__
    copies: dict[int, Any] = {}

    def copy_of(node: Any) -> Any:
        # the node's own slots, copied as they are (locations may still be unbuilt marks)
        if type(node) is MapNode:
            copy: Any = new_map(MapNode)
            copy.update(node)
            copy._keys, copy.ref, copy.ref_target = node._keys.copy(), None, None
        else:
            copy = new_seq(SeqNode)
            copy.extend(node)
            copy._items = node._items.copy()
        copy.loc = node.loc
        for key, original in undo.get(id(node), ()):
            copy[key] = original
        copies[id(node)] = copy
        return copy

    top: MapNode = copy_of(root)
    stack: list[Any] = [top]
    while stack:
        node = stack.pop()
        for key, value in node.items() if type(node) is MapNode else enumerate(node):
            kind = type(value)
            if kind is MapNode or kind is SeqNode:
                copy = copies.get(id(value))
                if copy is None:
                    copy = copy_of(value)
                    stack.append(copy)
                node[key] = copy
    return top


def fetch(url: str, max_bytes: int, where: Location) -> bytes:
    """GET ``url`` (http/https only, 10 s timeout, at most ``max_bytes``); errors located at ``where``."""
    try:
        with _http_opener().open(url, timeout=REMOTE_TIMEOUT) as response:
            data = read_limited(response, max_bytes)
    except urllib.error.HTTPError as err:
        err.close()
        raise SpecError(f"cannot fetch remote $ref {url}: HTTP {err.code} {err.reason}", where) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise SpecError(f"cannot fetch remote $ref {url}: {reason}", where) from None
    if len(data) > max_bytes:
        raise too_big(url, None, max_bytes, where)
    return data


def _http_opener() -> urllib.request.OpenerDirector:
    """urllib with http(s) and redirects only: no file:, ftp: or data: (not even by redirect)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener
