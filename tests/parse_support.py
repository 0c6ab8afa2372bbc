"""Test helpers for the parser tests: inline specs -> Documents.

Uses ``asyncgen.load.load_data`` when the loader exists; until then a tiny
local-``$ref`` resolver with the same contract (refs replaced by their target
node, identity kept, cycles as object cycles, ``node.ref`` set).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncgen.document import Document, MapNode, SeqNode, detect_family, from_data
from asyncgen.errors import Diagnostics
from asyncgen.model import Api
from asyncgen.parse import parse


def _lookup(root: Any, ref: str) -> Any:
    node = root
    for raw in ref.lstrip("#").split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _resolve(root: MapNode) -> MapNode:
    def target_of(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and set(node) == {"$ref"} and seen < 50:
            ref = node["$ref"]
            node = _lookup(root, ref)
            if isinstance(node, MapNode) and node.ref is None:
                node.ref = ref
            seen += 1
        return node

    done: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in done:
            continue
        done.add(id(node))
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        for key in keys:
            child = node[key]
            if isinstance(child, dict) and set(child) == {"$ref"}:
                child = target_of(child)
                node[key] = child
            if isinstance(child, (MapNode, SeqNode)):
                stack.append(child)
    return root


def make_doc(data: dict[str, Any], file: str = "spec.yaml") -> Document:
    try:
        from asyncgen.load import load_data  # type: ignore[attr-defined]
    except ImportError:
        load_data = None
    if load_data is not None:
        return load_data(data, file)  # type: ignore[no-any-return]
    raw = from_data(data, file)
    root = _resolve(from_data(data, file))
    family, version = detect_family(data)
    return Document(path=Path(file), raw=raw, root=root, family=family, version=version, files=(Path(file),))


def parse_data(data: dict[str, Any], diagnostics: Diagnostics | None = None) -> Api:
    return parse(make_doc(data), diagnostics)
